#include "dsinfer/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "dsinfer/error.hpp"

namespace dsinfer {

Sampler::Sampler(const SamplerParams& p) : params_(p), rng_(p.seed) {
  if (!(p.temperature >= 0) || !std::isfinite(p.temperature)) throw Error(ErrorCode::invalid_argument, "temperature must be >= 0");
  if (p.top_k < 0) throw Error(ErrorCode::invalid_argument, "top_k must be >= 0");
  if (!(p.top_p > 0 && p.top_p <= 1)) throw Error(ErrorCode::invalid_argument, "top_p must be in (0, 1]");
  if (!(p.min_p >= 0 && p.min_p < 1)) throw Error(ErrorCode::invalid_argument, "min_p must be in [0, 1)");
  if (!(p.repetition_penalty > 0) || !std::isfinite(p.repetition_penalty))
    throw Error(ErrorCode::invalid_argument, "repetition_penalty must be positive");
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty))
    throw Error(ErrorCode::invalid_argument, "penalties must be finite");
  if (p.penalty_last_n < 0) throw Error(ErrorCode::invalid_argument, "penalty_last_n must be >= 0");
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> recent, int top_logprobs,
                        std::vector<TokenLogprob>* top, float* chosen_logprob) {
  const int32_t n = static_cast<int32_t>(logits.size());
  if (n == 0) throw Error(ErrorCode::invalid_argument, "sample: no logits");
  const SamplerParams& p = params_;

  // Log-probabilities of the raw distribution, for reporting.
  float raw_max = -INFINITY;
  for (float l : logits) raw_max = std::max(raw_max, l);
  double raw_sum = 0;
  for (float l : logits) raw_sum += std::exp(static_cast<double>(l - raw_max));
  const float log_z = raw_max + static_cast<float>(std::log(raw_sum));

  work_.assign(logits.begin(), logits.end());
  if (p.penalty_last_n > 0 && !recent.empty() &&
      (p.repetition_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f)) {
    std::unordered_map<int32_t, int> counts;
    const size_t from = recent.size() > static_cast<size_t>(p.penalty_last_n) ? recent.size() - p.penalty_last_n : 0;
    for (size_t i = from; i < recent.size(); ++i)
      if (recent[i] >= 0 && recent[i] < n) counts[recent[i]]++;
    for (const auto& [id, c] : counts) {
      float& l = work_[id];
      l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
      l -= static_cast<float>(c) * p.frequency_penalty + p.presence_penalty;
    }
  }

  int32_t chosen;
  if (p.temperature == 0.0f) {
    chosen = static_cast<int32_t>(std::max_element(work_.begin(), work_.end()) - work_.begin());
  } else {
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), 0);
    const int32_t k = p.top_k > 0 ? std::min(p.top_k, n) : n;
    auto by_logit = [&](int32_t a, int32_t b) { return work_[a] > work_[b] || (work_[a] == work_[b] && a < b); };
    std::partial_sort(order_.begin(), order_.begin() + k, order_.end(), by_logit);
    order_.resize(static_cast<size_t>(k));
    // Softmax at the temperature over the survivors, best first.
    std::vector<double> prob(order_.size());
    const double best = work_[order_[0]];
    double sum = 0;
    for (size_t i = 0; i < order_.size(); ++i) sum += prob[i] = std::exp((work_[order_[i]] - best) / p.temperature);
    for (auto& q : prob) q /= sum;
    size_t keep = order_.size();
    if (p.min_p > 0)
      for (size_t i = 1; i < keep; ++i)
        if (prob[i] < p.min_p * prob[0]) { keep = i; break; }
    if (p.top_p < 1) {
      double cum = 0;
      for (size_t i = 0; i < keep; ++i) {
        cum += prob[i];
        if (cum >= p.top_p) { keep = i + 1; break; }
      }
    }
    double total = 0;
    for (size_t i = 0; i < keep; ++i) total += prob[i];
    // 53 random bits -> a uniform double in [0, total): the same on every platform for a seed.
    const double u = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0) * total;
    double acc = 0;
    chosen = order_[keep - 1];
    for (size_t i = 0; i < keep; ++i) {
      acc += prob[i];
      if (u < acc) { chosen = order_[i]; break; }
    }
  }

  if (chosen_logprob) *chosen_logprob = logits[chosen] - log_z;
  if (top && top_logprobs > 0) {
    const int32_t m = std::min(top_logprobs, n);
    std::vector<int32_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + m, idx.end(),
                      [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    top->clear();
    for (int32_t i = 0; i < m; ++i) top->push_back({idx[i], logits[idx[i]] - log_z});
  }
  return chosen;
}

}  // namespace dsinfer
