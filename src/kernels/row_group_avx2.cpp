// AVX2 kernel of the interleaved q8_0 row groups (row_groups.hpp; compiled with -mavx2
// -mfma -mf16c, reached only through group_dot()'s run-time check).
#include <immintrin.h>

#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/quant_blocks_avx2.hpp"
#include "kernels/row_groups.hpp"

namespace dsinfer::kernels {
namespace {

using namespace avx2;

constexpr uint32_t kGroupBlock = 272;

// Chunk k's 32 bytes are four values of each of the eight rows, so one token's four values
// broadcast to every lane meet all eight rows in one product; the int32 lanes are the rows'
// sums as they come, and one multiply-add per block applies the eight rows' scales at once.
template <int N>
void group_q8_0(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  const ActBlock32* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b = u8(group) + i * kGroupBlock;
    prefetch_ahead<kGroupBlock>(b);
    __m256i isum[N];
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i w = load32(b + 16 + 32 * k);
      const __m256i w_abs = _mm256_sign_epi8(w, w);
      for (int j = 0; j < N; ++j) {
        int32_t four;
        std::memcpy(&four, a[j][i].q + 4 * k, 4);
        const __m256i p = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(_mm256_set1_epi32(four), w));
        isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(p, ones16));
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    for (int j = 0; j < N; ++j)
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][i].d)), _mm256_cvtepi32_ps(isum[j]), acc[j]);
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

// Four tokens at most: their sums and accumulators stay in registers beside the chunk.
void group_q8_0_by_count(const std::byte* group, const std::byte* const* act, int n, int64_t cols, float* out) {
  switch (n) {
    case 1: group_q8_0<1>(group, act, cols, out); break;
    case 2: group_q8_0<2>(group, act, cols, out); break;
    case 3: group_q8_0<3>(group, act, cols, out); break;
    default: group_q8_0<4>(group, act, cols, out); break;
  }
}

}  // namespace

GroupDot group_dot_avx2(DType t) { return t == DType::q8_0 ? group_q8_0_by_count : nullptr; }

}  // namespace dsinfer::kernels
