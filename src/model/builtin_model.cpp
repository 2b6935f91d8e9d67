// The built-in default model: DeepSeek-V2's architecture at toy size (MLA with a latent
// cache, DeepSeekMoE with shared experts and a leading dense layer, YaRN) and a byte-level
// tokenizer, written as a GGUF in memory from a fixed seed and loaded through the same
// path as any file. It lets `dsinfer run` exercise everything on a machine with no model.
#include <cmath>

#include "dsinfer/gguf.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/quantize.hpp"
#include "model/toy_gguf.hpp"
#include "tokenizer/byte_level.hpp"

namespace dsinfer {
namespace {

constexpr int64_t kHidden = 256, kLayers = 4, kHeads = 8, kKvLora = 64, kRope = 16, kNope = 32, kV = 32;
constexpr int64_t kExperts = 16, kTopK = 2, kShared = 1, kMoeFf = 128, kDenseFf = 512;

struct Rng {
  uint64_t s;
  float normal() {  // Irwin-Hall: good enough for random weights, identical on every platform
    float acc = 0;
    for (int i = 0; i < 4; ++i) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      acc += static_cast<float>(s >> 40) / static_cast<float>(1 << 24);
    }
    return (acc - 2.0f) * 1.7320508f;
  }
};

const char* kChatTemplate =
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}\n\n"
    "{% elif m['role'] == 'user' %}User: {{ m['content'] }}\n\n{% else %}Assistant: {{ m['content'] }}{{ eos_token }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}";

GgufFile builtin_gguf() {
  Rng rng{0x5eed5eed12345678ull};
  GgufWriter w;
  set_toy_deepseek2_hparams(w, {kHidden, kLayers, kHeads, kKvLora, kRope, kNope, kV, kExperts, kTopK, kShared, kMoeFf, kDenseFf, 4096, 1024},
                            "dsinfer built-in default (random weights, not a trained model)");

  // Tokenizer: the 256 byte-level tokens and two special tokens, no merges.
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_level_map().encode(static_cast<uint8_t>(b)));
  tokens.push_back("<｜begin▁of▁sentence｜>");
  tokens.push_back("<｜end▁of▁sentence｜>");
  const int64_t vocab = static_cast<int64_t>(tokens.size());
  set_toy_tokenizer(w, tokens, "default", {});
  w.set("tokenizer.chat_template", GgufValue::of_string(kChatTemplate));

  auto mat = [&](const std::string& name, std::vector<int64_t> shape, float scale) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = scale * rng.normal();
    w.add_tensor(name, DType::q8_0, shape, quantize(DType::q8_0, v));
  };
  auto norm = [&](const std::string& name, int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = 1.0f + 0.05f * rng.normal();
    w.add_tensor(name, DType::f32, {n}, quantize(DType::f32, v));
  };
  const float s_in = 1.0f / std::sqrt(static_cast<float>(kHidden));
  mat("token_embd.weight", {vocab, kHidden}, 1.0f);
  norm("output_norm.weight", kHidden);
  mat("output.weight", {vocab, kHidden}, s_in);
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    norm(p + "attn_norm.weight", kHidden);
    mat(p + "attn_q.weight", {kHeads * (kNope + kRope), kHidden}, s_in);
    mat(p + "attn_kv_a_mqa.weight", {kKvLora + kRope, kHidden}, s_in);
    norm(p + "attn_kv_a_norm.weight", kKvLora);
    mat(p + "attn_kv_b.weight", {kHeads * (kNope + kV), kKvLora}, 1.0f / std::sqrt(static_cast<float>(kKvLora)));
    mat(p + "attn_output.weight", {kHidden, kHeads * kV}, 1.0f / std::sqrt(static_cast<float>(kHeads * kV)));
    norm(p + "ffn_norm.weight", kHidden);
    if (l == 0) {
      mat(p + "ffn_gate.weight", {kDenseFf, kHidden}, s_in);
      mat(p + "ffn_up.weight", {kDenseFf, kHidden}, s_in);
      mat(p + "ffn_down.weight", {kHidden, kDenseFf}, 1.0f / std::sqrt(static_cast<float>(kDenseFf)));
      continue;
    }
    std::vector<float> router(static_cast<size_t>(kExperts * kHidden));
    for (auto& x : router) x = s_in * rng.normal();
    w.add_tensor(p + "ffn_gate_inp.weight", DType::f32, {kExperts, kHidden}, quantize(DType::f32, router));
    mat(p + "ffn_gate_exps.weight", {kExperts, kMoeFf, kHidden}, s_in);
    mat(p + "ffn_up_exps.weight", {kExperts, kMoeFf, kHidden}, s_in);
    mat(p + "ffn_down_exps.weight", {kExperts, kHidden, kMoeFf}, 1.0f / std::sqrt(static_cast<float>(kMoeFf)));
    mat(p + "ffn_gate_shexp.weight", {kShared * kMoeFf, kHidden}, s_in);
    mat(p + "ffn_up_shexp.weight", {kShared * kMoeFf, kHidden}, s_in);
    mat(p + "ffn_down_shexp.weight", {kHidden, kShared * kMoeFf}, 1.0f / std::sqrt(static_cast<float>(kMoeFf)));
  }
  return GgufFile::parse(MappedFile::from_bytes(w.to_bytes(), "<built-in default model>"));
}

}  // namespace

std::shared_ptr<const Model> Model::load_builtin(const LoadOptions& options) { return load_gguf(builtin_gguf(), options); }

}  // namespace dsinfer
