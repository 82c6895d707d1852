#include "runtime/config/config_print.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <sstream>

#include "runtime/config/scalar.h"
#include "runtime/config/schema_options.pb.h"

namespace ra::config {
namespace pb = google::protobuf;
namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

void emit(YAML::Emitter& out, const pb::Message& msg, const std::string& prefix, const Origins& origins) {
  const pb::Descriptor& d = *msg.GetDescriptor();
  out << YAML::BeginMap;
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    const std::string path = join(prefix, f.name());
    out << YAML::Key << f.name() << YAML::Value;
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      emit(out, msg.GetReflection()->GetMessage(msg, &f), path, origins);
      continue;
    }
    if (f.is_repeated()) {
      out << YAML::Flow << YAML::BeginSeq;
      for (int j = 0; j < msg.GetReflection()->FieldSize(msg, &f); ++j) out << scalar_text(msg, f, j);
      out << YAML::EndSeq;
      const std::string origin = origins.of(path);
      if (origin != "default") out << YAML::Comment(origin);
      continue;
    }
    const std::string text = scalar_text(msg, f);
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
      out << YAML::DoubleQuoted << text;
    } else {
      out << text;
    }
    const std::string origin = origins.of(path);
    if (origin != "default") out << YAML::Comment(origin);
  }
  out << YAML::EndMap;
}

// The loader's "expected ..." text without its article: "an unsigned integer" ->
// "unsigned integer", "one of: a, b" -> "a, b".
std::string element_type_name(const pb::FieldDescriptor& f) {
  const std::string e = expected_text(f);
  for (const char* prefix : {"one of: ", "an ", "a "}) {
    if (e.rfind(prefix, 0) == 0) return e.substr(std::string(prefix).size());
  }
  return e;
}

std::string type_name(const pb::FieldDescriptor& f) {
  return f.is_repeated() ? "list of " + element_type_name(f) : element_type_name(f);
}

std::string num(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.12g", x);
  return b;
}

void doc_section(std::ostringstream& md, const pb::Descriptor& d, const std::string& prefix) {
  md << "\n## `" << (prefix.empty() ? "(top level)" : prefix) << "`\n\n"
     << d.options().GetExtension(section).doc() << "\n\n"
     << "| key | type | default | range | meaning |\n|---|---|---|---|---|\n";
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      md << "| `" << f.name() << "` | section | | | see `" << join(prefix, f.name()) << "` |\n";
      continue;
    }
    const FieldRule& r = f.options().GetExtension(rule);
    std::string range;
    if (r.has_min() || r.has_max()) {
      range = (r.has_min() ? num(r.min()) : "") + " … " + (r.has_max() ? num(r.max()) : "");
    }
    md << "| `" << f.name() << "` | " << type_name(f) << " | `" << r.default_value() << "` | " << range
       << (r.unit().empty() ? "" : " " + r.unit()) << " | " << r.doc() << " |\n";
  }
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE)
      doc_section(md, *f.message_type(), join(prefix, f.name()));
  }
}

}  // namespace

std::string to_yaml(const LoadedConfig& loaded) {
  YAML::Emitter out;
  emit(out, loaded.config, "", loaded.origins);
  return std::string(out.c_str()) + "\n";
}

std::string config_doc_markdown() {
  std::ostringstream md;
  md << "# Configuration reference\n\n"
     << "Generated from `runtime/config/ringattn_config.proto` by `ringattn config-doc`; a test fails when this\n"
     << "file and the schema disagree. Values are read in this order, later ones winning: the schema defaults\n"
     << "below, the YAML file (`--config F`), then `--set key.path=value` arguments. Loading is strict: an\n"
     << "unknown or duplicate key, a value of the wrong type or out of range is an error (exit code 2) naming\n"
     << "file:line:col and the key path. `ringattn check-config --config F` prints the resolved config.\n";
  doc_section(md, *RunConfig::descriptor(), "");
  return md.str();
}

}  // namespace ra::config
