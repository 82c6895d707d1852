// One YAML scalar into one protobuf field, strictly: the field's type decides what text
// is accepted (no "yes" for true, no quoted numbers, no NaN, no negative unsigned, no
// silent truncation), and an error names where, the key path, what was expected and what
// was given.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ra::config {

enum class ScalarStyle : std::uint8_t { kPlain, kQuoted };

struct ScalarInput {
  std::string text;
  ScalarStyle style = ScalarStyle::kPlain;
  std::string where;     // "configs/a.yaml:3:12", "--set", "schema default"
  std::string key_path;  // "attention.heads"
};

// Sets a singular field, or appends one element to a repeated one. Throws ra::UsageError:
// "<where>: <key_path>: expected <what>, got '<text>'".
void set_scalar(google::protobuf::Message& msg, const google::protobuf::FieldDescriptor& field, const ScalarInput& in);

// The YAML spelling of a field's value (enums by their short lowercase name); `index`
// selects the element of a repeated field.
std::string scalar_text(const google::protobuf::Message& msg, const google::protobuf::FieldDescriptor& field,
                        int index = 0);

// LAYOUT_ZIGZAG -> "zigzag"; the accepted spellings of an enum (UNSPECIFIED excluded).
std::string enum_yaml_name(const google::protobuf::EnumValueDescriptor& value);
std::vector<std::string> enum_yaml_names(const google::protobuf::EnumDescriptor& e);

// "an unsigned integer", "one of: auto, contiguous, zigzag, striped", ...
std::string expected_text(const google::protobuf::FieldDescriptor& field);

}  // namespace ra::config
