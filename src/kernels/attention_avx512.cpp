// AVX-512 attention products (compiled with -mavx512f -mavx2 -mfma -mf16c; reached through
// the run-time check in attention_portable.cpp). attention_avx2.cpp's kernels with
// 512-bit vectors: sixteen cached halves widened per instruction and sixteen multiply-adds
// per FMA. A long context's decode is bound by these multiply-adds once the cache streams
// from memory (16 heads x 576 values per cached row for the scores, 16 x 512 for the mix),
// and CPUs with full-width AVX-512 units run as many 512-bit FMAs per cycle as 256-bit ones.
// 32 vector registers let a score tile hold 4 rows x 4 heads and the mix 8 heads x 32
// columns.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/attention.hpp"

namespace dsinfer::kernels {
namespace {

constexpr int64_t kPrefetchRows = 64;  // as attention_avx2.cpp (measured there)

inline void prefetch_halves_ahead(const uint16_t* p, int64_t halves) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(halves) * 2),
               _MM_HINT_T0);
}

// Sixteen halves from p, as floats.
inline __m512 load_halves16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

template <int RP, int RH>
void score_tile(const ScoreTerm* terms, int n_terms, int j, int64_t p, float* out, int64_t ldo, bool prefetch) {
  __m512 acc[RH][RP];
#pragma GCC unroll 4
  for (int h = 0; h < RH; ++h)
#pragma GCC unroll 4
    for (int r = 0; r < RP; ++r) acc[h][r] = _mm512_setzero_ps();
  for (int t = 0; t < n_terms; ++t) {
    const float* q = terms[t].q + j * terms[t].ldq;
    const uint16_t* k = terms[t].k + p * terms[t].ldk;
    const int64_t ldq = terms[t].ldq, ldk = terms[t].ldk;
    for (int64_t i = 0; i < terms[t].dim; i += 16) {
      if (prefetch && i % 32 == 0)  // a line holds 32 halves
#pragma GCC unroll 4
        for (int r = 0; r < RP; ++r) prefetch_halves_ahead(k, (r + kPrefetchRows) * ldk + i);
      __m512 kv[RP];
#pragma GCC unroll 4
      for (int r = 0; r < RP; ++r) kv[r] = load_halves16(k + r * ldk + i);
#pragma GCC unroll 4
      for (int h = 0; h < RH; ++h) {
        const __m512 qv = _mm512_loadu_ps(q + h * ldq + i);
#pragma GCC unroll 4
        for (int r = 0; r < RP; ++r) acc[h][r] = _mm512_fmadd_ps(qv, kv[r], acc[h][r]);
      }
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < RH; ++h)
#pragma GCC unroll 4
    for (int r = 0; r < RP; ++r) out[h * ldo + r] = _mm512_reduce_add_ps(acc[h][r]);
}

template <int GH>
void mix_block(const float* s, int64_t lds, const uint16_t* v, int64_t ldv, int64_t n, float* out, int64_t ldo,
               bool first, int64_t ahead) {
  __m512 lo[GH], hi[GH];
#pragma GCC unroll 8
  for (int j = 0; j < GH; ++j) lo[j] = hi[j] = _mm512_setzero_ps();
  for (int64_t p = 0; p < n; ++p) {
    if (ahead) prefetch_halves_ahead(v, (p + ahead) * ldv);
    const __m512 v0 = load_halves16(v + p * ldv), v1 = load_halves16(v + p * ldv + 16);
#pragma GCC unroll 8
    for (int j = 0; j < GH; ++j) {
      const __m512 w = _mm512_set1_ps(s[j * lds + p]);
      lo[j] = _mm512_fmadd_ps(w, v0, lo[j]);
      hi[j] = _mm512_fmadd_ps(w, v1, hi[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < GH; ++j) {
    float* o = out + j * ldo;
    if (!first) {
      lo[j] = _mm512_add_ps(lo[j], _mm512_loadu_ps(o));
      hi[j] = _mm512_add_ps(hi[j], _mm512_loadu_ps(o + 16));
    }
    _mm512_storeu_ps(o, lo[j]);
    _mm512_storeu_ps(o + 16, hi[j]);
  }
}

}  // namespace

void attention_scores_avx512(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo) {
  for (int t = 0; t < n_terms; ++t)
    if (terms[t].dim % 16 != 0) {
      attention_scores_avx2(terms, n_terms, g, n, out, ldo);
      return;
    }
  // The first head group asks for the rows ahead; the others find them cached.
  int j = 0;
  for (; j + 4 <= g; j += 4) {
    int64_t p = 0;
    for (; p + 4 <= n; p += 4) score_tile<4, 4>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
    for (; p < n; ++p) score_tile<1, 4>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
  }
  for (; j < g; ++j) {
    int64_t p = 0;
    for (; p + 4 <= n; p += 4) score_tile<4, 1>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
    for (; p < n; ++p) score_tile<1, 1>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
  }
}

void attention_mix_avx512(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                          float* out, int64_t ldo, bool accumulate) {
  if (dim % 32 != 0) {
    attention_mix_avx2(s, lds, g, v, ldv, n, dim, out, ldo, accumulate);
    return;
  }
  // Blocks of rows that stay in L2 while every 32-column slice of them is used, as in
  // attention_avx2.cpp.
  constexpr int64_t kRows = 64;
  for (int64_t p0 = 0; p0 < n; p0 += kRows) {
    const int64_t m = std::min(kRows, n - p0);
    for (int64_t i = 0; i < dim; i += 32) {
      for (int j0 = 0; j0 < g; j0 += 8) {
        const int gh = std::min(8, g - j0);
        const float* sj = s + j0 * lds + p0;
        const uint16_t* vp = v + p0 * ldv + i;
        float* o = out + j0 * ldo + i;
        const bool first = p0 == 0 && !accumulate;
        const int64_t ahead = j0 == 0 ? kPrefetchRows : 0;
        switch (gh) {
          case 1: mix_block<1>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 2: mix_block<2>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 3: mix_block<3>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 4: mix_block<4>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 5: mix_block<5>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 6: mix_block<6>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 7: mix_block<7>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          default: mix_block<8>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
        }
      }
    }
  }
}

}  // namespace dsinfer::kernels
