// Attention of a chunk of new tokens over the rows cached for them, shared by MLA (one group
// of all heads reading the latent) and GQA (one group per KV head). Each token's rows are
// read once per group in a single online-softmax pass; when there are fewer (token, group)
// pairs than threads (decode), each token's rows are split into ranges on different threads
// and the partial softmax states merged, so both cores share one long context.
#pragma once

#include <cstdint>
#include <functional>

#include "dsinfer/thread_pool.hpp"
#include "kernels/attention.hpp"

namespace dsinfer {

struct CachedAttention {
  int64_t n_tokens = 0, start = 0;  // token t sees cached rows [0, start + t + 1)
  int64_t groups = 1;               // head groups, each reading its own cached rows
  int heads = 1;                    // query heads per group
  int64_t dim_v = 0;
  int64_t score_dims = 0;           // values per score, summed over terms (to size the work)
  float scale = 1.0f;
  // The score terms of token t in group k; returns how many (at most 4).
  std::function<int(int64_t t, int64_t k, kernels::ScoreTerm* terms)> terms;
  std::function<const uint16_t*(int64_t k)> values;  // row p at values(k) + p * ldv (f16 bits)
  int64_t ldv = 0;
  std::function<float*(int64_t t, int64_t k)> out;  // head j's output at out(t, k) + j * ldout
  int64_t ldout = 0;
};

void attend_cached(const CachedAttention& a, ThreadPool* pool);

}  // namespace dsinfer
