// GGUF metadata for the toy and synthetic models dsinfer writes itself (the built-in default
// model, the fuzzers' seed files, the benchmark generator), written in one place so they all
// stay loadable as the loader changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dsinfer/gguf.hpp"

namespace dsinfer {

struct ToyDeepseek2Shape {
  int64_t hidden, layers, heads, kv_lora, rope, nope, v;
  int64_t experts, top_k, shared, moe_ff, dense_ff;
  int64_t context, yarn_original_context;  // YaRN factor 4 from the original context
};

// Everything but the tokenizer: MLA without q compression, one leading dense layer,
// sigmoid routing with shared experts, YaRN rope scaling.
inline void set_toy_deepseek2_hparams(GgufWriter& w, const ToyDeepseek2Shape& s, const std::string& name) {
  const std::string a = "deepseek2.";
  auto u32 = [](int64_t v) { return GgufValue::of_u32(static_cast<uint32_t>(v)); };
  w.set("general.architecture", GgufValue::of_string("deepseek2"));
  w.set("general.name", GgufValue::of_string(name));
  w.set(a + "block_count", u32(s.layers));
  w.set(a + "context_length", u32(s.context));
  w.set(a + "embedding_length", u32(s.hidden));
  w.set(a + "feed_forward_length", u32(s.dense_ff));
  w.set(a + "attention.head_count", u32(s.heads));
  w.set(a + "attention.head_count_kv", u32(s.heads));
  w.set(a + "rope.freq_base", GgufValue::of_f32(10000.0f));
  w.set(a + "attention.layer_norm_rms_epsilon", GgufValue::of_f32(1e-6f));
  w.set(a + "expert_used_count", u32(s.top_k));
  w.set(a + "expert_count", u32(s.experts));
  w.set(a + "expert_shared_count", u32(s.shared));
  w.set(a + "expert_feed_forward_length", u32(s.moe_ff));
  w.set(a + "leading_dense_block_count", u32(1));
  w.set(a + "expert_weights_scale", GgufValue::of_f32(1.0f));
  w.set(a + "expert_gating_func", u32(1));
  w.set(a + "attention.kv_lora_rank", u32(s.kv_lora));
  w.set(a + "attention.key_length", u32(s.nope + s.rope));
  w.set(a + "attention.value_length", u32(s.v));
  w.set(a + "rope.dimension_count", u32(s.rope));
  w.set(a + "rope.scaling.type", GgufValue::of_string("yarn"));
  w.set(a + "rope.scaling.factor", GgufValue::of_f32(4.0f));
  w.set(a + "rope.scaling.original_context_length", u32(s.yarn_original_context));
  w.set(a + "rope.scaling.yarn_log_multiplier", GgufValue::of_f32(0.0707f));
}

// A byte-level BPE ("gpt2") tokenizer whose last two tokens are BOS and EOS (control
// tokens, BOS added to prompts); every other token is normal.
inline void set_toy_tokenizer(GgufWriter& w, const std::vector<std::string>& tokens, const std::string& pre,
                              const std::vector<std::string>& merges) {
  const auto n = static_cast<uint32_t>(tokens.size());
  std::vector<int32_t> types(tokens.size(), 1);
  types[n - 2] = types[n - 1] = 3;
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string(pre));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(tokens));
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings(merges));
  w.set("tokenizer.ggml.bos_token_id", GgufValue::of_u32(n - 2));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::of_u32(n - 1));
  w.set("tokenizer.ggml.add_bos_token", GgufValue::of_bool(true));
}

}  // namespace dsinfer
