// Element-wise and row-wise operations of a transformer layer, in f32.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

// out = x / sqrt(mean(x^2) + eps) * w   (out may alias x)
void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* out);

// In place, numerically stable.
void softmax(float* x, int64_t n);

// gate[i] = silu(gate[i]) * up[i]
void swiglu(float* gate, const float* up, int64_t n);

// Rotates adjacent pairs (x[2i], x[2i+1]) by angle pos * inv_freq[i], scaling by mscale;
// the layout DeepSeek's reference code and llama.cpp's "normal" rope type use.
void rope_interleaved(float* x, int64_t n, const float* inv_freq, double pos, float mscale);

}  // namespace dsinfer::kernels
