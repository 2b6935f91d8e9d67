#include "dsinfer/model_config.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"

namespace dsinfer {
namespace {

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorCode::invalid_format, msg); }

double yarn_mscale(double factor, double m) { return factor <= 1.0 ? 1.0 : 0.1 * m * std::log(factor) + 1.0; }

// Upper bounds far beyond any real model. With every size below its bound, the products
// the weight shapes and the cache are computed from (heads * head_dim, experts * hidden,
// layers * width * tokens) cannot overflow int64, whatever a hostile file declares.
struct Bound {
  const char* name;
  int64_t value;
  int64_t max;
};

void check_bounds(std::initializer_list<Bound> bounds) {
  for (const Bound& b : bounds)
    if (b.value > b.max)
      throw Error(ErrorCode::too_large, std::string(b.name) + " is " + std::to_string(b.value) + ", more than the " +
                                            std::to_string(b.max) + " dsinfer supports");
}

uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : UINT64_MAX;
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

// What loading allocates besides the mapped weights: f32 copies of the router matrices and
// of every norm and bias vector, per-layer bookkeeping, and a session's logits. A file whose
// sizes need more than the machine's memory is refused before anything is allocated.
void check_memory(const ModelConfig& c) {
  const double L = static_cast<double>(c.num_hidden_layers), H = static_cast<double>(c.hidden_size);
  const double E = static_cast<double>(c.n_routed_experts), heads = static_cast<double>(c.num_attention_heads);
  const double per_layer = E * H * 4 + E * 256 + heads * 2 * 64 +
                           (2 * H + static_cast<double>(c.kv_lora_rank + c.q_lora_rank) +
                            3 * static_cast<double>(c.num_key_value_heads * c.head_dim)) * 4 + 4096;
  const double need = L * per_layer + static_cast<double>(c.vocab_size) * 4 * 2;
  const double have = static_cast<double>(physical_memory_bytes());
  if (need > have)
    throw Error(ErrorCode::too_large, "the model needs " + gib(need) + " of memory besides its mapped weights (" +
                                          std::to_string(c.num_hidden_layers) + " layers, " +
                                          std::to_string(c.n_routed_experts) + " experts of hidden size " +
                                          std::to_string(c.hidden_size) + "); this machine has " + gib(have));
}

}  // namespace

const char* scoring_func_name(ScoringFunc f) { return f == ScoringFunc::softmax ? "softmax" : "sigmoid"; }

const char* topk_method_name(TopkMethod m) {
  switch (m) {
    case TopkMethod::greedy: return "greedy";
    case TopkMethod::group_limited_greedy: return "group_limited_greedy";
    case TopkMethod::noaux_tc: return "noaux_tc";
  }
  return "?";
}

double ModelConfig::softmax_scale() const {
  if (is_dense_arch()) return 1.0 / std::sqrt(static_cast<double>(head_dim));
  double s = 1.0 / std::sqrt(static_cast<double>(qk_head_dim()));
  if (rope_scaling.yarn) {
    const double m = yarn_mscale(rope_scaling.factor, rope_scaling.mscale_all_dim);
    s *= m * m;
  }
  return s;
}

void ModelConfig::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) bad(std::string(name) + " is " + std::to_string(v) + ", must be positive");
  };
  check_bounds({{"vocab_size", vocab_size, 1 << 24},
                {"hidden_size", hidden_size, 1 << 20},
                {"num_hidden_layers", num_hidden_layers, 1 << 12},
                {"num_attention_heads", num_attention_heads, 1 << 12},
                {"num_key_value_heads", num_key_value_heads, 1 << 12},
                {"head_dim", head_dim, 1 << 16},
                {"q_lora_rank", q_lora_rank, 1 << 20},
                {"kv_lora_rank", kv_lora_rank, 1 << 20},
                {"qk_nope_head_dim", qk_nope_head_dim, 1 << 16},
                {"qk_rope_head_dim", qk_rope_head_dim, 1 << 16},
                {"v_head_dim", v_head_dim, 1 << 16},
                {"intermediate_size", intermediate_size, 1 << 24},
                {"moe_intermediate_size", moe_intermediate_size, 1 << 24},
                {"n_routed_experts", n_routed_experts, 1 << 16},
                {"n_shared_experts", n_shared_experts, 1 << 10},
                {"n_group", n_group, 1 << 16},
                {"max_position_embeddings", max_position_embeddings, INT32_MAX}});
  if (max_position_embeddings < 0) bad("max_position_embeddings is negative");
  if (n_routed_experts < 0) bad("n_routed_experts is negative");
  for (const double v : {rope_scaling.factor, rope_scaling.original_max_position_embeddings, rope_scaling.beta_fast,
                         rope_scaling.beta_slow, rope_scaling.mscale, rope_scaling.mscale_all_dim,
                         rope_scaling.low_freq_factor, rope_scaling.high_freq_factor})
    if (!std::isfinite(v)) bad("a rope_scaling value is not a finite number");
  if (is_dense_arch()) {
    positive(vocab_size, "vocab_size");
    positive(hidden_size, "hidden_size");
    positive(num_hidden_layers, "num_hidden_layers");
    positive(num_attention_heads, "num_attention_heads");
    positive(num_key_value_heads, "num_key_value_heads");
    positive(head_dim, "head_dim");
    positive(intermediate_size, "intermediate_size");
    if (num_attention_heads % num_key_value_heads)
      bad("num_attention_heads " + std::to_string(num_attention_heads) + " is not a multiple of num_key_value_heads " +
          std::to_string(num_key_value_heads));
    if (head_dim % 2) bad("head_dim " + std::to_string(head_dim) + " is odd; RoPE rotates pairs");
    if (!(rms_norm_eps > 0) || !std::isfinite(rms_norm_eps)) bad("rms_norm_eps must be positive and finite");
    if (!(rope_theta > 0) || !std::isfinite(rope_theta)) bad("rope_theta must be positive and finite");
    if (rope_scaling.llama3 && (!(rope_scaling.factor >= 1) || !(rope_scaling.high_freq_factor > rope_scaling.low_freq_factor) ||
                                !(rope_scaling.original_max_position_embeddings > 0)))
      bad("rope_scaling (llama3) needs factor >= 1, high_freq_factor > low_freq_factor and original_max_position_embeddings");
    check_memory(*this);
    return;
  }
  positive(vocab_size, "vocab_size");
  positive(hidden_size, "hidden_size");
  positive(num_hidden_layers, "num_hidden_layers");
  positive(num_attention_heads, "num_attention_heads");
  positive(kv_lora_rank, "kv_lora_rank");
  positive(qk_nope_head_dim, "qk_nope_head_dim");
  positive(qk_rope_head_dim, "qk_rope_head_dim");
  positive(v_head_dim, "v_head_dim");
  if (qk_rope_head_dim % 2) bad("qk_rope_head_dim " + std::to_string(qk_rope_head_dim) + " is odd; RoPE rotates pairs");
  if (q_lora_rank < 0) bad("q_lora_rank is negative");
  if (first_k_dense_replace < 0 || first_k_dense_replace > num_hidden_layers)
    bad("first_k_dense_replace " + std::to_string(first_k_dense_replace) + " is outside [0, num_hidden_layers]");
  if (first_k_dense_replace > 0 || n_routed_experts == 0) positive(intermediate_size, "intermediate_size");
  if (n_routed_experts > 0 && first_k_dense_replace < num_hidden_layers) {
    positive(moe_intermediate_size, "moe_intermediate_size");
    positive(num_experts_per_tok, "num_experts_per_tok");
    if (num_experts_per_tok > n_routed_experts)
      bad("num_experts_per_tok " + std::to_string(num_experts_per_tok) + " exceeds n_routed_experts " +
          std::to_string(n_routed_experts));
    if (n_shared_experts < 0) bad("n_shared_experts is negative");
    if (n_group < 1 || n_routed_experts % n_group != 0)
      bad("n_group " + std::to_string(n_group) + " does not divide n_routed_experts " + std::to_string(n_routed_experts));
    if (topk_group < 1 || topk_group > n_group)
      bad("topk_group " + std::to_string(topk_group) + " is outside [1, n_group]");
    if (topk_method != TopkMethod::greedy && n_group > 1 &&
        topk_group * (n_routed_experts / n_group) < num_experts_per_tok)
      bad("topk_group " + std::to_string(topk_group) + " groups hold fewer experts than num_experts_per_tok");
    if (topk_method == TopkMethod::noaux_tc && n_routed_experts / n_group < 2)
      bad("noaux_tc needs at least two experts per group");
    if (!(routed_scaling_factor > 0) || !std::isfinite(routed_scaling_factor))
      bad("routed_scaling_factor must be positive and finite");
  }
  if (!(rms_norm_eps > 0) || !std::isfinite(rms_norm_eps)) bad("rms_norm_eps must be positive and finite");
  if (!(rope_theta > 0) || !std::isfinite(rope_theta)) bad("rope_theta must be positive and finite");
  if (rope_scaling.yarn) {
    if (!(rope_scaling.factor >= 1.0) || !std::isfinite(rope_scaling.factor)) bad("rope_scaling.factor must be >= 1");
    if (!(rope_scaling.original_max_position_embeddings > 0))
      bad("rope_scaling.original_max_position_embeddings must be positive");
    if (!(rope_scaling.beta_fast > 0) || !(rope_scaling.beta_slow > 0)) bad("rope_scaling beta_fast/beta_slow must be positive");
  }
  check_memory(*this);
}

namespace {

// A size read from GGUF metadata; past int64 it would turn negative (and break the
// arithmetic done with it before validate() sees it).
int64_t size_value(const std::string& key, uint64_t v) {
  if (v > static_cast<uint64_t>(INT64_MAX)) bad(key + " is " + std::to_string(v) + ", too large");
  return static_cast<int64_t>(v);
}

// qwen2 and llama as llama.cpp writes them. llama.cpp permutes Llama's q/k rows for its
// adjacent-pair rope; Qwen2 keeps Hugging Face's halves (llama.cpp's NEOX rope type).
ModelConfig dense_config_from_gguf(const GgufFile& g) {
  ModelConfig c;
  c.architecture = g.architecture();
  const std::string a = c.architecture + ".";
  auto u = [&](const char* key) { return size_value(a + key, g.get_uint(a + key)); };
  auto u_or = [&](const char* key, int64_t def) { return size_value(a + key, g.get_uint_or(a + key, static_cast<uint64_t>(def))); };
  c.num_hidden_layers = u("block_count");
  c.hidden_size = u("embedding_length");
  c.intermediate_size = u("feed_forward_length");
  c.num_attention_heads = u("attention.head_count");
  c.num_key_value_heads = u_or("attention.head_count_kv", c.num_attention_heads);
  c.max_position_embeddings = u_or("context_length", 0);
  c.rms_norm_eps = g.get_double(a + "attention.layer_norm_rms_epsilon");
  c.rope_theta = g.get_double_or(a + "rope.freq_base", 10000.0);
  c.head_dim = u_or("attention.key_length", c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0);
  c.rope_interleaved = c.architecture == "llama";
  c.attention_bias = g.find_tensor("blk.0.attn_q.bias") != nullptr;
  c.tie_word_embeddings = g.find_tensor("output.weight") == nullptr;
  c.vocab_size = u_or("vocab_size", 0);
  if (c.vocab_size == 0)
    if (const GgufValue* tokens = g.find("tokenizer.ggml.tokens")) c.vocab_size = static_cast<int64_t>(tokens->count);
  c.bos_token_id = static_cast<int64_t>(g.get_uint_or("tokenizer.ggml.bos_token_id", static_cast<uint64_t>(-1)));
  c.eos_token_id = static_cast<int64_t>(g.get_uint_or("tokenizer.ggml.eos_token_id", static_cast<uint64_t>(-1)));
  // Llama 3's frequency scaling is baked into the rope_freqs tensor, read with the weights.
  return c;
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& g) {
  ModelConfig c;
  c.architecture = g.architecture();
  if (c.architecture == "qwen2" || c.architecture == "llama") {
    try {
      return dense_config_from_gguf(g);
    } catch (const Error& e) {
      const std::string msg = e.what();
      throw Error(e.code(), msg.rfind(g.path(), 0) == 0 ? msg : g.path() + ": " + msg);
    }
  }
  if (c.architecture != "deepseek2")
    throw Error(ErrorCode::unsupported, g.path() + ": architecture '" + c.architecture +
                                            "' is not supported (expected deepseek2, qwen2 or llama)");
  const std::string a = c.architecture + ".";
  auto u = [&](const char* key) { return size_value(a + key, g.get_uint(a + key)); };
  auto u_or = [&](const char* key, int64_t def) { return size_value(a + key, g.get_uint_or(a + key, static_cast<uint64_t>(def))); };
  try {
    c.num_hidden_layers = u("block_count");
    c.hidden_size = u("embedding_length");
    c.intermediate_size = u_or("feed_forward_length", 0);
    c.num_attention_heads = u("attention.head_count");
    c.max_position_embeddings = u_or("context_length", 0);
    c.rms_norm_eps = g.get_double(a + "attention.layer_norm_rms_epsilon");
    c.rope_theta = g.get_double_or(a + "rope.freq_base", 10000.0);
    c.q_lora_rank = u_or("attention.q_lora_rank", 0);
    c.kv_lora_rank = u("attention.kv_lora_rank");
    c.qk_rope_head_dim = u("rope.dimension_count");
    // Files converted for absorbed MLA store the per-head sizes under *_mla and put the
    // latent sizes (kv_lora_rank + rope, kv_lora_rank) in key_length / value_length.
    const int64_t key_len = g.find(a + "attention.key_length_mla") ? u("attention.key_length_mla") : u("attention.key_length");
    c.v_head_dim = g.find(a + "attention.value_length_mla") ? u("attention.value_length_mla") : u("attention.value_length");
    c.qk_nope_head_dim = key_len - c.qk_rope_head_dim;
    if (c.qk_nope_head_dim <= 0)
      bad("attention key length " + std::to_string(key_len) + " is not larger than rope.dimension_count " +
          std::to_string(c.qk_rope_head_dim));

    c.first_k_dense_replace = u_or("leading_dense_block_count", 0);
    c.n_routed_experts = u_or("expert_count", 0);
    c.num_experts_per_tok = u_or("expert_used_count", 0);
    c.n_shared_experts = u_or("expert_shared_count", 0);
    c.moe_intermediate_size = u_or("expert_feed_forward_length", 0);
    c.routed_scaling_factor = g.get_double_or(a + "expert_weights_scale", 1.0);
    c.norm_topk_prob = g.get_bool_or(a + "expert_weights_norm", false);
    const int64_t gating = u_or("expert_gating_func", 1);  // llama.cpp: 1 softmax, 2 sigmoid
    if (gating != 1 && gating != 2) bad(a + "expert_gating_func is " + std::to_string(gating) + " (expected 1 or 2)");
    c.scoring_func = gating == 2 ? ScoringFunc::sigmoid : ScoringFunc::softmax;
    c.n_group = u_or("expert_group_count", 1);
    c.topk_group = u_or("expert_group_used_count", c.n_group);
    if (c.n_group == 0) c.n_group = 1;
    if (c.topk_group == 0) c.topk_group = c.n_group;
    // GGUF has no topk_method key: sigmoid gating is V3's noaux_tc, softmax with groups V2's
    // group-limited greedy, anything else plain greedy.
    c.topk_method = c.scoring_func == ScoringFunc::sigmoid ? TopkMethod::noaux_tc
                    : c.n_group > 1                      ? TopkMethod::group_limited_greedy
                                                         : TopkMethod::greedy;

    const std::string rope_type = g.get_string_or(a + "rope.scaling.type", "none");
    if (rope_type == "yarn") {
      c.rope_scaling.yarn = true;
      c.rope_scaling.factor = g.get_double(a + "rope.scaling.factor");
      c.rope_scaling.original_max_position_embeddings = g.get_double(a + "rope.scaling.original_context_length");
      c.rope_scaling.beta_fast = g.get_double_or(a + "rope.scaling.yarn_beta_fast", 32.0);
      c.rope_scaling.beta_slow = g.get_double_or(a + "rope.scaling.yarn_beta_slow", 1.0);
      // yarn_log_multiplier is 0.1 * mscale_all_dim; GGUF keeps no separate mscale, and
      // llama.cpp leaves cos/sin unscaled, which is HF's behaviour when mscale == mscale_all_dim.
      c.rope_scaling.mscale_all_dim = g.get_double_or(a + "rope.scaling.yarn_log_multiplier", 0.0) / 0.1;
      c.rope_scaling.mscale = c.rope_scaling.mscale_all_dim;
    } else if (rope_type != "none") {
      throw Error(ErrorCode::unsupported, a + "rope.scaling.type '" + rope_type + "' is not supported");
    }
    c.bos_token_id = static_cast<int64_t>(g.get_uint_or("tokenizer.ggml.bos_token_id", static_cast<uint64_t>(-1)));
    c.eos_token_id = static_cast<int64_t>(g.get_uint_or("tokenizer.ggml.eos_token_id", static_cast<uint64_t>(-1)));
    // vocab_size is optional in GGUF; the output matrix decides it when absent.
    c.vocab_size = u_or("vocab_size", 0);
    if (c.vocab_size == 0)
      if (const GgufValue* tokens = g.find("tokenizer.ggml.tokens")) c.vocab_size = static_cast<int64_t>(tokens->count);
  } catch (const Error& e) {
    const std::string msg = e.what();
    throw Error(e.code(), msg.rfind(g.path(), 0) == 0 ? msg : g.path() + ": " + msg);
  }
  return c;
}

namespace {

ModelConfig parse_hf_config(const std::string& text, const std::string& source) {
  using nlohmann::json;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    bad(source + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) bad(source + " is not a JSON object");
  auto ctx = [&](const std::string& key) { return source + ": " + key; };
  auto get_int = [&](const char* key, std::optional<int64_t> def) -> int64_t {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (def) return *def;
      bad(ctx(key) + " is missing");
    }
    if (!it->is_number_integer()) bad(ctx(key) + " is not an integer");
    return it->get<int64_t>();
  };
  auto get_num = [&](const char* key, std::optional<double> def) -> double {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (def) return *def;
      bad(ctx(key) + " is missing");
    }
    if (!it->is_number()) bad(ctx(key) + " is not a number");
    return it->get<double>();
  };
  auto get_str = [&](const char* key, const std::string& def) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_string()) bad(ctx(key) + " is not a string");
    return it->get<std::string>();
  };
  auto get_bool = [&](const char* key, bool def) -> bool {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_boolean()) bad(ctx(key) + " is not a boolean");
    return it->get<bool>();
  };

  ModelConfig c;
  const std::string model_type = get_str("model_type", "");
  if (model_type == "qwen2" || model_type == "llama") {
    c.architecture = model_type;
    c.vocab_size = get_int("vocab_size", std::nullopt);
    c.hidden_size = get_int("hidden_size", std::nullopt);
    c.num_hidden_layers = get_int("num_hidden_layers", std::nullopt);
    c.intermediate_size = get_int("intermediate_size", std::nullopt);
    c.num_attention_heads = get_int("num_attention_heads", std::nullopt);
    c.num_key_value_heads = get_int("num_key_value_heads", c.num_attention_heads);
    c.head_dim = get_int("head_dim", c.num_attention_heads > 0 && c.hidden_size > 0 ? c.hidden_size / c.num_attention_heads : 0);
    c.max_position_embeddings = get_int("max_position_embeddings", 0);
    c.rms_norm_eps = get_num("rms_norm_eps", 1e-6);
    c.rope_theta = get_num("rope_theta", 10000.0);
    c.tie_word_embeddings = get_bool("tie_word_embeddings", false);
    c.attention_bias = model_type == "qwen2" ? true : get_bool("attention_bias", false);
    c.rope_interleaved = false;  // Hugging Face checkpoints rotate halves
    if (auto rs = j.find("rope_scaling"); rs != j.end() && !rs->is_null()) {
      if (!rs->is_object()) bad(ctx("rope_scaling") + " is not an object");
      const std::string type = rs->value("rope_type", rs->value("type", std::string()));
      if (type != "llama3") throw Error(ErrorCode::unsupported, ctx("rope_scaling") + " type '" + type + "' is not supported");
      auto num = [&](const char* key) -> double {
        auto it = rs->find(key);
        if (it == rs->end() || !it->is_number()) bad(ctx(std::string("rope_scaling.") + key) + " is missing or not a number");
        return it->get<double>();
      };
      c.rope_scaling.llama3 = true;
      c.rope_scaling.factor = num("factor");
      c.rope_scaling.low_freq_factor = num("low_freq_factor");
      c.rope_scaling.high_freq_factor = num("high_freq_factor");
      c.rope_scaling.original_max_position_embeddings = num("original_max_position_embeddings");
    }
    c.bos_token_id = get_int("bos_token_id", -1);
    c.eos_token_id = j.contains("eos_token_id") && j["eos_token_id"].is_array() ? -1 : get_int("eos_token_id", -1);
    return c;
  }
  if (model_type != "deepseek_v2" && model_type != "deepseek_v3")
    throw Error(ErrorCode::unsupported, source + ": model_type '" + model_type +
                                            "' is not supported (expected deepseek_v2, deepseek_v3, qwen2 or llama)");
  c.architecture = "deepseek2";
  c.vocab_size = get_int("vocab_size", std::nullopt);
  c.hidden_size = get_int("hidden_size", std::nullopt);
  c.num_hidden_layers = get_int("num_hidden_layers", std::nullopt);
  c.max_position_embeddings = get_int("max_position_embeddings", 0);
  c.rms_norm_eps = get_num("rms_norm_eps", 1e-6);
  c.rope_theta = get_num("rope_theta", 10000.0);
  c.num_attention_heads = get_int("num_attention_heads", std::nullopt);
  c.q_lora_rank = get_int("q_lora_rank", 0);
  c.kv_lora_rank = get_int("kv_lora_rank", std::nullopt);
  c.qk_nope_head_dim = get_int("qk_nope_head_dim", std::nullopt);
  c.qk_rope_head_dim = get_int("qk_rope_head_dim", std::nullopt);
  c.v_head_dim = get_int("v_head_dim", std::nullopt);
  c.intermediate_size = get_int("intermediate_size", std::nullopt);
  c.n_routed_experts = get_int("n_routed_experts", 0);
  c.moe_intermediate_size = get_int("moe_intermediate_size", c.n_routed_experts ? std::nullopt : std::optional<int64_t>(0));
  c.first_k_dense_replace = get_int("first_k_dense_replace", 0);
  c.num_experts_per_tok = get_int("num_experts_per_tok", c.n_routed_experts ? std::nullopt : std::optional<int64_t>(0));
  c.n_shared_experts = get_int("n_shared_experts", 0);
  c.n_group = get_int("n_group", 1);
  c.topk_group = get_int("topk_group", c.n_group);
  c.norm_topk_prob = get_bool("norm_topk_prob", false);
  c.routed_scaling_factor = get_num("routed_scaling_factor", 1.0);
  if (get_int("moe_layer_freq", 1) != 1) throw Error(ErrorCode::unsupported, ctx("moe_layer_freq") + " other than 1");
  const std::string scoring = get_str("scoring_func", "softmax");
  if (scoring == "softmax") c.scoring_func = ScoringFunc::softmax;
  else if (scoring == "sigmoid") c.scoring_func = ScoringFunc::sigmoid;
  else throw Error(ErrorCode::unsupported, ctx("scoring_func") + " '" + scoring + "' is not supported");
  const std::string method = get_str("topk_method", "greedy");
  if (method == "greedy") c.topk_method = TopkMethod::greedy;
  else if (method == "group_limited_greedy") c.topk_method = TopkMethod::group_limited_greedy;
  else if (method == "noaux_tc") c.topk_method = TopkMethod::noaux_tc;
  else throw Error(ErrorCode::unsupported, ctx("topk_method") + " '" + method + "' is not supported");
  if (get_bool("tie_word_embeddings", false)) throw Error(ErrorCode::unsupported, ctx("tie_word_embeddings") + " for deepseek2");

  if (auto rs = j.find("rope_scaling"); rs != j.end() && !rs->is_null()) {
    if (!rs->is_object()) bad(ctx("rope_scaling") + " is not an object");
    std::string type = rs->value("type", rs->value("rope_type", std::string()));
    if (type == "yarn") {
      auto num = [&](const char* key, std::optional<double> def) -> double {
        auto it = rs->find(key);
        if (it == rs->end() || it->is_null()) {
          if (def) return *def;
          bad(ctx(std::string("rope_scaling.") + key) + " is missing");
        }
        if (!it->is_number()) bad(ctx(std::string("rope_scaling.") + key) + " is not a number");
        return it->get<double>();
      };
      c.rope_scaling.yarn = true;
      c.rope_scaling.factor = num("factor", std::nullopt);
      c.rope_scaling.original_max_position_embeddings = num("original_max_position_embeddings", std::nullopt);
      c.rope_scaling.beta_fast = num("beta_fast", 32.0);
      c.rope_scaling.beta_slow = num("beta_slow", 1.0);
      c.rope_scaling.mscale = num("mscale", 1.0);
      c.rope_scaling.mscale_all_dim = num("mscale_all_dim", 0.0);
    } else {
      throw Error(ErrorCode::unsupported, ctx("rope_scaling") + " type '" + type + "' is not supported");
    }
  }
  c.bos_token_id = get_int("bos_token_id", -1);
  c.eos_token_id = j.contains("eos_token_id") && j["eos_token_id"].is_array() ? -1 : get_int("eos_token_id", -1);
  return c;
}

}  // namespace

ModelConfig config_from_hf_json(const std::string& text, const std::string& source) {
  try {
    return parse_hf_config(text, source);
  } catch (const nlohmann::json::exception& e) {  // a value of the wrong JSON type, e.g. a numeric rope_type
    bad(source + ": " + e.what());
  }
}

}  // namespace dsinfer
