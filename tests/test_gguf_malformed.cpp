// A corpus of broken GGUF files, assembled byte by byte. Each must give an Error that
// says what is wrong; none may crash, hang or allocate what the file merely claims
// (the suite runs under ASan + UBSan in CI).
#include <catch2/catch.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/quantize.hpp"
#include "test_util.hpp"

using namespace dsinfer;
using test::Bytes;

namespace {

constexpr uint32_t T_U8 = 0, T_U32 = 4, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9;
constexpr uint64_t kHuge = 0xffffffffffffffffull;

Bytes header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
  Bytes b;
  b.raw("GGUF").put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
  return b;
}

void kv_u32(Bytes& b, const std::string& key, uint32_t v) { b.str(key).put<uint32_t>(T_U32).put<uint32_t>(v); }

void tensor_info(Bytes& b, const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
  b.str(name).put<uint32_t>(static_cast<uint32_t>(ne.size()));
  for (uint64_t d : ne) b.put<uint64_t>(d);
  b.put<uint32_t>(type).put<uint64_t>(offset);
}

// A valid file with two f32 tensors of 8 values each.
Bytes valid_file() {
  Bytes b = header(2, 2);
  b.str("general.architecture").put<uint32_t>(T_STRING).str("llama");
  kv_u32(b, "llama.block_count", 1);
  tensor_info(b, "a", {8}, 0, 0);
  tensor_info(b, "b", {4, 2}, 0, 32);
  b.pad_to(32);
  for (int i = 0; i < 16; ++i) b.put<float>(static_cast<float>(i));
  return b;
}

GgufFile parse(const Bytes& b) { return GgufFile::parse(MappedFile::from_bytes(b.b, "bad.gguf")); }

void expect_error(const Bytes& b, const std::string& says) {
  INFO("expecting an error that says: " << says);
  try {
    parse(b);
    FAIL("parsed without error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::invalid_format);
    CHECK_THAT(e.what(), Catch::Contains(says) && Catch::Contains("bad.gguf"));
  }
}

Bytes one_tensor(std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data_bytes) {
  Bytes b = header(1, 0);
  tensor_info(b, "blk.3.attn_q.weight", std::move(ne), type, offset);
  b.pad_to(32).zeros(data_bytes);
  return b;
}

}  // namespace

TEST_CASE("the base file of the corpus is valid", "[gguf][malformed]") {
  const auto g = parse(valid_file());
  CHECK(g.tensors().size() == 2);
  CHECK(g.tensors()[1].shape == std::vector<int64_t>{2, 4});
}

TEST_CASE("GGUF truncated at every byte gives an error", "[gguf][malformed]") {
  const Bytes full = valid_file();
  for (size_t len = 0; len < full.b.size(); ++len) {
    Bytes cut;
    cut.b.assign(full.b.begin(), full.b.begin() + static_cast<long>(len));
    INFO("length " << len);
    CHECK_THROWS_AS(parse(cut), Error);
  }
}

TEST_CASE("GGUF header errors", "[gguf][malformed]") {
  Bytes b = valid_file();
  b.b[0] = std::byte{'X'};
  expect_error(b, "not a GGUF file");
  expect_error(header(0, 0, 0), "unsupported GGUF version 0");
  expect_error(header(0, 0, 99), "unsupported GGUF version 99");
  expect_error(header(0, 0, 1), "version 1 is not supported");
  expect_error(header(0, 0, 0x03000000), "big-endian");
  expect_error(header(0, kHuge), "metadata count");
  expect_error(header(1ull << 63, 0), "tensor count");
}

TEST_CASE("GGUF metadata errors", "[gguf][malformed]") {
  {
    Bytes b = header(0, 1);
    b.put<uint64_t>(kHuge).raw("k").zeros(64);
    expect_error(b, "exceeds the limit");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(T_STRING).put<uint64_t>(kHuge - 3).raw("abc");
    expect_error(b, "truncated");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(T_ARRAY).put<uint32_t>(T_U8).put<uint64_t>(kHuge);
    expect_error(b, "does not fit");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(T_ARRAY).put<uint32_t>(T_STRING).put<uint64_t>(1ull << 61);
    expect_error(b, "does not fit");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(13).put<uint32_t>(0);
    expect_error(b, "unknown value type 13");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(T_ARRAY).put<uint32_t>(77).put<uint64_t>(0);
    expect_error(b, "unknown value type 77");
  }
  {
    Bytes b = header(0, 1);
    b.str("k").put<uint32_t>(T_BOOL).put<uint8_t>(2);
    expect_error(b, "bool");
  }
  {
    Bytes b = header(0, 2);
    kv_u32(b, "dup", 1);
    kv_u32(b, "dup", 2);
    expect_error(b, "duplicate key");
  }
  {
    Bytes b = header(0, 1);
    b.str("").put<uint32_t>(T_U32).put<uint32_t>(1);
    expect_error(b, "empty");
  }
  {
    // Arrays of arrays nested beyond the limit: refused, not recursed into without bound.
    Bytes b = header(0, 1);
    b.str("deep").put<uint32_t>(T_ARRAY);
    for (int i = 0; i < 64; ++i) b.put<uint32_t>(T_ARRAY).put<uint64_t>(1);
    b.put<uint32_t>(T_U8).put<uint64_t>(0);
    b.zeros(64);
    expect_error(b, "nested deeper");
  }
  for (uint32_t align : {0u, 3u, 48u, 1u << 30}) {
    Bytes b = header(0, 1);
    kv_u32(b, "general.alignment", align);
    expect_error(b, "general.alignment");
  }
  {
    Bytes b = header(0, 1);
    b.str("general.alignment").put<uint32_t>(T_STRING).str("32");
    expect_error(b, "general.alignment");
  }
}

TEST_CASE("GGUF tensor info errors", "[gguf][malformed]") {
  expect_error(one_tensor({8}, 99, 0, 32), "unknown ggml type 99");
  expect_error(one_tensor({8}, 4, 0, 32), "unknown ggml type 4");
  expect_error(one_tensor({kHuge}, 0, 0, 32), "dimension 0 is");
  expect_error(one_tensor({0}, 0, 0, 32), "dimension 0 is 0");
  expect_error(one_tensor({1ull << 32, 1ull << 32}, 0, 0, 32), "overflows");
  expect_error(one_tensor({1ull << 40, 1ull << 22}, 0, 0, 32), "overflows");
  expect_error(one_tensor({2, 2, 2, 2, 2}, 0, 0, 128), "5 dimensions");
  expect_error(one_tensor({}, 0, 0, 32), "0 dimensions");
  expect_error(one_tensor({33}, 8, 0, 64), "not a multiple of the q8_0 block size");
  expect_error(one_tensor({8}, 0, 1, 64), "not aligned");
  expect_error(one_tensor({8}, 0, 32, 32), "exceeds the data section");
  expect_error(one_tensor({8}, 0, kHuge - 31, 32), "exceeds the data section");
  expect_error(one_tensor({1ull << 40}, 0, 0, 32), "exceeds the data section");
  {
    Bytes b = header(1, 0);
    b.put<uint64_t>(1ull << 40).raw("x").zeros(64);
    expect_error(b, "exceeds the limit");
  }
  {
    Bytes b = header(2, 0);
    tensor_info(b, "a", {8}, 0, 0);
    tensor_info(b, "b", {8}, 0, 0);
    b.pad_to(32).zeros(64);
    expect_error(b, "overlap");
  }
  {
    Bytes b = header(2, 0);
    tensor_info(b, "a", {16}, 0, 0);
    tensor_info(b, "b", {8}, 0, 32);
    b.pad_to(32).zeros(64);
    expect_error(b, "overlap");
  }
  {
    Bytes b = header(2, 0);
    tensor_info(b, "same", {8}, 0, 0);
    tensor_info(b, "same", {8}, 0, 32);
    b.pad_to(32).zeros(64);
    expect_error(b, "duplicate name");
  }
  {
    // Data section starting past the end: the file stops right after the tensor infos.
    Bytes b = header(1, 0);
    tensor_info(b, "a", {8}, 0, 0);
    b.put<uint8_t>(0);
    expect_error(b, "past the end of the file");
  }
}

TEST_CASE("GGUF error messages quote names safely", "[gguf][malformed]") {
  Bytes b = header(1, 0);
  tensor_info(b, std::string("evil\x1b[2Jname", 13), {8}, 99, 0);
  b.pad_to(32).zeros(32);
  try {
    parse(b);
    FAIL("parsed");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find('\x1b') == std::string::npos);
    CHECK_THAT(e.what(), Catch::Contains("\\x1b"));
  }
}

TEST_CASE("random byte flips never crash the GGUF reader", "[gguf][malformed]") {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("deepseek2"));
  w.set("tokenizer.ggml.tokens", GgufValue::of_strings({"a", "bb", "ccc"}));
  const int32_t ids[] = {1, 2, 3, 4};
  w.set("x.ids", GgufValue::of_i32s(ids));
  w.add_tensor("t0", DType::q8_0, {2, 32}, quantize(DType::q8_0, std::vector<float>(64, 0.5f)));
  w.add_tensor("t1", DType::f32, {3}, quantize(DType::f32, std::vector<float>{1, 2, 3}));
  const auto base = w.to_bytes();
  uint64_t state = 88172645463325252ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int errors = 0, ok = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    auto bytes = base;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) bytes[next() % bytes.size()] = static_cast<std::byte>(next());
    try {
      GgufFile::parse(MappedFile::from_bytes(bytes, "flip.gguf"));
      ++ok;
    } catch (const Error&) {
      ++errors;
    }
  }
  CHECK(errors + ok == 3000);
  CHECK(errors > 0);
}
