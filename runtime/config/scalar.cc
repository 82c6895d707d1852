#include "runtime/config/scalar.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <charconv>
#include <cmath>
#include <limits>

#include "runtime/core/error.h"
#include "runtime/core/printable.h"

namespace ra::config {
namespace pb = google::protobuf;
namespace {

[[noreturn]] void bad(const ScalarInput& in, const std::string& expected, const std::string& why = "") {
  throw UsageError(in.where + ": " + in.key_path + ": expected " + expected + ", got '" + printable(in.text) + "'" +
                   (why.empty() ? "" : " (" + why + ")"));
}

// "DataType" -> "DATA_TYPE_"
std::string enum_prefix(const std::string& type_name) {
  std::string out;
  for (std::size_t i = 0; i < type_name.size(); ++i) {
    const char c = type_name[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out + "_";
}

template <typename T>
T parse_integer(const ScalarInput& in, const std::string& expected) {
  const std::string& s = in.text;
  if (in.style == ScalarStyle::kQuoted) bad(in, expected, "a quoted string; write the number without quotes");
  if (std::is_unsigned_v<T> && !s.empty() && s[0] == '-') bad(in, expected, "negative where unsigned");
  T v{};
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), end, v);
  if (ec == std::errc::result_out_of_range) bad(in, expected, "out of range of the type");
  if (ec != std::errc() || p != end || s.empty()) bad(in, expected);
  return v;
}

double parse_double(const ScalarInput& in) {
  const std::string& s = in.text;
  const std::string expected = "a number";
  if (in.style == ScalarStyle::kQuoted) bad(in, expected, "a quoted string; write the number without quotes");
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("nan") != std::string::npos) bad(in, expected, "NaN is not a valid value");
  if (lower.find("inf") != std::string::npos) bad(in, expected, "infinity is not a valid value");
  double v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data() + (!s.empty() && s[0] == '+' ? 1 : 0), end, v);
  if (ec != std::errc() || p != end || s.empty() || !std::isfinite(v)) bad(in, expected);
  return v;
}

// A string value is UTF-8 text without control characters: every string key names files
// (output_dir, checkpoint_dir, train.data.files). A NUL would silently cut the path at
// the system call, a newline or escape would corrupt the one-line messages and records
// that print it, and invalid UTF-8 makes the config unserializable (protobuf strings are
// UTF-8: the resolved YAML would not load back, the broadcast to the other ranks fail).
// Returns "" or why the text is refused.
std::string string_problem(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return "control character at byte " + std::to_string(i) + "; file names have none";
    const std::size_t n = utf8_sequence_bytes(s, i);
    if (n == 0) return "byte " + std::to_string(i) + " is not valid UTF-8; a config is UTF-8 text";
    i += n;
  }
  return "";
}

}  // namespace

std::string enum_yaml_name(const pb::EnumValueDescriptor& value) {
  const std::string prefix = enum_prefix(value.type()->name());
  std::string name = value.name();
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::vector<std::string> enum_yaml_names(const pb::EnumDescriptor& e) {
  std::vector<std::string> out;
  for (int i = 0; i < e.value_count(); ++i) {
    if (e.value(i)->number() != 0) out.push_back(enum_yaml_name(*e.value(i)));
  }
  return out;
}

std::string expected_text(const pb::FieldDescriptor& f) {
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64: return "an unsigned integer";
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64: return "an integer";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return "a number";
    case pb::FieldDescriptor::CPPTYPE_BOOL: return "true or false";
    case pb::FieldDescriptor::CPPTYPE_STRING: return "a string";
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      std::string s = "one of: ";
      const auto names = enum_yaml_names(*f.enum_type());
      for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
      return s;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: return "a mapping of keys";
  }
  return "a value";
}

void set_scalar(pb::Message& msg, const pb::FieldDescriptor& f, const ScalarInput& in) {
  const pb::Reflection& r = *msg.GetReflection();
  const std::string expected = expected_text(f);
  // A repeated field takes one element per call (the loader clears it first).
  const bool add = f.is_repeated();
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      const auto v = parse_integer<std::uint32_t>(in, expected);
      add ? r.AddUInt32(&msg, &f, v) : r.SetUInt32(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      const auto v = parse_integer<std::uint64_t>(in, expected);
      add ? r.AddUInt64(&msg, &f, v) : r.SetUInt64(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      const auto v = parse_integer<std::int32_t>(in, expected);
      add ? r.AddInt32(&msg, &f, v) : r.SetInt32(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      const auto v = parse_integer<std::int64_t>(in, expected);
      add ? r.AddInt64(&msg, &f, v) : r.SetInt64(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v = parse_double(in);
      add ? r.AddDouble(&msg, &f, v) : r.SetDouble(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      const auto v = static_cast<float>(parse_double(in));
      add ? r.AddFloat(&msg, &f, v) : r.SetFloat(&msg, &f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      // YAML 1.1 also reads yes/no/on/off as booleans; only true/false are accepted here.
      if (in.style != ScalarStyle::kPlain || (in.text != "true" && in.text != "false")) bad(in, expected);
      add ? r.AddBool(&msg, &f, in.text == "true") : r.SetBool(&msg, &f, in.text == "true");
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      if (const std::string why = string_problem(in.text); !why.empty()) bad(in, expected, why);
      add ? r.AddString(&msg, &f, in.text) : r.SetString(&msg, &f, in.text);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumDescriptor& e = *f.enum_type();
      for (int i = 0; i < e.value_count(); ++i) {
        if (e.value(i)->number() != 0 && enum_yaml_name(*e.value(i)) == in.text) {
          add ? r.AddEnum(&msg, &f, e.value(i)) : r.SetEnum(&msg, &f, e.value(i));
          return;
        }
      }
      bad(in, expected);
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: bad(in, expected, "a scalar where a section is expected");
  }
}

std::string scalar_text(const pb::Message& msg, const pb::FieldDescriptor& f, int index) {
  const pb::Reflection& r = *msg.GetReflection();
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(rep ? r.GetRepeatedUInt32(msg, &f, index) : r.GetUInt32(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(rep ? r.GetRepeatedUInt64(msg, &f, index) : r.GetUInt64(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(rep ? r.GetRepeatedInt32(msg, &f, index) : r.GetInt32(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(rep ? r.GetRepeatedInt64(msg, &f, index) : r.GetInt64(msg, &f));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      const double v = f.cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT
                           ? static_cast<double>(rep ? r.GetRepeatedFloat(msg, &f, index) : r.GetFloat(msg, &f))
                           : (rep ? r.GetRepeatedDouble(msg, &f, index) : r.GetDouble(msg, &f));
      if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<std::int64_t>(v));
      // The shortest text that reads back to the same double.
      for (int prec = 1; prec <= 17; ++prec) {
        char t[32];
        std::snprintf(t, sizeof t, "%.*g", prec, v);
        if (std::strtod(t, nullptr) == v) return t;
      }
      return std::to_string(v);
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r.GetRepeatedBool(msg, &f, index) : r.GetBool(msg, &f)) ? "true" : "false";
    case pb::FieldDescriptor::CPPTYPE_STRING: return rep ? r.GetRepeatedString(msg, &f, index) : r.GetString(msg, &f);
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return enum_yaml_name(*(rep ? r.GetRepeatedEnum(msg, &f, index) : r.GetEnum(msg, &f)));
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
  return "";
}

}  // namespace ra::config
