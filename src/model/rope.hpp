// Rotary frequencies for the rope dimensions, with YaRN when the model uses it: each
// frequency is blended between its original and its factor-interpolated value by a ramp
// over the rotation count it makes within original_max_position_embeddings.
#pragma once

#include <vector>

#include "dsinfer/model_config.hpp"

namespace dsinfer {

struct RopeFrequencies {
  std::vector<float> inv_freq;  // (qk_rope_head_dim / 2)
  float mscale = 1.0f;          // multiplies cos and sin

  RopeFrequencies() = default;
  explicit RopeFrequencies(const ModelConfig& c);
};

}  // namespace dsinfer
