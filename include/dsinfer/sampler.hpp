// Choosing the next token from logits: penalties on recent tokens, then temperature,
// top-k, top-p and min-p, then a draw from a seeded generator (same seed and inputs, same
// tokens). Temperature 0 is greedy. Optionally reports log-probabilities of the top tokens.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace dsinfer {

struct SamplerParams {
  float temperature = 0.8f;         // 0: greedy
  int32_t top_k = 40;               // 0: off
  float top_p = 0.95f;              // 1: off
  float min_p = 0.05f;              // 0: off; drop tokens below min_p * p(best)
  float repetition_penalty = 1.0f;  // 1: off; divides positive logits (multiplies negative) of recent tokens
  float frequency_penalty = 0.0f;   // subtracts count * f from the logits of recent tokens
  float presence_penalty = 0.0f;    // subtracts p once from the logits of recent tokens
  int32_t penalty_last_n = 64;      // how many recent tokens the penalties look at
  uint64_t seed = 0;
};

struct TokenLogprob {
  int32_t id;
  float logprob;  // natural log of the probability under the model's own distribution (temperature 1, no filters)
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks the next token. `recent` is the token history the penalties see. When
  // top_logprobs > 0, *top gets that many best tokens with log-probabilities and
  // *chosen_logprob the chosen token's.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> recent, int top_logprobs = 0,
                 std::vector<TokenLogprob>* top = nullptr, float* chosen_logprob = nullptr);

  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<int32_t> order_;
};

}  // namespace dsinfer
