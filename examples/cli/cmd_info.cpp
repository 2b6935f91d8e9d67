// dsinfer info: what a model file holds, without loading a model from it.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/mapped_file.hpp"
#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/safetensors.hpp"

namespace cli {
namespace {

namespace fs = std::filesystem;
using dsinfer::DType;
using dsinfer::TensorView;

std::string human_bytes(uint64_t b) {
  char buf[32];
  const double v = static_cast<double>(b);
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", v / (1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", v / (1ull << 20));
  else if (b >= (1ull << 10)) std::snprintf(buf, sizeof buf, "%.2f KiB", v / (1ull << 10));
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

void print_tensor_summary(const std::vector<const TensorView*>& tensors, bool list) {
  struct Sum {
    uint64_t count = 0, bytes = 0, params = 0;
  };
  std::map<std::string, Sum> by_type;
  Sum total;
  for (const TensorView* t : tensors) {
    Sum& s = by_type[std::string(dsinfer::dtype_name(t->dtype))];
    s.count++;
    s.bytes += t->nbytes;
    s.params += static_cast<uint64_t>(t->numel());
    total.count++;
    total.bytes += t->nbytes;
    total.params += static_cast<uint64_t>(t->numel());
  }
  std::printf("tensors: %llu, %llu parameters, %llu bytes (%s)\n", static_cast<unsigned long long>(total.count),
              static_cast<unsigned long long>(total.params), static_cast<unsigned long long>(total.bytes),
              human_bytes(total.bytes).c_str());
  std::printf("bytes per type:\n");
  for (const auto& [name, s] : by_type)
    std::printf("  %-8s %6llu tensors %14llu bytes (%s)\n", name.c_str(), static_cast<unsigned long long>(s.count),
                static_cast<unsigned long long>(s.bytes), human_bytes(s.bytes).c_str());
  if (list) {
    std::printf("tensor list:\n");
    for (const TensorView* t : tensors)
      std::printf("  %-48s %-8s %-22s %s\n", t->name.c_str(), std::string(dsinfer::dtype_name(t->dtype)).c_str(),
                  dsinfer::shape_string(t->shape).c_str(), human_bytes(t->nbytes).c_str());
  }
}

// What the MLA cache keeps per token against what a plain multi-head cache of the same
// model would (full K and V for every head), both in f32.
void print_model_summary(const dsinfer::ModelConfig& c) {
  if (c.is_dense_arch()) {
    const long long kv = 2 * c.num_key_value_heads * c.head_dim * c.num_hidden_layers * 4;
    std::printf("model: %s, %lld layers, hidden %lld, %lld heads, %lld KV heads of %lld dims%s%s\n", c.architecture.c_str(),
                static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
                static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.num_key_value_heads),
                static_cast<long long>(c.head_dim), c.attention_bias ? ", q/k/v biases" : "",
                c.tie_word_embeddings ? ", tied embeddings" : "");
    std::printf("KV cache: %lld bytes per token (K and V of %lld KV heads x %lld layers, f32)\n", kv,
                static_cast<long long>(c.num_key_value_heads), static_cast<long long>(c.num_hidden_layers));
    return;
  }
  std::printf("model: %lld layers, hidden %lld, %lld heads, q_lora_rank %lld, kv_lora_rank %lld, rope dims %lld\n",
              static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
              static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.q_lora_rank),
              static_cast<long long>(c.kv_lora_rank), static_cast<long long>(c.qk_rope_head_dim));
  if (c.n_routed_experts > 0)
    std::printf("moe: %lld routed experts, %lld per token, %lld shared, first %lld layers dense, %s scoring, %s top-k, "
                "scaling %g%s\n",
                static_cast<long long>(c.n_routed_experts), static_cast<long long>(c.num_experts_per_tok),
                static_cast<long long>(c.n_shared_experts), static_cast<long long>(c.first_k_dense_replace),
                dsinfer::scoring_func_name(c.scoring_func), dsinfer::topk_method_name(c.topk_method),
                c.routed_scaling_factor, c.norm_topk_prob ? ", renormalised" : "");
  const long long mla = c.mla_cache_width() * c.num_hidden_layers * dsinfer::MlaCache::kValueBytes;
  const long long mha = c.num_attention_heads * (c.qk_head_dim() + c.v_head_dim) * c.num_hidden_layers * dsinfer::MlaCache::kValueBytes;
  std::printf("MLA cache: %lld bytes per token (%lld latent + rope values x %lld layers, f16); a full multi-head "
              "K/V cache would need %lld bytes per token (%.1fx more)\n",
              mla, static_cast<long long>(c.mla_cache_width()), static_cast<long long>(c.num_hidden_layers), mha,
              static_cast<double>(mha) / static_cast<double>(mla));
}

int info_gguf(const std::string& path, bool list) {
  const auto g = dsinfer::GgufFile::open(path);
  const std::string arch = g.architecture();
  std::printf("file: %s\n", path.c_str());
  std::printf("format: GGUF v%u, alignment %llu, data section at offset %llu, file size %llu bytes\n", g.version(),
              static_cast<unsigned long long>(g.alignment()), static_cast<unsigned long long>(g.data_offset()),
              static_cast<unsigned long long>(g.file_size()));
  std::printf("architecture: %s\n", arch.empty() ? "(not set)" : arch.c_str());
  if (const auto* name = g.find("general.name"); name && name->type == dsinfer::GgufType::string)
    std::printf("name: %s\n", name->str.c_str());
  std::printf("metadata: %zu keys\n", g.metadata().size());
  for (const auto& [key, value] : g.metadata())
    std::printf("  %-48s %s\n", key.c_str(), value.summary(72).c_str());
  if (arch == "deepseek2" || arch == "qwen2" || arch == "llama") print_model_summary(dsinfer::config_from_gguf(g));
  std::vector<const TensorView*> ts;
  for (const auto& t : g.tensors()) ts.push_back(&t);
  print_tensor_summary(ts, list);
  return 0;
}

std::string config_architecture(const fs::path& dir, std::string* text_out) {
  const fs::path config = dir / "config.json";
  std::error_code ec;
  if (!fs::exists(config, ec)) return "";
  const auto bytes = dsinfer::MappedFile::open(config.string());
  const char* b = reinterpret_cast<const char*>(bytes->data());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(b, b + bytes->size());
  } catch (const nlohmann::json::exception& e) {
    throw dsinfer::Error(dsinfer::ErrorCode::invalid_format, config.string() + " is not valid JSON: " + e.what());
  }
  *text_out = std::string(b, bytes->size());
  std::string out;
  if (j.is_object() && j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    out = j["architectures"][0].get<std::string>();
  if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
    out += (out.empty() ? "" : " (model_type ") + j["model_type"].get<std::string>() + (out.empty() ? "" : ")");
  return out;
}

int info_safetensors(const std::string& path, bool list) {
  const auto set = dsinfer::SafetensorsSet::open(path);
  std::error_code ec;
  const bool is_dir = fs::is_directory(path, ec);
  std::string config_text;
  const std::string arch = is_dir ? config_architecture(path, &config_text) : "";
  std::printf("file: %s\n", path.c_str());
  std::printf("format: safetensors, %zu file%s\n", set.shards().size(), set.shards().size() == 1 ? "" : "s");
  for (const auto& shard : set.shards())
    std::printf("  %s (%zu tensors)\n", shard.path().c_str(), shard.tensors().size());
  std::printf("architecture: %s\n", arch.empty() ? "(no config.json)" : arch.c_str());
  if (arch.find("Deepseek") != std::string::npos || arch.find("Qwen2ForCausalLM") != std::string::npos ||
      arch.find("LlamaForCausalLM") != std::string::npos)
    print_model_summary(dsinfer::config_from_hf_json(config_text, (fs::path(path) / "config.json").string()));
  size_t n_meta = 0;
  for (const auto& shard : set.shards()) n_meta += shard.metadata().size();
  std::printf("metadata: %zu keys\n", n_meta);
  for (const auto& shard : set.shards())
    for (const auto& [k, v] : shard.metadata()) std::printf("  %-48s \"%s\"\n", k.c_str(), v.substr(0, 72).c_str());
  print_tensor_summary(set.tensors(), list);
  return 0;
}

bool starts_with_gguf_magic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  return f.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace

int cmd_info(const std::vector<std::string>& args) {
  std::string path;
  bool list = false;
  for (const auto& a : args) {
    if (a == "--tensors") list = true;
    else if (!a.empty() && a[0] == '-') throw UsageError("info: unknown option " + a);
    else if (path.empty()) path = a;
    else throw UsageError("info: more than one path given");
  }
  if (path.empty()) throw UsageError("info: missing PATH");
  std::error_code ec;
  if (!fs::exists(path, ec)) throw dsinfer::Error(dsinfer::ErrorCode::io, path + ": no such file or directory");
  if (fs::is_directory(path, ec)) return info_safetensors(path, list);
  if (starts_with_gguf_magic(path)) return info_gguf(path, list);
  if (fs::path(path).extension() == ".safetensors") return info_safetensors(path, list);
  throw dsinfer::Error(dsinfer::ErrorCode::invalid_format,
                       path + ": not a GGUF file (no GGUF magic) and not a .safetensors file or model directory");
}

}  // namespace cli
