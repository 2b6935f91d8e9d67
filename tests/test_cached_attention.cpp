// The one-pass attention (online softmax, rows split across threads and merged) against the
// textbook definition: softmax over all of a token's rows, then the weighted sum of values.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "dsinfer/half.hpp"
#include "dsinfer/thread_pool.hpp"
#include "model/cached_attention.hpp"

using namespace dsinfer;

namespace {

std::vector<float> values(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

// Rounds x to halves in place and returns their bits.
std::vector<uint16_t> halves(std::vector<float>& x) {
  std::vector<uint16_t> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    h[i] = f32_to_f16(x[i]);
    x[i] = f16_to_f32(h[i]);
  }
  return h;
}

// Two score terms (like MLA's latent and rope parts) in `groups` groups of `heads` heads.
struct Case {
  int64_t n, start, groups;
  int heads;
  int64_t d0 = 40, d1 = 8, dv = 48;
};

void check(const Case& c, ThreadPool* pool) {
  const int64_t rows = c.start + c.n, hq = c.groups * c.heads;
  // Large scores (scale 3) so the running maximum moves and a naive exp would overflow.
  const auto q0 = values(static_cast<size_t>(c.n * hq * c.d0), 1, 3.0f), q1 = values(static_cast<size_t>(c.n * hq * c.d1), 2, 3.0f);
  // Cached rows are halves: the engine gets their bits, the reference the values they hold.
  auto k0 = values(static_cast<size_t>(rows * c.groups * c.d0), 3, 1.0f);
  auto k1 = values(static_cast<size_t>(rows * c.groups * c.d1), 4, 1.0f);
  auto v = values(static_cast<size_t>(rows * c.groups * c.dv), 5, 1.0f);
  const auto k0h = halves(k0), k1h = halves(k1), vh = halves(v);
  const float scale = 0.7f;
  // Layouts: q rows of (groups * heads * d); k / v rows of (groups * d).
  std::vector<float> out(static_cast<size_t>(c.n * hq * c.dv), -1.0f);
  CachedAttention a;
  a.n_tokens = c.n;
  a.start = c.start;
  a.groups = c.groups;
  a.heads = c.heads;
  a.dim_v = c.dv;
  a.score_dims = c.d0 + c.d1;
  a.scale = scale;
  a.terms = [&](int64_t t, int64_t k, kernels::ScoreTerm* terms) {
    terms[0] = {q0.data() + (t * hq + k * c.heads) * c.d0, c.d0, k0h.data() + k * c.d0, c.groups * c.d0, c.d0};
    terms[1] = {q1.data() + (t * hq + k * c.heads) * c.d1, c.d1, k1h.data() + k * c.d1, c.groups * c.d1, c.d1};
    return 2;
  };
  a.values = [&](int64_t k) { return vh.data() + k * c.dv; };
  a.ldv = c.groups * c.dv;
  a.out = [&](int64_t t, int64_t k) { return out.data() + (t * hq + k * c.heads) * c.dv; };
  a.ldout = c.dv;
  attend_cached(a, pool);

  for (int64_t t = 0; t < c.n; ++t)
    for (int64_t k = 0; k < c.groups; ++k)
      for (int j = 0; j < c.heads; ++j) {
        const int64_t head = t * hq + k * c.heads + j, seen = c.start + t + 1;
        std::vector<double> s(static_cast<size_t>(seen));
        double mx = -1e300;
        for (int64_t p = 0; p < seen; ++p) {
          double d = 0;
          for (int64_t i = 0; i < c.d0; ++i) d += double(q0[head * c.d0 + i]) * k0[(p * c.groups + k) * c.d0 + i];
          for (int64_t i = 0; i < c.d1; ++i) d += double(q1[head * c.d1 + i]) * k1[(p * c.groups + k) * c.d1 + i];
          s[p] = d * scale;
          mx = std::max(mx, s[p]);
        }
        double sum = 0;
        for (auto& x : s) sum += x = std::exp(x - mx);
        for (int64_t i = 0; i < c.dv; ++i) {
          double want = 0;
          for (int64_t p = 0; p < seen; ++p) want += s[p] / sum * v[(p * c.groups + k) * c.dv + i];
          const float got = out[head * c.dv + i];
          INFO("token " << t << " group " << k << " head " << j << " value " << i);
          REQUIRE(std::fabs(got - want) <= 1e-4 * (1.0 + std::fabs(want)));
        }
      }
}

}  // namespace

TEST_CASE("one-pass attention equals softmax then mix, with rows split across threads", "[attention][threads]") {
  ThreadPool one(1), two(2), four(4);
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &one, &two, &four}) {
    INFO("threads " << (pool ? pool->size() : 0));
    check({1, 0, 1, 16}, pool);     // first token
    check({1, 300, 1, 16}, pool);   // decode at a context of several blocks: rows split
    check({1, 1000, 2, 3}, pool);   // GQA-like groups, split
    check({3, 129, 2, 5}, pool);    // a few tokens
    check({70, 10, 1, 4}, pool);    // prefill: one pass per token, no split
  }
}
