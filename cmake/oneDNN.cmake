# oneDNN (Debian: libdnnl-dev) -> target ra::dnnl, the f32 GEMM of kernels/gemm.
# Found by its header and library rather than its CMake config: Debian's dnnl-config.cmake
# requires the OpenCL headers (its build enables the OpenCL GPU runtime), which the CPU
# GEMM never uses and libdnnl-dev does not install.
find_path(RA_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
find_library(RA_DNNL_LIBRARY NAMES dnnl)
if(NOT RA_DNNL_INCLUDE_DIR OR NOT RA_DNNL_LIBRARY)
  message(FATAL_ERROR "oneDNN (oneapi/dnnl/dnnl.hpp, libdnnl) not found: run scripts/setup.sh (installs libdnnl-dev)")
endif()
# Debian's build threads with OpenMP; kernels/gemm pins each calling thread's OpenMP team
# to one thread (omp_set_num_threads), hence OpenMP.
find_package(OpenMP REQUIRED COMPONENTS CXX)
add_library(ra_dnnl INTERFACE)
add_library(ra::dnnl ALIAS ra_dnnl)
target_link_libraries(ra_dnnl INTERFACE ${RA_DNNL_LIBRARY} OpenMP::OpenMP_CXX)
target_include_directories(ra_dnnl SYSTEM INTERFACE ${RA_DNNL_INCLUDE_DIR})
