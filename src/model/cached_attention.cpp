#include "model/cached_attention.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

namespace dsinfer {

void attend_cached(const CachedAttention& a, ThreadPool* pool) {
  const int64_t n = a.n_tokens, pairs = n * a.groups, g = a.heads;
  if (pairs <= 0) return;
  const int64_t rows_max = a.start + n;
  const int threads = pool ? pool->size() : 1;
  // Split a token's rows only when there are too few pairs to keep every thread busy, and
  // never into ranges under 64 rows (one block of the pass).
  int64_t parts = 1;
  if (pairs < 2 * threads) parts = std::clamp<int64_t>((2 * threads + pairs - 1) / pairs, 1, std::max<int64_t>(1, rows_max / 64));
  const int64_t items = pairs * parts;

  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> max(static_cast<size_t>(items * g), -inf), sum(static_cast<size_t>(items * g), 0.0f);
  std::vector<float> partial(parts > 1 ? static_cast<size_t>(items * g * a.dim_v) : 0);
  auto state = [&](int64_t item) -> kernels::AttentionState {
    if (parts == 1) {
      const int64_t t = item / a.groups, k = item % a.groups;
      return {max.data() + item * g, sum.data() + item * g, a.out(t, k), a.ldout};
    }
    return {max.data() + item * g, sum.data() + item * g, partial.data() + item * g * a.dim_v, a.dim_v};
  };

  auto run_item = [&](int64_t item) {
    const int64_t pair = item / parts, part = item % parts;
    const int64_t t = pair / a.groups, k = pair % a.groups;
    const int64_t rows = a.start + t + 1;
    kernels::ScoreTerm terms[4];
    const int nt = a.terms(t, k, terms);
    const kernels::AttentionState st = state(item);
    kernels::attend_rows(terms, nt, static_cast<int>(g), a.scale, a.values(k), a.ldv, a.dim_v, rows * part / parts,
                         rows * (part + 1) / parts, st);
    if (parts == 1) kernels::attend_finish(static_cast<int>(g), a.dim_v, st);
  };

  const double work = static_cast<double>(n) * static_cast<double>(rows_max) * static_cast<double>(a.groups * g) *
                      static_cast<double>(a.score_dims + a.dim_v);
  if (pool && threads > 1 && work >= (1 << 17)) {
    // Items claimed one at a time, latest tokens (longest contexts) first.
    std::atomic<int64_t> next{0};
    pool->run_shared([&](int, int) {
      for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < items;) run_item(items - 1 - i);
    });
  } else {
    for (int64_t i = 0; i < items; ++i) run_item(i);
  }

  if (parts == 1) return;
  for (int64_t pair = 0; pair < pairs; ++pair) {
    const int64_t t = pair / a.groups, k = pair % a.groups;
    const kernels::AttentionState into = state(pair * parts);
    for (int64_t part = 1; part < parts; ++part) kernels::attend_merge(static_cast<int>(g), a.dim_v, into, state(pair * parts + part));
    kernels::attend_finish(static_cast<int>(g), a.dim_v, into);
    float* out = a.out(t, k);
    for (int64_t j = 0; j < g; ++j)
      std::copy(into.acc + j * a.dim_v, into.acc + (j + 1) * a.dim_v, out + j * a.ldout);
  }
}

}  // namespace dsinfer
