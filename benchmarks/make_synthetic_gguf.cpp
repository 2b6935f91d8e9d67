// Writes a synthetic deepseek2 GGUF with DeepSeek-V2-Lite's exact shapes (hidden 2048,
// 16 heads, kv_lora 512, rope 64, 64 routed experts top-6 + 2 shared of width 1408, first
// layer dense 10944, vocab 102400) and random weights, deterministic from a seed, encoded
// with the library's own quantizer. For memory and speed measurements on real-sized files.
// q4_k_m mimics llama.cpp's Q4_K_M mix: q4_k almost everywhere, q6_k for the output and
// for ffn_down in the layers llama.cpp gives more bits (first and last eighth, every third
// between; the dense shapes give every attn_v and ffn_down q6_k, more than llama.cpp does);
// matrices whose width is not a multiple of 256 (the 1408-wide expert down projections, the
// 10944-wide dense one) fall back to q5_0, or q8_0 where q6_k was due.
// q5_k_m is the same mix with q5_k, whose fallback is q5_1. q3_k_m and q2_k follow
// llama.cpp's Q3_K_M and Q2_K: q3_k (q2_k) almost everywhere; attention output and ffn_down
// q4_k (q3_k), ffn_down q5_k in the first sixteenth of the layers for Q3_K_M; the output
// q6_k; the dense models' attn_v q5_k in two layers and q4_k after (Q3_K_M), or q4_k (Q2_K,
// four or more query heads per kv head; q3_k with fewer). Their 256-wide types fall back to
// q4_0 as llama.cpp's own quantizer does today (older versions wrote iq4_nl). iq4_xs:
// iq4_xs everywhere but the output (q6_k) and the dense models' attn_v (q5_k with four or
// more query heads per kv head); iq4_nl where the width is no multiple of 256.
// iq1_s, iq1_m, iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s: like the dynamic quants of
// DeepSeek-V3/R1, the routed experts (the dense models: the feed-forward) in that type
// (iq4_nl where the width is no multiple of 256), everything else as q4_k_m. dsinfer has
// no quantizer for these types, so their blocks are random (benchmarks/random_codebook.hpp).
// --shape picks DeepSeek-V2-Lite (default) or an R1-Distill dense shape (Qwen2.5-1.5B, Llama-3.1-8B).
// A placeholder byte-level tokenizer fills the vocabulary so that llama.cpp loads the files too.
//   make_synthetic_gguf OUT.gguf [--shape v2-lite|qwen2-1.5b|llama-8b] [--layers N]
//                      [--type q8_0|q4_k_m|q5_k_m|q3_k_m|q2_k|iq4_xs|iq1_s|...|iq3_s|f16|bf16] [--seed S]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dsinfer/gguf.hpp"
#include "dsinfer/quantize.hpp"
#include "tensor/iq_blocks.hpp"
#include "model/toy_gguf.hpp"
#include "random_codebook.hpp"
#include "tokenizer/byte_level.hpp"

using namespace dsinfer;

namespace {

struct Rng {
  uint64_t s;
  float next() {  // uniform in [-1, 1)
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<float>(static_cast<int64_t>(s >> 40) - (1 << 23)) / static_cast<float>(1 << 23);
  }
};

std::vector<std::byte> random_tensor(Rng& rng, DType type, int64_t n, float amplitude) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = amplitude * rng.next();
  return quantize(type, v);
}

std::vector<std::byte> norm_weights(Rng& rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = 1.0f + 0.1f * rng.next();
  return quantize(DType::f32, v);
}

// A gpt2 tokenizer of exactly `vocab` tokens: the 256 byte-level symbols, unique fillers
// (which no merge produces), then BOS and EOS.
void add_tokenizer(GgufWriter& w, int64_t vocab, const char* pre) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_level_map().encode(static_cast<uint8_t>(b)));
  while (static_cast<int64_t>(tokens.size()) < vocab - 2) tokens.push_back("<filler" + std::to_string(tokens.size()) + ">");
  tokens.push_back("<｜begin▁of▁sentence｜>");
  tokens.push_back("<｜end▁of▁sentence｜>");
  set_toy_tokenizer(w, tokens, pre, {});
}

// What a matrix is, for the mixes that give some matrices more bits than the rest.
enum class Role { plain, output, attn_v, attn_output, ffn_down };
using AddMatrix = std::function<void(const std::string&, std::vector<int64_t>, Role, int64_t)>;

// The R1-Distill dense shapes: Qwen2.5-1.5B (tied embeddings, q/k/v biases) and
// Llama-3.1-8B.
struct DenseShape {
  const char* arch;
  int64_t layers, hidden, heads, kv_heads, head_dim, ffn, vocab;
  bool tied, bias;
  float rope_base;
};
constexpr DenseShape kQwen15{"qwen2", 28, 1536, 12, 2, 128, 8960, 151936, true, true, 1e4f};
constexpr DenseShape kLlama8{"llama", 32, 4096, 32, 8, 128, 14336, 128256, false, false, 5e5f};

void add_dense(GgufWriter& w, Rng& rng, const DenseShape& d, int64_t layers,
               const AddMatrix& mat) {
  auto vec = [&](const std::string& name, int64_t n) { w.add_tensor(name, DType::f32, {n}, norm_weights(rng, n)); };
  const std::string a = std::string(d.arch) + ".";
  w.set("general.architecture", GgufValue::of_string(d.arch));
  w.set("general.name", GgufValue::of_string(std::string("synthetic R1-Distill ") + d.arch + " shapes (random weights)"));
  w.set(a + "block_count", GgufValue::of_u32(static_cast<uint32_t>(layers)));
  w.set(a + "context_length", GgufValue::of_u32(131072));
  w.set(a + "embedding_length", GgufValue::of_u32(static_cast<uint32_t>(d.hidden)));
  w.set(a + "feed_forward_length", GgufValue::of_u32(static_cast<uint32_t>(d.ffn)));
  w.set(a + "attention.head_count", GgufValue::of_u32(static_cast<uint32_t>(d.heads)));
  w.set(a + "attention.head_count_kv", GgufValue::of_u32(static_cast<uint32_t>(d.kv_heads)));
  w.set(a + "rope.freq_base", GgufValue::of_f32(d.rope_base));
  w.set(a + "attention.layer_norm_rms_epsilon", GgufValue::of_f32(1e-6f));
  w.set(a + "vocab_size", GgufValue::of_u32(static_cast<uint32_t>(d.vocab)));
  mat("token_embd.weight", {d.vocab, d.hidden}, Role::plain, 0);
  vec("output_norm.weight", d.hidden);
  if (!d.tied) mat("output.weight", {d.vocab, d.hidden}, Role::output, 0);
  const int64_t q = d.heads * d.head_dim, kv = d.kv_heads * d.head_dim;
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    vec(p + "attn_norm.weight", d.hidden);
    mat(p + "attn_q.weight", {q, d.hidden}, Role::plain, l);
    mat(p + "attn_k.weight", {kv, d.hidden}, Role::plain, l);
    mat(p + "attn_v.weight", {kv, d.hidden}, Role::attn_v, l);
    if (d.bias) {
      w.add_tensor(p + "attn_q.bias", DType::f32, {q}, random_tensor(rng, DType::f32, q, 0.02f));
      w.add_tensor(p + "attn_k.bias", DType::f32, {kv}, random_tensor(rng, DType::f32, kv, 0.02f));
      w.add_tensor(p + "attn_v.bias", DType::f32, {kv}, random_tensor(rng, DType::f32, kv, 0.02f));
    }
    mat(p + "attn_output.weight", {d.hidden, q}, Role::attn_output, l);
    vec(p + "ffn_norm.weight", d.hidden);
    mat(p + "ffn_gate.weight", {d.ffn, d.hidden}, Role::plain, l);
    mat(p + "ffn_up.weight", {d.ffn, d.hidden}, Role::plain, l);
    mat(p + "ffn_down.weight", {d.hidden, d.ffn}, Role::ffn_down, l);
    std::fprintf(stderr, "\rlayer %lld/%lld", static_cast<long long>(l + 1), static_cast<long long>(layers));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_synthetic_gguf OUT.gguf [--shape v2-lite|qwen2-1.5b|llama-8b] [--layers N] "
                         "[--type q8_0|q4_k_m|q5_k_m|q3_k_m|q2_k|iq4_xs|iq1_s|iq1_m|iq2_xxs|iq2_xs|iq2_s|iq3_xxs|iq3_s|"
                         "f16|bf16] [--seed S]\n");
    return 2;
  }
  std::string out = argv[1], type_name = "q8_0", shape = "v2-lite";
  int64_t layers = -1;
  uint64_t seed = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--layers")) layers = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--type")) type_name = argv[i + 1];
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--shape")) shape = argv[i + 1];
  }
  const DenseShape* dense = shape == "qwen2-1.5b" ? &kQwen15 : shape == "llama-8b" ? &kLlama8 : nullptr;
  if (!dense && shape != "v2-lite") {
    std::fprintf(stderr, "make_synthetic_gguf: unknown --shape %s (v2-lite, qwen2-1.5b, llama-8b)\n", shape.c_str());
    return 2;
  }
  if (layers < 0) layers = dense ? dense->layers : 27;
  DType codebook = DType::count_;
  for (DType t : {DType::iq1_s, DType::iq1_m, DType::iq2_xxs, DType::iq2_xs, DType::iq2_s, DType::iq3_xxs, DType::iq3_s})
    if (type_name == dtype_name(t)) codebook = t;
  const bool mix = type_name == "q4_k_m" || type_name == "q5_k_m" || type_name == "q3_k_m" || type_name == "q2_k" ||
                   type_name == "iq4_xs" || codebook != DType::count_;
  if (!mix && type_name != "q8_0" && type_name != "f16" && type_name != "bf16") {
    std::fprintf(stderr, "make_synthetic_gguf: unknown --type %s\n", type_name.c_str());
    return 2;
  }
  const DType wt = codebook != DType::count_ ? DType::q4_k
                   : type_name == "q4_k_m" ? DType::q4_k
                   : type_name == "q5_k_m" ? DType::q5_k
                   : type_name == "q3_k_m" ? DType::q3_k
                   : type_name == "q2_k"   ? DType::q2_k
                   : type_name == "iq4_xs" ? DType::iq4_xs
                   : type_name == "f16"    ? DType::f16
                   : type_name == "bf16"   ? DType::bf16
                                           : DType::q8_0;
  const int64_t H = 2048, NH = 16, NOPE = 128, ROPE = 64, V_DIM = 128, KVR = 512, E = 64, K = 6, NS = 2, F = 1408,
                DENSE = 10944, VOCAB = 102400;
  Rng rng{seed * 0x9e3779b97f4a7c15ull + 1};
  GgufWriter w;
  const std::string a = "deepseek2.";
  w.set("general.architecture", GgufValue::of_string("deepseek2"));
  w.set("general.name", GgufValue::of_string("synthetic DeepSeek-V2-Lite shapes (random weights)"));
  w.set(a + "block_count", GgufValue::of_u32(static_cast<uint32_t>(layers)));
  w.set(a + "context_length", GgufValue::of_u32(163840));
  w.set(a + "embedding_length", GgufValue::of_u32(H));
  w.set(a + "feed_forward_length", GgufValue::of_u32(DENSE));
  w.set(a + "attention.head_count", GgufValue::of_u32(NH));
  w.set(a + "attention.head_count_kv", GgufValue::of_u32(1));
  w.set(a + "rope.freq_base", GgufValue::of_f32(10000.0f));
  w.set(a + "attention.layer_norm_rms_epsilon", GgufValue::of_f32(1e-6f));
  w.set(a + "expert_used_count", GgufValue::of_u32(K));
  w.set(a + "expert_count", GgufValue::of_u32(E));
  w.set(a + "leading_dense_block_count", GgufValue::of_u32(1));
  w.set(a + "vocab_size", GgufValue::of_u32(VOCAB));
  w.set(a + "attention.q_lora_rank", GgufValue::of_u32(0));  // llama.cpp needs it unless there are 26 or 27 layers
  w.set(a + "attention.kv_lora_rank", GgufValue::of_u32(KVR));
  w.set(a + "attention.key_length", GgufValue::of_u32(KVR + ROPE));
  w.set(a + "attention.value_length", GgufValue::of_u32(KVR));
  w.set(a + "attention.key_length_mla", GgufValue::of_u32(NOPE + ROPE));
  w.set(a + "attention.value_length_mla", GgufValue::of_u32(V_DIM));
  w.set(a + "expert_feed_forward_length", GgufValue::of_u32(F));
  w.set(a + "expert_shared_count", GgufValue::of_u32(NS));
  w.set(a + "expert_weights_scale", GgufValue::of_f32(1.0f));
  w.set(a + "expert_gating_func", GgufValue::of_u32(1));
  w.set(a + "rope.dimension_count", GgufValue::of_u32(ROPE));
  w.set(a + "rope.scaling.type", GgufValue::of_string("yarn"));
  w.set(a + "rope.scaling.factor", GgufValue::of_f32(40.0f));
  w.set(a + "rope.scaling.original_context_length", GgufValue::of_u32(4096));
  w.set(a + "rope.scaling.yarn_log_multiplier", GgufValue::of_f32(0.0707f));
  add_tokenizer(w, VOCAB, "deepseek-llm");

  auto more_bits_layer = [&](int64_t l) { return l < layers / 8 || l >= 7 * layers / 8 || (l - layers / 8) % 3 == 2; };
  // The type a matrix of `cols` columns in `role` at layer l gets.
  auto type_for = [&](int64_t cols, Role role, int64_t l) {
    if (!mix) return wt;
    DType t = wt;
    if (role == Role::output) {
      t = DType::q6_k;
    } else if (wt == DType::q4_k || wt == DType::q5_k) {
      if (role == Role::attn_v || (role == Role::ffn_down && (dense || more_bits_layer(l)))) t = DType::q6_k;
    } else if (wt == DType::q3_k) {
      if (role == Role::attn_v) t = l < 2 ? DType::q5_k : DType::q4_k;
      else if (role == Role::ffn_down) t = l < layers / 16 ? DType::q5_k : DType::q4_k;
      else if (role == Role::attn_output) t = DType::q4_k;
    } else if (wt == DType::iq4_xs) {
      if (role == Role::attn_v && dense && dense->heads >= 4 * dense->kv_heads) t = DType::q5_k;
    } else if (role == Role::attn_v) {  // q2_k
      t = dense && dense->heads >= 4 * dense->kv_heads ? DType::q4_k : DType::q3_k;
    } else if (role == Role::ffn_down || role == Role::attn_output) {
      t = DType::q3_k;
    }
    if (cols % 256 != 0) {
      switch (t) {
        case DType::q6_k: return DType::q8_0;
        case DType::q5_k: return DType::q5_1;
        case DType::q4_k: return DType::q5_0;
        case DType::iq4_xs: return DType::iq4_nl;
        default: return DType::q4_0;
      }
    }
    return t;
  };
  const AddMatrix mat = [&](const std::string& name, std::vector<int64_t> shape, Role role, int64_t l) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    const bool in_codebook = codebook != DType::count_ && (name.find("_exps") != std::string::npos ||
                                                            (dense && name.find("ffn_") != std::string::npos));
    const DType t = !in_codebook ? type_for(shape.back(), role, l) : shape.back() % 256 ? DType::iq4_nl : codebook;
    // Uniform weights in +-0.02 have a mean magnitude of 0.01.
    w.add_tensor(name, t, shape,
                 iq::is_codebook_type(t) ? bench::random_codebook_blocks(t, static_cast<uint64_t>(n), rng.s++, 0.01f)
                                              : random_tensor(rng, t, n, 0.02f));
  };
  auto vec = [&](const std::string& name, int64_t n) { w.add_tensor(name, DType::f32, {n}, norm_weights(rng, n)); };
  if (dense) {
    w = GgufWriter();  // the deepseek2 keys above do not apply
    add_dense(w, rng, *dense, layers, mat);
    add_tokenizer(w, dense->vocab, "default");
    w.write(out);
    std::fprintf(stderr, "\nwrote %s\n", out.c_str());
    return 0;
  }
  mat("token_embd.weight", {VOCAB, H}, Role::plain, 0);
  vec("output_norm.weight", H);
  mat("output.weight", {VOCAB, H}, Role::output, 0);
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    vec(p + "attn_norm.weight", H);
    mat(p + "attn_q.weight", {NH * (NOPE + ROPE), H}, Role::plain, l);
    mat(p + "attn_kv_a_mqa.weight", {KVR + ROPE, H}, Role::plain, l);
    vec(p + "attn_kv_a_norm.weight", KVR);
    w.add_tensor(p + "attn_k_b.weight", DType::f16, {NH, KVR, NOPE}, random_tensor(rng, DType::f16, NH * KVR * NOPE, 0.02f));
    w.add_tensor(p + "attn_v_b.weight", DType::f16, {NH, V_DIM, KVR}, random_tensor(rng, DType::f16, NH * V_DIM * KVR, 0.02f));
    mat(p + "attn_output.weight", {H, NH * V_DIM}, Role::attn_output, l);
    vec(p + "ffn_norm.weight", H);
    if (l == 0) {
      mat(p + "ffn_gate.weight", {DENSE, H}, Role::plain, l);
      mat(p + "ffn_up.weight", {DENSE, H}, Role::plain, l);
      mat(p + "ffn_down.weight", {H, DENSE}, Role::ffn_down, l);
      continue;
    }
    w.add_tensor(p + "ffn_gate_inp.weight", DType::f32, {E, H}, random_tensor(rng, DType::f32, E * H, 0.02f));
    mat(p + "ffn_gate_exps.weight", {E, F, H}, Role::plain, l);
    mat(p + "ffn_up_exps.weight", {E, F, H}, Role::plain, l);
    mat(p + "ffn_down_exps.weight", {E, H, F}, Role::ffn_down, l);
    mat(p + "ffn_gate_shexp.weight", {NS * F, H}, Role::plain, l);
    mat(p + "ffn_up_shexp.weight", {NS * F, H}, Role::plain, l);
    mat(p + "ffn_down_shexp.weight", {H, NS * F}, Role::ffn_down, l);
    std::fprintf(stderr, "\rlayer %lld/%lld", static_cast<long long>(l + 1), static_cast<long long>(layers));
  }
  w.write(out);
  std::fprintf(stderr, "\nwrote %s\n", out.c_str());
  return 0;
}
