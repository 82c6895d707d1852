// Strict YAML → protobuf message loading, and `--set a.b=c` overrides. Every error is a
// ra::UsageError (exit code 2) naming file:line:col (or the --set argument), the dotted
// key path, what was expected and what was given; unknown keys get a "did you mean".
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "runtime/config/origins.h"

namespace ra::config {

// `file` names the source in messages; `text` is its content.
void load_yaml(const std::string& file, const std::string& text, google::protobuf::Message& msg, Origins& origins);

// "attention.heads=8". Values are YAML scalars ("'x'" and "\"x\"" are quoted strings).
void apply_override(const std::string& assignment, google::protobuf::Message& msg, Origins& origins);

// Every field's schema default (FieldRule.default_value), recursively.
void apply_defaults(google::protobuf::Message& msg);

// Every numeric field against its schema range (FieldRule.min/max).
void check_ranges(const google::protobuf::Message& msg, const Origins& origins);

}  // namespace ra::config
