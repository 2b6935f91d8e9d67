#include "dsinfer/tokenizer.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/mapped_file.hpp"
#include "tokenizer/bpe.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/gguf_pre_tokenizers.hpp"
#include "tokenizer/normalizer.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/utf8.hpp"

namespace dsinfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct AddedToken {
  int32_t id;
  std::string content;
  bool special;
  bool lstrip;
  bool rstrip;
};

// Byte trie over added-token contents for leftmost-longest matching in raw text.
class AddedTokenMatcher {
 public:
  void add(const std::string& s, size_t token_index) {
    int node = 0;
    for (unsigned char c : s) {
      auto it = nodes_[node].next.find(c);
      if (it == nodes_[node].next.end()) {
        nodes_.push_back({});
        it = nodes_[node].next.emplace(c, static_cast<int>(nodes_.size() - 1)).first;
      }
      node = it->second;
    }
    nodes_[node].token = static_cast<int>(token_index);
  }
  // Longest token matching at text[pos], accepting only tokens `ok` allows; -1 if none.
  template <typename Ok>
  int longest_at(std::string_view text, size_t pos, size_t* len, Ok&& ok) const {
    int node = 0, best = -1;
    for (size_t i = pos; i < text.size(); ++i) {
      auto it = nodes_[node].next.find(static_cast<unsigned char>(text[i]));
      if (it == nodes_[node].next.end()) break;
      node = it->second;
      if (nodes_[node].token >= 0 && ok(nodes_[node].token)) {
        best = nodes_[node].token;
        *len = i + 1 - pos;
      }
    }
    return best;
  }

 private:
  struct Node {
    std::unordered_map<unsigned char, int> next;
    int token = -1;
  };
  std::vector<Node> nodes_{1};
};

// transformers' clean_up_tokenization: drops the space before punctuation and English
// contractions. Applied on decode when the tokenizer config asks for it (Llama 3 does).
std::string clean_up_tokenization_spaces(std::string s) {
  static const std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    std::string out;
    size_t pos = 0;
    for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
      out.append(s, pos, hit - pos);
      out.append(to);
    }
    out.append(s, pos, std::string::npos);
    s = std::move(out);
  }
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Far beyond real files (DeepSeek-V3's tokenizer.json is 7.8 MB); parsing costs a few
// times the file's size in memory, so the size is bounded before reading.
constexpr uint64_t kMaxTokenizerJsonBytes = 256ull << 20;
constexpr uint64_t kMaxConfigJsonBytes = 64ull << 20;

void check_size(const std::string& path, uint64_t limit) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (!ec && size > limit)
    throw Error(ErrorCode::too_large, path + " is " + std::to_string(size) + " bytes, more than the " +
                                          std::to_string(limit >> 20) + " MiB dsinfer reads");
}

std::string read_text(const std::string& path) {
  check_size(path, kMaxConfigJsonBytes);
  const auto f = MappedFile::open(path);
  return std::string(reinterpret_cast<const char*>(f->data()), static_cast<size_t>(f->size()));
}

json parse_json(const std::string& text, const std::string& path) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_format, path + " is not valid JSON: " + e.what());
  }
}

// tokenizer_config.json spells tokens as a string or as {"content": ...}.
std::string token_content(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return "";
}

}  // namespace

struct Tokenizer::Impl {
  std::unique_ptr<Bpe> bpe;
  Normalizer normalizer;
  PreTokenizer pre;
  std::vector<AddedToken> added;
  AddedTokenMatcher matcher;
  std::vector<std::string> id_to_token;  // "" for ids that do not exist
  std::vector<uint8_t> exists;
  std::vector<uint8_t> special;
  std::unordered_map<std::string, int32_t> added_index;  // content -> id
  int32_t bos = -1, eos = -1;
  bool add_bos = false, add_eos = false;
  bool clean_up_spaces = false;  // tokenizer_config.json's clean_up_tokenization_spaces
  std::string chat_template;

  void finish(StringIdMap vocab, const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges) {
    int32_t max_id = -1;
    vocab.for_each([&](std::string_view, int32_t id) { max_id = std::max(max_id, id); });
    for (const auto& a : added) max_id = std::max(max_id, a.id);
    if (max_id < 0) throw Error(ErrorCode::invalid_format, "tokenizer has an empty vocabulary");
    if (max_id > 16'000'000) throw Error(ErrorCode::too_large, "tokenizer vocabulary ids reach " + std::to_string(max_id));
    // The id table is dense: a few entries claiming huge ids would make a tiny file cost
    // hundreds of megabytes. Real vocabularies leave at most small gaps.
    const size_t entries = vocab.size() + added.size();
    if (static_cast<size_t>(max_id) > 2 * entries + 65536)
      throw Error(ErrorCode::invalid_format, "tokenizer ids reach " + std::to_string(max_id) + " but there are only " +
                                                 std::to_string(entries) + " tokens");
    id_to_token.assign(static_cast<size_t>(max_id) + 1, "");
    exists.assign(id_to_token.size(), 0);
    special.assign(id_to_token.size(), 0);
    vocab.for_each([&](std::string_view t, int32_t id) {
      id_to_token[id] = t;
      exists[id] = 1;
    });
    for (size_t i = 0; i < added.size(); ++i) {
      const AddedToken& a = added[i];
      if (a.id < 0) throw Error(ErrorCode::invalid_format, "added token '" + a.content + "' has a negative id");
      if (a.content.empty()) continue;
      id_to_token[a.id] = a.content;
      exists[a.id] = 1;
      special[a.id] = a.special;
      matcher.add(a.content, i);
      added_index[a.content] = a.id;
    }
    bpe = std::make_unique<Bpe>(std::move(vocab), merges, ignore_merges);
  }

  // Text between added tokens: normalize, pre-tokenize, BPE.
  void encode_text(std::string_view text, std::vector<int32_t>& out) const {
    if (text.empty()) return;
    std::vector<std::string> pieces;
    if (normalizer.empty()) pre.split(text, pieces);
    else pre.split(normalizer.apply(text), pieces);
    for (const auto& p : pieces) bpe->encode(p, out);
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::from_hf_dir(const std::string& dir) {
  const fs::path d(dir);
  std::error_code ec;
  const fs::path tj = d / "tokenizer.json";
  if (!fs::exists(tj, ec)) throw Error(ErrorCode::io, dir + ": no tokenizer.json in this directory");
  const fs::path cfg = d / "tokenizer_config.json";
  return from_hf_files(tj.string(), fs::exists(cfg, ec) ? cfg.string() : "");
}

std::shared_ptr<const Tokenizer> Tokenizer::from_hf_files(const std::string& tokenizer_json_path,
                                                          const std::string& config_path) {
  auto impl = std::make_unique<Impl>();
  try {
    // DeepSeek-V3's tokenizer.json is 7.8 MB; simdjson parses it an order of magnitude
    // faster than a DOM builder, which is what keeps loading under the 0.3 s budget. The
    // small sections (normalizer, pre-tokenizer, post-processor) go to nlohmann as text.
    check_size(tokenizer_json_path, kMaxTokenizerJsonBytes);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto err = parser.load(tokenizer_json_path).get(root))
      throw Error(err == simdjson::IO_ERROR ? ErrorCode::io : ErrorCode::invalid_format,
                  std::string(err == simdjson::IO_ERROR ? "cannot read: " : "not valid JSON: ") + simdjson::error_message(err));
    simdjson::dom::object top, m;
    if (root.get(top) || top["model"].get(m)) throw Error(ErrorCode::invalid_format, "no \"model\" object");
    auto str_or = [](simdjson::dom::object o, const char* key, std::string def) {
      std::string_view v;
      return o[key].get(v) ? def : std::string(v);
    };
    auto bool_or = [](simdjson::dom::object o, const char* key, bool def) {
      bool v;
      return o[key].get(v) ? def : v;
    };
    const std::string type = str_or(m, "type", "BPE");
    if (type != "BPE") throw Error(ErrorCode::unsupported, "tokenizer model type '" + type + "' (only BPE is supported)");
    if (bool_or(m, "byte_fallback", false)) throw Error(ErrorCode::unsupported, "BPE with byte_fallback is not supported");
    for (const char* k : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (!str_or(m, k, "").empty()) throw Error(ErrorCode::unsupported, std::string("BPE with ") + k + " is not supported");
    simdjson::dom::object vocab_obj;
    if (m["vocab"].get(vocab_obj)) throw Error(ErrorCode::invalid_format, "model has no vocab object");
    StringIdMap vocab;
    vocab.reserve(vocab_obj.size());
    for (auto [key, value] : vocab_obj) {
      int64_t id;
      if (value.get(id)) throw Error(ErrorCode::invalid_format, "vocab entry '" + std::string(key) + "' is not an integer id");
      if (id < 0 || id > INT32_MAX) throw Error(ErrorCode::invalid_format, "vocab entry '" + std::string(key) + "' has id out of range");
      vocab.insert(key, static_cast<int32_t>(id));
    }
    std::vector<std::pair<std::string, std::string>> merges;
    simdjson::dom::array merges_arr;
    if (!m["merges"].get(merges_arr)) {
      merges.reserve(merges_arr.size());
      for (simdjson::dom::element e : merges_arr) {
        std::string_view sv;
        simdjson::dom::array pair;
        if (!e.get(sv)) {
          const size_t sp = sv.find(' ');
          if (sp == std::string_view::npos) throw Error(ErrorCode::invalid_format, "merge '" + std::string(sv) + "' has no space");
          merges.emplace_back(std::string(sv.substr(0, sp)), std::string(sv.substr(sp + 1)));
        } else if (!e.get(pair) && pair.size() == 2) {
          std::string_view a, b;
          if (pair.at(0).get(a) || pair.at(1).get(b)) throw Error(ErrorCode::invalid_format, "a merge pair is not two strings");
          merges.emplace_back(std::string(a), std::string(b));
        } else {
          throw Error(ErrorCode::invalid_format, "a merge is neither \"a b\" nor [\"a\", \"b\"]");
        }
      }
    }
    simdjson::dom::array added_arr;
    if (!top["added_tokens"].get(added_arr)) {
      for (simdjson::dom::element e : added_arr) {
        simdjson::dom::object a;
        int64_t id;
        std::string_view content;
        if (e.get(a) || a["id"].get(id) || a["content"].get(content))
          throw Error(ErrorCode::invalid_format, "an added token lacks an integer id or a string content");
        if (id < 0 || id > INT32_MAX) throw Error(ErrorCode::invalid_format, "added token id out of range");
        impl->added.push_back({static_cast<int32_t>(id), std::string(content), bool_or(a, "special", false),
                               bool_or(a, "lstrip", false), bool_or(a, "rstrip", false)});
      }
    }
    auto section = [&](const char* key) {
      simdjson::dom::element e;
      if (top[key].get(e)) return json();
      return json::parse(simdjson::to_string(e));
    };
    const bool ignore_merges = bool_or(m, "ignore_merges", false);
    const json j = json{{"normalizer", section("normalizer")}, {"pre_tokenizer", section("pre_tokenizer")},
                        {"post_processor", section("post_processor")}};
    impl->normalizer = Normalizer::from_json(j.value("normalizer", json()));
    bool byte_level = false;
    impl->pre = PreTokenizer::from_json(j.value("pre_tokenizer", json()), &byte_level);
    if (!byte_level) throw Error(ErrorCode::unsupported, "only byte-level BPE tokenizers are supported (no ByteLevel pre-tokenizer)");
    impl->finish(std::move(vocab), merges, ignore_merges);

    // BOS/EOS from the post-processor's template, unless tokenizer_config.json says otherwise.
    std::function<void(const json&)> scan_post = [&](const json& p) {
      if (!p.is_object()) return;
      if (p.value("type", std::string()) == "Sequence" && p.contains("processors"))
        for (const auto& q : p["processors"]) scan_post(q);
      if (p.value("type", std::string()) != "TemplateProcessing" || !p.contains("single") || !p["single"].is_array()) return;
      bool seen_a = false;
      for (const auto& piece : p["single"]) {
        if (piece.contains("Sequence")) seen_a = true;
        if (piece.contains("SpecialToken") && piece["SpecialToken"].contains("id")) {
          const std::string tok = piece["SpecialToken"]["id"];
          auto it = impl->added_index.find(tok);
          if (it == impl->added_index.end()) continue;
          if (!seen_a) { impl->bos = it->second; impl->add_bos = true; }
          else { impl->eos = it->second; impl->add_eos = true; }
        }
      }
    };
    scan_post(j.value("post_processor", json()));
  } catch (const Error& e) {
    throw Error(e.code(), tokenizer_json_path + ": " + e.what());
  } catch (const json::exception& e) {  // a section of the wrong JSON type
    throw Error(ErrorCode::invalid_format, tokenizer_json_path + ": " + e.what());
  }

  if (!config_path.empty()) try {
    const json c = parse_json(read_text(config_path), config_path);
    if (c.is_object()) {
      auto id_of = [&](const std::string& content) -> int32_t {
        if (content.empty()) return -1;
        auto it = impl->added_index.find(content);
        if (it != impl->added_index.end()) return it->second;
        return impl->bpe->vocab().find(content);
      };
      if (c.contains("bos_token")) {
        const int32_t b = id_of(token_content(c["bos_token"]));
        if (b >= 0) impl->bos = b;
      }
      if (c.contains("eos_token")) {
        const int32_t e = id_of(token_content(c["eos_token"]));
        if (e >= 0) impl->eos = e;
      }
      if (c.contains("add_bos_token") && c["add_bos_token"].is_boolean()) impl->add_bos = c["add_bos_token"].get<bool>();
      if (c.contains("add_eos_token") && c["add_eos_token"].is_boolean()) impl->add_eos = c["add_eos_token"].get<bool>();
      if (c.contains("clean_up_tokenization_spaces") && c["clean_up_tokenization_spaces"].is_boolean())
        impl->clean_up_spaces = c["clean_up_tokenization_spaces"].get<bool>();
      if (c.contains("chat_template")) {
        const json& t = c["chat_template"];
        if (t.is_string()) {
          impl->chat_template = t.get<std::string>();
        } else if (t.is_array()) {  // named templates: take "default", else the first
          for (const auto& e : t)
            if (e.is_object() && e.value("name", std::string()) == "default" && e.contains("template") && e["template"].is_string())
              impl->chat_template = e["template"].get<std::string>();
          if (impl->chat_template.empty() && !t.empty() && t[0].is_object() && t[0].contains("template") && t[0]["template"].is_string())
            impl->chat_template = t[0]["template"].get<std::string>();
        }
      }
    }
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_format, config_path + ": " + e.what());
  }
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(impl)));
}

std::shared_ptr<const Tokenizer> Tokenizer::from_gguf(const GgufFile& g) {
  auto impl = std::make_unique<Impl>();
  try {
    const std::string model = g.get_string_or("tokenizer.ggml.model", "");
    if (model.empty()) throw Error(ErrorCode::invalid_format, "the file carries no tokenizer (tokenizer.ggml.model is missing)");
    if (model != "gpt2")
      throw Error(ErrorCode::unsupported, "tokenizer.ggml.model '" + model + "' (only byte-level BPE, \"gpt2\", is supported)");
    const std::string pre_name = g.get_string_or("tokenizer.ggml.pre", "default");
    const auto pre = gguf_pre_tokenizer(pre_name);
    if (!pre)
      throw Error(ErrorCode::unsupported, "tokenizer.ggml.pre '" + pre_name +
                                              "' is not known (known: default, gpt-2, llama-bpe, llama3, qwen2, "
                                              "deepseek-r1-qwen, deepseek-llm, deepseek-v3)");
    const auto& tokens = g.get("tokenizer.ggml.tokens").as_string_array();
    std::vector<int64_t> types;
    if (const GgufValue* t = g.find("tokenizer.ggml.token_type")) types = t->as_int_array();
    if (!types.empty() && types.size() != tokens.size())
      throw Error(ErrorCode::invalid_format, "tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                                                 " entries for " + std::to_string(tokens.size()) + " tokens");
    StringIdMap vocab;
    vocab.reserve(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      const int64_t type = types.empty() ? 1 : types[i];
      // llama.cpp token types: 3 control (special), 4 user-defined (added, not special).
      if (type == 3 || type == 4) impl->added.push_back({static_cast<int32_t>(i), tokens[i], type == 3, false, false});
      else vocab.insert(tokens[i], static_cast<int32_t>(i));
    }
    std::vector<std::pair<std::string, std::string>> merges;
    if (const GgufValue* mv = g.find("tokenizer.ggml.merges")) {
      for (const auto& s : mv->as_string_array()) {
        const size_t sp = s.find(' ', 1);
        if (sp == std::string::npos) throw Error(ErrorCode::invalid_format, "merge '" + s + "' has no space");
        merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      }
    }
    impl->pre = PreTokenizer::from_patterns(pre->patterns);
    if (pre->nfc) impl->normalizer = Normalizer::nfc();
    impl->finish(std::move(vocab), merges, pre->ignore_merges);
    const auto id_or_none = [&](const char* key) -> int32_t {
      const GgufValue* v = g.find(key);
      if (!v) return -1;
      const uint64_t id = v->as_uint();
      if (id >= impl->id_to_token.size()) throw Error(ErrorCode::invalid_format, std::string(key) + " is outside the vocabulary");
      return static_cast<int32_t>(id);
    };
    impl->bos = id_or_none("tokenizer.ggml.bos_token_id");
    impl->eos = id_or_none("tokenizer.ggml.eos_token_id");
    impl->add_bos = g.get_bool_or("tokenizer.ggml.add_bos_token", impl->bos >= 0);
    impl->add_eos = g.get_bool_or("tokenizer.ggml.add_eos_token", false);
    impl->chat_template = g.get_string_or("tokenizer.chat_template", "");
  } catch (const Error& e) {
    const std::string msg = e.what();
    throw Error(e.code(), msg.rfind(g.path(), 0) == 0 ? msg : g.path() + ": " + msg);
  }
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(impl)));
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->id_to_token.size()); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  const Impl& m = *impl_;
  if (const size_t bad = utf8::first_invalid(text); bad != std::string_view::npos)
    throw Error(ErrorCode::invalid_argument, "text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  std::vector<int32_t> out;
  if (add_special && m.add_bos && m.bos >= 0) out.push_back(m.bos);
  auto ok = [&](int idx) { return parse_special || !m.added[static_cast<size_t>(idx)].special; };
  size_t start = 0, i = 0;
  while (i < text.size()) {
    size_t len = 0;
    const int idx = m.matcher.longest_at(text, i, &len, ok);
    if (idx < 0) {
      ++i;
      continue;
    }
    const AddedToken& a = m.added[static_cast<size_t>(idx)];
    size_t seg_end = i;
    if (a.lstrip)
      while (seg_end > start && is_space(text[seg_end - 1])) --seg_end;
    m.encode_text(text.substr(start, seg_end - start), out);
    out.push_back(a.id);
    i += len;
    if (a.rstrip)
      while (i < text.size() && is_space(text[i])) ++i;
    start = i;
  }
  m.encode_text(text.substr(start), out);
  if (add_special && m.add_eos && m.eos >= 0) out.push_back(m.eos);
  return out;
}

std::string Tokenizer::token_bytes(int32_t id) const {
  const Impl& m = *impl_;
  if (id < 0 || id >= vocab_size() || !m.exists[id])
    throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(id) + " is not in the vocabulary");
  const std::string& t = m.id_to_token[id];
  std::string bytes;
  // As Hugging Face's ByteLevel decoder: a token made only of byte-level characters
  // stands for those bytes; any other token (special ones) for its own text.
  if (!byte_level_map().decode(t, &bytes)) return t;
  return bytes;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  std::string text = utf8::lossy(bytes);
  if (impl_->clean_up_spaces) text = clean_up_tokenization_spaces(text);
  return text;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  const std::string t(token);
  if (auto it = impl_->added_index.find(t); it != impl_->added_index.end()) return it->second;
  if (const int32_t id = impl_->bpe->vocab().find(t); id >= 0) return id;
  return std::nullopt;
}

std::string Tokenizer::id_to_token(int32_t id) const {
  if (id < 0 || id >= vocab_size() || !impl_->exists[id])
    throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(id) + " is not in the vocabulary");
  return impl_->id_to_token[id];
}

bool Tokenizer::is_special(int32_t id) const { return id >= 0 && id < vocab_size() && impl_->special[id]; }
int32_t Tokenizer::bos_id() const { return impl_->bos; }
int32_t Tokenizer::eos_id() const { return impl_->eos; }
bool Tokenizer::add_bos() const { return impl_->add_bos; }
bool Tokenizer::add_eos() const { return impl_->add_eos; }
std::string Tokenizer::bos_token() const { return impl_->bos >= 0 ? impl_->id_to_token[impl_->bos] : ""; }
std::string Tokenizer::eos_token() const { return impl_->eos >= 0 ? impl_->id_to_token[impl_->eos] : ""; }
const std::string& Tokenizer::chat_template() const { return impl_->chat_template; }

StreamingDecoder::StreamingDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special)
    : tok_(std::move(tokenizer)), skip_special_(skip_special) {
  if (!tok_) throw Error(ErrorCode::invalid_argument, "StreamingDecoder: no tokenizer");
}

std::string StreamingDecoder::push(int32_t id) {
  if (skip_special_ && tok_->is_special(id)) return "";
  pending_ += tok_->token_bytes(id);
  const size_t hold = utf8::incomplete_tail(pending_);
  std::string out = utf8::lossy(std::string_view(pending_).substr(0, pending_.size() - hold));
  pending_.erase(0, pending_.size() - hold);
  return out;
}

std::string StreamingDecoder::flush() {
  std::string out = utf8::lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace dsinfer
