// C ABI: models and tokenizers.
#include <cstring>
#include <filesystem>

#include "dsinfer/chat_template.hpp"
#include "dsinfer/gguf.hpp"
#include "handles.hpp"
#include "status.hpp"

using namespace dsinfer;
using namespace dsinfer::capi;

namespace {

LoadOptions load_options(const dsi_model_params* p) {
  require_size(p, "dsi_model_load");
  LoadOptions o;
  if (!p) return o;
  if (p->n_threads < 0) throw Error(ErrorCode::invalid_argument, "dsi_model_load: n_threads is negative");
  o.threads = p->n_threads;
  if (p->progress) o.progress = [fn = p->progress, user = p->progress_user](float f) { fn(f, user); };
  return o;
}

}  // namespace

extern "C" {

dsi_model_params dsi_model_default_params(void) {
  dsi_model_params p{};
  p.struct_size = sizeof p;
  return p;
}

dsi_status dsi_model_load(const char* path, const dsi_model_params* params, dsi_model** out) {
  return guard([&] {
    require(path, "dsi_model_load", "path");
    require(out, "dsi_model_load", "out");
    *out = nullptr;
    if (!*path) throw Error(ErrorCode::invalid_argument, "dsi_model_load: path is empty");
    *out = make_handle<dsi_model>(Model::load(path, load_options(params)));
  });
}

dsi_status dsi_model_load_builtin(const dsi_model_params* params, dsi_model** out) {
  return guard([&] {
    require(out, "dsi_model_load_builtin", "out");
    *out = nullptr;
    *out = make_handle<dsi_model>(Model::load_builtin(load_options(params)));
  });
}

void dsi_model_free(dsi_model* model) { std::unique_ptr<dsi_model> drop(model); }

dsi_status dsi_model_get_info(const dsi_model* model, dsi_model_info* out) {
  return guard([&] {
    require(model, "dsi_model_get_info", "model");
    require(out, "dsi_model_get_info", "out");
    require_size(out, "dsi_model_get_info");
    const ModelConfig& c = model->model->config();
    const size_t size = out->struct_size;
    std::memset(out, 0, sizeof *out);
    out->struct_size = size;
    out->n_vocab = static_cast<int32_t>(c.vocab_size);
    out->n_layers = static_cast<int32_t>(c.num_hidden_layers);
    out->n_heads = static_cast<int32_t>(c.num_attention_heads);
    out->n_ctx_train = static_cast<int32_t>(c.max_position_embeddings);
    out->n_experts = static_cast<int32_t>(c.n_routed_experts);
    out->n_experts_per_token = static_cast<int32_t>(c.num_experts_per_tok);
    out->cache_bytes_per_token = c.mla_cache_width() * c.num_hidden_layers * MlaCache::kValueBytes;
    std::strncpy(out->architecture, c.architecture.c_str(), sizeof out->architecture - 1);
  });
}

dsi_status dsi_model_get_tokenizer(const dsi_model* model, dsi_tokenizer** out) {
  return guard([&] {
    require(model, "dsi_model_get_tokenizer", "model");
    require(out, "dsi_model_get_tokenizer", "out");
    *out = nullptr;
    model->model->require_tokenizer();
    *out = make_handle<dsi_tokenizer>(model->model->tokenizer());
  });
}

dsi_status dsi_tokenizer_load(const char* path, dsi_tokenizer** out) {
  return guard([&] {
    namespace fs = std::filesystem;
    require(path, "dsi_tokenizer_load", "path");
    require(out, "dsi_tokenizer_load", "out");
    *out = nullptr;
    std::error_code ec;
    if (!*path || !fs::exists(path, ec)) throw Error(ErrorCode::io, std::string(path) + ": no such file or directory");
    std::shared_ptr<const Tokenizer> t;
    if (fs::is_directory(path, ec)) {
      t = Tokenizer::from_hf_dir(path);
    } else if (fs::path(path).extension() == ".json") {
      const fs::path cfg = fs::path(path).parent_path() / "tokenizer_config.json";
      t = Tokenizer::from_hf_files(path, fs::exists(cfg, ec) ? cfg.string() : "");
    } else {
      t = Tokenizer::from_gguf(GgufFile::open(path));
    }
    *out = make_handle<dsi_tokenizer>(std::move(t));
  });
}

void dsi_tokenizer_free(dsi_tokenizer* tokenizer) { std::unique_ptr<dsi_tokenizer> drop(tokenizer); }

dsi_status dsi_tokenize(const dsi_tokenizer* tokenizer, const char* text, size_t len, int add_special, int parse_special,
                        int32_t* ids, size_t cap, size_t* n_out) {
  return guard([&] {
    require(tokenizer, "dsi_tokenize", "tokenizer");
    require(n_out, "dsi_tokenize", "n_out");
    *n_out = 0;
    if (len > 0) require(text, "dsi_tokenize", "text");
    if (cap > 0) require(ids, "dsi_tokenize", "ids");
    const auto v = tokenizer->tokenizer->encode(std::string_view(text ? text : "", len), add_special != 0, parse_special != 0);
    *n_out = v.size();
    if (v.size() > cap)
      throw BufferTooSmall("dsi_tokenize: " + std::to_string(v.size()) + " ids need a buffer of that many, cap is " +
                           std::to_string(cap));
    std::copy(v.begin(), v.end(), ids);
  });
}

dsi_status dsi_detokenize(const dsi_tokenizer* tokenizer, const int32_t* ids, size_t n, int skip_special, char* buf,
                          size_t cap, size_t* len_out) {
  return guard([&] {
    require(tokenizer, "dsi_detokenize", "tokenizer");
    require(len_out, "dsi_detokenize", "len_out");
    *len_out = 0;
    if (n > 0) require(ids, "dsi_detokenize", "ids");
    if (cap > 0) require(buf, "dsi_detokenize", "buf");
    const std::string s = tokenizer->tokenizer->decode(std::span<const int32_t>(ids, n), skip_special != 0);
    *len_out = s.size();
    if (s.size() + 1 > cap)
      throw BufferTooSmall("dsi_detokenize: the text needs " + std::to_string(s.size() + 1) + " bytes with its NUL, cap is " +
                           std::to_string(cap));
    std::memcpy(buf, s.c_str(), s.size() + 1);
  });
}

dsi_status dsi_tokenizer_special_ids(const dsi_tokenizer* tokenizer, int32_t* bos, int32_t* eos) {
  return guard([&] {
    require(tokenizer, "dsi_tokenizer_special_ids", "tokenizer");
    if (bos) *bos = tokenizer->tokenizer->bos_id();
    if (eos) *eos = tokenizer->tokenizer->eos_id();
  });
}

dsi_status dsi_tokenizer_vocab_size(const dsi_tokenizer* tokenizer, int32_t* out) {
  return guard([&] {
    require(tokenizer, "dsi_tokenizer_vocab_size", "tokenizer");
    require(out, "dsi_tokenizer_vocab_size", "out");
    *out = tokenizer->tokenizer->vocab_size();
  });
}

dsi_status dsi_chat_template_apply(const dsi_tokenizer* tokenizer, const dsi_chat_message* messages, size_t n,
                                   int add_generation_prompt, char* buf, size_t cap, size_t* len_out) {
  return guard([&] {
    require(tokenizer, "dsi_chat_template_apply", "tokenizer");
    require(len_out, "dsi_chat_template_apply", "len_out");
    *len_out = 0;
    if (n > 0) require(messages, "dsi_chat_template_apply", "messages");
    if (cap > 0) require(buf, "dsi_chat_template_apply", "buf");
    const Tokenizer& t = *tokenizer->tokenizer;
    if (t.chat_template().empty()) throw Error(ErrorCode::unsupported, "dsi_chat_template_apply: the tokenizer has no chat template");
    std::vector<ChatMessage> msgs;
    for (size_t i = 0; i < n; ++i) {
      require(messages[i].role, "dsi_chat_template_apply", "a message's role");
      require(messages[i].content, "dsi_chat_template_apply", "a message's content");
      msgs.push_back({messages[i].role, messages[i].content});
    }
    const std::string s = ChatTemplate::parse(t.chat_template()).render(msgs, add_generation_prompt != 0, t.bos_token(), t.eos_token());
    *len_out = s.size();
    if (s.size() + 1 > cap)
      throw BufferTooSmall("dsi_chat_template_apply: the text needs " + std::to_string(s.size() + 1) + " bytes with its NUL, cap is " +
                           std::to_string(cap));
    std::memcpy(buf, s.c_str(), s.size() + 1);
  });
}

}  // extern "C"
