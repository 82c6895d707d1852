// RA_HD marks functions that host code and CUDA device code both call (nvcc compiles
// them for both sides; to other compilers the macro is empty).
#pragma once

#if defined(__CUDACC__)
#define RA_HD __host__ __device__
#else
#define RA_HD
#endif
