// AVX2 activation quantization (compiled with -mavx2; reached only through
// quantize_act_row()'s run-time check). The same numbers as the portable definition: the
// same scale and reciprocal, the same product per value, and cvtps rounds half to even as
// nearbyint does in the default rounding mode. The portable loop was 2-3% of prefill,
// serial before each parallel product.
#include <immintrin.h>

#include "kernels/activations.hpp"

namespace dsinfer::kernels {
namespace {

// Largest magnitude of n floats (n a multiple of 8). maxps returns its second operand when
// either is NaN, so NaNs are passed over, as std::max(amax, NaN) does in the portable loop.
float abs_max(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), m);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// 32 values times inv, rounded, as int8 in order; their four int32 vectors in *i32.
void quantize32(const float* x, float inv, int8_t* out, __m256i* i32) {
  const __m256 s = _mm256_set1_ps(inv);
  for (int k = 0; k < 4; ++k) i32[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), s));
  // packs works within 128-bit lanes: the bytes come out in the order of the dwords
  // 0 4 1 5 2 6 3 7, which one dword permute puts back.
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i32[0], i32[1]), _mm256_packs_epi32(i32[2], i32[3]));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                      _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

void quantize_act_row_avx2(ActFormat f, const float* x, int64_t cols, std::byte* out) {
  __m256i i32[4];
  if (f == ActFormat::q8_32) {
    auto* b = reinterpret_cast<ActBlock32*>(out);
    for (int64_t i = 0; i < cols / 32; ++i, x += 32) {
      const float amax = abs_max(x, 32);
      b[i].d = amax / 127.0f;
      quantize32(x, amax > 0.0f ? 127.0f / amax : 0.0f, b[i].q, i32);
      const int sum = hsum_epi32(_mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3])));
      b[i].s = b[i].d * static_cast<float>(sum);
    }
    return;
  }
  auto* b = reinterpret_cast<ActBlock256*>(out);
  for (int64_t i = 0; i < cols / 256; ++i, x += 256) {
    const float amax = abs_max(x, 256);
    b[i].d = amax / 127.0f;
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    for (int c = 0; c < 8; ++c) {
      quantize32(x + 32 * c, inv, b[i].q + 32 * c, i32);
      b[i].bsums[2 * c] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(i32[0], i32[1])));
      b[i].bsums[2 * c + 1] = static_cast<int16_t>(hsum_epi32(_mm256_add_epi32(i32[2], i32[3])));
    }
  }
}

}  // namespace dsinfer::kernels
