# RA_SANITIZE=address -> ASan + UBSan; thread -> TSan. Applied to every target.
# Every UBSan finding is fatal (-fno-sanitize-recover=all): a report that only prints would
# let a test pass. The run-time options (halt_on_error, suppressions of third-party
# internals) are set for every test in tests/CMakeLists.txt (RA_SANITIZER_TEST_ENV).
# RA_FUZZ=ON (clang): every target is compiled with libFuzzer's coverage and ASan + UBSan
# (a UBSan report aborts, so the fuzzer sees it); only fuzz/'s executables link libFuzzer.
if(RA_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RA_FUZZ=ON needs clang (libFuzzer); use the fuzz preset")
  endif()
  if(NOT RA_SANITIZE STREQUAL "none")
    message(FATAL_ERROR "RA_FUZZ=ON brings its own sanitizers; leave RA_SANITIZE at none")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -g)
  add_link_options(-fsanitize=address,undefined)
endif()
if(RA_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(RA_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT RA_SANITIZE STREQUAL "none")
  message(FATAL_ERROR "RA_SANITIZE must be none, address or thread (got '${RA_SANITIZE}')")
endif()

# ra_sanitizer_defaults(): compiles the options and suppressions of a sanitizer build
# (cmake/sanitizer_defaults.cc.in, tests/sanitizers/*.supp) into every executable target
# defined so far. Called once at the end of the top-level CMakeLists.txt. Why compiled in
# rather than ctest ENVIRONMENT: CMake 3.25's gtest_discover_tests splits a list inside
# PROPERTIES, so a test can carry only one environment entry, and the scripts' own
# `ringattn` runs and the ranks under mpiexec should see the same options as ctest.
function(ra_sanitizer_defaults)
  if(RA_SANITIZE STREQUAL "none")
    return()
  endif()
  file(READ "${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp" RA_LSAN_SUPPRESSIONS)
  file(READ "${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan.supp" RA_TSAN_SUPPRESSIONS)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               "${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp" "${PROJECT_SOURCE_DIR}/tests/sanitizers/tsan.supp")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/sanitizer_defaults.cc.in"
                 "${PROJECT_BINARY_DIR}/sanitizer_defaults.cc" @ONLY)
  add_library(ra_sanitizer_defaults OBJECT "${PROJECT_BINARY_DIR}/sanitizer_defaults.cc")
  set(dirs "${PROJECT_SOURCE_DIR}")
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t ${targets})
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_sources(${t} PRIVATE $<TARGET_OBJECTS:ra_sanitizer_defaults>)
      endif()
    endforeach()
  endwhile()
endfunction()
