// The limits that stand between a hostile file and an unbounded allocation, one by one:
// each is refused with the error code and a message that says what was too large. (The
// fuzzers look for inputs that get past them; these tests pin each one down.)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "dsinfer.h"
#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/safetensors.hpp"
#include "dsinfer/session.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"
#include "test_util.hpp"
#include "tiny_files.hpp"

using namespace dsinfer;
using Catch::Contains;

namespace {

template <typename F>
void expect(ErrorCode code, const std::string& says, F&& f) {
  INFO("expecting " << error_code_name(code) << " saying: " << says);
  try {
    f();
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == code);
    CHECK_THAT(e.what(), Contains(says));
  }
}

GgufFile gguf(const std::vector<std::byte>& b) { return GgufFile::parse(MappedFile::from_bytes(b, "limits.gguf")); }

std::vector<std::byte> safetensors_with_header(const std::string& json) {
  test::Bytes b;
  b.put<uint64_t>(json.size()).raw(json);
  return b.b;
}

ModelConfig tiny_config() { return config_from_hf_json(fuzz::tiny_hf_config_json(), "config.json"); }

}  // namespace

TEST_CASE("GGUF counts far beyond any model are refused before anything is reserved", "[limits]") {
  test::Bytes many_keys;
  many_keys.raw("GGUF").put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(1u << 20).zeros(16u << 20);
  expect(ErrorCode::too_large, "metadata count", [&] { gguf(many_keys.b); });

  test::Bytes many_tensors;
  many_tensors.raw("GGUF").put<uint32_t>(3).put<uint64_t>((1u << 20) + 1).put<uint64_t>(0).zeros(40u << 20);
  expect(ErrorCode::too_large, "tensor count", [&] { gguf(many_tensors.b); });

  test::Bytes nested;  // an array of 2^17 empty arrays: fits in the file, but no model needs it
  nested.raw("GGUF").put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(1);
  nested.str("x").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(1u << 17);
  for (int i = 0; i < (1 << 17); ++i) nested.put<uint32_t>(0).put<uint64_t>(0);
  expect(ErrorCode::too_large, "nested arrays", [&] { gguf(nested.b); });
}

TEST_CASE("model sizes near 2^63 are refused, not multiplied", "[limits]") {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("deepseek2"));
  for (const char* k : {"block_count", "embedding_length", "attention.head_count", "attention.kv_lora_rank",
                        "attention.value_length", "rope.dimension_count"})
    w.set(std::string("deepseek2.") + k, GgufValue::of_u32(8));
  w.set("deepseek2.attention.layer_norm_rms_epsilon", GgufValue::of_f32(1e-6f));
  w.set("deepseek2.attention.key_length", GgufValue::of_u64((1ull << 63) + 5));
  expect(ErrorCode::invalid_format, "too large", [&] { config_from_gguf(gguf(w.to_bytes())); });

  ModelConfig c = tiny_config();
  c.num_attention_heads = int64_t{1} << 40;
  expect(ErrorCode::too_large, "num_attention_heads", [&] { c.validate(); });
  c = tiny_config();
  c.qk_nope_head_dim = INT64_MAX - 1;
  expect(ErrorCode::too_large, "qk_nope_head_dim", [&] { c.validate(); });
  c = tiny_config();
  c.rope_scaling.mscale = std::nan("");
  expect(ErrorCode::invalid_format, "finite", [&] { c.validate(); });
}

TEST_CASE("a model declaring more memory than the machine has is refused with what it needs", "[limits]") {
  ModelConfig c = tiny_config();
  c.n_routed_experts = 1 << 16;  // 65536 experts of hidden size 2^20: a 256 GiB f32 router per layer
  c.hidden_size = 1 << 20;
  c.num_hidden_layers = 64;
  c.first_k_dense_replace = 0;
  c.num_experts_per_tok = 8;
  expect(ErrorCode::too_large, "GiB of memory", [&] { c.validate(); });
  expect(ErrorCode::too_large, "this machine has", [&] { c.validate(); });
}

TEST_CASE("a context the machine could never hold is refused when the cache is made", "[limits]") {
  expect(ErrorCode::too_large, "for its cache", [] { MlaCache(61, 512, 64, int64_t{1} << 40); });
  expect(ErrorCode::too_large, "too large", [] { MlaCache(int64_t{1} << 40, 512, 64, 16); });
  dsi_model* m = nullptr;
  REQUIRE(dsi_model_load_builtin(nullptr, &m) == DSI_OK);
  dsi_session_params sp = dsi_session_default_params();
  sp.n_ctx = INT32_MAX;
  dsi_session* s = nullptr;
  // The built-in model's cache takes 1280 bytes a token: 2^31 tokens are 2.5 TiB.
  CHECK(dsi_session_create(m, &sp, &s) == DSI_ERR_TOO_LARGE);
  CHECK_THAT(dsi_last_error(), Contains("needs"));
  dsi_model_free(m);
}

TEST_CASE("safetensors headers: no tree is built, and their shape is bounded", "[limits]") {
  auto parse = [](const std::string& h) { SafetensorsFile::parse(MappedFile::from_bytes(safetensors_with_header(h), "h.safetensors")); };
  expect(ErrorCode::invalid_format, "twice", [&] {
    parse(R"({"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 0]}, "a": {"dtype": "F32", "shape": [], "data_offsets": [0, 0]}})");
  });
  expect(ErrorCode::invalid_format, "more than 16 dimensions", [&] {
    parse(R"({"a": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})");
  });
  expect(ErrorCode::invalid_format, "nests deeper", [&] {
    parse(R"({"a": {"dtype": "F32", "x": )" + std::string(100, '[') + std::string(100, ']') + "}}");
  });
  // Fields beyond dtype, shape and data_offsets are skipped whatever they hold.
  CHECK_NOTHROW(parse(R"({"a": {"x": [1, {"y": null}], "dtype": "F32", "shape": [0], "data_offsets": [0, 0], "z": "s"}})"));
  // A large header of tiny values costs what its text costs: 20 MB of them parse (and are refused) quickly.
  std::string big = R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0], "pad": [)";
  for (int i = 0; i < 10'000'000; ++i) big += "0,";
  big += "0]}}";
  CHECK_NOTHROW(parse(big));
}

TEST_CASE("tokenizer.json: JSON of the wrong type and sparse ids are format errors", "[limits]") {
  test::TempDir dir("limits-tok");
  auto load = [&](const std::string& json) {
    fuzz::write_file(dir.file("tokenizer.json"), json);
    Tokenizer::from_hf_files(dir.file("tokenizer.json"), "");
  };
  std::string t = fuzz::tiny_tokenizer_json();
  std::string behavior = t;
  behavior.replace(behavior.find("\"Isolated\""), 10, "5");
  expect(ErrorCode::invalid_format, "tokenizer.json", [&] { load(behavior); });
  std::string sparse = t;
  sparse.replace(sparse.find("\"id\": 260"), 9, "\"id\": 15000000");
  expect(ErrorCode::invalid_format, "only", [&] { load(sparse); });
}

TEST_CASE("a refused cache file leaves the session as it was", "[limits]") {
  test::TempDir dir("limits-cache");
  LoadOptions o;
  o.threads = 1;
  const auto model = Model::load_gguf(gguf(fuzz::tiny_deepseek_gguf()), o);
  Session a(model), b(model);
  a.prefill(std::vector<int32_t>{1, 2, 3, 4});
  a.save_cache(dir.file("c"));
  auto bytes = test::read_file(dir.file("c"));
  const size_t first_id = 8 + 8 + 5 * 8 + 4;  // the second token of the history
  const int32_t bad_id = 1 << 30;
  std::memcpy(bytes.data() + first_id, &bad_id, 4);
  test::write_file(dir.file("bad"), std::vector<std::byte>(reinterpret_cast<std::byte*>(bytes.data()),
                                                             reinterpret_cast<std::byte*>(bytes.data()) + bytes.size()));
  b.prefill(std::vector<int32_t>{7, 8});
  expect(ErrorCode::invalid_format, "outside the vocabulary", [&] { b.load_cache(dir.file("bad")); });
  CHECK(b.n_past() == 2);
  CHECK(b.history() == std::vector<int32_t>{7, 8});
  CHECK_NOTHROW(b.logits());
}

TEST_CASE("a cache file holding an infinity or NaN is refused, not attended to", "[limits]") {
  test::TempDir dir("limits-cache-nan");
  LoadOptions o;
  o.threads = 1;
  const auto model = Model::load_gguf(gguf(fuzz::tiny_deepseek_gguf()), o);
  Session a(model), b(model);
  a.prefill(std::vector<int32_t>{1, 2, 3, 4});
  (void)a.logits();
  a.save_cache(dir.file("c"));
  const auto good = test::read_file(dir.file("c"));
  const size_t values = 8 + 8 + 5 * 8 + 4 * 4;  // the first cached value, after the history
  const size_t logits = good.size() - 4 * static_cast<size_t>(model->config().vocab_size);
  auto write_with = [&](size_t at, const void* v, size_t n) {
    auto bytes = good;
    std::memcpy(bytes.data() + at, v, n);
    test::write_file(dir.file("bad"), std::vector<std::byte>(reinterpret_cast<std::byte*>(bytes.data()),
                                                               reinterpret_cast<std::byte*>(bytes.data()) + bytes.size()));
  };
  b.prefill(std::vector<int32_t>{7, 8});
  const uint16_t nan_half = 0x7e00, inf_half = 0xfc00;
  const float nan_float = std::nanf("");
  write_with(values + 2 * 37, &nan_half, 2);
  expect(ErrorCode::invalid_format, "not a finite number", [&] { b.load_cache(dir.file("bad")); });
  write_with(logits - 2, &inf_half, 2);  // the last layer's last rope value
  expect(ErrorCode::invalid_format, "not a finite number", [&] { b.load_cache(dir.file("bad")); });
  write_with(logits + 4 * 3, &nan_float, 4);
  expect(ErrorCode::invalid_format, "logit is not a finite", [&] { b.load_cache(dir.file("bad")); });
  CHECK(b.n_past() == 2);
  CHECK(b.history() == std::vector<int32_t>{7, 8});
  write_with(values, &good[values], 2);  // unchanged: the file loads
  CHECK_NOTHROW(b.load_cache(dir.file("bad")));
  CHECK(b.n_past() == 4);
}
