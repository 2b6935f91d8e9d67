#include "model/deepseek2_weights.hpp"
#include "model/weight_binder.hpp"

#include <numeric>
#include <string>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "util/strings.hpp"

namespace dsinfer {
namespace {

// Tensor names, once: GGUF as llama.cpp writes arch deepseek2, and Hugging Face.
// Per layer; GGUF prefix "blk.N.", HF prefix "model.layers.N.".
constexpr Name kWqA{"attn_q_a.weight", "self_attn.q_a_proj.weight"};
constexpr Name kQaNorm{"attn_q_a_norm.weight", "self_attn.q_a_layernorm.weight"};
constexpr Name kWqB{"attn_q_b.weight", "self_attn.q_b_proj.weight"};
constexpr Name kWkvA{"attn_kv_a_mqa.weight", "self_attn.kv_a_proj_with_mqa.weight"};
constexpr Name kKvaNorm{"attn_kv_a_norm.weight", "self_attn.kv_a_layernorm.weight"};
constexpr Name kWkvB{"attn_kv_b.weight", "self_attn.kv_b_proj.weight"};
constexpr const char* kGgufWkB = "attn_k_b.weight";
constexpr const char* kGgufWvB = "attn_v_b.weight";
constexpr Name kRouter{"ffn_gate_inp.weight", "mlp.gate.weight"};
constexpr Name kRouterBias{"exp_probs_b.bias", "mlp.gate.e_score_correction_bias"};
constexpr Name kSharedGate{"ffn_gate_shexp.weight", "mlp.shared_experts.gate_proj.weight"};
constexpr Name kSharedUp{"ffn_up_shexp.weight", "mlp.shared_experts.up_proj.weight"};
constexpr Name kSharedDown{"ffn_down_shexp.weight", "mlp.shared_experts.down_proj.weight"};
constexpr const char* kGgufExpGate = "ffn_gate_exps.weight";  // (experts, width, hidden)
constexpr const char* kGgufExpUp = "ffn_up_exps.weight";
constexpr const char* kGgufExpDown = "ffn_down_exps.weight";  // (experts, hidden, width)

MlpWeights mlp(Binder& b, const Name& gate, const Name& up, const Name& down, int64_t layer, int64_t width, int64_t hidden) {
  MlpWeights m;
  m.gate = b.matrix(b.name(gate, layer), {width, hidden});
  m.up = b.matrix(b.name(up, layer), {width, hidden});
  m.down = b.matrix(b.name(down, layer), {hidden, width});
  return m;
}

}  // namespace

Deepseek2Weights bind_deepseek2_weights(const ModelConfig& c, const TensorSource& src, int64_t fp8_block,
                                        ThreadPool* regroup, const std::function<void(float)>& progress) {
  Deepseek2Weights w;
  Binder b(src, fp8_block, w.store, regroup);
  const int64_t H = c.hidden_size, nh = c.num_attention_heads, qk = c.qk_head_dim();
  const int64_t nope = c.qk_nope_head_dim, rope = c.qk_rope_head_dim, kvr = c.kv_lora_rank, vd = c.v_head_dim;

  // The output matrix fixes the vocabulary when the metadata does not state it.
  const std::string out_name = b.name(kOutput, -1);
  const TensorView* out = b.find(out_name);
  if (!out) throw Error(ErrorCode::invalid_format, src.path() + ": tensor " + out_name + " is missing");
  const int64_t vocab = c.vocab_size;
  w.embed = b.matrix(b.name(kEmbed, -1), {vocab, H}, Binder::kLookedUp);
  w.out_norm = b.vector(b.name(kOutNorm, -1), H);
  w.output = b.matrix(out_name, {vocab, H});

  w.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    Deepseek2Layer& L = w.layers[static_cast<size_t>(l)];
    L.attn_norm = b.vector(b.name(kAttnNorm, l), H);
    L.ffn_norm = b.vector(b.name(kFfnNorm, l), H);
    if (c.q_lora_rank > 0) {
      L.wq_a = b.matrix(b.name(kWqA, l), {c.q_lora_rank, H});
      L.q_a_norm = b.vector(b.name(kQaNorm, l), c.q_lora_rank);
      L.wq_b = b.matrix(b.name(kWqB, l), {nh * qk, c.q_lora_rank});
    } else {
      L.wq = b.matrix(b.name(kWq, l), {nh * qk, H});
    }
    L.wkv_a = b.matrix(b.name(kWkvA, l), {kvr + rope, H});
    L.kv_a_norm = b.vector(b.name(kKvaNorm, l), kvr);
    const bool split = src.is_gguf() && !b.find(b.name(kWkvB, l)) && b.find(b.gguf_name(kGgufWkB, l));
    if (split) {
      const Matrix kb = b.matrix(b.gguf_name(kGgufWkB, l), {nh, kvr, nope});
      const Matrix vb = b.matrix(b.gguf_name(kGgufWvB, l), {nh, vd, kvr});
      for (int64_t h = 0; h < nh; ++h) {
        L.w_uk.push_back(kb.rows_slice(h * kvr, kvr));
        L.w_uv.push_back(vb.rows_slice(h * vd, vd));
      }
      L.w_uk_is_transposed = true;
    } else {
      // Sliced per head into nope rows of W_UK and vd rows of W_UV.
      const Matrix kvb = b.matrix(b.name(kWkvB, l), {nh * (nope + vd), kvr}, std::gcd(nope, vd));
      for (int64_t h = 0; h < nh; ++h) {
        L.w_uk.push_back(kvb.rows_slice(h * (nope + vd), nope));
        L.w_uv.push_back(kvb.rows_slice(h * (nope + vd) + nope, vd));
      }
    }
    L.wo = b.matrix(b.name(kWo, l), {H, nh * vd});

    if (!c.is_moe_layer(l)) {
      L.dense = mlp(b, kDenseGate, kDenseUp, kDenseDown, l, c.intermediate_size, H);
    } else {
      const int64_t E = c.n_routed_experts, F = c.moe_intermediate_size;
      const std::string rname = b.name(kRouter, l);
      const TensorView& router = b.require(rname, {E, H});  // shape checked before sizing the copy
      L.router.resize(static_cast<size_t>(E * H));
      dequantize(router, L.router);
      const std::string bname = b.name(kRouterBias, l);
      if (b.find(bname)) {
        L.router_bias = b.vector(bname, E);
      } else if (c.topk_method == TopkMethod::noaux_tc) {
        throw Error(ErrorCode::invalid_format, src.path() + ": tensor " + bname + " is missing (noaux_tc routing needs it)");
      }
      if (src.is_gguf()) {
        const Matrix g = b.matrix(b.gguf_name(kGgufExpGate, l), {E, F, H});
        const Matrix u = b.matrix(b.gguf_name(kGgufExpUp, l), {E, F, H});
        const Matrix d = b.matrix(b.gguf_name(kGgufExpDown, l), {E, H, F});
        for (int64_t e = 0; e < E; ++e)
          L.experts.push_back({g.rows_slice(e * F, F), u.rows_slice(e * F, F), d.rows_slice(e * H, H)});
      } else {
        for (int64_t e = 0; e < E; ++e) {
          const std::string p = "model.layers." + std::to_string(l) + ".mlp.experts." + std::to_string(e) + ".";
          MlpWeights m;
          m.gate = b.matrix(p + "gate_proj.weight", {F, H});
          m.up = b.matrix(p + "up_proj.weight", {F, H});
          m.down = b.matrix(p + "down_proj.weight", {H, F});
          L.experts.push_back(m);
        }
      }
      if (c.n_shared_experts > 0)
        L.shared = mlp(b, kSharedGate, kSharedUp, kSharedDown, l, c.n_shared_experts * F, H);
    }
    if (progress) progress(static_cast<float>(l + 1) / static_cast<float>(c.num_hidden_layers));
  }
  return w;
}

}  // namespace dsinfer
