// AVX2+FMA attention products (compiled with -mavx2 -mfma -mf16c; reached through the
// run-time check in attention_portable.cpp). Cached rows are halves, widened by F16C as they
// are loaded. Scores take 3 cached rows x 4 heads per tile (7 loads for 12 multiply-adds);
// the mix keeps 16 output columns of up to 4 heads in registers while it walks a block of
// cached rows.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/attention.hpp"
#include "kernels/hsum_avx2.hpp"

namespace dsinfer::kernels {
namespace {

// Rows that far ahead are asked for while the first head group scores a tile. The hardware
// prefetcher alone, restarted by every tile's short row segments, left one core reading the
// cache at ~2 GB/s; this made a 4096-row MLA pass 1.5x faster (measured).
constexpr int64_t kPrefetchRows = 64;

// A hint for the line `halves` values past p. Rows past the cache's end may be named (a
// prefetch never faults), so the address is formed as an integer, not a pointer past the
// array.
inline void prefetch_halves_ahead(const uint16_t* p, int64_t halves) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(halves) * 2),
               _MM_HINT_T0);
}

// Eight halves from p, as floats.
inline __m256 load_halves(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// One tile: RP cached rows (from p) x RH heads (from j), every term summed in the same
// accumulators; each term's dim a multiple of 8. With `prefetch`, the rows kPrefetchRows
// ahead are asked for.
template <int RP, int RH>
void score_tile(const ScoreTerm* terms, int n_terms, int j, int64_t p, float* out, int64_t ldo, bool prefetch) {
  __m256 acc[RH][RP];
  for (int h = 0; h < RH; ++h)
    for (int r = 0; r < RP; ++r) acc[h][r] = _mm256_setzero_ps();
  for (int t = 0; t < n_terms; ++t) {
    const float* q = terms[t].q + j * terms[t].ldq;
    const uint16_t* k = terms[t].k + p * terms[t].ldk;
    const int64_t ldq = terms[t].ldq, ldk = terms[t].ldk;
    for (int64_t i = 0; i < terms[t].dim; i += 8) {
      if (prefetch && i % 32 == 0)  // a line holds 32 halves
        for (int r = 0; r < RP; ++r) prefetch_halves_ahead(k, (r + kPrefetchRows) * ldk + i);
      __m256 kv[RP];
      for (int r = 0; r < RP; ++r) kv[r] = load_halves(k + r * ldk + i);
      for (int h = 0; h < RH; ++h) {
        const __m256 qv = _mm256_loadu_ps(q + h * ldq + i);
        for (int r = 0; r < RP; ++r) acc[h][r] = _mm256_fmadd_ps(qv, kv[r], acc[h][r]);
      }
    }
  }
  for (int h = 0; h < RH; ++h)
    for (int r = 0; r < RP; ++r) out[h * ldo + r] = avx2::hsum(acc[h][r]);
}

}  // namespace

void attention_scores_avx2(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo) {
  for (int t = 0; t < n_terms; ++t)
    if (terms[t].dim % 8 != 0) {
      attention_scores_portable(terms, n_terms, g, n, out, ldo);
      return;
    }
  // 3 rows x 4 heads: 12 accumulators + 3 rows + 1 query = the 16 ymm registers AVX2 has.
  // The first head group asks for the rows ahead; the others find them cached.
  int j = 0;
  for (; j + 4 <= g; j += 4) {
    int64_t p = 0;
    for (; p + 3 <= n; p += 3) score_tile<3, 4>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
    for (; p < n; ++p) score_tile<1, 4>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
  }
  for (; j < g; ++j) {
    int64_t p = 0;
    for (; p + 4 <= n; p += 4) score_tile<4, 1>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
    for (; p < n; ++p) score_tile<1, 1>(terms, n_terms, j, p, out + j * ldo + p, ldo, j == 0);
  }
}

namespace {

// 16 output columns of GH heads in registers while a block of cached rows streams past;
// `first` starts the sums, later blocks add to what the earlier ones stored.
template <int GH>
void mix_block(const float* s, int64_t lds, const uint16_t* v, int64_t ldv, int64_t n, float* out, int64_t ldo,
               bool first, int64_t ahead) {
  // The loops over heads are unrolled by pragma: unrolled only late, GCC 12 kept the
  // accumulators in a stack array and stored each one on every row (the mix ran at 40% of
  // the multiply-add rate, measured).
  __m256 lo[GH], hi[GH];
#pragma GCC unroll 8
  for (int j = 0; j < GH; ++j) lo[j] = hi[j] = _mm256_setzero_ps();
  for (int64_t p = 0; p < n; ++p) {
    if (ahead) prefetch_halves_ahead(v, (p + ahead) * ldv);
    const __m256 v0 = load_halves(v + p * ldv), v1 = load_halves(v + p * ldv + 8);
#pragma GCC unroll 8
    for (int j = 0; j < GH; ++j) {
      const __m256 w = _mm256_broadcast_ss(s + j * lds + p);
      lo[j] = _mm256_fmadd_ps(w, v0, lo[j]);
      hi[j] = _mm256_fmadd_ps(w, v1, hi[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < GH; ++j) {
    float* o = out + j * ldo;
    if (!first) {
      lo[j] = _mm256_add_ps(lo[j], _mm256_loadu_ps(o));
      hi[j] = _mm256_add_ps(hi[j], _mm256_loadu_ps(o + 8));
    }
    _mm256_storeu_ps(o, lo[j]);
    _mm256_storeu_ps(o + 8, hi[j]);
  }
}

}  // namespace

void attention_mix_avx2(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                        float* out, int64_t ldo, bool accumulate) {
  if (dim % 16 != 0) {
    attention_mix_portable(s, lds, g, v, ldv, n, dim, out, ldo, accumulate);
    return;
  }
  // Rows in blocks that stay in L2 while every 16-column slice of them is used: walking
  // all rows once per slice would touch every row's page dim/16 times.
  constexpr int64_t kRows = 64;
  // Up to 4 heads (8 accumulators; 6 heads, 12 of them, measured slower). Every head group
  // walks a 16-column slice before the next slice, so the slice's lines of the block's rows
  // come from L2 once and stay in L1 for the other groups.
  for (int64_t p0 = 0; p0 < n; p0 += kRows) {
    const int64_t m = std::min(kRows, n - p0);
    for (int64_t i = 0; i < dim; i += 16) {
      for (int j0 = 0; j0 < g; j0 += 4) {
        const int gh = std::min(4, g - j0);
        const float* sj = s + j0 * lds + p0;
        const uint16_t* vp = v + p0 * ldv + i;
        float* o = out + j0 * ldo + i;
        const bool first = p0 == 0 && !accumulate;
        const int64_t ahead = j0 == 0 ? kPrefetchRows : 0;
        switch (gh) {
          case 1: mix_block<1>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 2: mix_block<2>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          case 3: mix_block<3>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
          default: mix_block<4>(sj, lds, vp, ldv, m, o, ldo, first, ahead); break;
        }
      }
    }
  }
}

}  // namespace dsinfer::kernels
