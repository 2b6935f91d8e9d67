#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/quantize.hpp"
#include "dsinfer/safetensors.hpp"
#include "test_util.hpp"

using namespace dsinfer;
using test::Bytes;

namespace {

std::vector<std::byte> f32_bytes(const std::vector<float>& v) { return quantize(DType::f32, v); }

Bytes with_header(const std::string& json, size_t data_bytes) {
  Bytes b;
  b.put<uint64_t>(json.size()).raw(json).zeros(data_bytes);
  return b;
}

void expect_error(const Bytes& b, const std::string& says) {
  INFO("expecting an error that says: " << says);
  try {
    SafetensorsFile::parse(MappedFile::from_bytes(b.b, "bad.safetensors"));
    FAIL("parsed without error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid_format);
    CHECK_THAT(e.what(), Catch::Contains(says) && Catch::Contains("bad.safetensors"));
  }
}

}  // namespace

TEST_CASE("safetensors round trip: dtypes, shapes, metadata", "[safetensors]") {
  std::vector<SafetensorsEntry> ts;
  ts.push_back({"model.embed_tokens.weight", DType::bf16, {3, 4}, quantize(DType::bf16, std::vector<float>(12, 1.5f))});
  ts.push_back({"model.norm.weight", DType::f32, {4}, f32_bytes({1, 2, 3, 4})});
  ts.push_back({"ids", DType::i64, {2}, std::vector<std::byte>(16, std::byte{1})});
  ts.push_back({"q", DType::f8_e4m3, {2, 2}, std::vector<std::byte>{std::byte{0x38}, std::byte{0xb8}, std::byte{0}, std::byte{0x40}}});
  ts.push_back({"scalar", DType::f32, {}, f32_bytes({7})});
  const auto f = SafetensorsFile::parse(MappedFile::from_bytes(safetensors_bytes(ts, {{"format", "pt"}}), "m.safetensors"));
  CHECK(f.metadata().at("format") == "pt");
  REQUIRE(f.tensors().size() == 5);
  const TensorView* e = f.find_tensor("model.embed_tokens.weight");
  REQUIRE(e);
  CHECK(e->shape == std::vector<int64_t>{3, 4});
  std::vector<float> out(12);
  dequantize(*e, out);
  CHECK(out == std::vector<float>(12, 1.5f));
  const TensorView* q = f.find_tensor("q");
  std::vector<float> qv(4);
  dequantize(*q, qv);
  CHECK(qv == std::vector<float>{1.0f, -1.0f, 0.0f, 2.0f});
  CHECK(f.find_tensor("scalar")->numel() == 1);
}

TEST_CASE("sharded safetensors directory with an index", "[safetensors]") {
  test::TempDir dir("st-shards");
  write_safetensors(dir.file("model-00001-of-00002.safetensors"), {{"a", DType::f32, {2}, f32_bytes({1, 2})}});
  write_safetensors(dir.file("model-00002-of-00002.safetensors"),
                    {{"b", DType::f32, {1}, f32_bytes({3})}, {"c", DType::f16, {2}, quantize(DType::f16, std::vector<float>{4, 5})}});
  nlohmann::json idx = {{"metadata", {{"total_size", 16}}},
                        {"weight_map",
                         {{"a", "model-00001-of-00002.safetensors"},
                          {"b", "model-00002-of-00002.safetensors"},
                          {"c", "model-00002-of-00002.safetensors"}}}};
  std::ofstream(dir.file("model.safetensors.index.json")) << idx.dump();
  const auto set = SafetensorsSet::open(dir.path.string());
  CHECK(set.shards().size() == 2);
  CHECK(set.tensors().size() == 3);
  REQUIRE(set.find_tensor("c"));
  CHECK(set.find_tensor("c")->dtype == DType::f16);

  SECTION("an index naming a shard outside the directory is refused") {
    idx["weight_map"]["a"] = "../model-00001-of-00002.safetensors";
    std::ofstream(dir.file("model.safetensors.index.json")) << idx.dump();
    CHECK_THROWS_WITH(SafetensorsSet::open(dir.path.string()), Catch::Contains("not a plain file name"));
  }
  SECTION("an index placing a tensor in a shard that lacks it is refused") {
    idx["weight_map"]["zzz"] = "model-00001-of-00002.safetensors";
    std::ofstream(dir.file("model.safetensors.index.json")) << idx.dump();
    CHECK_THROWS_WITH(SafetensorsSet::open(dir.path.string()), Catch::Contains("zzz"));
  }
  SECTION("an index that is not JSON is refused") {
    std::ofstream(dir.file("model.safetensors.index.json")) << "{\"weight_map\": ";
    CHECK_THROWS_WITH(SafetensorsSet::open(dir.path.string()), Catch::Contains("not valid JSON"));
  }
  SECTION("a missing shard is an i/o error naming it") {
    std::filesystem::remove(dir.file("model-00002-of-00002.safetensors"));
    try {
      SafetensorsSet::open(dir.path.string());
      FAIL("opened");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::io);
      CHECK_THAT(e.what(), Catch::Contains("model-00002-of-00002"));
    }
  }
}

TEST_CASE("unindexed directory: every .safetensors file, duplicates refused", "[safetensors]") {
  test::TempDir dir("st-dir");
  write_safetensors(dir.file("one.safetensors"), {{"a", DType::f32, {1}, f32_bytes({1})}});
  write_safetensors(dir.file("two.safetensors"), {{"b", DType::f32, {1}, f32_bytes({2})}});
  CHECK(SafetensorsSet::open(dir.path.string()).tensors().size() == 2);
  write_safetensors(dir.file("three.safetensors"), {{"a", DType::f32, {1}, f32_bytes({3})}});
  CHECK_THROWS_WITH(SafetensorsSet::open(dir.path.string()), Catch::Contains("another shard"));
  test::TempDir empty("st-empty");
  CHECK_THROWS_AS(SafetensorsSet::open(empty.path.string()), Error);
}

TEST_CASE("malformed safetensors files", "[safetensors][malformed]") {
  expect_error(Bytes{}, "too short");
  {
    Bytes b;
    b.put<uint64_t>(200ull << 20).zeros(16);
    expect_error(b, "100 MiB");
  }
  {
    Bytes b;
    b.put<uint64_t>(64).raw("{}");
    expect_error(b, "past the end");
  }
  expect_error(with_header("not json at all", 0), "header does not start with '{'");
  expect_error(with_header("{\"a\": [1, 2", 0), "not valid JSON");
  expect_error(with_header("{\"a\": 1}", 0), "not an object");
  expect_error(with_header(R"({"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}})", 4), "unknown dtype");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4), "negative");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4), "non-integer");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 4), "do not match");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}})", 4), "exceeds the data buffer");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8), "backwards");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551615]}})", 4),
               "exceeds");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 4]}})", 4),
               "overflows");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1]}})", 4), "data_offsets");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                               "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4),
               "overlaps");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8), "belong to no tensor");
  expect_error(with_header(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 12), "belong to no tensor");
  expect_error(with_header(R"({"__metadata__": {"k": 1}})", 0), "not a string");
  CHECK_NOTHROW(SafetensorsFile::parse(MappedFile::from_bytes(with_header("{}   ", 0).b, "empty.safetensors")));
}

TEST_CASE("safetensors truncated at every byte gives an error", "[safetensors][malformed]") {
  const auto full = safetensors_bytes({{"a", DType::f32, {3}, f32_bytes({1, 2, 3})}, {"b", DType::bf16, {2}, quantize(DType::bf16, std::vector<float>{1, 2})}});
  for (size_t len = 0; len < full.size(); ++len) {
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<long>(len));
    INFO("length " << len);
    CHECK_THROWS_AS(SafetensorsFile::parse(MappedFile::from_bytes(cut, "cut.safetensors")), Error);
  }
}
