# FindNCCL: provides the IMPORTED target NCCL::nccl and NCCL_VERSION.
#
# 1. An NCCL that ships a CMake package (find_package(NCCL CONFIG)) wins.
# 2. Otherwise nccl.h and libnccl are searched under NCCL_ROOT / $NCCL_HOME, next to
#    the CUDA toolkit (the NVIDIA HPC SDK and the CUDA containers put them there) and in
#    the usual system prefixes.
include(FindPackageHandleStandardArgs)

find_package(NCCL CONFIG QUIET)
if(NCCL_FOUND)
  if(NOT TARGET NCCL::nccl)
    # Packages name the target differently; expose the one we link as NCCL::nccl.
    foreach(candidate nccl::nccl nccl NCCL::nccl_shared nccl_shared)
      if(TARGET ${candidate})
        add_library(NCCL::nccl INTERFACE IMPORTED)
        target_link_libraries(NCCL::nccl INTERFACE ${candidate})
        break()
      endif()
    endforeach()
  endif()
  if(TARGET NCCL::nccl)
    find_package_handle_standard_args(NCCL CONFIG_MODE)
    return()
  endif()
  unset(NCCL_FOUND)
endif()

find_package(CUDAToolkit QUIET)
set(_nccl_hints ${NCCL_ROOT} $ENV{NCCL_ROOT} $ENV{NCCL_HOME})
if(CUDAToolkit_FOUND)
  list(APPEND _nccl_hints ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
  get_filename_component(_nccl_cuda_root "${CUDAToolkit_BIN_DIR}" DIRECTORY)
  list(APPEND _nccl_hints ${_nccl_cuda_root})
endif()
list(APPEND _nccl_hints /usr/local/cuda)

find_path(NCCL_INCLUDE_DIR nccl.h
  HINTS ${_nccl_hints} ${CUDAToolkit_INCLUDE_DIRS}
  PATH_SUFFIXES include)
find_library(NCCL_LIBRARY nccl
  HINTS ${_nccl_hints} ${CUDAToolkit_LIBRARY_DIR}
  PATH_SUFFIXES lib64 lib lib/x86_64-linux-gnu lib/aarch64-linux-gnu)

if(NCCL_INCLUDE_DIR AND EXISTS "${NCCL_INCLUDE_DIR}/nccl.h")
  file(STRINGS "${NCCL_INCLUDE_DIR}/nccl.h" _nccl_version_lines REGEX "^#define NCCL_(MAJOR|MINOR|PATCH) +[0-9]+")
  foreach(part MAJOR MINOR PATCH)
    string(REGEX MATCH "NCCL_${part} +([0-9]+)" _nccl_match "${_nccl_version_lines}")
    set(_nccl_${part} "${CMAKE_MATCH_1}")
  endforeach()
  if(NOT _nccl_MAJOR STREQUAL "")
    set(NCCL_VERSION "${_nccl_MAJOR}.${_nccl_MINOR}.${_nccl_PATCH}")
  endif()
endif()

find_package_handle_standard_args(NCCL
  REQUIRED_VARS NCCL_LIBRARY NCCL_INCLUDE_DIR
  VERSION_VAR NCCL_VERSION)

if(NCCL_FOUND AND NOT TARGET NCCL::nccl)
  add_library(NCCL::nccl UNKNOWN IMPORTED)
  set_target_properties(NCCL::nccl PROPERTIES
    IMPORTED_LOCATION "${NCCL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${NCCL_INCLUDE_DIR}")
  # nccl.h includes cuda_runtime.h.
  if(TARGET CUDA::cudart)
    set_property(TARGET NCCL::nccl APPEND PROPERTY INTERFACE_LINK_LIBRARIES CUDA::cudart)
  endif()
endif()
mark_as_advanced(NCCL_INCLUDE_DIR NCCL_LIBRARY)
unset(_nccl_hints)
unset(_nccl_cuda_root)
unset(_nccl_version_lines)
