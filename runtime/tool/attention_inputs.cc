#include "runtime/tool/attention_inputs.h"

#include <array>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <numeric>
#include <utility>

#include "comm/collectives.h"
#include "runtime/core/error.h"
#include "runtime/io/npy.h"

namespace ra::tool {
namespace {

// Head dims the CPU kernels take; the tool checks them here so the message names the file.
constexpr std::int64_t kMaxHeadDim = 512;

// The rules are checked on headers (io::read_npy_header): a large payload is read only
// after every file's dtype and shape fit together.
io::NpyHeader float_header(const std::string& path, const char* what, std::size_t rank) {
  io::NpyHeader a = io::read_npy_header(path);
  if (a.dtype != DType::kF32 && a.dtype != DType::kF16) {
    throw InputDataError(path + ": " + what + " must be float32 or float16, got dtype " +
                         std::string(dtype_name(a.dtype)));
  }
  if (a.shape.size() != rank) {
    throw InputDataError(path + ": " + what + " must have " + std::to_string(rank) + " dimensions, got shape " +
                         a.shape_str());
  }
  return a;
}

io::NpyHeader int_header(const std::string& path, const char* what, std::int64_t tokens) {
  io::NpyHeader a = io::read_npy_header(path);
  if (a.dtype != DType::kI32) {
    throw InputDataError(path + ": " + what + " must be int32, got dtype " + std::string(dtype_name(a.dtype)));
  }
  if (a.shape.size() != 1 || a.shape[0] != tokens) {
    throw InputDataError(path + ": " + what + " must have shape [" + std::to_string(tokens) + "] (S of q), got " +
                         a.shape_str());
  }
  return a;
}

// The payload of a file whose header was checked; a file changed since is refused.
io::NpyArray load(const std::string& path, const io::NpyHeader& checked) {
  io::NpyArray a = io::read_npy(path);
  if (a.dtype != checked.dtype || a.shape != checked.shape) {
    throw InputDataError(path + ": the file changed while being read (its header said " + checked.shape_str() + " " +
                         std::string(dtype_name(checked.dtype)) + ", now " + a.shape_str() + " " +
                         std::string(dtype_name(a.dtype)) + ")");
  }
  return a;
}

void same_shape(const io::NpyHeader& a, const std::string& a_path, const std::vector<std::int64_t>& want,
                const std::string& rule) {
  if (a.shape != want) {
    std::string w = "[";
    for (std::size_t i = 0; i < want.size(); ++i) w += (i ? ", " : "") + std::to_string(want[i]);
    throw InputDataError(a_path + ": shape " + a.shape_str() + " does not fit: " + rule + " (expected " + w + "])");
  }
}

// "[3, 1, 7]": the multi-index of flat element `flat` of a C-order tensor.
std::string index_text(std::size_t flat, const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    const auto extent = static_cast<std::size_t>(shape[d]);
    idx[d] = static_cast<std::int64_t>(flat % extent);
    flat /= extent;
  }
  std::string s = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

std::string value_text(float x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::ostringstream o;
  o << std::setprecision(9) << x;
  return o.str();
}

// The first element that is not finite (or, stored as bf16, would not be) is refused.
void check_finite(const std::string& path, const char* what, const std::vector<float>& x,
                  const std::vector<std::int64_t>& shape, DType storage) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool finite = std::isfinite(x[i]);
    if (finite && (storage != DType::kBF16 || std::isfinite(round_to_bf16(x[i])))) continue;
    throw InputDataError(
        path + ": " + what + index_text(i, shape) + " (element " + std::to_string(i) + ") is " + value_text(x[i]) +
        (finite ? ", which rounds to " + value_text(round_to_bf16(x[i])) + " in bf16 (--dtype bf16)" : std::string()) +
        ": inputs must be finite (checked before computing; a NaN or inf would spread through the "
        "softmax unreported)");
  }
}

}  // namespace

AttentionInputs read_attention_inputs(const AttentionFiles& f, DType storage) {
  AttentionInputs in;
  // 1. Every header, every rule: nothing large is read before all of them hold.
  const io::NpyHeader q = float_header(f.q, "q", 3);
  in.tokens = q.shape[0];
  in.heads = q.shape[1];
  in.head_dim = q.shape[2];
  if (in.tokens < 1 || in.heads < 1 || in.head_dim < 1) throw InputDataError(f.q + ": empty q, shape " + q.shape_str());
  if (in.head_dim > kMaxHeadDim) {
    throw InputDataError(f.q + ": head dim " + std::to_string(in.head_dim) + " exceeds the " +
                         std::to_string(kMaxHeadDim) + " the CPU kernels support");
  }
  const io::NpyHeader k = float_header(f.k, "k", 3);
  in.kv_heads = k.shape[1];
  if (k.shape[0] != in.tokens || k.shape[2] != in.head_dim || in.kv_heads < 1 || in.heads % in.kv_heads != 0) {
    throw InputDataError(f.k + ": shape " + k.shape_str() + " does not fit q " + q.shape_str() + " (" + f.q +
                         "): k must be [S, Hkv, D] with the S and D of q and Hq a multiple of Hkv");
  }
  const io::NpyHeader v = float_header(f.v, "v", 3);
  same_shape(v, f.v, k.shape, "v must have the shape of k (" + f.k + ")");
  io::NpyHeader dout, alibi;
  if (!f.dout.empty()) {
    dout = float_header(f.dout, "dout", 3);
    same_shape(dout, f.dout, q.shape, "dout must have the shape of q (" + f.q + ")");
  }
  if (!f.alibi.empty()) {
    alibi = float_header(f.alibi, "alibi slopes", 1);
    same_shape(alibi, f.alibi, {in.heads}, "one ALiBi slope per query head");
  }
  const std::array<std::pair<const std::string*, const char*>, 4> int_files{
      {{&f.pos_q, "pos-q"}, {&f.pos_k, "pos-k"}, {&f.seg_q, "seg-q"}, {&f.seg_k, "seg-k"}}};
  std::array<io::NpyHeader, 4> ints;
  for (std::size_t i = 0; i < int_files.size(); ++i) {
    if (!int_files[i].first->empty()) ints[i] = int_header(*int_files[i].first, int_files[i].second, in.tokens);
  }
  // 2. The payloads, each checked for non-finite values.
  in.q = load(f.q, q).to_f32();
  check_finite(f.q, "q", in.q, q.shape, storage);
  in.k = load(f.k, k).to_f32();
  check_finite(f.k, "k", in.k, k.shape, storage);
  in.v = load(f.v, v).to_f32();
  check_finite(f.v, "v", in.v, v.shape, storage);
  if (!f.dout.empty()) {
    in.dout = load(f.dout, dout).to_f32();
    check_finite(f.dout, "dout", in.dout, dout.shape, storage);
  }
  if (!f.alibi.empty()) {
    in.alibi = load(f.alibi, alibi).to_f32();
    // Slopes stay float32 whatever the storage dtype.
    check_finite(f.alibi, "alibi", in.alibi, alibi.shape, DType::kF32);
  }
  std::array<std::vector<std::int32_t>*, 4> int_out{&in.pos_q, &in.pos_k, &in.seg_q, &in.seg_k};
  for (std::size_t i = 0; i < int_files.size(); ++i) {
    if (!int_files[i].first->empty()) {
      *int_out[i] = load(*int_files[i].first, ints[i]).to_i32();
    } else if (i < 2) {  // positions default to 0, 1, 2, ...
      int_out[i]->resize(static_cast<std::size_t>(in.tokens));
      std::iota(int_out[i]->begin(), int_out[i]->end(), 0);
    } else {  // segments default to one document
      int_out[i]->assign(static_cast<std::size_t>(in.tokens), 0);
    }
  }
  return in;
}

void broadcast_inputs(comm::Communicator& comm, AttentionInputs& in) {
  std::array<std::int64_t, 4> dims{in.tokens, in.heads, in.kv_heads, in.head_dim};
  comm.broadcast(TensorView(dims.data(), DType::kU8, Shape{32}), 0);
  in.tokens = dims[0];
  in.heads = dims[1];
  in.kv_heads = dims[2];
  in.head_dim = dims[3];
  for (std::vector<float>* f : {&in.q, &in.k, &in.v, &in.dout, &in.alibi}) comm::broadcast_vector(comm, *f, 0);
  for (std::vector<std::int32_t>* i : {&in.pos_q, &in.pos_k, &in.seg_q, &in.seg_k}) {
    comm::broadcast_vector(comm, *i, 0);
  }
}

}  // namespace ra::tool
