#include "model/mla_attention.hpp"

#include <algorithm>
#include <vector>

#include "kernels/attention.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matvec.hpp"
#include "kernels/ops.hpp"

namespace dsinfer {

void mla_attention(const ModelConfig& c, const Deepseek2Layer& L, const MlaCache& cache, int64_t layer, int64_t start,
                   int64_t n, const float* q, float* out, ThreadPool* pool) {
  const int64_t nh = c.num_attention_heads, nope = c.qk_nope_head_dim, rd = c.qk_rope_head_dim, qk = c.qk_head_dim();
  const int64_t kvr = c.kv_lora_rank, vd = c.v_head_dim;
  const float scale = static_cast<float>(c.softmax_scale());
  const int64_t ctx_max = start + n;
  const float* lat = cache.latent(layer, 0).data();  // positions are contiguous per layer
  const float* kpe = cache.rope_key(layer, 0).data();

  auto heads = [&](int64_t h0, int64_t h1) {
    const int64_t g = h1 - h0;
    std::vector<float> q_abs(static_cast<size_t>(g * n * kvr)), mixed(static_cast<size_t>(g * n * kvr));
    std::vector<float> scores(static_cast<size_t>(g * ctx_max));
    for (int64_t j = 0; j < g; ++j) {
      const int64_t h = h0 + j;
      float* qa = q_abs.data() + j * n * kvr;
      // q_abs = W_UK^T q_nope, so q_abs . c_kv == q_nope . k_nope.
      if (L.w_uk_is_transposed) {
        kernels::matmul(L.w_uk[h], q + h * qk, n, nh * qk, qa, kvr, nullptr);
      } else {
        for (int64_t t = 0; t < n; ++t) kernels::matvec_transposed(L.w_uk[h], q + t * nh * qk + h * qk, qa + t * kvr);
      }
    }
    for (int64_t t = 0; t < n; ++t) {
      const int64_t ctx = start + t + 1;
      const int gi = static_cast<int>(g);
      // q_abs . c_kv over the latent, plus q_pe . k_pe over the rope keys.
      kernels::attention_scores(q_abs.data() + t * kvr, n * kvr, gi, lat, kvr, ctx, kvr, scores.data(), ctx_max, false);
      kernels::attention_scores(q + t * nh * qk + h0 * qk + nope, qk, gi, kpe, rd, ctx, rd, scores.data(), ctx_max, true);
      for (int64_t j = 0; j < g; ++j) {
        float* sj = scores.data() + j * ctx_max;
        for (int64_t p = 0; p < ctx; ++p) sj[p] *= scale;
        kernels::softmax(sj, ctx);
      }
      kernels::attention_mix(scores.data(), ctx_max, gi, lat, kvr, ctx, kvr, mixed.data() + t * kvr, n * kvr);
    }
    for (int64_t j = 0; j < g; ++j)
      kernels::matmul(L.w_uv[h0 + j], mixed.data() + j * n * kvr, n, kvr, out + (h0 + j) * vd, nh * vd, nullptr);
  };
  const int64_t work = nh * n * ctx_max * (2 * kvr + rd);  // multiply-adds, roughly
  if (pool && nh > 1 && work >= (1 << 17)) pool->parallel_for(nh, heads, 1);
  else heads(0, nh);
}

}  // namespace dsinfer
