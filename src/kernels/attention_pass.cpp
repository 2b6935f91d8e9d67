// The one-pass (online softmax) attention over cached rows, on top of the score and mix
// products. Blocks of 64 rows: MLA's 576-value rows make a 74 KiB block, which stays in L2
// while all heads score it and then mix it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/ops.hpp"

namespace dsinfer::kernels {

void attend_rows(const ScoreTerm* terms, int n_terms, int g, float scale, const uint16_t* v, int64_t ldv, int64_t dim_v,
                 int64_t begin, int64_t end, const AttentionState& st) {
  constexpr int64_t kBlock = 64;
  std::vector<float> s(static_cast<size_t>(g) * kBlock);
  std::vector<ScoreTerm> block(static_cast<size_t>(n_terms));
  for (int64_t p0 = begin; p0 < end; p0 += kBlock) {
    const int64_t m = std::min(kBlock, end - p0);
    for (int t = 0; t < n_terms; ++t) block[t] = {terms[t].q, terms[t].ldq, terms[t].k + p0 * terms[t].ldk, terms[t].ldk, terms[t].dim};
    attention_scores(block.data(), n_terms, g, m, s.data(), kBlock);
    for (int j = 0; j < g; ++j) {
      float* sj = s.data() + j * kBlock;
      float block_max = -std::numeric_limits<float>::infinity();
      for (int64_t p = 0; p < m; ++p) block_max = std::max(block_max, sj[p] *= scale);
      if (block_max > st.max[j]) {
        // A new maximum: what was summed so far shrinks by exp(old - new) (to 0 at the start).
        const float shrink = std::exp(st.max[j] - block_max);
        st.sum[j] *= shrink;
        float* acc = st.acc + j * st.ldacc;
        if (st.sum[j] == 0.0f) std::fill(acc, acc + dim_v, 0.0f);
        else
          for (int64_t i = 0; i < dim_v; ++i) acc[i] *= shrink;
        st.max[j] = block_max;
      }
      st.sum[j] += exp_shifted_sum(sj, m, st.max[j]);
    }
    attention_mix(s.data(), kBlock, g, v + p0 * ldv, ldv, m, dim_v, st.acc, st.ldacc, true);
  }
}

void attend_merge(int g, int64_t dim_v, const AttentionState& into, const AttentionState& from) {
  for (int j = 0; j < g; ++j) {
    if (from.sum[j] == 0.0f) continue;  // an empty range
    const float* b = from.acc + j * from.ldacc;
    float* a = into.acc + j * into.ldacc;
    if (into.sum[j] == 0.0f) {
      std::copy(b, b + dim_v, a);
      into.max[j] = from.max[j];
      into.sum[j] = from.sum[j];
      continue;
    }
    const float mx = std::max(into.max[j], from.max[j]);
    const float wa = std::exp(into.max[j] - mx), wb = std::exp(from.max[j] - mx);
    for (int64_t i = 0; i < dim_v; ++i) a[i] = a[i] * wa + b[i] * wb;
    into.sum[j] = into.sum[j] * wa + from.sum[j] * wb;
    into.max[j] = mx;
  }
}

void attend_finish(int g, int64_t dim_v, const AttentionState& st) {
  for (int j = 0; j < g; ++j) {
    const float inv = st.sum[j] > 0.0f ? 1.0f / st.sum[j] : 0.0f;
    float* acc = st.acc + j * st.ldacc;
    for (int64_t i = 0; i < dim_v; ++i) acc[i] *= inv;
  }
}

}  // namespace dsinfer::kernels
