# RA_SANITIZE=address -> ASan + UBSan; thread -> TSan. Applied to every target.
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
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(RA_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT RA_SANITIZE STREQUAL "none")
  message(FATAL_ERROR "RA_SANITIZE must be none, address or thread (got '${RA_SANITIZE}')")
endif()
