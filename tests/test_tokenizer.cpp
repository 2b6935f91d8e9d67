// Tokenizer behaviour beyond the reference corpus: GGUF-loaded tokenizers against the
// same files loaded from tokenizer.json, streaming decode, bad input.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/tokenizer.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

std::string dir_of(const std::string& name) { return std::string(DSINFER_TOKREF) + "/" + name; }

std::vector<std::string> corpus() {
  std::ifstream f(std::string(DSINFER_FIXTURES) + "/tokenizer/corpus.jsonl");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line)["text"]);
  return out;
}

// The tokenizer of `name` written as llama.cpp's converter writes GGUF tokenizer metadata.
GgufFile as_gguf(const std::string& name, const std::string& pre) {
  const auto bytes = test::read_file(dir_of(name) + "/tokenizer.json");
  const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (auto it = j["model"]["vocab"].begin(); it != j["model"]["vocab"].end(); ++it) {
    const int32_t id = it->get<int32_t>();
    if (static_cast<size_t>(id) >= tokens.size()) { tokens.resize(id + 1); types.resize(id + 1, 5); }
    tokens[id] = it.key();
    types[id] = 1;
  }
  for (const auto& a : j["added_tokens"]) {
    const int32_t id = a["id"];
    if (static_cast<size_t>(id) >= tokens.size()) { tokens.resize(id + 1); types.resize(id + 1, 5); }
    tokens[id] = a["content"];
    types[id] = a["special"].get<bool>() ? 3 : 4;
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    if (types[i] == 5) tokens[i] = "[PAD" + std::to_string(i) + "]";
  std::vector<std::string> merges;
  for (const auto& m : j["model"]["merges"])
    merges.push_back(m.is_string() ? m.get<std::string>() : m[0].get<std::string>() + " " + m[1].get<std::string>());
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("test"));
  w.set("tokenizer.ggml.model", GgufValue::of_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::of_string(pre));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings(tokens));
  w.set("tokenizer.ggml.token_type", GgufValue::of_i32s(types));
  w.set("tokenizer.ggml.merges", GgufValue::of_strings(merges));
  return GgufFile::parse(MappedFile::from_bytes(w.to_bytes(), name + ".gguf"));
}

}  // namespace

TEST_CASE("GGUF tokenizers (by pre-tokenizer name) encode like their tokenizer.json", "[tokenizer][gguf]") {
  const std::pair<const char*, const char*> cases[] = {{"deepseek_v3", "deepseek-v3"}, {"qwen3", "qwen2"}, {"llama3", "llama-bpe"}};
  const auto texts = corpus();
  for (const auto& [name, pre] : cases) {
    const auto hf = Tokenizer::from_hf_dir(dir_of(name));
    const auto gg = Tokenizer::from_gguf(as_gguf(name, pre));
    size_t same = 0;
    for (const auto& t : texts) {
      const bool eq = hf->encode(t) == gg->encode(t);
      same += eq;
      if (!eq) UNSCOPED_INFO(name << ": " << nlohmann::json(t).dump());
    }
    INFO(name << " via " << pre << ": " << same << "/" << texts.size());
    CHECK(same == texts.size());
  }
}

TEST_CASE("streaming decode emits every character whole, once", "[tokenizer][stream]") {
  const auto tok = Tokenizer::from_hf_dir(dir_of("deepseek_v3"));
  for (const std::string text : {"中文字符和😀表情👨‍👩‍👧‍👦", "plain ascii", "é e\xcc\x81 \xe0\xb8\x81\xe0\xb8\xb2"}) {
    const auto ids = tok->encode(text);
    StreamingDecoder sd(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = sd.push(id);
      // Every emitted piece is complete UTF-8 on its own.
      CHECK(tok->decode(tok->encode(piece)) == piece);
      streamed += piece;
    }
    streamed += sd.flush();
    CHECK(streamed == text);
  }
  // A lone continuation byte held back forever would be a bug: bad bytes come out as U+FFFD.
  StreamingDecoder sd(tok);
  const auto lead = tok->token_to_id("\xc3\xa4");  // byte-level char for byte 0xE4 (lead of a 3-byte sequence)
  REQUIRE(lead);
  CHECK(sd.push(*lead).empty());
  CHECK(sd.flush() == "\xef\xbf\xbd");
}

TEST_CASE("bad input to the tokenizer is an error, not a crash", "[tokenizer]") {
  const auto tok = Tokenizer::from_hf_dir(dir_of("qwen3"));
  CHECK_THROWS_WITH(tok->encode("abc\xff"), Catch::Contains("not valid UTF-8"));
  CHECK_THROWS_WITH(tok->encode("\xe4\xb8"), Catch::Contains("not valid UTF-8"));
  CHECK_THROWS_AS(tok->encode("\xed\xa0\x80"), Error);  // a UTF-16 surrogate
  const std::vector<int32_t> bad{1, -5};
  CHECK_THROWS_WITH(tok->decode(bad), Catch::Contains("not in the vocabulary"));
  const std::vector<int32_t> big{tok->vocab_size()};
  CHECK_THROWS_AS(tok->decode(big), Error);
  CHECK(tok->encode("").empty());
  CHECK_THROWS_AS(Tokenizer::from_hf_dir("/nonexistent"), Error);
  test::TempDir d("tok-bad");
  std::ofstream(d.file("tokenizer.json")) << "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}";
  CHECK_THROWS_WITH(Tokenizer::from_hf_dir(d.path.string()), Catch::Contains("Unigram"));
  std::ofstream(d.file("tokenizer.json")) << "{not json";
  CHECK_THROWS_WITH(Tokenizer::from_hf_dir(d.path.string()), Catch::Contains("not valid JSON"));
}

TEST_CASE("special tokens: parsed by default, plain text on request", "[tokenizer]") {
  const auto tok = Tokenizer::from_hf_dir(dir_of("qwen3"));
  const auto im_end = tok->token_to_id("<|im_end|>");
  REQUIRE(im_end);
  CHECK(tok->encode("<|im_end|>") == std::vector<int32_t>{*im_end});
  CHECK(tok->encode("<|im_end|>", false, false).size() > 1);
  CHECK(tok->is_special(*im_end));
  CHECK(tok->decode(std::vector<int32_t>{*im_end}, true).empty());
  CHECK(tok->eos_token() == "<|im_end|>");
  const auto ds = Tokenizer::from_hf_dir(dir_of("deepseek_v3"));
  CHECK(ds->bos_token() == "<｜begin▁of▁sentence｜>");
  CHECK(ds->add_bos());
  CHECK(ds->encode("hi", true).front() == ds->bos_id());
  CHECK_FALSE(ds->chat_template().empty());
}
