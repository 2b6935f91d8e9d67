// Binding named tensors of a TensorSource to the kernels' Matrix views and to f32 vectors,
// checking every shape against what the config implies; errors name the tensor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/matrix.hpp"
#include "dsinfer/thread_pool.hpp"
#include "kernels/row_groups.hpp"
#include "model/tensor_source.hpp"
#include "model/weight_store.hpp"
#include "util/strings.hpp"

namespace dsinfer {

// A tensor's name in each format: GGUF as llama.cpp writes it, and Hugging Face.
struct Name {
  const char* gguf;
  const char* hf;
};

// Names both model families use.
constexpr Name kEmbed{"token_embd.weight", "model.embed_tokens.weight"};
constexpr Name kOutNorm{"output_norm.weight", "model.norm.weight"};
constexpr Name kOutput{"output.weight", "lm_head.weight"};
constexpr Name kAttnNorm{"attn_norm.weight", "input_layernorm.weight"};
constexpr Name kFfnNorm{"ffn_norm.weight", "post_attention_layernorm.weight"};
constexpr Name kWq{"attn_q.weight", "self_attn.q_proj.weight"};
constexpr Name kWo{"attn_output.weight", "self_attn.o_proj.weight"};
constexpr Name kDenseGate{"ffn_gate.weight", "mlp.gate_proj.weight"};
constexpr Name kDenseUp{"ffn_up.weight", "mlp.up_proj.weight"};
constexpr Name kDenseDown{"ffn_down.weight", "mlp.down_proj.weight"};

class Binder {
 public:
  // regroup (null: don't): the pool that repacks the matrices a group kernel multiplies
  // (row_groups.hpp) into owned memory, releasing the file's pages they came from.
  Binder(const TensorSource& src, int64_t fp8_block, WeightStore& store, ThreadPool* regroup)
      : src_(src), fp8_block_(fp8_block), store_(store), regroup_(regroup) {}

  // A tensor's name in this source; layer < 0 for tensors outside the layers.
  std::string name(const Name& n, int64_t layer) const {
    if (layer < 0) return src_.is_gguf() ? n.gguf : n.hf;
    return src_.is_gguf() ? "blk." + std::to_string(layer) + "." + n.gguf
                          : "model.layers." + std::to_string(layer) + "." + n.hf;
  }
  std::string gguf_name(const char* n, int64_t layer) const { return "blk." + std::to_string(layer) + "." + n; }

  const TensorView* find(const std::string& name) const { return src_.find(name); }

  const TensorView& require(const std::string& name, const std::vector<int64_t>& shape) const {
    const TensorView* t = src_.find(name);
    if (!t) throw Error(ErrorCode::invalid_format, src_.path() + ": tensor " + name + " is missing");
    if (t->shape != shape)
      throw Error(ErrorCode::invalid_format, src_.path() + ": tensor " + name + " has shape " + shape_string(t->shape) +
                                                 ", the config implies " + shape_string(shape));
    if (!dtype_info(t->dtype).decodable)
      throw Error(ErrorCode::unsupported, src_.path() + ": tensor " + name + " has type " +
                                              std::string(dtype_name(t->dtype)) + ", which dsinfer cannot decode yet");
    return *t;
  }

  std::vector<float> vector(const std::string& name, int64_t n) const {
    const TensorView& t = require(name, {n});
    std::vector<float> v(static_cast<size_t>(n));
    dequantize(t, v);
    return v;
  }

  // slice_rows of matrix(): how the model reads it, which decides whether it may be regrouped.
  static constexpr int64_t kWhole = 0;       // whole, or per leading index of a 3-D tensor
  static constexpr int64_t kLookedUp = -1;   // one row at a time (an embedding): never regrouped
  // (> 0: in slices starting and ending at multiples of that many rows, e.g. one head's rows)

  // Rows of a 2-D tensor, or of a 3-D tensor flattened over its first two dimensions.
  Matrix matrix(const std::string& name, const std::vector<int64_t>& shape, int64_t slice_rows = kWhole) {
    const TensorView& t = require(name, shape);
    Matrix m;
    m.dtype = t.dtype;
    m.cols = shape.back();
    m.rows = t.numel() / m.cols;
    m.data = t.data;
    m.row_bytes = t.nbytes / static_cast<uint64_t>(m.rows);
    if (t.dtype == DType::f8_e4m3) {
      const std::string sname = name + "_scale_inv";
      const TensorView* s = src_.find(sname);
      if (!s)
        throw Error(ErrorCode::invalid_format, src_.path() + ": FP8 tensor " + name + " has no " + sname);
      if (shape.size() != 2) throw Error(ErrorCode::unsupported, src_.path() + ": FP8 tensor " + name + " is not 2-D");
      const int64_t sr = (m.rows + fp8_block_ - 1) / fp8_block_, sc = (m.cols + fp8_block_ - 1) / fp8_block_;
      const TensorView& sv = require(sname, {sr, sc});
      store_.scales.emplace_back(static_cast<size_t>(sr * sc));
      dequantize(sv, store_.scales.back());
      m.block_scale = store_.scales.back().data();
      m.block = fp8_block_;
      m.scale_cols = sc;
    }
    // Every slice the model takes must be whole groups.
    if (slice_rows == kWhole) slice_rows = shape.size() == 3 ? shape[1] : m.rows;
    if (regroup_ && slice_rows > 0 && slice_rows % kernels::kGroupRows == 0 && !m.block_scale &&
        kernels::has_group_kernel(m.dtype))
      regroup(t, m);
    return m;
  }

 private:
  void regroup(const TensorView& t, Matrix& m) {
    const auto start = std::chrono::steady_clock::now();
    WeightBuffer grouped(t.nbytes);
    const uint64_t group_bytes = kernels::kGroupRows * m.row_bytes;
    // Reading the file's pages and first-touching the new ones is most of the time; the
    // pool's threads take their faults side by side.
    regroup_->parallel_for(
        m.rows / kernels::kGroupRows,
        [&](int64_t g0, int64_t g1) {
          kernels::interleave_rows(m.dtype, m.data + g0 * group_bytes, m.row_bytes, (g1 - g0) * kernels::kGroupRows,
                                   grouped.data() + g0 * group_bytes);
        },
        64);
    src_.release(t);
    m.data = grouped.data();
    m.interleaved = true;
    store_.groups.push_back(std::move(grouped));
    store_.grouped_bytes += static_cast<int64_t>(t.nbytes);
    store_.group_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  const TensorSource& src_;
  int64_t fp8_block_;
  WeightStore& store_;
  ThreadPool* regroup_;
};


}  // namespace dsinfer
