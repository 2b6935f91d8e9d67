// The dense decoder of the R1-Distill models (qwen2 and llama architectures): grouped-query
// attention with optional q/k/v biases, RoPE, SwiGLU MLP, RMSNorm. Its KV cache uses the
// same MlaCache object: per layer, one stream holds K and the other V of every KV head.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "dsinfer/matrix.hpp"
#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/thread_pool.hpp"
#include "model/deepseek2_weights.hpp"
#include "model/rope.hpp"
#include "model/tensor_source.hpp"

namespace dsinfer {

struct DenseLayer {
  std::vector<float> attn_norm, ffn_norm;  // (hidden)
  Matrix wq, wk, wv, wo;                   // (heads*hd, hidden), (kv*hd, hidden) x2, (hidden, heads*hd)
  std::vector<float> bq, bk, bv;           // biases, or empty
  MlpWeights mlp;
};

struct DenseWeights {
  Matrix embed;                 // (vocab, hidden)
  std::vector<float> out_norm;  // (hidden)
  Matrix output;                // (vocab, hidden); the embedding when tied
  std::vector<DenseLayer> layers;
  std::vector<float> rope_freq_factors;  // GGUF's rope_freqs (Llama 3 scaling), or empty
  WeightStore store;  // owned memory the matrices point into
};

DenseWeights bind_dense_weights(const ModelConfig& cfg, const TensorSource& src, int64_t fp8_block,
                                ThreadPool* regroup, const std::function<void(float)>& progress);

void dense_forward(const ModelConfig& cfg, const DenseWeights& w, const RopeFrequencies& rope, ThreadPool* pool,
                   std::span<const int32_t> tokens, MlaCache& cache, std::span<float> logits, bool all_logits);

}  // namespace dsinfer
