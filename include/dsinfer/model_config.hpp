// The hyperparameters of a model, whatever file they came from. Field names are those of
// the Hugging Face configs (kv_lora_rank, qk_rope_head_dim, first_k_dense_replace, ...)
// so the papers, the reference code and dsinfer share one vocabulary. GGUF metadata and
// config.json are both translated into this struct; nothing later reads either file.
#pragma once

#include <cstdint>
#include <string>

namespace dsinfer {

class GgufFile;

enum class ScoringFunc { softmax, sigmoid };

// How the router picks its top-k experts.
//  greedy:               top-k over all experts
//  group_limited_greedy: DeepSeek-V2; keep the topk_group groups whose best expert scores highest
//  noaux_tc:             DeepSeek-V3; choose on score + correction bias, a group scores the sum of
//                        its two best biased experts, weights come from the unbiased scores
enum class TopkMethod { greedy, group_limited_greedy, noaux_tc };

struct RopeScaling {
  bool yarn = false;
  double factor = 1.0;
  double original_max_position_embeddings = 0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 1.0;          // scales cos/sin by yarn_mscale(mscale) / yarn_mscale(mscale_all_dim)
  double mscale_all_dim = 0.0;  // scales the softmax by yarn_mscale(mscale_all_dim)^2
  // Llama 3: long wavelengths divided by factor, short ones kept, a smooth blend between.
  bool llama3 = false;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
};

struct ModelConfig {
  std::string architecture;  // "deepseek2" for the whole DeepSeek-V2/V3/R1 family
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;

  // Multi-head Latent Attention
  int64_t num_attention_heads = 0;
  int64_t q_lora_rank = 0;  // 0: queries come straight from W_q (V2-Lite)
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;

  // Feed-forward: the first first_k_dense_replace layers are dense, the rest DeepSeekMoE
  int64_t intermediate_size = 0;
  int64_t moe_intermediate_size = 0;
  int64_t first_k_dense_replace = 0;
  int64_t n_routed_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t n_shared_experts = 0;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  ScoringFunc scoring_func = ScoringFunc::softmax;
  TopkMethod topk_method = TopkMethod::greedy;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;

  // Dense architectures (qwen2, llama: the R1-Distill models)
  int64_t num_key_value_heads = 0;  // grouped-query attention
  int64_t head_dim = 0;
  bool attention_bias = false;      // q, k and v projections carry biases (Qwen2)
  bool tie_word_embeddings = false;
  // How stored q/k weights pair rope dimensions: adjacent pairs (DeepSeek, llama.cpp's
  // permuted Llama GGUFs) or halves (Hugging Face's rotate_half, Qwen2 GGUFs).
  bool rope_interleaved = true;

  int64_t bos_token_id = -1;
  int64_t eos_token_id = -1;

  bool is_dense_arch() const { return architecture == "qwen2" || architecture == "llama"; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_moe_layer(int64_t layer) const { return n_routed_experts > 0 && layer >= first_k_dense_replace; }
  // Attention logit scale, including YaRN's mscale correction.
  double softmax_scale() const;
  // Values the cache keeps per token per layer: for deepseek2 the latent plus the shared
  // rope key (MLA); for dense models K and V of every KV head.
  int64_t mla_cache_width() const {
    return is_dense_arch() ? 2 * num_key_value_heads * head_dim : kv_lora_rank + qk_rope_head_dim;
  }

  // Throws Error(invalid_format) naming the first missing, non-positive or contradictory value.
  void validate() const;
};

// From a GGUF's metadata: deepseek2, qwen2 or llama.
ModelConfig config_from_gguf(const GgufFile& gguf);
// From the text of a Hugging Face config.json; `source` names it in errors.
ModelConfig config_from_hf_json(const std::string& json_text, const std::string& source);

const char* scoring_func_name(ScoringFunc f);
const char* topk_method_name(TopkMethod m);

}  // namespace dsinfer
