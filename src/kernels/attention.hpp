// The two products of attention over cached rows, for a group of heads that read the same
// cache rows (MLA: every head reads the latent; GQA: the heads sharing a KV head). Each
// cached row is loaded once for the whole group, and tiles of rows x heads stay in
// registers, so decode at a long context is bound by reading the cache, not by loads and
// stores of partial sums.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

// out[j * ldo + p] (+)= q_j . k_p for heads j < g and cached rows p < n; q_j = q + j * ldq,
// k_p = k + p * ldk, `dim` values each. accumulate: add to out instead of overwriting.
void attention_scores(const float* q, int64_t ldq, int g, const float* k, int64_t ldk, int64_t n, int64_t dim,
                      float* out, int64_t ldo, bool accumulate);

// out[j * ldo + i] = sum over p < n of s[j * lds + p] * v[p * ldv + i], for j < g, i < dim.
void attention_mix(const float* s, int64_t lds, int g, const float* v, int64_t ldv, int64_t n, int64_t dim,
                   float* out, int64_t ldo);

// The variants behind them: the portable definition and AVX2+FMA (chosen at run time).
void attention_scores_portable(const float* q, int64_t ldq, int g, const float* k, int64_t ldk, int64_t n,
                               int64_t dim, float* out, int64_t ldo, bool accumulate);
void attention_scores_avx2(const float* q, int64_t ldq, int g, const float* k, int64_t ldk, int64_t n, int64_t dim,
                           float* out, int64_t ldo, bool accumulate);
void attention_mix_portable(const float* s, int64_t lds, int g, const float* v, int64_t ldv, int64_t n, int64_t dim,
                            float* out, int64_t ldo);
void attention_mix_avx2(const float* s, int64_t lds, int g, const float* v, int64_t ldv, int64_t n, int64_t dim,
                        float* out, int64_t ldo);

}  // namespace dsinfer::kernels
