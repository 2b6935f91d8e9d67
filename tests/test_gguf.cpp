#include <catch2/catch.hpp>

#include <cmath>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/quantize.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

GgufValue scalar(GgufType t, uint64_t bits) {
  GgufValue v;
  v.type = t;
  v.bits = bits;
  return v;
}

std::vector<std::byte> f32_bytes(const std::vector<float>& v) {
  std::vector<std::byte> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

TEST_CASE("GGUF round trip: every metadata type, nested arrays, tensors", "[gguf]") {
  GgufWriter w(64);
  w.set("general.architecture", GgufValue::of_string("deepseek2"));
  w.set("t.u8", scalar(GgufType::u8, 200));
  w.set("t.i8", scalar(GgufType::i8, 0xfe));  // -2
  w.set("t.u16", scalar(GgufType::u16, 65535));
  w.set("t.i16", scalar(GgufType::i16, 0x8000));  // -32768
  w.set("t.u32", GgufValue::of_u32(4000000000u));
  w.set("t.i32", GgufValue::of_i32(-7));
  w.set("t.u64", GgufValue::of_u64(1ull << 62));
  w.set("t.i64", scalar(GgufType::i64, static_cast<uint64_t>(-5ll)));
  w.set("t.f32", GgufValue::of_f32(0.125f));
  double d = -2.5;
  uint64_t dbits;
  std::memcpy(&dbits, &d, 8);
  w.set("t.f64", scalar(GgufType::f64, dbits));
  w.set("t.bool", GgufValue::of_bool(true));
  w.set("t.strings", GgufValue::of_strings({"a", "", "\xe4\xb8\xad", std::string("x\0y", 3)}));
  const int32_t ints[] = {1, -2, 3};
  w.set("t.ints", GgufValue::of_i32s(ints));
  GgufValue nested;
  nested.type = GgufType::array;
  nested.elem_type = GgufType::array;
  nested.count = 2;
  nested.items = {GgufValue::of_i32s(ints), GgufValue::of_strings({"p", "q"})};
  w.set("t.nested", nested);

  std::vector<float> a(2 * 64), b(96);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i) * 0.5f - 3.0f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::sin(static_cast<float>(i));
  w.add_tensor("a.weight", DType::f32, {2, 64}, f32_bytes(a));
  w.add_tensor("b.weight", DType::q8_0, {3, 32}, quantize(DType::q8_0, b));

  const auto g = GgufFile::parse(MappedFile::from_bytes(w.to_bytes(), "roundtrip.gguf"));
  CHECK(g.version() == 3);
  CHECK(g.alignment() == 64);
  CHECK(g.data_offset() % 64 == 0);
  CHECK(g.architecture() == "deepseek2");
  CHECK(g.get("t.u8").as_uint() == 200);
  CHECK(g.get("t.i8").as_int() == -2);
  CHECK(g.get("t.u16").as_uint() == 65535);
  CHECK(g.get("t.i16").as_int() == -32768);
  CHECK(g.get_uint("t.u32") == 4000000000u);
  CHECK(g.get("t.i32").as_int() == -7);
  CHECK(g.get_uint("t.u64") == (1ull << 62));
  CHECK(g.get("t.i64").as_int() == -5);
  CHECK(g.get_double("t.f32") == 0.125);
  CHECK(g.get_double("t.f64") == -2.5);
  CHECK(g.get_bool_or("t.bool", false));
  CHECK(g.get("t.strings").as_string_array() ==
        std::vector<std::string>{"a", "", "\xe4\xb8\xad", std::string("x\0y", 3)});
  CHECK(g.get("t.ints").as_int_array() == std::vector<int64_t>{1, -2, 3});
  const GgufValue& n = g.get("t.nested");
  REQUIRE(n.items.size() == 2);
  CHECK(n.items[0].as_int_array() == std::vector<int64_t>{1, -2, 3});
  CHECK(n.items[1].as_string_array() == std::vector<std::string>{"p", "q"});

  // Typed reads name the key when the type is wrong, and defaults apply only when absent.
  CHECK_THROWS_WITH(g.get_uint("t.i32"), Catch::Contains("t.i32") && Catch::Contains("negative"));
  CHECK_THROWS_WITH(g.get_string("t.u8"), Catch::Contains("t.u8"));
  CHECK_THROWS_WITH(g.get_uint("missing.key"), Catch::Contains("missing.key"));
  CHECK(g.get_uint_or("missing.key", 9) == 9);

  REQUIRE(g.tensors().size() == 2);
  const TensorView* ta = g.find_tensor("a.weight");
  REQUIRE(ta);
  CHECK(ta->shape == std::vector<int64_t>{2, 64});
  CHECK(static_cast<uint64_t>(ta->data - g.file()->data()) % 64 == 0);
  std::vector<float> back(a.size());
  dequantize(*ta, back);
  CHECK(back == a);
  const TensorView* tb = g.find_tensor("b.weight");
  REQUIRE(tb);
  CHECK(tb->shape == std::vector<int64_t>{3, 32});
  CHECK(tb->nbytes == 3 * 34);
  CHECK(g.find_tensor("nope") == nullptr);
}

TEST_CASE("GGUF v2 files read like v3", "[gguf]") {
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("llama"));
  w.add_tensor("x", DType::f32, {4}, f32_bytes({1, 2, 3, 4}));
  auto bytes = w.to_bytes();
  bytes[4] = std::byte{2};
  const auto g = GgufFile::parse(MappedFile::from_bytes(bytes, "v2.gguf"));
  CHECK(g.version() == 2);
  CHECK(g.tensors().size() == 1);
}

TEST_CASE("GGUF from disk through mmap", "[gguf]") {
  test::TempDir dir("gguf");
  GgufWriter w;
  w.set("general.architecture", GgufValue::of_string("qwen2"));
  w.add_tensor("x", DType::f16, {2, 2}, quantize(DType::f16, std::vector<float>{1, 2, 3, 4}));
  w.add_tensor("y", DType::q8_0, {1, 32}, quantize(DType::q8_0, std::vector<float>(32, 0.25f)));
  w.write(dir.file("m.gguf"));
  const auto on_disk = test::read_file(dir.file("m.gguf"));
  const auto in_memory = w.to_bytes();
  CHECK(std::equal(on_disk.begin(), on_disk.end(), reinterpret_cast<const uint8_t*>(in_memory.data()),
                   reinterpret_cast<const uint8_t*>(in_memory.data()) + in_memory.size()));
  CHECK(on_disk.size() == in_memory.size());
  const auto g = GgufFile::open(dir.file("m.gguf"));
  std::vector<float> v(4);
  dequantize(g.tensors()[0], v);
  CHECK(v == std::vector<float>{1, 2, 3, 4});
  CHECK_THROWS_WITH(GgufFile::open(dir.file("absent.gguf")), Catch::Contains("absent.gguf"));
  CHECK_THROWS_AS(GgufFile::open(dir.path.string()), Error);  // a directory
}
