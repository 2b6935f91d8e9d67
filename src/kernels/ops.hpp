// Element-wise and row-wise operations of a transformer layer, in f32.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

// out = x / sqrt(mean(x^2) + eps) * w   (out may alias x)
void rmsnorm(const float* x, const float* w, float eps, int64_t n, float* out);

// out[i] = x[i] as f16 bits, rounded to nearest even (what goes into the cache).
void to_f16(const float* x, int64_t n, uint16_t* out);

// In place, numerically stable.
void softmax(float* x, int64_t n);

// gate[i] = silu(gate[i]) * up[i]
void swiglu(float* gate, const float* up, int64_t n);

// x[i] = exp(x[i] - shift); returns their sum (a softmax's numerators and denominator).
float exp_shifted_sum(float* x, int64_t n, float shift);

// The portable definitions (std::exp) and the AVX2+FMA variants (xsimd's vectorised exp,
// within 3e-7 relative of std::exp; where expf gives denormals they may give 0); the best
// one this CPU runs is behind the functions above.
void swiglu_portable(float* gate, const float* up, int64_t n);
void swiglu_avx2(float* gate, const float* up, int64_t n);
float exp_shifted_sum_portable(float* x, int64_t n, float shift);
float exp_shifted_sum_avx2(float* x, int64_t n, float shift);

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
