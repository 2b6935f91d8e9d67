// The two products of attention over cached rows, for a group of heads that read the same
// cache rows (MLA: every head reads the latent; GQA: the heads sharing a KV head). Each
// cached row is loaded once for the whole group, and tiles of rows x heads stay in
// registers, so decode at a long context is bound by reading the cache, not by loads and
// stores of partial sums. Cached rows (keys and values) are IEEE half floats (the cache
// stores f16: half the memory and half the bytes a long context reads per token); queries,
// scores and outputs are f32.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

// One term of the scores: q_j . k_p over `dim` values, q_j = q + j * ldq, k_p = k + p * ldk
// (f16 bits). MLA adds two (latent and rope key); GQA has one.
struct ScoreTerm {
  const float* q;
  int64_t ldq;
  const uint16_t* k;
  int64_t ldk;
  int64_t dim;
};

// out[j * ldo + p] = the sum over the terms of q_j . k_p, for heads j < g and cached rows
// p < n. The terms go into the same accumulators: a separate pass for MLA's 64-value rope
// term paid a fold and a store per row and head for 64 multiply-adds.
void attention_scores(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo);

// out[j * ldo + i] (+)= sum over p < n of s[j * lds + p] * v[p * ldv + i], for j < g, i < dim.
void attention_mix(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                   float* out, int64_t ldo, bool accumulate);

// Softmax attention of g query heads over a range of cached rows in one pass: rows are
// taken in blocks that stay in cache while every head scores and mixes them, with a running
// maximum and sum per head (online softmax), so the cache is read once per token whatever
// the number of heads. Ranges of one token's rows can be attended on different threads and
// their states merged.
struct AttentionState {
  float* max;     // [g], start at -infinity
  float* sum;     // [g], start at 0
  float* acc;     // acc[j * ldacc + i], i < dim_v: the unnormalised mix, start at 0
  int64_t ldacc;
};


// Continues `state` over rows [begin, end): s_jp = scale * sum of the terms; values
// v_p = v + p * ldv.
void attend_rows(const ScoreTerm* terms, int n_terms, int g, float scale, const uint16_t* v, int64_t ldv, int64_t dim_v,
                 int64_t begin, int64_t end, const AttentionState& state);

// Folds `from` (another range of the same token's rows) into `into`.
void attend_merge(int g, int64_t dim_v, const AttentionState& into, const AttentionState& from);

// acc_j /= sum_j: the attention output, in place.
void attend_finish(int g, int64_t dim_v, const AttentionState& state);

// The variants behind them: the portable definition, AVX2+FMA and AVX-512 (chosen at run
// time; AVX-512 only where cpu_features() has avx512f as well as AVX2's).
void attention_scores_portable(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo);
void attention_scores_avx2(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo);
void attention_mix_portable(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                            float* out, int64_t ldo, bool accumulate);
void attention_mix_avx2(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                        float* out, int64_t ldo, bool accumulate);
void attention_scores_avx512(const ScoreTerm* terms, int n_terms, int g, int64_t n, float* out, int64_t ldo);
void attention_mix_avx512(const float* s, int64_t lds, int g, const uint16_t* v, int64_t ldv, int64_t n, int64_t dim,
                          float* out, int64_t ldo, bool accumulate);

}  // namespace dsinfer::kernels
