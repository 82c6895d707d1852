# OpenBLAS with its cblas.h (Debian: libopenblas-dev) -> target ra::openblas.
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
find_path(RA_OPENBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-pthread /usr/include/openblas
  PATH_SUFFIXES openblas-pthread openblas
  NO_DEFAULT_PATH)
find_path(RA_OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas-pthread openblas)
if(NOT RA_OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "OpenBLAS cblas.h not found: run scripts/setup.sh (installs libopenblas-dev)")
endif()
add_library(ra_openblas INTERFACE)
add_library(ra::openblas ALIAS ra_openblas)
target_link_libraries(ra_openblas INTERFACE BLAS::BLAS)
target_include_directories(ra_openblas SYSTEM INTERFACE ${RA_OPENBLAS_INCLUDE_DIR})
