#include "model/mla_attention.hpp"

#include <deque>
#include <vector>

#include "kernels/matmul.hpp"
#include "kernels/matvec.hpp"
#include "model/cached_attention.hpp"

namespace dsinfer {

void mla_attention(const ModelConfig& c, const Deepseek2Layer& L, const MlaCache& cache, int64_t layer, int64_t start,
                   int64_t n, const float* q, float* out, ThreadPool* pool) {
  const int64_t nh = c.num_attention_heads, nope = c.qk_nope_head_dim, rd = c.qk_rope_head_dim, qk = c.qk_head_dim();
  const int64_t kvr = c.kv_lora_rank, vd = c.v_head_dim;
  const uint16_t* lat = cache.latent(layer, 0).data();  // positions are contiguous per layer
  const uint16_t* kpe = cache.rope_key(layer, 0).data();
  // Per head h, n rows of kv_lora_rank: [h][t][i].
  std::vector<float> q_abs(static_cast<size_t>(nh * n * kvr)), mixed(q_abs.size());

  // q_abs = W_UK^T q_nope per head, so q_abs . c_kv == q_nope . k_nope.
  if (L.w_uk_is_transposed) {
    std::deque<kernels::Activations> acts;
    std::vector<kernels::MatmulTask> tasks;
    for (int64_t h = 0; h < nh; ++h) {
      acts.emplace_back(q + h * qk, n, nope, nh * qk);
      tasks.push_back({&L.w_uk[h], &acts.back(), nullptr, n, q_abs.data() + h * n * kvr, kvr});
    }
    kernels::matmul(tasks, pool);
  } else {
    auto heads = [&](int64_t h0, int64_t h1) {
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t t = 0; t < n; ++t)
          kernels::matvec_transposed(L.w_uk[h], q + t * nh * qk + h * qk, q_abs.data() + (h * n + t) * kvr);
    };
    if (pool && n * nh * nope * kvr >= (1 << 17)) pool->parallel_for(nh, heads, 1);
    else heads(0, nh);
  }

  // Scores against the latent (absorbed nope part) plus the rope keys; values are the latent.
  CachedAttention a;
  a.n_tokens = n;
  a.start = start;
  a.heads = static_cast<int>(nh);
  a.dim_v = kvr;
  a.score_dims = kvr + rd;
  a.scale = static_cast<float>(c.softmax_scale());
  a.terms = [&](int64_t t, int64_t, kernels::ScoreTerm* terms) {
    terms[0] = {q_abs.data() + t * kvr, n * kvr, lat, kvr, kvr};
    terms[1] = {q + t * nh * qk + nope, qk, kpe, rd, rd};
    return 2;
  };
  a.values = [&](int64_t) { return lat; };
  a.ldv = kvr;
  a.out = [&](int64_t t, int64_t) { return mixed.data() + t * kvr; };
  a.ldout = n * kvr;
  attend_cached(a, pool);

  // out_h = W_UV mixed_h.
  std::deque<kernels::Activations> acts;
  std::vector<kernels::MatmulTask> tasks;
  for (int64_t h = 0; h < nh; ++h) {
    acts.emplace_back(mixed.data() + h * n * kvr, n, kvr, kvr);
    tasks.push_back({&L.w_uv[h], &acts.back(), nullptr, n, out + h * vd, nh * vd});
  }
  kernels::matmul(tasks, pool);
}

}  // namespace dsinfer
