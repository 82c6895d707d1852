# The protobuf schemas' generated code, one library per schema folder. protobuf_generate
# runs here, in the top-level directory, because CMake 3.25's version names outputs
# relative to the calling directory: from here, runtime/config/x.proto becomes
# <build>/runtime/config/x.pb.{h,cc} and every generated header is included by its path
# from the root ("runtime/config/ringattn_config.pb.h"), like the project's own headers.
# Generated code is not held to the project's warning set.
find_package(Protobuf REQUIRED)

function(ra_proto_library target)
  add_library(${target} STATIC)
  protobuf_generate(TARGET ${target} LANGUAGE cpp PROTOS ${ARGN}
                    IMPORT_DIRS ${PROJECT_SOURCE_DIR} PROTOC_OUT_DIR ${PROJECT_BINARY_DIR})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
endfunction()

# The config schema (runtime/config), the run records (runtime/records), the checkpoint
# manifest (runtime/checkpoint).
ra_proto_library(ra_config_proto runtime/config/schema_options.proto runtime/config/ringattn_config.proto)
ra_proto_library(ra_records_proto runtime/records/records.proto)
ra_proto_library(ra_checkpoint_proto runtime/checkpoint/checkpoint.proto)
