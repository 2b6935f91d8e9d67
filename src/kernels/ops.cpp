#include "kernels/ops.hpp"

#include <algorithm>
#include <cmath>

#include "dsinfer/cpu_features.hpp"
#include "dsinfer/half.hpp"

namespace dsinfer::kernels {

void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* out) {
  double ss = 0.0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void softmax(float* x, int64_t n) {
  const float mx = *std::max_element(x, x + n);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - mx);
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void to_f16(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_f16(x[i]);
}

void swiglu_portable(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void swiglu(float* gate, const float* up, int64_t n) {
  if (cpu_features().avx2_fma()) swiglu_avx2(gate, up, n);
  else swiglu_portable(gate, up, n);
}

float exp_shifted_sum_portable(float* x, int64_t n, float shift) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i] = std::exp(x[i] - shift);
  return sum;
}

float exp_shifted_sum(float* x, int64_t n, float shift) {
  return cpu_features().avx2_fma() ? exp_shifted_sum_avx2(x, n, shift) : exp_shifted_sum_portable(x, n, shift);
}

void rope_table(const float* inv_freq, int64_t half, int64_t first_pos, int64_t n_pos, float mscale, float* cos,
                float* sin) {
  for (int64_t t = 0; t < n_pos; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(first_pos + t) * inv_freq[i];
      cos[t * half + i] = static_cast<float>(std::cos(angle)) * mscale;
      sin[t * half + i] = static_cast<float>(std::sin(angle)) * mscale;
    }
}

void rope_interleaved(float* x, int64_t n, const float* cos, const float* sin) {
  for (int64_t i = 0; i < n / 2; ++i) {
    const float a = x[2 * i], b = x[2 * i + 1];
    x[2 * i] = a * cos[i] - b * sin[i];
    x[2 * i + 1] = a * sin[i] + b * cos[i];
  }
}

void rope_halves(float* x, int64_t n, const float* cos, const float* sin) {
  const int64_t h = n / 2;
  for (int64_t i = 0; i < h; ++i) {
    const float a = x[i], b = x[i + h];
    x[i] = a * cos[i] - b * sin[i];
    x[i + h] = a * sin[i] + b * cos[i];
  }
}

}  // namespace dsinfer::kernels
