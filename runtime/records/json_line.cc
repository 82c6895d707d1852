#include "runtime/records/json_line.h"

#include <google/protobuf/util/json_util.h>

#include "runtime/core/error.h"

namespace ra::records {

std::string to_json_line(const google::protobuf::Message& record) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // a record always has every key
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(record, &out, options);
  if (!status.ok()) throw InternalError("record to JSON: " + status.ToString());
  return out;
}

}  // namespace ra::records
