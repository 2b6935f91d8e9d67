#include "model/dense.hpp"

#include <algorithm>
#include <cmath>

#include "model/cached_attention.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matvec.hpp"
#include "kernels/ops.hpp"
#include "model/feed_forward.hpp"
#include "model/weight_binder.hpp"

namespace dsinfer {
namespace {

// Tensor names only the qwen2 / llama families use (the shared ones are in weight_binder.hpp).
constexpr Name kWk{"attn_k.weight", "self_attn.k_proj.weight"};
constexpr Name kWv{"attn_v.weight", "self_attn.v_proj.weight"};
constexpr Name kBq{"attn_q.bias", "self_attn.q_proj.bias"};
constexpr Name kBk{"attn_k.bias", "self_attn.k_proj.bias"};
constexpr Name kBv{"attn_v.bias", "self_attn.v_proj.bias"};

}  // namespace

DenseWeights bind_dense_weights(const ModelConfig& c, const TensorSource& src, int64_t fp8_block,
                                ThreadPool* regroup, const std::function<void(float)>& progress) {
  DenseWeights w;
  Binder b(src, fp8_block, w.store, regroup);
  const int64_t H = c.hidden_size, V = c.vocab_size, hd = c.head_dim;
  const int64_t q_rows = c.num_attention_heads * hd, kv_rows = c.num_key_value_heads * hd;
  const std::string out_name = b.name(kOutput, -1);
  const bool tied = c.tie_word_embeddings && !b.find(out_name);
  w.embed = b.matrix(b.name(kEmbed, -1), {V, H}, tied ? Binder::kWhole : Binder::kLookedUp);
  w.out_norm = b.vector(b.name(kOutNorm, -1), H);
  w.output = tied ? w.embed : b.matrix(out_name, {V, H});
  if (src.is_gguf() && b.find("rope_freqs.weight")) w.rope_freq_factors = b.vector("rope_freqs.weight", hd / 2);
  w.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    DenseLayer& L = w.layers[static_cast<size_t>(l)];
    L.attn_norm = b.vector(b.name(kAttnNorm, l), H);
    L.ffn_norm = b.vector(b.name(kFfnNorm, l), H);
    L.wq = b.matrix(b.name(kWq, l), {q_rows, H});
    L.wk = b.matrix(b.name(kWk, l), {kv_rows, H});
    L.wv = b.matrix(b.name(kWv, l), {kv_rows, H});
    L.wo = b.matrix(b.name(kWo, l), {H, q_rows});
    if (c.attention_bias) {
      L.bq = b.vector(b.name(kBq, l), q_rows);
      L.bk = b.vector(b.name(kBk, l), kv_rows);
      L.bv = b.vector(b.name(kBv, l), kv_rows);
    }
    L.mlp.gate = b.matrix(b.name(kDenseGate, l), {c.intermediate_size, H});
    L.mlp.up = b.matrix(b.name(kDenseUp, l), {c.intermediate_size, H});
    L.mlp.down = b.matrix(b.name(kDenseDown, l), {H, c.intermediate_size});
    if (progress) progress(static_cast<float>(l + 1) / static_cast<float>(c.num_hidden_layers));
  }
  return w;
}

void dense_forward(const ModelConfig& c, const DenseWeights& w, const RopeFrequencies& rope, ThreadPool* pool,
                   std::span<const int32_t> tokens, MlaCache& cache, std::span<float> logits, bool all_logits) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t H = c.hidden_size, V = c.vocab_size, hd = c.head_dim, nh = c.num_attention_heads, nkv = c.num_key_value_heads;
  const int64_t group = nh / nkv, qw = nh * hd, kvw = nkv * hd;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const float scale = static_cast<float>(c.softmax_scale());
  std::vector<float> inv_freq(rope.inv_freq);
  for (size_t i = 0; i < w.rope_freq_factors.size() && i < inv_freq.size(); ++i) inv_freq[i] /= w.rope_freq_factors[i];
  // One rotation table per position of the chunk, shared by its heads and layers.
  std::vector<float> rope_cos(static_cast<size_t>(n * hd / 2)), rope_sin(rope_cos.size());
  auto rotate = [&](float* v, int64_t t) {
    const float* cs = rope_cos.data() + t * hd / 2;
    const float* sn = rope_sin.data() + t * hd / 2;
    if (c.rope_interleaved) kernels::rope_interleaved(v, hd, cs, sn);
    else kernels::rope_halves(v, hd, cs, sn);
  };

  // The chunk goes through each layer together, as in the deepseek2 forward pass.
  std::vector<float> x(static_cast<size_t>(n * H)), h(x.size()), o(x.size());
  std::vector<float> q(static_cast<size_t>(n * qw)), k(static_cast<size_t>(n * kvw)), v(k.size()), attn(q.size());
  const int64_t start = cache.reserve(n);
  kernels::rope_table(inv_freq.data(), hd / 2, start, n, 1.0f, rope_cos.data(), rope_sin.data());
  for (int64_t t = 0; t < n; ++t) kernels::decode_row(w.embed, tokens[t], x.data() + t * H);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const DenseLayer& L = w.layers[l];
    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x.data() + t * H, L.attn_norm.data(), eps, H, h.data() + t * H);
    {
      kernels::Activations ha(h.data(), n, H, H);
      const kernels::MatmulTask tasks[3] = {{&L.wq, &ha, nullptr, n, q.data(), qw},
                                            {&L.wk, &ha, nullptr, n, k.data(), kvw},
                                            {&L.wv, &ha, nullptr, n, v.data(), kvw}};
      kernels::matmul(tasks, pool);
    }
    for (int64_t t = 0; t < n; ++t) {
      float* qt = q.data() + t * qw;
      float* kt = k.data() + t * kvw;
      float* vt = v.data() + t * kvw;
      if (!L.bq.empty()) {
        for (int64_t i = 0; i < qw; ++i) qt[i] += L.bq[i];
        for (int64_t i = 0; i < kvw; ++i) kt[i] += L.bk[i], vt[i] += L.bv[i];
      }
      for (int64_t hh = 0; hh < nh; ++hh) rotate(qt + hh * hd, t);
      for (int64_t kh = 0; kh < nkv; ++kh) rotate(kt + kh * hd, t);
      kernels::to_f16(kt, kvw, cache.latent(l, start + t).data());   // K of every KV head
      kernels::to_f16(vt, kvw, cache.rope_key(l, start + t).data());  // V of every KV head
    }
    // The query heads of one KV head read its cached rows together, in one pass per token.
    const uint16_t* kcache = cache.latent(l, 0).data();
    const uint16_t* vcache = cache.rope_key(l, 0).data();
    CachedAttention a;
    a.n_tokens = n;
    a.start = start;
    a.groups = nkv;
    a.heads = static_cast<int>(group);
    a.dim_v = hd;
    a.score_dims = hd;
    a.scale = scale;
    a.terms = [&](int64_t t, int64_t kh, kernels::ScoreTerm* terms) {
      terms[0] = {q.data() + t * qw + kh * group * hd, hd, kcache + kh * hd, kvw, hd};
      return 1;
    };
    a.values = [&](int64_t kh) { return vcache + kh * hd; };
    a.ldv = kvw;
    a.out = [&](int64_t t, int64_t kh) { return attn.data() + t * qw + kh * group * hd; };
    a.ldout = hd;
    attend_cached(a, pool);
    kernels::matmul(L.wo, attn.data(), n, qw, o.data(), H, pool);
    for (int64_t i = 0; i < n * H; ++i) x[i] += o[i];
    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x.data() + t * H, L.ffn_norm.data(), eps, H, h.data() + t * H);
    mlp_forward(L.mlp, h.data(), n, H, x.data(), pool);
  }
  const int64_t first = all_logits ? 0 : n - 1;
  for (int64_t t = first; t < n; ++t) kernels::rmsnorm(x.data() + t * H, w.out_norm.data(), eps, H, h.data() + t * H);
  kernels::matmul(w.output, h.data() + first * H, n - first, H, logits.data(), V, pool);
  cache.commit(n);
}

}  // namespace dsinfer
