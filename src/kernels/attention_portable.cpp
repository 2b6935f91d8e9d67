#include "dsinfer/cpu_features.hpp"
#include "dsinfer/half.hpp"
#include "kernels/attention.hpp"

namespace dsinfer::kernels {

void attention_scores_portable(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo) {
  for (int j = 0; j < g; ++j)
    for (int64_t p = 0; p < n; ++p) {
      float s = 0.0f;
      for (int t = 0; t < n_terms; ++t) {
        const ScoreTerm& x = terms[t];
        for (int64_t i = 0; i < x.dim; ++i) s += x.q[j * x.ldq + i] * f16_to_f32(x.k[p * x.ldk + i]);
      }
      out[j * ldo + p] = s;
    }
}

void attention_mix_portable(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                            float* out, int64_t ldo, bool accumulate) {
  for (int j = 0; j < g; ++j) {
    float* o = out + j * ldo;
    if (!accumulate)
      for (int64_t i = 0; i < dim; ++i) o[i] = 0.0f;
    for (int64_t p = 0; p < n; ++p) {
      const float w = s[j * lds + p];
      for (int64_t i = 0; i < dim; ++i) o[i] += w * f16_to_f32(v[p * ldv + i]);
    }
  }
}

namespace {
// The AVX2 products convert the cached halves with F16C; the AVX-512 ones fall back on them
// for widths that are not a multiple of 16.
bool use_avx2() { return cpu_features().avx2_fma() && cpu_features().f16c; }
bool use_avx512() { return use_avx2() && cpu_features().avx512f; }
}  // namespace

void attention_scores(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo) {
  (use_avx512() ? attention_scores_avx512 : use_avx2() ? attention_scores_avx2 : attention_scores_portable)(
      terms, n_terms, g, n, out, ldo);
}

void attention_mix(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                   float* out, int64_t ldo, bool accumulate) {
  (use_avx512() ? attention_mix_avx512 : use_avx2() ? attention_mix_avx2 : attention_mix_portable)(
      s, lds, g, v, ldv, n, dim, out, ldo, accumulate);
}

}  // namespace dsinfer::kernels
