// The GEMM cases of device_gemm_test.cc (gemm_cases.h: every GEMM the model issues, odd,
// batched and degenerate shapes) through cuBLAS on a GPU, against the same f64 reference
// and bound — with the accumulation unit roundoff of tensor cores (2^-23: their fp32
// accumulators need not round to nearest). Skipped, saying so, without a GPU; built with
// the CUDA targets. On a machine with a GPU this is the first check of CublasGemm.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "kernels/cuda/blas/cublas_gemm.h"
#include "runtime/core/check.h"
#include "tests/cuda_host/gemm_cases.h"

namespace ra::kernels::cuda {
namespace {

using gemm::cases::Accumulation;
using gemm::cases::CaseGroup;
using gemm::cases::Comparison;
using gemm::cases::GemmCase;
using gemm::cases::Operands;

void check(cudaError_t status, const char* what) {
  RA_CHECK(InternalError, status == cudaSuccess, what, ": ", cudaGetErrorName(status));
}

// Why there is no GPU to test, or empty when there is one.
std::string no_gpu_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) return std::string("cudaGetDeviceCount: ") + cudaGetErrorName(status);
  return count > 0 ? std::string() : "no CUDA device";
}

struct DeviceBytes {
  void* data = nullptr;
  explicit DeviceBytes(std::size_t bytes) { check(cudaMalloc(&data, std::max<std::size_t>(bytes, 1)), "cudaMalloc"); }
  ~DeviceBytes() { cudaFree(data); }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
};

void run_group(const CaseGroup& group) {
  cudaStream_t stream = nullptr;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  double max_ratio = 0;
  std::string worst;
  {
    CublasGemm gemm(stream);
    gemm::DeviceGemm& device = gemm;
    for (const GemmCase& tc : group.cases) {
      SCOPED_TRACE(gemm::cases::describe(tc));
      Operands o = gemm::cases::make_operands(tc);
      DeviceBytes a(o.a.bytes.size()), b(o.b.bytes.size()), c(o.c.bytes.size());
      check(cudaMemcpyAsync(a.data, o.a.bytes.data(), o.a.bytes.size(), cudaMemcpyHostToDevice, stream), "copy A");
      check(cudaMemcpyAsync(b.data, o.b.bytes.data(), o.b.bytes.size(), cudaMemcpyHostToDevice, stream), "copy B");
      check(cudaMemcpyAsync(c.data, o.c.bytes.data(), o.c.bytes.size(), cudaMemcpyHostToDevice, stream), "copy C");
      device.multiply(o.g, tc.alpha, a.data, b.data, tc.beta, c.data);
      check(cudaMemcpyAsync(o.c.bytes.data(), c.data, o.c.bytes.size(), cudaMemcpyDeviceToHost, stream), "copy C back");
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      const Comparison r = gemm::cases::compare(tc, o, Accumulation::kTensorCore);
      EXPECT_LE(r.max_ratio, 1.0) << "max |error| " << r.max_error << " at " << r.where;
      EXPECT_TRUE(r.untouched.empty()) << r.untouched;
      if (r.max_ratio > max_ratio || worst.empty()) {
        max_ratio = r.max_ratio;
        worst = gemm::cases::describe(tc);
      }
    }
  }
  cudaStreamDestroy(stream);
  std::printf("[ ratio    ] %s on the GPU (%zu cases): max |error| / bound = %.3f (%s)\n", group.name.c_str(),
              group.cases.size(), max_ratio, worst.c_str());
}

TEST(CublasGemmGpu, Model) {
  const std::string reason = no_gpu_reason();
  if (!reason.empty()) GTEST_SKIP() << "no GPU to run cuBLAS on (" << reason << ")";
  for (const CaseGroup& g : gemm::cases::model_cases()) run_group(g);
}

TEST(CublasGemmGpu, OddBatchedAndDegenerate) {
  const std::string reason = no_gpu_reason();
  if (!reason.empty()) GTEST_SKIP() << "no GPU to run cuBLAS on (" << reason << ")";
  for (const CaseGroup& g : gemm::cases::odd_cases()) run_group(g);
}

}  // namespace
}  // namespace ra::kernels::cuda
