#include "dsinfer/moe_router.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "dsinfer/error.hpp"

namespace dsinfer {

RouterConfig RouterConfig::from(const ModelConfig& c) {
  RouterConfig r;
  r.n_experts = c.n_routed_experts;
  r.top_k = c.num_experts_per_tok;
  r.n_group = c.n_group;
  r.topk_group = c.topk_group;
  r.scoring = c.scoring_func;
  r.method = c.topk_method;
  r.norm_topk_prob = c.norm_topk_prob;
  r.routed_scaling_factor = static_cast<float>(c.routed_scaling_factor);
  return r;
}

void route(const RouterConfig& cfg, std::span<const float> logits, std::span<const float> bias,
           std::span<ExpertChoice> out) {
  const int64_t n = cfg.n_experts;
  if (static_cast<int64_t>(logits.size()) != n || (!bias.empty() && static_cast<int64_t>(bias.size()) != n) ||
      static_cast<int64_t>(out.size()) != cfg.top_k || cfg.top_k <= 0 || cfg.top_k > n)
    throw Error(ErrorCode::invalid_argument, "route: sizes do not match the router config");

  std::vector<float> score(static_cast<size_t>(n));
  if (cfg.scoring == ScoringFunc::softmax) {
    const float mx = *std::max_element(logits.begin(), logits.end());
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) sum += score[i] = std::exp(logits[i] - mx);
    for (auto& s : score) s /= sum;
  } else {
    for (int64_t i = 0; i < n; ++i) score[i] = 1.0f / (1.0f + std::exp(-logits[i]));
  }
  // What the choice is made on; the bias never reaches the weights.
  std::vector<float> choice = score;
  if (!bias.empty())
    for (int64_t i = 0; i < n; ++i) choice[i] += bias[i];

  constexpr float kExcluded = -std::numeric_limits<float>::infinity();
  if (cfg.method != TopkMethod::greedy && cfg.n_group > 1) {
    const int64_t per = n / cfg.n_group;
    std::vector<float> group_score(static_cast<size_t>(cfg.n_group));
    for (int64_t g = 0; g < cfg.n_group; ++g) {
      const float* s = choice.data() + g * per;
      if (cfg.method == TopkMethod::group_limited_greedy) {
        group_score[g] = *std::max_element(s, s + per);
      } else {  // noaux_tc: sum of the group's two best
        float a = kExcluded, b = kExcluded;
        for (int64_t i = 0; i < per; ++i) {
          if (s[i] > a) { b = a; a = s[i]; }
          else if (s[i] > b) b = s[i];
        }
        group_score[g] = a + b;
      }
    }
    std::vector<int64_t> groups(static_cast<size_t>(cfg.n_group));
    std::iota(groups.begin(), groups.end(), 0);
    std::stable_sort(groups.begin(), groups.end(), [&](int64_t x, int64_t y) { return group_score[x] > group_score[y]; });
    std::vector<uint8_t> keep(static_cast<size_t>(cfg.n_group), 0);
    for (int64_t i = 0; i < cfg.topk_group; ++i) keep[groups[i]] = 1;
    for (int64_t e = 0; e < n; ++e)
      if (!keep[e / per]) choice[e] = kExcluded;
  }

  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + cfg.top_k, order.end(), [&](int32_t x, int32_t y) {
    return choice[x] > choice[y] || (choice[x] == choice[y] && x < y);
  });
  float sum = 0.0f;
  for (int64_t k = 0; k < cfg.top_k; ++k) {
    out[k].expert = order[k];
    out[k].weight = score[order[k]];
    sum += out[k].weight;
  }
  if (cfg.norm_topk_prob && cfg.top_k > 1)
    for (auto& c : out) c.weight /= sum + 1e-20f;
  for (auto& c : out) c.weight *= cfg.routed_scaling_factor;
}

MoeRouter::MoeRouter(const RouterConfig& cfg, int64_t n_layers)
    : cfg_(cfg), model_top_k_(cfg.top_k), n_layers_(n_layers),
      counts_(static_cast<size_t>(std::max<int64_t>(0, n_layers * cfg.n_experts)), 0) {}

void MoeRouter::set_top_k(int64_t k) {
  if (k < 0 || k > cfg_.n_experts)
    throw Error(ErrorCode::invalid_argument, "experts per token " + std::to_string(k) + " is outside [1, " +
                                                 std::to_string(cfg_.n_experts) + "]");
  const int64_t new_k = k == 0 ? model_top_k_ : k;
  if (cfg_.method != TopkMethod::greedy && cfg_.n_group > 1 &&
      cfg_.topk_group * (cfg_.n_experts / cfg_.n_group) < new_k)
    throw Error(ErrorCode::invalid_argument, "experts per token " + std::to_string(new_k) +
                                                 " exceeds what the selected groups hold");
  cfg_.top_k = new_k;
  n_tokens_ = 0;
  last_.clear();
  last_set_.clear();
}

void MoeRouter::begin(int64_t n_tokens) {
  n_tokens_ = n_tokens;
  last_.assign(static_cast<size_t>(n_layers_ * n_tokens * cfg_.top_k), ExpertChoice{-1, 0.0f});
  last_set_.assign(static_cast<size_t>(n_layers_ * n_tokens), 0);
}

std::span<const ExpertChoice> MoeRouter::route(int64_t layer, int64_t token, std::span<const float> logits,
                                               std::span<const float> bias) {
  if (layer < 0 || layer >= n_layers_ || token < 0 || token >= n_tokens_)
    throw Error(ErrorCode::internal, "MoeRouter::route: layer or token out of range");
  const size_t cell = static_cast<size_t>(layer * n_tokens_ + token);
  std::span<ExpertChoice> out(last_.data() + cell * cfg_.top_k, static_cast<size_t>(cfg_.top_k));
  dsinfer::route(cfg_, logits, bias, out);
  last_set_[cell] = 1;
  for (const auto& c : out) counts_[static_cast<size_t>(layer * cfg_.n_experts + c.expert)]++;
  return out;
}

std::span<const ExpertChoice> MoeRouter::last_choice(int64_t layer, int64_t token) const {
  if (layer < 0 || layer >= n_layers_ || token < 0 || token >= n_tokens_) return {};
  const size_t cell = static_cast<size_t>(layer * n_tokens_ + token);
  if (!last_set_[cell]) return {};
  return {last_.data() + cell * cfg_.top_k, static_cast<size_t>(cfg_.top_k)};
}

std::span<const uint64_t> MoeRouter::expert_counts(int64_t layer) const {
  if (layer < 0 || layer >= n_layers_) return {};
  return {counts_.data() + layer * cfg_.n_experts, static_cast<size_t>(cfg_.n_experts)};
}

}  // namespace dsinfer
