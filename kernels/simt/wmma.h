// The WMMA subset the kernels use (nvcuda::wmma, m16n16k16, half or bf16 inputs, fp32
// accumulator), for the emulator. Each lane of a warp holds 8 of a fragment's 256
// elements — lane l owns elements [8l, 8l + 8) of the 16×16 tile in row-major order —
// so element-wise loops over frag.x[i] work as on the GPU, where the mapping is opaque.
// load/store wait for every lane (as CUDA documents), then touch only the lane's own
// elements — so a store's results are NOT visible to other lanes until the kernel syncs
// the warp, as on a GPU — and check CUDA's alignment rules; mma_sync
// is warp-collective: lanes publish their fragments' addresses, meet at a warp barrier,
// each computes its 8 outputs from all lanes' inputs, and meet again before anyone may
// change a fragment.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/simt/half_types.h"
#include "kernels/simt/simt_api.h"

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

inline float to_float(float x) { return x; }
inline float to_float(__half x) { return __half2float(x); }
inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment {
  static_assert(M == 16 && N == 16 && K == 16, "the emulator implements m16n16k16");
  static constexpr int num_elements = 8;
  T x[num_elements];
};

namespace detail {

constexpr int kTile = 16;
inline int row_of(int lane, int i) { return (lane * 8 + i) / kTile; }
inline int col_of(int lane, int i) { return (lane * 8 + i) % kTile; }
inline int lane_id() { return static_cast<int>(::ra::simt::current().linear % 32); }

// Element (r, c) of a tile from the fragments all lanes published.
template <typename T>
T element(const std::array<const T*, 32>& lanes, int r, int c) {
  const int flat = r * kTile + c;
  return lanes[static_cast<std::size_t>(flat / 8)][flat % 8];
}

// What each lane of each warp of the running block published for one mma_sync: its
// fragments' addresses. Blocks run one at a time per OS thread, hence thread_local.
struct Published {
  const void* a;
  const void* b;
  const void* c;
};
inline thread_local Published g_published[32][32];  // [warp][lane], up to 1024 threads

// CUDA requires a 256-bit aligned pointer and a leading dimension that is a multiple of
// 16 bytes; a kernel that breaks either works here by accident and faults on a GPU.
template <typename T>
void check_operand(const T* p, unsigned ldm, const char* what) {
  if (reinterpret_cast<std::uintptr_t>(p) % 32 != 0) {
    throw ::ra::simt::SimtError(std::string("simt: wmma::") + what + " pointer is not 32-byte aligned in " +
                                ::ra::simt::where_am_i());
  }
  if ((ldm * sizeof(T)) % 16 != 0) {
    throw ::ra::simt::SimtError(std::string("simt: wmma::") + what + " ldm " + std::to_string(ldm) +
                                " is not a multiple of 16 bytes in " + ::ra::simt::where_am_i());
  }
}

}  // namespace detail

template <typename Use, typename T, typename Layout>
void fill_fragment(fragment<Use, 16, 16, 16, T, Layout>& f, T v) {
  for (T& e : f.x) e = v;
}

// Row-major A: element (r, c) at p[r * ldm + c]; col-major: p[c * ldm + r].
template <typename Use, typename T, typename Layout>
void load_matrix_sync(fragment<Use, 16, 16, 16, T, Layout>& f, const T* p, unsigned ldm) {
  detail::check_operand(p, ldm, "load_matrix_sync");
  __syncwarp();  // CUDA: every lane arrives, then the warp loads
  const int lane = detail::lane_id();
  for (int i = 0; i < 8; ++i) {
    const auto r = static_cast<unsigned>(detail::row_of(lane, i)), c = static_cast<unsigned>(detail::col_of(lane, i));
    f.x[i] = std::is_same_v<Layout, col_major> ? p[c * ldm + r] : p[r * ldm + c];
  }
}

template <typename T>
void load_matrix_sync(fragment<accumulator, 16, 16, 16, T>& f, const T* p, unsigned ldm, layout_t layout) {
  detail::check_operand(p, ldm, "load_matrix_sync");
  __syncwarp();  // CUDA: every lane arrives, then the warp loads
  const int lane = detail::lane_id();
  for (int i = 0; i < 8; ++i) {
    const auto r = static_cast<unsigned>(detail::row_of(lane, i)), c = static_cast<unsigned>(detail::col_of(lane, i));
    f.x[i] = layout == mem_col_major ? p[c * ldm + r] : p[r * ldm + c];
  }
}

template <typename T>
void store_matrix_sync(T* p, const fragment<accumulator, 16, 16, 16, T>& f, unsigned ldm, layout_t layout) {
  detail::check_operand(p, ldm, "store_matrix_sync");
  __syncwarp();  // CUDA: every lane arrives, then the warp stores
  const int lane = detail::lane_id();
  for (int i = 0; i < 8; ++i) {
    const auto r = static_cast<unsigned>(detail::row_of(lane, i)), c = static_cast<unsigned>(detail::col_of(lane, i));
    (layout == mem_col_major ? p[c * ldm + r] : p[r * ldm + c]) = f.x[i];
  }
}

// D = A·B + C, fp32 accumulation (products of 16-bit inputs are exact in fp32).
template <typename T, typename LayoutA, typename LayoutB>
void mma_sync(fragment<accumulator, 16, 16, 16, float>& d, const fragment<matrix_a, 16, 16, 16, T, LayoutA>& a,
              const fragment<matrix_b, 16, 16, 16, T, LayoutB>& b, const fragment<accumulator, 16, 16, 16, float>& c) {
  const auto& me = ::ra::simt::current();
  auto& warp = detail::g_published[me.linear / 32];
  const int lane = detail::lane_id();
  warp[lane] = {a.x, b.x, c.x};
  __syncwarp();  // every lane has published its fragments
  std::array<const T*, 32> as{}, bs{};
  std::array<const float*, 32> cs{};
  for (std::size_t l = 0; l < 32; ++l) {
    as[l] = static_cast<const T*>(warp[l].a);
    bs[l] = static_cast<const T*>(warp[l].b);
    cs[l] = static_cast<const float*>(warp[l].c);
  }
  float out[8];
  for (int i = 0; i < 8; ++i) {
    const int r = detail::row_of(lane, i), col = detail::col_of(lane, i);
    float acc = detail::element(cs, r, col);
    for (int k = 0; k < 16; ++k) acc += to_float(detail::element(as, r, k)) * to_float(detail::element(bs, k, col));
    out[i] = acc;
  }
  __syncwarp();  // every lane has read every fragment before any is overwritten (d may alias c)
  for (int i = 0; i < 8; ++i) d.x[i] = out[i];
}

}  // namespace nvcuda::wmma
