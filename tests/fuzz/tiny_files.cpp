#include "tiny_files.hpp"

#include <cstdint>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "dsinfer/gguf.hpp"
#include "dsinfer/quantize.hpp"
#include "dsinfer/safetensors.hpp"
#include "model/toy_gguf.hpp"
#include "tokenizer/byte_level.hpp"

namespace fuzz {
namespace {

using dsinfer::DType;
using dsinfer::GgufValue;
using nlohmann::json;

// Toy sizes: small enough that a seed stays a few KiB, large enough that every weight of
// the deepseek2 layout (MLA, dense FFN, routed + shared experts) exists.
constexpr int64_t kHidden = 8, kLayers = 2, kHeads = 2, kKvLora = 8, kRope = 4, kNope = 4, kV = 4;
constexpr int64_t kExperts = 4, kTopK = 2, kShared = 1, kMoeFf = 8, kDenseFf = 16;

const char* kBos = "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";
const char* kEos = "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";

// Merges over byte-level symbols ("\xc4\xa0" is the byte-level spelling of a space).
const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"\xc4\xa0", "t"}, {"h", "e"}, {"\xc4\xa0t", "he"}, {"i", "n"}};

std::vector<std::string> vocab_tokens() {
  std::vector<std::string> t;
  for (int b = 0; b < 256; ++b) t.push_back(dsinfer::byte_level_map().encode(static_cast<uint8_t>(b)));
  for (const auto& [a, b] : kMerges) t.push_back(a + b);
  t.push_back(kBos);
  t.push_back(kEos);
  return t;
}

// Deterministic values in [-0.5, 0.5).
struct Lcg {
  uint64_t s = 0x9e3779b97f4a7c15ull;
  float next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(s >> 40) / static_cast<float>(1 << 24) - 0.5f;
  }
};

struct Tensor {
  std::string gguf, hf;
  DType dtype;
  std::vector<int64_t> shape;
  Bytes data;
};

// Every weight of the toy model, named for both formats. GGUF stacks the experts in one
// tensor per projection; Hugging Face keeps one tensor per expert.
std::vector<Tensor> model_tensors(bool hf) {
  Lcg rng;
  const int64_t vocab = static_cast<int64_t>(vocab_tokens().size());
  std::vector<Tensor> out;
  auto add = [&](std::string gguf, std::string hfname, std::vector<int64_t> shape, bool norm = false,
                 DType dtype = DType::f32) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = norm ? 1.0f + 0.1f * rng.next() : rng.next();
    out.push_back({std::move(gguf), std::move(hfname), dtype, std::move(shape), dsinfer::quantize(dtype, v)});
  };
  add("token_embd.weight", "model.embed_tokens.weight", {vocab, kHidden}, false, DType::f16);
  add("output_norm.weight", "model.norm.weight", {kHidden}, true);
  add("output.weight", "lm_head.weight", {vocab, kHidden}, false, DType::f16);
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string g = "blk." + std::to_string(l) + ".", h = "model.layers." + std::to_string(l) + ".";
    add(g + "attn_norm.weight", h + "input_layernorm.weight", {kHidden}, true);
    add(g + "attn_q.weight", h + "self_attn.q_proj.weight", {kHeads * (kNope + kRope), kHidden});
    add(g + "attn_kv_a_mqa.weight", h + "self_attn.kv_a_proj_with_mqa.weight", {kKvLora + kRope, kHidden});
    add(g + "attn_kv_a_norm.weight", h + "self_attn.kv_a_layernorm.weight", {kKvLora}, true);
    add(g + "attn_kv_b.weight", h + "self_attn.kv_b_proj.weight", {kHeads * (kNope + kV), kKvLora});
    add(g + "attn_output.weight", h + "self_attn.o_proj.weight", {kHidden, kHeads * kV});
    add(g + "ffn_norm.weight", h + "post_attention_layernorm.weight", {kHidden}, true);
    if (l == 0) {
      add(g + "ffn_gate.weight", h + "mlp.gate_proj.weight", {kDenseFf, kHidden});
      add(g + "ffn_up.weight", h + "mlp.up_proj.weight", {kDenseFf, kHidden});
      add(g + "ffn_down.weight", h + "mlp.down_proj.weight", {kHidden, kDenseFf});
      continue;
    }
    add(g + "ffn_gate_inp.weight", h + "mlp.gate.weight", {kExperts, kHidden});
    if (hf) {
      for (int64_t e = 0; e < kExperts; ++e) {
        const std::string p = h + "mlp.experts." + std::to_string(e) + ".";
        add("", p + "gate_proj.weight", {kMoeFf, kHidden});
        add("", p + "up_proj.weight", {kMoeFf, kHidden});
        add("", p + "down_proj.weight", {kHidden, kMoeFf});
      }
    } else {
      add(g + "ffn_gate_exps.weight", "", {kExperts, kMoeFf, kHidden});
      add(g + "ffn_up_exps.weight", "", {kExperts, kMoeFf, kHidden});
      add(g + "ffn_down_exps.weight", "", {kExperts, kHidden, kMoeFf});
    }
    add(g + "ffn_gate_shexp.weight", h + "mlp.shared_experts.gate_proj.weight", {kShared * kMoeFf, kHidden});
    add(g + "ffn_up_shexp.weight", h + "mlp.shared_experts.up_proj.weight", {kShared * kMoeFf, kHidden});
    add(g + "ffn_down_shexp.weight", h + "mlp.shared_experts.down_proj.weight", {kHidden, kShared * kMoeFf});
  }
  return out;
}

const char* kDeepseekTemplate =
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{% set ns = namespace(system='', first=true) %}"
    "{%- for m in messages %}{% if m['role'] == 'system' %}{% set ns.system = ns.system + m['content'] %}{% endif %}"
    "{%- endfor %}{{ bos_token }}{{ ns.system }}"
    "{%- for m in messages %}"
    "{%- if m['role'] == 'user' %}{{ '<\xef\xbd\x9cUser\xef\xbd\x9c>' + m['content'] }}"
    "{%- elif m['role'] == 'assistant' %}{% set c = m['content'] if m['content'] is not none else '' %}"
    "{%- if '</think>' in c %}{% set c = c.split('</think>')[-1] %}{% endif %}"
    "{{ '<\xef\xbd\x9c" "Assistant\xef\xbd\x9c>' + c | trim + eos_token }}"
    "{%- elif m['role'] != 'system' %}{{ raise_exception('unknown role ' ~ m['role']) }}{% endif %}"
    "{%- endfor %}{% if add_generation_prompt %}<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><think>\n{% endif %}";

const char* kLlamaTemplate =
    "{{- bos_token }}{%- if messages[0]['role'] == 'system' %}{%- set system = messages[0]['content'] | trim %}"
    "{%- set messages = messages[1:] %}{%- else %}{%- set system = 'Today is ' ~ strftime_now('%d %b %Y') %}{%- endif %}"
    "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' + system + '<|eot_id|>' }}"
    "{%- for m in messages %}{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + "
    "'<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{%- endif %}";

const char* kToolsTemplate =
    "{%- macro render(t) -%}{{ t.function.name }}({{ t.function.parameters | tojson }}){%- endmacro -%}"
    "{%- if tools %}<tools>{% for t in tools %}{{ render(t) }}{% if not loop.last %},{% endif %}{% endfor %}</tools>"
    "{%- endif %}{%- for m in messages %}<|im_start|>{{ m.role }}\n"
    "{%- if m.tool_calls is defined %}{% for c in m.tool_calls %}{{ c.function | tojson(indent=2) }}{% endfor %}"
    "{%- else %}{{ m.content | default('') }}{% endif %}<|im_end|>\n{% endfor %}"
    "{%- set names = messages | map(attribute='role') | unique | list %}{{ names | join(',') | upper }}"
    "{%- for k, v in {'b': 2, 'a': 1} | dictsort %}{{ k }}={{ v }};{% endfor %}{{ range(3) | list | sum }}"
    "{{ '%-5s' if false else 'x' }}{{ messages | selectattr('role', 'equalto', 'user') | list | length }}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

}  // namespace

Bytes to_bytes(const std::string& s) {
  Bytes b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

Bytes tiny_deepseek_gguf() {
  dsinfer::GgufWriter w;
  dsinfer::set_toy_deepseek2_hparams(
      w, {kHidden, kLayers, kHeads, kKvLora, kRope, kNope, kV, kExperts, kTopK, kShared, kMoeFf, kDenseFf, 256, 64},
      "dsinfer fuzz seed");

  std::vector<std::string> merges;
  for (const auto& [x, y] : kMerges) merges.push_back(x + " " + y);
  dsinfer::set_toy_tokenizer(w, vocab_tokens(), "deepseek-v3", merges);
  w.set("tokenizer.chat_template", GgufValue::of_string(kDeepseekTemplate));
  for (auto& t : model_tensors(false)) w.add_tensor(t.gguf, t.dtype, t.shape, std::move(t.data));
  return w.to_bytes();
}

std::string tiny_hf_config_json() {
  const int64_t vocab = static_cast<int64_t>(vocab_tokens().size());
  json c = {{"model_type", "deepseek_v2"}, {"architectures", {"DeepseekV2ForCausalLM"}},
            {"vocab_size", vocab}, {"hidden_size", kHidden}, {"num_hidden_layers", kLayers},
            {"num_attention_heads", kHeads}, {"q_lora_rank", nullptr}, {"kv_lora_rank", kKvLora},
            {"qk_nope_head_dim", kNope}, {"qk_rope_head_dim", kRope}, {"v_head_dim", kV},
            {"intermediate_size", kDenseFf}, {"moe_intermediate_size", kMoeFf}, {"n_routed_experts", kExperts},
            {"num_experts_per_tok", kTopK}, {"n_shared_experts", kShared}, {"first_k_dense_replace", 1},
            {"moe_layer_freq", 1}, {"topk_method", "greedy"}, {"scoring_func", "softmax"}, {"n_group", 1},
            {"topk_group", 1}, {"norm_topk_prob", false}, {"routed_scaling_factor", 1.0},
            {"rms_norm_eps", 1e-6}, {"rope_theta", 10000.0}, {"max_position_embeddings", 256},
            {"bos_token_id", vocab - 2}, {"eos_token_id", vocab - 1}, {"tie_word_embeddings", false},
            {"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 64},
                              {"beta_fast", 32}, {"beta_slow", 1}, {"mscale", 0.707}, {"mscale_all_dim", 0.707}}}};
  return c.dump(2);
}

Bytes tiny_hf_safetensors() {
  std::vector<dsinfer::SafetensorsEntry> entries;
  for (auto& t : model_tensors(true)) entries.push_back({t.hf, t.dtype, t.shape, std::move(t.data)});
  return dsinfer::safetensors_bytes(entries, {{"format", "pt"}});
}

std::string tiny_tokenizer_json() {
  const auto tokens = vocab_tokens();
  json vocab = json::object();
  for (size_t i = 0; i + 2 < tokens.size(); ++i) vocab[tokens[i]] = i;
  json merges = json::array();
  for (size_t i = 0; i < kMerges.size(); ++i) {
    if (i % 2) merges.push_back(kMerges[i].first + " " + kMerges[i].second);  // both spellings HF accepts
    else merges.push_back({kMerges[i].first, kMerges[i].second});
  }
  const int64_t bos = static_cast<int64_t>(tokens.size() - 2), eos = bos + 1;
  auto added = [](int64_t id, const std::string& content, bool special, bool lstrip) {
    return json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", lstrip}, {"rstrip", false},
                {"normalized", !special}, {"special", special}};
  };
  json t = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", {added(bos, kBos, true, false), added(eos, kEos, true, false), added(eos + 1, "<think>", false, true)}},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}}}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}{1,3}"}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "Digits"}, {"individual_digits", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}}}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", kBos}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"pair", json::array()},
        {"special_tokens", {{kBos, {{"id", kBos}, {"ids", {bos}}, {"tokens", {kBos}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
        {"vocab", vocab}, {"merges", merges}}}};
  return t.dump(1);
}

std::string tiny_tokenizer_config_json() {
  json c = {{"add_bos_token", true}, {"add_eos_token", false}, {"bos_token", {{"__type", "AddedToken"}, {"content", kBos}}},
            {"eos_token", kEos}, {"clean_up_tokenization_spaces", true}, {"model_max_length", 256},
            {"chat_template", kDeepseekTemplate}};
  return c.dump(1);
}

Bytes gguf_all_metadata_types() {
  dsinfer::GgufWriter w(64);
  w.set("general.architecture", GgufValue::of_string("fuzz"));
  w.set("t.u32", GgufValue::of_u32(7));
  w.set("t.i32", GgufValue::of_i32(-7));
  w.set("t.u64", GgufValue::of_u64(1ull << 40));
  w.set("t.f32", GgufValue::of_f32(0.5f));
  w.set("t.bool", GgufValue::of_bool(true));
  w.set("t.str", GgufValue::of_string("caf\xc3\xa9\n\x01"));
  w.set("t.strs", GgufValue::of_strings({"a", "", "bc"}));
  const int32_t ints[] = {1, -2, 3};
  const float floats[] = {1.5f, -0.0f, 3e38f};
  w.set("t.i32s", GgufValue::of_i32s(ints));
  w.set("t.f32s", GgufValue::of_f32s(floats));
  // Types the writer has no helper for (u8, i8, u16, i16, i64, f64, bool arrays, nested arrays)
  // are spelled out by hand below.
  GgufValue u8;
  u8.type = dsinfer::GgufType::u8;
  u8.bits = 200;
  w.set("t.u8", u8);
  GgufValue f64;
  f64.type = dsinfer::GgufType::f64;
  const double d = -2.25;
  std::memcpy(&f64.bits, &d, 8);
  w.set("t.f64", f64);
  GgufValue bools;
  bools.type = dsinfer::GgufType::array;
  bools.elem_type = dsinfer::GgufType::boolean;
  bools.count = 3;
  bools.raw = {1, 0, 1};
  w.set("t.bools", bools);
  GgufValue nested;
  nested.type = dsinfer::GgufType::array;
  nested.elem_type = dsinfer::GgufType::array;
  nested.count = 2;
  nested.items = {GgufValue::of_strings({"x"}), GgufValue::of_i32s(ints)};
  w.set("t.nested", nested);
  w.set("general.alignment", GgufValue::of_u32(64));
  std::vector<float> v(32, 0.25f);
  w.add_tensor("one", DType::f32, {4, 8}, dsinfer::quantize(DType::f32, v));
  return w.to_bytes();
}

Bytes gguf_all_tensor_types() {
  dsinfer::GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("fuzz"));
  for (int t = 0; t < static_cast<int>(DType::count_); ++t) {
    const auto dtype = static_cast<DType>(t);
    try {
      (void)dsinfer::dtype_to_ggml(dtype);
    } catch (const std::exception&) {
      continue;  // a type GGUF cannot hold
    }
    const auto& info = dsinfer::dtype_info(dtype);
    const uint64_t row = info.block_size > 1 ? info.block_size : 4;
    const auto bytes = dsinfer::dtype_bytes(dtype, row * 2);
    Bytes data(*bytes);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>((i * 37) & 0x3f);
    w.add_tensor("t." + std::string(info.name), dtype, {2, static_cast<int64_t>(row)}, std::move(data));
  }
  return w.to_bytes();
}

std::vector<std::pair<std::string, std::string>> sample_chat_templates() {
  return {{"deepseek", kDeepseekTemplate}, {"llama", kLlamaTemplate}, {"tools", kToolsTemplate}};
}

std::string sample_chat_context_json() {
  const json tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Weather at a place",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])");
  json messages = {
      {{"role", "system"}, {"content", "You are terse."}},
      {{"role", "user"}, {"content", "Hi \xe4\xb8\x96\xe7\x95\x8c 123"}},
      {{"role", "assistant"}, {"content", "<think>hm</think> Hello."}, {"reasoning_content", "hm"}},
      {{"role", "assistant"}, {"content", nullptr},
       {"tool_calls", {{{"type", "function"}, {"function", {{"name", "get_weather"}, {"arguments", {{"city", "Oslo"}}}}}}}}},
      {{"role", "user"}, {"content", "And now?"}}};
  json c = {{"messages", messages}, {"tools", tools}, {"add_generation_prompt", true},
            {"bos_token", kBos}, {"eos_token", kEos}, {"enable_thinking", false}};
  return c.dump();
}

}  // namespace fuzz
