#include "runtime/config/yaml_loader.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <functional>
#include <map>
#include <vector>

#include "runtime/config/scalar.h"
#include "runtime/config/schema_options.pb.h"
#include "runtime/config/suggest.h"
#include "runtime/core/error.h"
#include "runtime/core/printable.h"

namespace ra::config {
namespace pb = google::protobuf;
namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

std::string at(const std::string& file, const YAML::Mark& m) {
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// Every dotted key path of the schema below `d`, for suggestions across sections.
void all_paths(const pb::Descriptor& d, const std::string& prefix, std::vector<std::string>& out) {
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    const std::string path = join(prefix, f.name());
    out.push_back(path);
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) all_paths(*f.message_type(), path, out);
  }
}

std::string known_keys(const pb::Descriptor& d) {
  std::string s;
  for (int i = 0; i < d.field_count(); ++i) s += (i ? ", " : "") + d.field(i)->name();
  return s;
}

// "unknown key 'attention.haeds' (did you mean 'attention.heads'?; keys of attention: ...)"
std::string unknown_key_message(const pb::Descriptor& d, const pb::Descriptor& root, const std::string& prefix,
                                const std::string& name) {
  std::vector<std::string> here;
  for (int i = 0; i < d.field_count(); ++i) here.push_back(d.field(i)->name());
  std::string hint = closest(name, here);
  if (!hint.empty()) {
    hint = join(prefix, hint);
  } else {
    // The key may belong to another section: "heads" at the top level -> attention.heads
    // (or model.heads: every section that has it is named).
    std::vector<std::string> paths;
    all_paths(root, "", paths);
    std::string near;
    for (const std::string& p : paths) {
      const std::string leaf = p.substr(p.rfind('.') + 1);
      if (leaf == name) hint += (hint.empty() ? "" : "' or '") + p;
      if (near.empty() && edit_distance(leaf, name) <= 1) near = p;
    }
    if (hint.empty()) hint = near;
    if (hint.empty()) hint = closest(join(prefix, name), paths);
  }
  return "unknown key '" + join(prefix, name) + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
         "; keys " + (prefix.empty() ? "at the top level" : "of " + prefix) + ": " + known_keys(d);
}

const char* node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "nothing";
    default: return "a scalar";
  }
}

// Explicit YAML tags are refused on every node: the schema gives each key its type, and a
// tag would override it silently ("heads: !!str 4" read as the number 4, "!!float" on an
// integer key). Untagged nodes carry "?" (plain) or "!" (quoted; also the bare "!" tag,
// which yaml-cpp cannot tell from quotes and which the quoted-string rules then refuse).
void refuse_tag(const YAML::Node& n, const std::string& where, const std::string& path) {
  const std::string& tag = n.Tag();
  if (tag.empty() || tag == "?" || tag == "!") return;
  const std::string core = "tag:yaml.org,2002:";
  const std::string shown = tag.rfind(core, 0) == 0 ? "!!" + tag.substr(core.size()) : tag;
  throw UsageError(where + ": " + (path.empty() ? "" : path + ": ") + "YAML tag '" + printable(shown) +
                   "' is not accepted (every key has the schema's type); write the value without a tag");
}

// A repeated field from a YAML sequence of scalars (block or flow style); `where_of`
// names an element's position for messages.
void load_list(const YAML::Node& seq, pb::Message& msg, const pb::FieldDescriptor& f, const std::string& path,
               const std::string& where, const std::function<std::string(const YAML::Node&)>& where_of) {
  refuse_tag(seq, where, path);
  if (!seq.IsSequence() && !seq.IsNull()) {
    throw UsageError(where + ": " + path + ": expected a list, e.g. [1, 2, 4] (items: " + expected_text(f) + "), got " +
                     node_kind(seq));
  }
  msg.GetReflection()->ClearField(&msg, &f);
  std::size_t i = 0;
  for (auto it = seq.begin(); it != seq.end(); ++it) {
    const YAML::Node item = *it;  // a copy: the iterator yields a temporary
    const std::string item_path = path + "[" + std::to_string(i++) + "]";
    refuse_tag(item, where_of(item), item_path);
    if (!item.IsScalar())
      throw UsageError(where_of(item) + ": " + item_path + ": expected " + expected_text(f) + ", got " +
                       node_kind(item));
    set_scalar(
        msg, f,
        {item.Scalar(), item.Tag() == "!" ? ScalarStyle::kQuoted : ScalarStyle::kPlain, where_of(item), item_path});
  }
}

YAML::Node parse_value(const std::string& where, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UsageError(where + ": YAML syntax error: " + printable(e.msg));
  }
}

void load_map(const std::string& file, const YAML::Node& node, pb::Message& msg, const pb::Descriptor& root,
              const std::string& prefix, Origins& origins) {
  const pb::Descriptor& d = *msg.GetDescriptor();
  std::map<std::string, YAML::Mark> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // copies: the iterator yields a temporary pair
    const YAML::Node value = it->second;
    const std::string where = at(file, key.Mark());
    if (!key.IsScalar()) throw UsageError(where + ": a key must be a plain name, got " + node_kind(key));
    const std::string name = printable(key.Scalar());
    const std::string path = join(prefix, name);
    refuse_tag(key, where, path);
    refuse_tag(value, at(file, value.Mark()), path);
    if (auto dup = seen.find(name); dup != seen.end()) {
      throw UsageError(where + ": duplicate key '" + path + "' (first at line " + std::to_string(dup->second.line + 1) +
                       ", again at line " + std::to_string(key.Mark().line + 1) + ")");
    }
    seen.emplace(name, key.Mark());
    const pb::FieldDescriptor* f = d.FindFieldByName(name);
    if (f == nullptr) throw UsageError(where + ": " + unknown_key_message(d, root, prefix, name));
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (value.IsNull()) continue;  // "attention:" with nothing below: all defaults
      if (!value.IsMap()) {
        throw UsageError(at(file, value.Mark()) + ": " + path + ": expected a mapping of keys, got " +
                         node_kind(value));
      }
      load_map(file, value, *msg.GetReflection()->MutableMessage(&msg, f), root, path, origins);
      continue;
    }
    const std::string value_at = at(file, value.Mark());
    if (f->is_repeated()) {
      load_list(value, msg, *f, path, value_at, [&](const YAML::Node& n) { return at(file, n.Mark()); });
      origins.set(path, value_at);
      continue;
    }
    if (!value.IsScalar()) {
      throw UsageError(value_at + ": " + path + ": expected " + expected_text(*f) + ", got " + node_kind(value));
    }
    set_scalar(msg, *f,
               {value.Scalar(), value.Tag() == "!" ? ScalarStyle::kQuoted : ScalarStyle::kPlain, value_at, path});
    origins.set(path, value_at);
  }
}

// Where a YAML text's documents are, from its lines alone. YAML forbids a line that starts
// with "---" or "..." followed by a space or its end anywhere but as a document marker
// (c-forbidden: not even inside a block or quoted scalar), so the markers are found
// without parsing. (Not YAML::LoadAll or a second Parser::HandleNextDocument: on inputs
// like ",a: 1" yaml-cpp 0.7 never returns from them and grows to tens of GB.)
struct DocumentLines {
  std::size_t first_content_line = 0;    // 1-based; 0: no content (only comments, markers)
  std::size_t second_document_line = 0;  // 0: one document
};

DocumentLines document_lines(const std::string& text) {
  DocumentLines out;
  bool started = false, ended = false;  // an explicit '---' seen; a '...' after the first document
  std::size_t line = 0, start = 0;
  while (start < text.size() && out.second_document_line == 0) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string l = text.substr(start, end - start);
    start = end + 1;
    ++line;
    auto marker = [&](const char* m) {
      return l.rfind(m, 0) == 0 && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    };
    const std::size_t first = l.find_first_not_of(" \t\r");
    const bool blank_or_comment = first == std::string::npos || l[first] == '#';
    if (marker("---")) {
      if (started || ended || out.first_content_line > 0) {
        out.second_document_line = line;
      } else {
        started = true;
        const std::size_t rest = l.find_first_not_of(" \t\r", 3);
        if (rest != std::string::npos && l[rest] != '#') out.first_content_line = line;  // "--- {a: 1}"
      }
    } else if (marker("...")) {
      ended = ended || started || out.first_content_line > 0;
    } else if (!blank_or_comment && !(l[0] == '%' && out.first_content_line == 0 && !started)) {
      if (ended) {
        out.second_document_line = line;  // a bare document after '...'
      } else if (out.first_content_line == 0) {
        out.first_content_line = line;
      }
    }
  }
  return out;
}

}  // namespace

void load_yaml(const std::string& file, const std::string& text, pb::Message& msg, Origins& origins) {
  // A config is one document: a second one (after '---') would otherwise be ignored, every
  // key in it silently without effect.
  const DocumentLines lines = document_lines(text);
  if (lines.second_document_line > 0) {
    throw UsageError(file + ":" + std::to_string(lines.second_document_line) +
                     ":1: a second YAML document starts here; a config file is one document: merge the keys into "
                     "the first or remove the '---'");
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UsageError(at(file, e.mark) + ": YAML syntax error: " + printable(e.msg));
  }
  refuse_tag(root, at(file, root.Mark()), "");
  if (root.IsNull()) {
    if (lines.first_content_line == 0) return;  // an empty file, or only comments: all defaults
    // "null", "~", or text yaml-cpp reads as nothing (",a: 1"): never silently the defaults.
    throw UsageError(file + ":" + std::to_string(lines.first_content_line) +
                     ":1: expected a mapping of keys at the top, got nothing (the text from here reads as YAML "
                     "null)");
  }
  if (!root.IsMap())
    throw UsageError(at(file, root.Mark()) + ": expected a mapping of keys at the top, got " + node_kind(root));
  load_map(file, root, msg, *msg.GetDescriptor(), "", origins);
}

void apply_override(const std::string& assignment, pb::Message& msg, Origins& origins) {
  const std::string where = "--set " + printable(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError(where + ": expected KEY=VALUE, e.g. attention.heads=8");
  const std::string path = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  pb::Message* m = &msg;
  const pb::Descriptor& root = *msg.GetDescriptor();
  std::string prefix;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const pb::FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(name);
    if (f == nullptr) throw UsageError(where + ": " + unknown_key_message(*m->GetDescriptor(), root, prefix, name));
    prefix = join(prefix, name);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (dot == std::string::npos)
        throw UsageError(where + ": '" + prefix +
                         "' is a section; set one of its keys: " + known_keys(*f->message_type()));
      m = m->GetReflection()->MutableMessage(m, f);
      start = dot + 1;
      continue;
    }
    if (dot != std::string::npos) throw UsageError(where + ": '" + prefix + "' is a value, not a section");
    if (f->is_repeated()) {
      load_list(parse_value(where, value), *m, *f, prefix, where, [&](const YAML::Node&) { return where; });
      origins.set(prefix, where);
      return;
    }
    ScalarStyle style = ScalarStyle::kPlain;
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
      style = ScalarStyle::kQuoted;
    }
    set_scalar(*m, *f, {value, style, where, prefix});
    origins.set(prefix, where);
    return;
  }
}

void apply_defaults(pb::Message& msg) {
  const pb::Descriptor& d = *msg.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      apply_defaults(*msg.GetReflection()->MutableMessage(&msg, &f));
      continue;
    }
    const FieldRule& r = f.options().GetExtension(rule);
    if (r.default_value().empty()) continue;
    if (f.is_repeated()) {
      load_list(parse_value("schema default", r.default_value()), msg, f, f.full_name(), "schema default",
                [](const YAML::Node&) { return std::string("schema default"); });
    } else {
      set_scalar(msg, f, {r.default_value(), ScalarStyle::kPlain, "schema default", f.full_name()});
    }
  }
}

namespace {

double numeric_value(const pb::Message& msg, const pb::FieldDescriptor& f, int i) {
  const pb::Reflection& r = *msg.GetReflection();
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_UINT32: return rep ? r.GetRepeatedUInt32(msg, &f, i) : r.GetUInt32(msg, &f);
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<double>(rep ? r.GetRepeatedUInt64(msg, &f, i) : r.GetUInt64(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_INT32: return rep ? r.GetRepeatedInt32(msg, &f, i) : r.GetInt32(msg, &f);
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return static_cast<double>(rep ? r.GetRepeatedInt64(msg, &f, i) : r.GetInt64(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return rep ? r.GetRepeatedDouble(msg, &f, i) : r.GetDouble(msg, &f);
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return rep ? r.GetRepeatedFloat(msg, &f, i) : r.GetFloat(msg, &f);
    default: return 0;
  }
}

void check_ranges_at(const pb::Message& msg, const std::string& prefix, const Origins& origins) {
  const pb::Descriptor& d = *msg.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const pb::FieldDescriptor& f = *d.field(i);
    const std::string path = join(prefix, f.name());
    if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      check_ranges_at(msg.GetReflection()->GetMessage(msg, &f), path, origins);
      continue;
    }
    const FieldRule& r = f.options().GetExtension(rule);
    if (!r.has_min() && !r.has_max()) continue;
    const int n = f.is_repeated() ? msg.GetReflection()->FieldSize(msg, &f) : 1;
    for (int j = 0; j < n; ++j) {
      const double v = numeric_value(msg, f, j);
      if ((r.has_min() && v < r.min()) || (r.has_max() && v > r.max())) {
        auto num = [](double x) {
          char b[32];
          std::snprintf(b, sizeof b, "%.12g", x);
          return std::string(b);
        };
        const std::string item = f.is_repeated() ? path + "[" + std::to_string(j) + "]" : path;
        throw UsageError(origins.of(path) + ": " + item + ": " + scalar_text(msg, f, j) + " is out of range [" +
                         (r.has_min() ? num(r.min()) : "-inf") + ", " + (r.has_max() ? num(r.max()) : "inf") + "]" +
                         (r.unit().empty() ? "" : " " + r.unit()));
      }
    }
  }
}

}  // namespace

void check_ranges(const pb::Message& msg, const Origins& origins) { check_ranges_at(msg, "", origins); }

}  // namespace ra::config
