// Writes the fuzzers' seed corpora: OUT/<harness>/<name>, valid small inputs that reach
// deep into each loader, and checks that each one is accepted (a seed dsinfer refuses
// would start fuzzing at the surface). Usage: make_seeds OUT
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "dsinfer/chat_template.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/safetensors.hpp"
#include "dsinfer/session.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"
#include "tiny_files.hpp"

using namespace dsinfer;
namespace fs = std::filesystem;

namespace {

std::string out_dir;

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string str(const fuzz::Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

void seed(const std::string& harness, const std::string& name, const std::string& bytes) {
  fs::create_directories(out_dir + "/" + harness);
  fuzz::write_file(out_dir + "/" + harness + "/" + name, bytes);
}

std::shared_ptr<const Model> tiny_model() {
  LoadOptions o;
  o.threads = 1;
  return Model::load_gguf(GgufFile::parse(MappedFile::from_bytes(fuzz::tiny_deepseek_gguf(), "seed.gguf")), o);
}

void gguf_seeds() {
  for (const auto& [name, bytes] : std::map<std::string, fuzz::Bytes>{{"tiny-deepseek2.gguf", fuzz::tiny_deepseek_gguf()},
                                                                     {"metadata-types.gguf", fuzz::gguf_all_metadata_types()},
                                                                     {"tensor-types.gguf", fuzz::gguf_all_tensor_types()}}) {
    GgufFile::parse(MappedFile::from_bytes(bytes, name));
    seed("gguf", name, str(bytes));
  }
  (void)tiny_model();
}

void safetensors_seeds() {
  const std::string config = fuzz::tiny_hf_config_json();
  const fuzz::Bytes weights = fuzz::tiny_hf_safetensors();
  seed("safetensors", "file", '\0' + str(weights));
  seed("safetensors", "checkpoint", '\2' + fuzz::join_parts({config, str(weights)}));

  // The same tensors split over two shards with an index, as large checkpoints come.
  const auto all = SafetensorsFile::parse(MappedFile::from_bytes(weights, "w"));
  std::vector<SafetensorsEntry> a, b;
  std::string index = "{\"metadata\": {\"total_size\": " + std::to_string(weights.size()) + "}, \"weight_map\": {";
  for (size_t i = 0; i < all.tensors().size(); ++i) {
    const TensorView& t = all.tensors()[i];
    SafetensorsEntry e{t.name, t.dtype, t.shape, std::vector<std::byte>(t.data, t.data + t.nbytes)};
    (i % 2 ? b : a).push_back(std::move(e));
    index += (i ? ", \"" : "\"") + t.name + "\": \"" + (i % 2 ? "b" : "a") + ".safetensors\"";
  }
  index += "}}";
  seed("safetensors", "sharded", '\1' + fuzz::join_parts({index, str(safetensors_bytes(a)), str(safetensors_bytes(b))}));

  // Each seed must load: the checkpoint as a model, the shards as a set.
  const std::string dir = fuzz::scratch_dir() + "/seed-checkpoint";
  fs::create_directories(dir);
  fuzz::write_file(dir + "/config.json", config);
  fuzz::write_file(dir + "/model.safetensors", str(weights));
  LoadOptions o;
  o.threads = 1;
  (void)Model::load(dir, o);
  const std::string sharded = fuzz::scratch_dir() + "/seed-sharded";
  fs::create_directories(sharded);
  fuzz::write_file(sharded + "/model.safetensors.index.json", index);
  fuzz::write_file(sharded + "/a.safetensors", str(safetensors_bytes(a)));
  fuzz::write_file(sharded + "/b.safetensors", str(safetensors_bytes(b)));
  if (SafetensorsSet::open(sharded).tensors().size() != all.tensors().size())
    throw std::runtime_error("make_seeds: the sharded seed lost tensors");
}

void tokenizer_seeds() {
  const std::string dir = fuzz::scratch_dir();
  fuzz::write_file(dir + "/tokenizer.json", fuzz::tiny_tokenizer_json());
  fuzz::write_file(dir + "/tokenizer_config.json", fuzz::tiny_tokenizer_config_json());
  (void)Tokenizer::from_hf_files(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
  seed("tokenizer_json", "tokenizer-and-config", fuzz::join_parts({fuzz::tiny_tokenizer_json(), fuzz::tiny_tokenizer_config_json()}));
  seed("tokenizer_json", "tokenizer-only", fuzz::tiny_tokenizer_json());

  const std::pair<const char*, std::string> texts[] = {
      {"ascii", "Hello the world, then in 2024: 12345 items."},
      {"cjk", "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf"},
      {"emoji", "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd x"},
      {"specials", "<\xef\xbd\x9c" "begin\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>hi <think> x<\xef\xbd\x9c" "end"},
      {"whitespace", "a  \t\n\n   b\r\n  "},
      {"combining", "e\xcc\x81 A\xcc\x8a \xef\xac\x81"},
      {"code", "def f(x):\n    return x**2 # 'quote' \"dq\"\n"}};
  for (const auto& [name, text] : texts)
    for (uint8_t flags : {0, 1, 6, 7, 15}) seed("tokenize", std::string(name) + "-" + std::to_string(flags), char(flags) + text);
  std::string ids;
  for (int32_t id : {116, 104, 256, 259, 260, 261, 228, 189, 160, 0, 255}) ids.append(reinterpret_cast<const char*>(&id), 4);
  for (uint8_t flags : {16, 17, 24, 48}) seed("tokenize", "ids-" + std::to_string(flags), char(flags) + ids);
}

void chat_template_seeds() {
  const std::string context = fuzz::sample_chat_context_json();
  for (const auto& [name, source] : fuzz::sample_chat_templates()) {
    ChatTemplateLimits limits;
    limits.now_unix_seconds = 0;
    (void)ChatTemplate::parse(source).render_json(context, limits);
    seed("chat_template", name, fuzz::join_parts({source, context}));
  }
}

void cache_seeds() {
  const auto model = tiny_model();
  SessionParams p;
  p.n_ctx = 16;
  Session s(model, p);
  const int32_t prompt[] = {260, 116, 104, 101, 32};
  s.prefill(prompt);
  const std::string path = fuzz::scratch_dir() + "/seed.cache";
  s.save_cache(path);
  Session check(model, p);
  check.load_cache(path);
  seed("cache_file", "five-tokens", read(path));
  s.truncate(2);  // logits no longer valid: the file carries none
  s.save_cache(path);
  check.load_cache(path);
  seed("cache_file", "two-tokens-no-logits", read(path));
}

// C ABI programs: (slot a, slot b, op, arguments...) repeated; see fuzz_capi.cpp.
void capi_seeds() {
  auto op = [](std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s += static_cast<char>(b);
    return s;
  };
  const std::string create = op({0, 0, 0, 0}), create1 = op({1, 1, 0, 0});
  const std::string prefill = op({0, 0, 2, 3, 10, 20, 30});
  const std::string generate = op({0, 0, 5, 0, 3, 0, 2, 1, 0, 1, 3, 1, 2, 3});
  const std::string generate_text = op({0, 0, 6, 16, 3, 1, 1, 'x', 4, 1, 1, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'});
  const std::string cache = op({0, 0, 7, 0}) + op({1, 1, 7, 0});
  seed("capi", "generate", create + prefill + generate + op({0, 0, 4, 0}));
  seed("capi", "text", create + generate_text + op({0, 0, 14, 6, 'h', 'i', ' ', '1', '2', '3', 7}));
  seed("capi", "cache", create + create1 + prefill + cache + op({0, 0, 8, 2}) + op({0, 1, 9, 2}) + op({0, 1, 10, 5}) +
                            op({0, 1, 10, 13, 4, 3, 'j', 'u', 'n'}));
  seed("capi", "router", create + prefill + op({0, 0, 11}) + op({0, 0, 12, 0, 2, 1, 0, 1, 4}) + op({0, 0, 13, 1}) + generate);
  seed("capi", "tokenizer", op({0, 0, 15, 3, 1, 2, 3, 17}) + op({0, 0, 16, 2, 4, 'u', 's', 'e', 'r', 2, 'h', 'i', 9, 'a', 's', 's', 'i',
                                                                  's', 't', 'a', 'n', 't', 2, 'y', 'o', 66}) +
                                op({0, 0, 17, 1, 0}));
  seed("capi", "load", op({0, 0, 18, 0, 0, 1}) + op({0, 0, 18, 0, 0, 0}) + op({0, 0, 18, 3, 'a', 'b', 'c', 1, 1}) +
                           op({0, 0, 19, 0, 0, 0, 0}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT\n");
    return 2;
  }
  out_dir = argv[1];
  try {
    fs::remove_all(out_dir);
    gguf_seeds();
    safetensors_seeds();
    tokenizer_seeds();
    chat_template_seeds();
    cache_seeds();
    capi_seeds();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("seed corpora written to %s\n", out_dir.c_str());
  return 0;
}
