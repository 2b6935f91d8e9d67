// The weights of a deepseek2-family model, bound to the mapped file: matrices stay in the
// file's own types (mmap-backed, so untouched experts cost no memory); norm vectors and
// router weights, which are small and read every token, are decoded to f32 once.
#pragma once

#include <functional>
#include <vector>

#include "dsinfer/matrix.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/thread_pool.hpp"
#include "model/tensor_source.hpp"
#include "model/weight_store.hpp"

namespace dsinfer {

struct MlpWeights {
  Matrix gate;  // (width, hidden)
  Matrix up;    // (width, hidden)
  Matrix down;  // (hidden, width)
};

struct Deepseek2Layer {
  std::vector<float> attn_norm;  // (hidden)
  std::vector<float> ffn_norm;   // (hidden)
  Matrix wq;                     // (heads * qk_head_dim, hidden), when q_lora_rank == 0
  Matrix wq_a;                   // (q_lora_rank, hidden)
  std::vector<float> q_a_norm;   // (q_lora_rank)
  Matrix wq_b;                   // (heads * qk_head_dim, q_lora_rank)
  Matrix wkv_a;                  // (kv_lora_rank + rope_dim, hidden)
  std::vector<float> kv_a_norm;  // (kv_lora_rank)
  // Per head: W_UK maps the latent to k_nope, W_UV to v. Files with the split form store
  // W_UK transposed (kv_lora_rank, nope), which is the absorbed query's own layout.
  std::vector<Matrix> w_uk;      // per head: (nope, kv_lora_rank) or transposed (kv_lora_rank, nope)
  bool w_uk_is_transposed = false;
  std::vector<Matrix> w_uv;      // per head: (v_head_dim, kv_lora_rank)
  Matrix wo;                     // (hidden, heads * v_head_dim)

  MlpWeights dense;              // layers < first_k_dense_replace
  std::vector<float> router;     // (n_routed_experts, hidden)
  std::vector<float> router_bias;  // (n_routed_experts) or empty
  std::vector<MlpWeights> experts; // n_routed_experts, each (moe_intermediate_size wide)
  MlpWeights shared;             // n_shared_experts * moe_intermediate_size wide, or empty
};

struct Deepseek2Weights {
  Matrix embed;                  // (vocab, hidden)
  std::vector<float> out_norm;   // (hidden)
  Matrix output;                 // (vocab, hidden)
  std::vector<Deepseek2Layer> layers;
  WeightStore store;             // owned memory the matrices point into
};

// Binds every tensor, checking its shape against the config; errors name the tensor.
// `regroup` (or null): the pool that repacks matrices into interleaved row groups.
// `progress` (may be empty) receives the fraction of layers bound.
Deepseek2Weights bind_deepseek2_weights(const ModelConfig& cfg, const TensorSource& src, int64_t fp8_block,
                                        ThreadPool* regroup, const std::function<void(float)>& progress);

}  // namespace dsinfer
