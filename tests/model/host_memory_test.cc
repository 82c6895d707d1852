// The host transformer's memory model (host_activation_bytes_per_token, which `ringattn
// plan` and the memory guard of `ringattn train` use) against the bytes a training step
// really allocates: this executable counts every operator new / delete, so a buffer
// added to the step without its term in the model fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "runtime/model/transformer.h"

namespace {

std::atomic<std::int64_t> g_live_bytes{0}, g_peak_bytes{0};

// Each block carries its size in a header (16 bytes: the alignment operator new promises).
constexpr std::size_t kHeader = 16;

void* counted_new(std::size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (block == nullptr) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(block) = size;
  const std::int64_t live = g_live_bytes.fetch_add(static_cast<std::int64_t>(size)) + static_cast<std::int64_t>(size);
  std::int64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
  return block + kHeader;
}

void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  auto* block = static_cast<unsigned char*>(p) - kHeader;
  g_live_bytes.fetch_sub(static_cast<std::int64_t>(*reinterpret_cast<std::size_t*>(block)));
  std::free(block);
}

}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void operator delete(void* p) noexcept { counted_delete(p); }
void operator delete[](void* p) noexcept { counted_delete(p); }
void operator delete(void* p, std::size_t) noexcept { counted_delete(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_delete(p); }

namespace ra::model {
namespace {

// Attention that allocates nothing (the ring's buffers have their own term and test,
// tests/distributed/plan_memory_test.cc): zero outputs and gradients.
class NullAttention final : public AttentionFn<float> {
 public:
  NullAttention(const ModelConfig& c, std::int64_t n)
      : q_elems_(n * c.q_features()), kv_elems_(n * c.kv_features()), lse_elems_(n * c.heads) {}
  void forward(const float*, const float*, const float*, float* o, float* lse) override {
    std::fill_n(o, q_elems_, 0.0f);
    std::fill_n(lse, lse_elems_, 0.0f);
  }
  void backward(const float*, const float*, const float*, const float*, const float*, const float*, float* dq,
                float* dk, float* dv) override {
    std::fill_n(dq, q_elems_, 0.0f);
    std::fill_n(dk, kv_elems_, 0.0f);
    std::fill_n(dv, kv_elems_, 0.0f);
  }

 private:
  std::int64_t q_elems_, kv_elems_, lse_elems_;
};

// The bytes a model holds after its first forward_backward of n tokens (its workspace:
// the step's peak, within transients of a few KiB); a second step allocates nothing
// more.
std::int64_t step_peak_bytes(const ModelConfig& c, std::int64_t n) {
  Transformer<float> net(c);
  std::vector<float> params(static_cast<std::size_t>(net.layout().total_elems()), 0.01f), grads(params.size());
  std::vector<std::int32_t> tokens(static_cast<std::size_t>(n)), targets(tokens.size()), positions(tokens.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    tokens[at] = static_cast<std::int32_t>((i * 7) % c.vocab);
    targets[at] = i + 1 < n ? static_cast<std::int32_t>(((i + 1) * 7) % c.vocab) : -1;
    positions[at] = static_cast<std::int32_t>(i);
  }
  NullAttention attention(c, n);
  const TokenShard shard{tokens.data(), targets.data(), positions.data(), n};
  {
    // Another model's step first: the GEMM library's primitives for these shapes (kept
    // process-wide) are built before the count starts.
    Transformer<float> warm(c);
    warm.forward_backward(params, shard, attention, 1.0f / static_cast<float>(n), grads);
  }
  const std::int64_t before = g_live_bytes.load();
  g_peak_bytes.store(before);
  net.forward_backward(params, shard, attention, 1.0f / static_cast<float>(n), grads);
  const std::int64_t first = g_peak_bytes.load() - before, held = g_live_bytes.load() - before;
  g_peak_bytes.store(g_live_bytes.load());
  net.forward_backward(params, shard, attention, 1.0f / static_cast<float>(n), grads);
  // Transients of a few KiB (the GEMM library's per-shape cache, small temporaries) are not
  // the model's business; the activations are.
  const std::int64_t second = g_peak_bytes.load() - before;
  EXPECT_LE(second - held, 16 << 10) << "a second step allocated " << second - held << " bytes more";
  EXPECT_LE(first - held, 16 << 10) << "the workspace kept between steps is " << held
                                    << " bytes, the first step's peak " << first;
  return held;
}

struct MemoryCase {
  const char* name;
  ModelConfig config;
};

class HostMemory : public ::testing::TestWithParam<MemoryCase> {};

// Per token exactly (the difference of two token counts), and within 64 KiB in all at
// 512 tokens (what does not grow with the tokens: parameter-sized vectors are the
// caller's, not the step's).
TEST_P(HostMemory, TheStepAllocatesWhatTheModelSays) {
  const ModelConfig& c = GetParam().config;
  const std::int64_t per_token = host_activation_bytes_per_token(c, sizeof(float));
  const std::int64_t small = step_peak_bytes(c, 512), large = step_peak_bytes(c, 1536);
  EXPECT_EQ(large - small, per_token * 1024)
      << "per token: the step allocates " << static_cast<double>(large - small) / 1024 << " bytes, the model says "
      << per_token;
  EXPECT_LE(std::abs(small - per_token * 512), 64 << 10)
      << "512 tokens: the step allocates " << small << " bytes at its peak, the model says " << per_token * 512;
}

ModelConfig passkey_like() {
  ModelConfig c;
  c.vocab = 256;
  c.d_model = 64;
  c.layers = 2;
  c.heads = 4;
  c.kv_heads = 4;
  c.head_dim = 16;
  c.mlp_hidden = 128;
  return c;
}

ModelConfig untied_gqa() {
  ModelConfig c;
  c.vocab = 300;
  c.d_model = 48;
  c.layers = 3;
  c.heads = 6;
  c.kv_heads = 2;
  c.head_dim = 8;
  c.mlp_hidden = 96;
  c.embeddings = Embeddings::kUntied;
  c.positions = Positions::kAlibi;
  return c;
}

INSTANTIATE_TEST_SUITE_P(Models, HostMemory,
                         ::testing::Values(MemoryCase{"passkey_like", passkey_like()},
                                           MemoryCase{"untied_gqa_alibi", untied_gqa()}),
                         [](const ::testing::TestParamInfo<MemoryCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace ra::model
