// A protobuf record as one JSON line (the field names of the .proto, no newlines).
#pragma once

#include <google/protobuf/message.h>

#include <string>

namespace ra::records {

std::string to_json_line(const google::protobuf::Message& record);

}  // namespace ra::records
