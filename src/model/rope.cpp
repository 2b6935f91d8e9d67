#include "model/rope.hpp"

#include <algorithm>
#include <cmath>

namespace dsinfer {
namespace {

double yarn_mscale(double factor, double m) { return factor <= 1.0 ? 1.0 : 0.1 * m * std::log(factor) + 1.0; }

// The dimension index at which a frequency completes `rotations` turns over max_pos positions.
double correction_dim(double rotations, double dim, double base, double max_pos) {
  return dim * std::log(max_pos / (rotations * 2.0 * M_PI)) / (2.0 * std::log(base));
}

}  // namespace

RopeFrequencies::RopeFrequencies(const ModelConfig& c) {
  const int64_t dim = c.is_dense_arch() ? c.head_dim : c.qk_rope_head_dim;
  const double base = c.rope_theta;
  inv_freq.resize(static_cast<size_t>(dim / 2));
  for (int64_t i = 0; i < dim / 2; ++i) {
    const double extrapolated = 1.0 / std::pow(base, static_cast<double>(2 * i) / static_cast<double>(dim));
    inv_freq[i] = static_cast<float>(extrapolated);
  }
  if (c.rope_scaling.llama3) {
    // Llama 3: wavelengths longer than original/low_freq_factor are divided by factor, shorter
    // than original/high_freq_factor kept, and those between blended smoothly.
    const RopeScaling& r = c.rope_scaling;
    const double low_wavelen = r.original_max_position_embeddings / r.low_freq_factor;
    const double high_wavelen = r.original_max_position_embeddings / r.high_freq_factor;
    for (auto& f : inv_freq) {
      const double freq = f, wavelen = 2.0 * M_PI / freq;
      double scaled = freq;
      if (wavelen > low_wavelen) {
        scaled = freq / r.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (r.original_max_position_embeddings / wavelen - r.low_freq_factor) /
                              (r.high_freq_factor - r.low_freq_factor);
        scaled = (1.0 - smooth) * freq / r.factor + smooth * freq;
      }
      f = static_cast<float>(scaled);
    }
    return;
  }
  if (!c.rope_scaling.yarn) return;
  const RopeScaling& y = c.rope_scaling;
  const double low = std::max(0.0, std::floor(correction_dim(y.beta_fast, static_cast<double>(dim), base, y.original_max_position_embeddings)));
  double high = std::min(static_cast<double>(dim - 1),
                         std::ceil(correction_dim(y.beta_slow, static_cast<double>(dim), base, y.original_max_position_embeddings)));
  if (high == low) high += 0.001;
  for (int64_t i = 0; i < dim / 2; ++i) {
    const double extrapolated = 1.0 / std::pow(base, static_cast<double>(2 * i) / static_cast<double>(dim));
    const double interpolated = extrapolated / y.factor;
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double keep = 1.0 - ramp;  // high-frequency dims keep their original frequency
    inv_freq[i] = static_cast<float>(interpolated * (1.0 - keep) + extrapolated * keep);
  }
  mscale = static_cast<float>(yarn_mscale(y.factor, y.mscale) / yarn_mscale(y.factor, y.mscale_all_dim));
}

}  // namespace dsinfer
