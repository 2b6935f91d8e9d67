// AVX2 row kernels (compiled with -mavx2 -mfma -mf16c; reached only through row_dot()'s
// run-time check). Each weight block is unpacked to bytes once and multiplied with up to
// four activation rows: unsigned-by-signed byte products (maddubs) summed to int32, the
// block's integer scales applied in int32 (madd), floats only once per block.
#include <immintrin.h>

#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/quant_blocks_avx2.hpp"
#include "kernels/row_dot.hpp"

namespace dsinfer::kernels {
namespace {

using namespace avx2;

// q8_0 and iq4_nl multiply signed bytes (iq4_nl's looked up from its codes); q4_0 and q5_0 multiply their unsigned codes and take the
// code offset off once per block through the activation block's scaled sum, through which
// q4_1's and q5_1's minimum comes in too.
template <DType T, int N>
void dot32(const std::byte* w, const std::byte* const* act, int64_t cols, float* out) {
  constexpr uint32_t bb = block32_bytes<T>;
  const ActBlock32* a[N];
  __m256 acc[N];
  float offset[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm256_setzero_ps();
    offset[j] = 0.0f;
  }
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b = u8(w) + i * bb;
    prefetch_ahead<1>(b);
    const float d = f16(b);
    if constexpr (signed_values<T>) {
      const __m256i q = signed32<T>(b);
      for (int j = 0; j < N; ++j)
        acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[j][i].d), _mm256_cvtepi32_ps(dot_i8(q, load32(a[j][i].q))),
                                 acc[j]);
    } else {
      const __m256i q = unpack32_codes<T>(b);
      for (int j = 0; j < N; ++j) {
        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, load32(a[j][i].q)), ones16);
        acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[j][i].d), _mm256_cvtepi32_ps(p), acc[j]);
        offset[j] += (has_min<T> ? f16(b + 2) : d) * a[j][i].s;
      }
    }
  }
  for (int j = 0; j < N; ++j)
    out[j] = hsum(acc[j]) + (has_min<T> ? 1.0f : -static_cast<float>(code_offset<T>)) * offset[j];
}

// q4_k and q5_k: eight 32-value groups, value = d * scale * q - dmin * min.
template <DType T, int N>
void dot_q45k(const std::byte* w, const std::byte* const* act, int64_t cols, float* out) {
  constexpr uint32_t bb = T == DType::q5_k ? 176 : 144;
  const ActBlock256* a[N];
  __m256 acc[N];
  __m128 acc_mins[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
    acc_mins[j] = _mm_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = u8(w) + i * bb;
    prefetch_ahead<bb>(b);
    // d and dmin are adjacent halves: one conversion for both.
    uint32_t d_dmin;
    std::memcpy(&d_dmin, b, 4);
    const __m128 scales = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(d_dmin)));
    const ActBlock256* ai[N];
    for (int j = 0; j < N; ++j) ai[j] = a[j] + i;
    __m256i isum[N];
    __m128i mins16;
    q45k_block_sums<T, N>(b, ai, isum, &mins16);
    for (int j = 0; j < N; ++j) {
      // The mins meet the activations only through their sums per 32 values; they stay in
      // a vector until the end of the row.
      const __m128i sums32 = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ai[j]->bsums)),
                                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(ai[j]->bsums + 8)));
      const __m128 s = _mm_mul_ps(scales, _mm_set1_ps(ai[j]->d));  // d * ad, dmin * ad
      acc[j] = _mm256_fmadd_ps(_mm256_broadcastss_ps(s), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      acc_mins[j] =
          _mm_fmadd_ps(_mm_permute_ps(s, 0x55), _mm_cvtepi32_ps(_mm_madd_epi16(mins16, sums32)), acc_mins[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]) - hsum(acc_mins[j]);
}

// q2_k, q3_k, q6_k: sixteen 16-value groups, value = d * scale * (q - offset), or for q2_k
// d * scale * q - dmin * min; iq4_xs: eight 32-value groups, value = d * scale * level; the
// codebook types: factor * scale * signed codebook byte (tensor/iq_blocks.hpp).
template <DType T, int N>
void dot_d256(const std::byte* w, const std::byte* const* act, int64_t cols, float* out) {
  constexpr uint32_t bb = d256_bytes<T>;
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = u8(w) + i * bb;
    prefetch_ahead<bb>(b);
    const float d = d256_d<T>(b);
    const ActBlock256* ai[N];
    for (int j = 0; j < N; ++j) ai[j] = a[j] + i;
    __m256i isum[N], msum[N];
    d256_block_sums<T, N>(b, ai, isum, msum);
    for (int j = 0; j < N; ++j) {
      acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * ai[j]->d), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      if constexpr (T == DType::q2_k)
        acc[j] = _mm256_fnmadd_ps(_mm256_set1_ps(f16(b + 82) * ai[j]->d), _mm256_cvtepi32_ps(msum[j]), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]);
}

template <DType T, int N>
void dot_float(const std::byte* w, const std::byte* const* act, int64_t cols, float* out) {
  const float* a[N];
  __m256 acc0[N], acc1[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const float*>(act[j]);
    acc0[j] = acc1[j] = _mm256_setzero_ps();
  }
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    prefetch_ahead<1>(w + (k << (T == DType::f32 ? 2 : 1)));
    const __m256 w0 = load8<T>(w, k), w1 = load8<T>(w, k + 8);
    for (int j = 0; j < N; ++j) {
      acc0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(a[j] + k), acc0[j]);
      acc1[j] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(a[j] + k + 8), acc1[j]);
    }
  }
  for (int j = 0; j < N; ++j) {
    float s = hsum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t r = k; r < cols; ++r) s += load1<T>(w, r) * a[j][r];
    out[j] = s;
  }
}

// Dispatches on the number of activation rows so each count gets its own unrolled loop.
template <template <int> class K>
void by_count(const std::byte* w, const std::byte* const* act, int n, int64_t cols, float* out) {
  switch (n) {
    case 1: K<1>::run(w, act, cols, out); break;
    case 2: K<2>::run(w, act, cols, out); break;
    case 3: K<3>::run(w, act, cols, out); break;
    default: K<4>::run(w, act, cols, out); break;
  }
}

template <DType T>
struct D32 {
  template <int N>
  struct K {
    static void run(const std::byte* w, const std::byte* const* a, int64_t c, float* o) { dot32<T, N>(w, a, c, o); }
  };
};
template <DType T>
struct D45 {
  template <int N>
  struct K {
    static void run(const std::byte* w, const std::byte* const* a, int64_t c, float* o) { dot_q45k<T, N>(w, a, c, o); }
  };
};
template <DType T>
struct DD256 {
  template <int N>
  struct K {
    static void run(const std::byte* w, const std::byte* const* a, int64_t c, float* o) { dot_d256<T, N>(w, a, c, o); }
  };
};
template <DType T>
struct DF {
  template <int N>
  struct K {
    static void run(const std::byte* w, const std::byte* const* a, int64_t c, float* o) { dot_float<T, N>(w, a, c, o); }
  };
};

}  // namespace

RowDot row_dot_avx2(DType t) {
  switch (t) {
    case DType::q8_0: return by_count<D32<DType::q8_0>::K>;
    case DType::q4_0: return by_count<D32<DType::q4_0>::K>;
    case DType::q5_0: return by_count<D32<DType::q5_0>::K>;
    case DType::q4_1: return by_count<D32<DType::q4_1>::K>;
    case DType::q5_1: return by_count<D32<DType::q5_1>::K>;
    case DType::q4_k: return by_count<D45<DType::q4_k>::K>;
    case DType::q5_k: return by_count<D45<DType::q5_k>::K>;
    case DType::q2_k: return by_count<DD256<DType::q2_k>::K>;
    case DType::q3_k: return by_count<DD256<DType::q3_k>::K>;
    case DType::q6_k: return by_count<DD256<DType::q6_k>::K>;
    case DType::iq4_nl: return by_count<D32<DType::iq4_nl>::K>;
    case DType::iq4_xs: return by_count<DD256<DType::iq4_xs>::K>;
    case DType::iq2_xxs: return by_count<DD256<DType::iq2_xxs>::K>;
    case DType::iq2_xs: return by_count<DD256<DType::iq2_xs>::K>;
    case DType::iq2_s: return by_count<DD256<DType::iq2_s>::K>;
    case DType::iq3_xxs: return by_count<DD256<DType::iq3_xxs>::K>;
    case DType::iq3_s: return by_count<DD256<DType::iq3_s>::K>;
    case DType::iq1_s: return by_count<DD256<DType::iq1_s>::K>;
    case DType::iq1_m: return by_count<DD256<DType::iq1_m>::K>;
    case DType::f32: return by_count<DF<DType::f32>::K>;
    case DType::f16: return by_count<DF<DType::f16>::K>;
    case DType::bf16: return by_count<DF<DType::bf16>::K>;
    default: return nullptr;
  }
}

}  // namespace dsinfer::kernels
