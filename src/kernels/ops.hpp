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

// RoPE. The rotation of a position depends on the position only, so it is computed once
// per token (rope_table) and applied to every head that token has.
// For the n_pos positions from first_pos: cos[t * half + i] and sin[t * half + i] of
// (first_pos + t) * inv_freq[i], i < half, each times mscale.
void rope_table(const float* inv_freq, int64_t half, int64_t first_pos, int64_t n_pos, float mscale, float* cos,
                float* sin);
// Rotates adjacent pairs (x[2i], x[2i+1]) by a table of n/2 angles: the layout DeepSeek's
// reference code and llama.cpp's "normal" rope type use.
void rope_interleaved(float* x, int64_t n, const float* cos, const float* sin);
// Rotates pairs (x[i], x[i + n/2]): Hugging Face's rotate_half layout.
void rope_halves(float* x, int64_t n, const float* cos, const float* sin);

}  // namespace dsinfer::kernels
