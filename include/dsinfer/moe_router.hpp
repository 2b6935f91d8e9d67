// DeepSeekMoE routing: which routed experts a token goes to and with what weights.
// route() is the pure policy (every DeepSeek variant); MoeRouter adds the record of what it
// decided, per layer and token of the last forward call, and cumulative per-expert counts.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dsinfer/model_config.hpp"

namespace dsinfer {

struct RouterConfig {
  int64_t n_experts = 0;
  int64_t top_k = 0;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  ScoringFunc scoring = ScoringFunc::softmax;
  TopkMethod method = TopkMethod::greedy;
  bool norm_topk_prob = false;
  float routed_scaling_factor = 1.0f;

  static RouterConfig from(const ModelConfig& c);
};

struct ExpertChoice {
  int32_t expert;
  float weight;  // what multiplies the expert's output
};

// Scores the gate logits (softmax or sigmoid, in f32), restricts to the best groups when the
// method uses groups, picks top_k on score + bias (bias may be empty; it steers the choice
// only), weights from the unbiased scores, renormalised when norm_topk_prob, times
// routed_scaling_factor. Experts outside the chosen groups are excluded outright. `out` gets
// top_k choices, best first.
void route(const RouterConfig& cfg, std::span<const float> logits, std::span<const float> bias,
           std::span<ExpertChoice> out);

class MoeRouter {
 public:
  MoeRouter(const RouterConfig& cfg, int64_t n_layers);

  const RouterConfig& config() const { return cfg_; }
  // Overrides the number of experts per token (0 restores the model's own); a speed/quality knob.
  void set_top_k(int64_t k);
  int64_t top_k() const { return cfg_.top_k; }

  // Starts the record of a forward call over n_tokens tokens.
  void begin(int64_t n_tokens);
  // Routes one token of one layer and records the decision; returns the choices.
  std::span<const ExpertChoice> route(int64_t layer, int64_t token, std::span<const float> logits,
                                      std::span<const float> bias);

  int64_t last_tokens() const { return n_tokens_; }
  // Decisions of the last forward call; empty for dense layers.
  std::span<const ExpertChoice> last_choice(int64_t layer, int64_t token) const;
  // Tokens routed to each expert since creation: (layer, n_experts).
  std::span<const uint64_t> expert_counts(int64_t layer) const;

 private:
  RouterConfig cfg_;
  int64_t model_top_k_;
  int64_t n_layers_;
  int64_t n_tokens_ = 0;
  std::vector<ExpertChoice> last_;      // (layer, token, top_k)
  std::vector<uint8_t> last_set_;       // (layer, token): 1 when routed
  std::vector<uint64_t> counts_;        // (layer, n_experts)
};

}  // namespace dsinfer
