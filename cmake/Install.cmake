# `cmake --install` and the exported package: find_package(ringattn) gives
#   ringattn::ringattn   ring attention on an MPI job: the composition root
#                        (runtime/backend), the full-sequence helper (runtime/ring),
#                        the MPI communicator (comm/mpi) and everything below them
#   ringattn::<name>     each library alone (ringattn::core, ringattn::ring, ...)
# with headers under include/ringattn, included by their repository paths
# ("runtime/ring/full_sequence.h"). tests/package builds and runs a consumer against an
# install prefix. Every product library is exported (the static libraries' dependencies
# must be); the list is collected from the tree, so a new library needs no edit here.
include(CMakePackageConfigHelpers)

add_library(ra_ringattn INTERFACE)
target_link_libraries(ra_ringattn INTERFACE ra_backend ra_ring_full ra_comm_mpi)
# A sanitizer build's libraries are instrumented: whoever links them needs the runtime.
if(RA_SANITIZE STREQUAL "address")
  target_link_options(ra_ringattn INTERFACE -fsanitize=address,undefined)
elseif(RA_SANITIZE STREQUAL "thread")
  target_link_options(ra_ringattn INTERFACE -fsanitize=thread)
endif()

function(ra_collect_libraries dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  set(libs)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(t MATCHES "^ra_" AND type MATCHES "^(STATIC_LIBRARY|INTERFACE_LIBRARY)$")
      list(APPEND libs ${t})
    endif()
  endforeach()
  foreach(s ${subdirs})
    if(NOT s MATCHES "^${PROJECT_SOURCE_DIR}/tests(/|$)")
      ra_collect_libraries(${s} sub)
      list(APPEND libs ${sub})
    endif()
  endforeach()
  set(${out} ${libs} PARENT_SCOPE)
endfunction()
ra_collect_libraries(${PROJECT_SOURCE_DIR} ra_libraries)

foreach(t ${ra_libraries})
  string(REGEX REPLACE "^ra_" "" name ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${name})
endforeach()

install(TARGETS ${ra_libraries} EXPORT ringattnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ringattn)
install(TARGETS ringattn RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir runtime kernels comm)
  install(DIRECTORY ${dir} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ringattn
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(DIRECTORY ${PROJECT_BINARY_DIR}/runtime DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ringattn
        FILES_MATCHING PATTERN "*.pb.h" PATTERN "CMakeFiles" EXCLUDE)

set(ra_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ringattn)
install(EXPORT ringattnTargets NAMESPACE ringattn:: DESTINATION ${ra_package_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ringattnConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ringattnConfig.cmake INSTALL_DESTINATION ${ra_package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ringattnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ringattnConfig.cmake ${PROJECT_BINARY_DIR}/ringattnConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindNCCL.cmake
        DESTINATION ${ra_package_dir})
