# ra_target_warnings(<target>): the project's warning set, errors when RA_WERROR=ON.
function(ra_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                              -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
                              -Wimplicit-fallthrough -Wnull-dereference>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${RA_WERROR}>>:-Werror>
    # GCC 12's -Wmaybe-uninitialized gives false positives inside libstdc++ once the
    # sanitizers' instrumentation changes what the optimizer sees: `std::regex re(str);`
    # at -O1 -fsanitize=address warns in std::function's move (GCC bug 105616, still open
    # in GCC 12-14). Only that one warning, only in sanitizer builds with GCC: the rest of
    # the set stays an error, and the release/test/portable presets keep it too.
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>,$<NOT:$<STREQUAL:${RA_SANITIZE},none>>>:-Wno-maybe-uninitialized>
    # Under TSan, GCC 12 also warns "potential null pointer dereference" inside libstdc++'s
    # std::string (reached from CLI11's detail::split in launch/main.cc): TSan's
    # instrumentation of the string's pointer loads yields a path the optimizer cannot
    # prove dead. Only in the tsan build with GCC; every other build keeps the warning.
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>,$<STREQUAL:${RA_SANITIZE},thread>>:-Wno-null-dereference>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${RA_WERROR}>>:--Werror=all-warnings -Xcompiler=-Wall,-Wextra,-Werror>)
endfunction()

# ra_target_cpu_arch(<target>): vector ISA for the hot CPU loops.
function(ra_target_cpu_arch target)
  if(RA_CPU_ARCH)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=${RA_CPU_ARCH}>)
  endif()
  # `#pragma omp simd` reductions vectorize without -ffast-math (which would break the
  # -inf rules of the numerics).
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fopenmp-simd>)
endfunction()
