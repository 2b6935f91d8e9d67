// The sum of a vector's lanes, for files compiled with -mavx2. Written out rather than
// xsimd::hadd: that takes two 256-bit hadds and a lane permute, and the attention scores pay
// one fold per cached row and head.
#pragma once

#include <immintrin.h>

namespace dsinfer::kernels::avx2 {

inline float hsum(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float hsum(__m256 v) { return hsum(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1))); }

}  // namespace dsinfer::kernels::avx2
