// The SIMT emulator's own tests: it runs kernels written for CUDA (through the
// portability header) with the right results, and it catches what it exists to catch —
// a missing __syncthreads (a wrong result under shuffled thread order), barrier and warp
// divergence, out-of-bounds shared memory, launch limits, exceptions in a thread — each
// as a SimtError naming the thread and the source line, never a hang.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "runtime/device/cuda/add_f32_kernel.h"
#include "runtime/device/cuda/host/launch_grid.h"
#include "runtime/core/tensor_view.h"
#include "tests/simt/planted_kernels.h"
#include "tests/simt/wmma_kernels.h"

namespace ra::simt {
namespace {

using planted::kBlock;

class Simt : public ::testing::Test {
 protected:
  void SetUp() override { set_options(EmulatorOptions{}); }
  void TearDown() override { set_options(EmulatorOptions{}); }
};

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const SimtError& e) {
    return e.what();
  }
  return "";
}

TEST_F(Simt, IndicesOfATwoDimensionalGrid) {
  const unsigned width = 24, height = 10;
  std::vector<unsigned> out(width * height, 0);
  RA_LAUNCH(planted::coordinates, dim3(3, 5), dim3(8, 2), 0, nullptr, out.data(), width);
  for (unsigned y = 0; y < height; ++y)
    for (unsigned x = 0; x < width; ++x) ASSERT_EQ(out[y * width + x], y * 1000 + x) << x << "," << y;
}

TEST_F(Simt, BlockReductionWithBarriersIsRightInAnyThreadOrder) {
  const unsigned blocks = 5;
  std::vector<float> in(blocks * kBlock), out(blocks);
  std::iota(in.begin(), in.end(), 1.0f);
  for (ThreadOrder order : {ThreadOrder::kInOrder, ThreadOrder::kShuffled}) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      EmulatorOptions o;
      o.order = order;
      o.seed = seed;
      set_options(o);
      RA_LAUNCH(planted::block_sum, dim3(blocks), dim3(kBlock), 0, nullptr, in.data(), out.data(),
                planted::Barriers::kAll);
      for (unsigned b = 0; b < blocks; ++b) {
        const float first = static_cast<float>(b * kBlock + 1), last = first + kBlock - 1;
        ASSERT_EQ(out[b], (first + last) * kBlock / 2) << "block " << b << " seed " << seed;
      }
    }
  }
}

TEST_F(Simt, AMissingBarrierGivesAWrongResultUnderShuffledOrder) {
  std::vector<float> in(kBlock), out(1);
  std::iota(in.begin(), in.end(), 1.0f);
  const float right = static_cast<float>(kBlock * (kBlock + 1) / 2);
  int wrong = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    EmulatorOptions o;
    o.seed = seed;
    set_options(o);
    RA_LAUNCH(planted::block_sum, dim3(1), dim3(kBlock), 0, nullptr, in.data(), out.data(),
              planted::Barriers::kMissingOne);
    wrong += out[0] != right ? 1 : 0;
  }
  EXPECT_GT(wrong, 0) << "shuffling never exposed the missing __syncthreads";
}

TEST_F(Simt, AThreadThatExitsBeforeABarrierIsDivergence) {
  std::vector<float> out(kBlock);
  const std::string m =
      error_of([&] { RA_LAUNCH(planted::early_exit, dim3(1), dim3(kBlock), 0, nullptr, out.data()); });
  EXPECT_NE(m.find("barrier divergence"), std::string::npos) << m;
  EXPECT_NE(m.find("thread (0,0,0) of block (0,0,0) has exited"), std::string::npos) << m;
  EXPECT_NE(m.find("planted_kernels.h:"), std::string::npos) << m;
}

TEST_F(Simt, ThreadsAtDifferentBarriersAreDivergence) {
  std::vector<float> out(kBlock);
  const std::string m =
      error_of([&] { RA_LAUNCH(planted::two_barriers, dim3(1), dim3(kBlock), 0, nullptr, out.data()); });
  EXPECT_NE(m.find("barrier divergence"), std::string::npos) << m;
  EXPECT_NE(m.find("waits at __syncthreads at"), std::string::npos) << m;
}

TEST_F(Simt, SharedMemoryOverrunIsCaught) {
  std::vector<float> out(kBlock);
  const std::string m =
      error_of([&] { RA_LAUNCH(planted::shared_overrun, dim3(1), dim3(kBlock), 0, nullptr, out.data()); });
  EXPECT_NE(m.find("shared memory index 64 out of bounds [0, 64) in thread (63,0,0) of block (0,0,0)"),
            std::string::npos)
      << m;
}

TEST_F(Simt, DynamicSharedMemoryWorksAndItsOverrunIsCaught) {
  const unsigned n = 32, blocks = 3;
  std::vector<float> in(n * blocks), out(n * blocks);
  std::iota(in.begin(), in.end(), 0.0f);
  RA_LAUNCH(planted::dynamic_reverse, dim3(blocks), dim3(n), n * sizeof(float), nullptr, in.data(), out.data(), 0);
  for (unsigned b = 0; b < blocks; ++b)
    for (unsigned t = 0; t < n; ++t) ASSERT_EQ(out[b * n + t], in[b * n + n - 1 - t]);
  const std::string m = error_of([&] {
    RA_LAUNCH(planted::dynamic_reverse, dim3(1), dim3(n), n * sizeof(float), nullptr, in.data(), out.data(), 1);
  });
  EXPECT_NE(m.find("dynamic shared memory index 63 out of bounds [0, 32)"), std::string::npos) << m;
}

TEST_F(Simt, WarpShufflesAndVotes) {
  const unsigned n = 64;
  std::vector<float> in(n), sum(n), up(n), down(n);
  std::vector<unsigned> ballot(n);
  std::vector<int> any_all(n);
  std::iota(in.begin(), in.end(), 1.0f);
  RA_LAUNCH(planted::warp_ops, dim3(1), dim3(n), 0, nullptr, in.data(), sum.data(), ballot.data(), any_all.data(),
            up.data(), down.data());
  unsigned want_ballot = 0;
  for (unsigned l = 0; l < 32; l += 3) want_ballot |= 1u << l;
  for (unsigned t = 0; t < n; ++t) {
    const unsigned w = t / 32 * 32, lane = t % 32;
    float warp_sum = 0;
    for (unsigned l = 0; l < 32; ++l) warp_sum += in[w + l];
    EXPECT_EQ(sum[t], warp_sum) << t;
    EXPECT_EQ(ballot[t], want_ballot) << t;
    EXPECT_EQ(any_all[t], 3) << t;
    EXPECT_EQ(up[t], lane == 0 ? in[t] : in[t - 1]) << t;
    const unsigned seg_end = (lane / 16 + 1) * 16;
    EXPECT_EQ(down[t], lane + 2 >= seg_end ? in[t] : in[t + 2]) << t;
  }
}

TEST_F(Simt, LanesSkippingAShuffleAreWarpDivergence) {
  std::vector<float> out(32);
  const std::string m =
      error_of([&] { RA_LAUNCH(planted::warp_divergence, dim3(1), dim3(32), 0, nullptr, out.data()); });
  EXPECT_NE(m.find("warp divergence"), std::string::npos) << m;
  EXPECT_NE(m.find("has exited"), std::string::npos) << m;
}

TEST_F(Simt, LaunchLimits) {
  unsigned counter = 0;
  EXPECT_NE(error_of([&] {
              RA_LAUNCH(planted::count, dim3(1), dim3(2048), 0, nullptr, &counter);
            }).find("2048 threads per block exceeds the device limit of 1024"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              RA_LAUNCH(planted::count, dim3(1), dim3(32), 200 * 1024, nullptr, &counter);
            }).find("204800 bytes of dynamic shared memory exceeds the device limit of 166912"),
            std::string::npos);
  EmulatorOptions o;
  o.limits.max_shared_bytes = 227 * 1024;  // an H100 with the opt-in
  set_options(o);
  EXPECT_EQ(error_of([&] { RA_LAUNCH(planted::count, dim3(1), dim3(32), 200 * 1024, nullptr, &counter); }), "");
}

TEST_F(Simt, AtomicsCountEveryThread) {
  unsigned counter = 0;
  RA_LAUNCH(planted::count, dim3(7), dim3(96), 0, nullptr, &counter);
  EXPECT_EQ(counter, 7u * 96u);
}

TEST_F(Simt, AnExceptionInAThreadNamesIt) {
  std::vector<float> out(32);
  const std::string m =
      error_of([&] { RA_LAUNCH(planted::throws_in_thread, dim3(1), dim3(32), 0, nullptr, out.data(), 17); });
  EXPECT_NE(m.find("thread (17,0,0) of block (0,0,0) threw: planted failure"), std::string::npos) << m;
}

// A real kernel of the CUDA path (runtime/device/cuda) with its real grid: the same
// source nvcc compiles for the GPU.
TEST_F(Simt, TheDeviceAddKernelWithItsLaunchGrid) {
  for (std::int64_t n : {1, 255, 256, 1000, 100000}) {
    std::vector<float> dst(static_cast<std::size_t>(n)), src(dst.size());
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<float>(i), src[i] = 0.5f;
    const device::cuda::LaunchGrid g = device::cuda::elementwise_grid(n);
    RA_LAUNCH(device::cuda::kernels::add_f32, dim3(static_cast<unsigned>(g.blocks)),
              dim3(static_cast<unsigned>(g.threads_per_block)), 0, nullptr, dst.data(), src.data(), n);
    for (std::size_t i = 0; i < dst.size(); ++i)
      ASSERT_EQ(dst[i], static_cast<float>(i) + 0.5f) << "n=" << n << " i=" << i;
  }
}

// Host memory aligned as cudaMalloc's is (WMMA pointers must be 32-byte aligned).
template <typename T>
class DeviceLikeArray {
 public:
  explicit DeviceLikeArray(std::size_t n) : buf_(n * sizeof(T)), n_(n) {}
  T* data() { return static_cast<T*>(buf_.raw()); }
  T& operator[](std::size_t i) { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + n_; }
  std::size_t size() const { return n_; }

 private:
  HostBuffer buf_;
  std::size_t n_;
};

// Tensor-core tiles against an fp64 reference on the same 16-bit inputs: products of
// 16-bit values are exact in fp32, so the only error is fp32 accumulation over K terms.
template <typename T, typename ToT>
void expect_gemm_tiles(ToT to_t, double (*to_double)(T)) {
  const unsigned tm = 2, tn = 3, kt = 4, m = 16 * tm, n = 16 * tn, k = 16 * kt;
  DeviceLikeArray<T> a(m * k), bt(n * k);
  DeviceLikeArray<float> d(m * n);
  std::vector<double> ref(m * n);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (T& x : a) x = to_t(u(rng));
  for (T& x : bt) x = to_t(u(rng));
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = u(rng);
  for (unsigned r = 0; r < m; ++r) {
    for (unsigned c = 0; c < n; ++c) {
      double acc = d[r * n + c];
      for (unsigned j = 0; j < k; ++j) acc += to_double(a[r * k + j]) * to_double(bt[c * k + j]);
      ref[r * n + c] = 0.5 * acc;
    }
  }
  RA_LAUNCH(tc::gemm_tiles<T>, dim3(tn, tm), dim3(32), 0, nullptr, a.data(), bt.data(), d.data(), kt, n);
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double e = std::fabs(d[i] - ref[i]);
    if (e > worst) worst = e, at = i;
  }
  // fp32 accumulation of 65 terms of magnitude <= 1: |error| <= 65 · 2^-24 · 65.
  EXPECT_LE(worst, 65.0 * 65.0 * 0x1p-24) << "max error at row " << at / n << ", col " << at % n;
}

TEST_F(Simt, WmmaBf16TilesMatchAnF64Reference) {
  expect_gemm_tiles<__nv_bfloat16>([](float x) { return __float2bfloat16(x); },
                                   [](__nv_bfloat16 x) { return static_cast<double>(__bfloat162float(x)); });
}

TEST_F(Simt, WmmaHalfTilesMatchAnF64Reference) {
  expect_gemm_tiles<__half>([](float x) { return __float2half(x); },
                            [](__half x) { return static_cast<double>(__half2float(x)); });
}

TEST_F(Simt, WmmaRejectsMisalignedTilesAndLeadingDimensions) {
  DeviceLikeArray<__nv_bfloat16> a(64 * 64), bt(64 * 64);
  DeviceLikeArray<float> d(64 * 64);
  // One element off: a 2-byte aligned tile pointer, which faults on a GPU.
  std::string m = error_of([&] {
    RA_LAUNCH(tc::gemm_tiles<__nv_bfloat16>, dim3(1), dim3(32), 0, nullptr, a.data() + 1, bt.data(), d.data(), 1u, 16u);
  });
  EXPECT_NE(m.find("load_matrix_sync pointer is not 32-byte aligned"), std::string::npos) << m;
  // An fp32 leading dimension of 18 elements (72 bytes) is not a multiple of 16 bytes.
  m = error_of([&] {
    RA_LAUNCH(tc::gemm_tiles<__nv_bfloat16>, dim3(1), dim3(32), 0, nullptr, a.data(), bt.data(), d.data(), 1u, 18u);
  });
  EXPECT_NE(m.find("ldm 18 is not a multiple of 16 bytes"), std::string::npos) << m;
}

TEST_F(Simt, AWritePastDynamicSharedMemoryIsCaughtAfterTheBlock) {
  std::vector<float> out(32);
  const std::string m = error_of(
      [&] { RA_LAUNCH(planted::dynamic_bytes_overrun, dim3(2), dim3(32), 32 * sizeof(float), nullptr, out.data()); });
  EXPECT_NE(m.find("block (0,0,0) wrote past the end of its 128 bytes of dynamic shared memory (byte 128)"),
            std::string::npos)
      << m;
}

TEST_F(Simt, HalfConversionsRoundToNearestEven) {
  EXPECT_EQ(__float2half(1.0f).bits, 0x3c00);
  EXPECT_EQ(__float2half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(__float2half(65520.0f).bits, 0x7c00) << "rounds to infinity";
  EXPECT_EQ(__float2half(0x1p-24f).bits, 0x0001) << "smallest subnormal";
  EXPECT_EQ(__float2half(0x1p-25f).bits, 0x0000) << "ties to even: 0";
  EXPECT_EQ(__float2half(1.0f + 0x1p-11f).bits, 0x3c00) << "tie rounds to even";
  EXPECT_EQ(__float2half(1.0f + 0x1p-11f + 0x1p-20f).bits, 0x3c01);
  for (std::uint32_t bits = 0; bits < 0x7c00; bits += 7) {
    const __half h{static_cast<std::uint16_t>(bits)};
    ASSERT_EQ(__float2half(__half2float(h)).bits, h.bits) << "round trip of " << bits;
  }
  EXPECT_EQ(__float2bfloat16(1.0f + 0x1p-8f).bits, 0x3f80) << "bf16 tie to even";
  EXPECT_EQ(__bfloat162float(__float2bfloat16(3.0f)), 3.0f);
}

}  // namespace
}  // namespace ra::simt
