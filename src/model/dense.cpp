#include "model/dense.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/matvec.hpp"
#include "kernels/ops.hpp"
#include "model/weight_binder.hpp"

namespace dsinfer {
namespace {

// Tensor names only the qwen2 / llama families use (the shared ones are in weight_binder.hpp).
constexpr Name kWk{"attn_k.weight", "self_attn.k_proj.weight"};
constexpr Name kWv{"attn_v.weight", "self_attn.v_proj.weight"};
constexpr Name kBq{"attn_q.bias", "self_attn.q_proj.bias"};
constexpr Name kBk{"attn_k.bias", "self_attn.k_proj.bias"};
constexpr Name kBv{"attn_v.bias", "self_attn.v_proj.bias"};

// Rotates pairs (x[i], x[i + n/2]): Hugging Face's rotate_half layout.
void rope_halves(float* x, int64_t n, const float* inv_freq, double pos) {
  const int64_t h = n / 2;
  for (int64_t i = 0; i < h; ++i) {
    const double angle = pos * inv_freq[i];
    const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    const float a = x[i], b = x[i + h];
    x[i] = a * c - b * s;
    x[i + h] = a * s + b * c;
  }
}

}  // namespace

DenseWeights bind_dense_weights(const ModelConfig& c, const TensorSource& src, int64_t fp8_block,
                                const std::function<void(float)>& progress) {
  DenseWeights w;
  Binder b(src, fp8_block, w.scale_store);
  const int64_t H = c.hidden_size, V = c.vocab_size, hd = c.head_dim;
  const int64_t q_rows = c.num_attention_heads * hd, kv_rows = c.num_key_value_heads * hd;
  w.embed = b.matrix(b.name(kEmbed, -1), {V, H});
  w.out_norm = b.vector(b.name(kOutNorm, -1), H);
  const std::string out_name = b.name(kOutput, -1);
  w.output = c.tie_word_embeddings && !b.find(out_name) ? w.embed : b.matrix(out_name, {V, H});
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
  const int64_t group = nh / nkv;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const float scale = static_cast<float>(c.softmax_scale());
  std::vector<float> inv_freq(rope.inv_freq);
  for (size_t i = 0; i < w.rope_freq_factors.size() && i < inv_freq.size(); ++i) inv_freq[i] /= w.rope_freq_factors[i];

  std::vector<float> x(H), h(H), q(nh * hd), attn(nh * hd), o(H), scores, ga(c.intermediate_size), ua(c.intermediate_size);
  const int64_t start = cache.reserve(n);
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = start + t;
    kernels::decode_row(w.embed, tokens[t], x.data());
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
      const DenseLayer& L = w.layers[l];
      kernels::rmsnorm(x.data(), L.attn_norm.data(), eps, H, h.data());
      float* k = cache.latent(l, pos).data();   // K of every KV head
      float* v = cache.rope_key(l, pos).data(); // V of every KV head
      kernels::matvec(L.wq, h.data(), q.data(), pool);
      kernels::matvec(L.wk, h.data(), k, pool);
      kernels::matvec(L.wv, h.data(), v, pool);
      if (!L.bq.empty()) {
        for (int64_t i = 0; i < nh * hd; ++i) q[i] += L.bq[i];
        for (int64_t i = 0; i < nkv * hd; ++i) k[i] += L.bk[i], v[i] += L.bv[i];
      }
      for (int64_t hh = 0; hh < nh; ++hh) {
        if (c.rope_interleaved) kernels::rope_interleaved(q.data() + hh * hd, hd, inv_freq.data(), static_cast<double>(pos), 1.0f);
        else rope_halves(q.data() + hh * hd, hd, inv_freq.data(), static_cast<double>(pos));
      }
      for (int64_t kh = 0; kh < nkv; ++kh) {
        if (c.rope_interleaved) kernels::rope_interleaved(k + kh * hd, hd, inv_freq.data(), static_cast<double>(pos), 1.0f);
        else rope_halves(k + kh * hd, hd, inv_freq.data(), static_cast<double>(pos));
      }
      const int64_t ctx = pos + 1;
      scores.resize(static_cast<size_t>(ctx));
      for (int64_t hh = 0; hh < nh; ++hh) {
        const int64_t kv = hh / group;
        const float* qh = q.data() + hh * hd;
        for (int64_t p = 0; p < ctx; ++p) {
          const float* kp = cache.latent(l, p).data() + kv * hd;
          float d = 0;
          for (int64_t i = 0; i < hd; ++i) d += qh[i] * kp[i];
          scores[p] = d * scale;
        }
        kernels::softmax(scores.data(), ctx);
        float* out = attn.data() + hh * hd;
        std::fill(out, out + hd, 0.0f);
        for (int64_t p = 0; p < ctx; ++p) {
          const float* vp = cache.rope_key(l, p).data() + kv * hd;
          for (int64_t i = 0; i < hd; ++i) out[i] += scores[p] * vp[i];
        }
      }
      kernels::matvec(L.wo, attn.data(), o.data(), pool);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i];
      kernels::rmsnorm(x.data(), L.ffn_norm.data(), eps, H, h.data());
      kernels::matvec(L.mlp.gate, h.data(), ga.data(), pool);
      kernels::matvec(L.mlp.up, h.data(), ua.data(), pool);
      kernels::swiglu(ga.data(), ua.data(), c.intermediate_size);
      kernels::matvec(L.mlp.down, ga.data(), o.data(), pool);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i];
    }
    if (all_logits || t == n - 1) {
      kernels::rmsnorm(x.data(), w.out_norm.data(), eps, H, h.data());
      kernels::matvec(w.output, h.data(), logits.data() + (all_logits ? t * V : 0), pool);
    }
  }
  cache.commit(n);
}

}  // namespace dsinfer
