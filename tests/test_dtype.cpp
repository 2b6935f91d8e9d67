#include <catch2/catch.hpp>

#include "dsinfer/dtype.hpp"
#include "dsinfer/error.hpp"

using namespace dsinfer;

TEST_CASE("dtype table: ggml ids round-trip and block sizes match the ggml layouts", "[dtype]") {
  for (uint32_t id = 0; id < 64; ++id) {
    const auto t = dtype_from_ggml(id);
    if (t) CHECK(dtype_to_ggml(*t) == id);
  }
  CHECK_FALSE(dtype_from_ggml(4));   // retired Q4_2
  CHECK_FALSE(dtype_from_ggml(5));   // retired Q4_3
  CHECK_FALSE(dtype_from_ggml(99));
  CHECK(*dtype_from_ggml(30) == DType::bf16);
  CHECK(*dtype_from_ggml(12) == DType::q4_k);
  CHECK(dtype_info(DType::q4_k).block_bytes == 144);
  CHECK(dtype_info(DType::q6_k).block_bytes == 210);
  CHECK(dtype_info(DType::q8_0).block_bytes == 34);
}

TEST_CASE("dtype_bytes refuses partial blocks and overflow", "[dtype]") {
  CHECK(dtype_bytes(DType::q4_0, 64) == 36u);
  CHECK_FALSE(dtype_bytes(DType::q4_0, 33));
  CHECK(dtype_bytes(DType::f32, 3) == 12u);
  CHECK_FALSE(dtype_bytes(DType::f64, UINT64_MAX / 4));
}

TEST_CASE("safetensors dtype names", "[dtype]") {
  CHECK(*dtype_from_safetensors("F8_E4M3") == DType::f8_e4m3);
  CHECK(*dtype_from_safetensors("BF16") == DType::bf16);
  CHECK(*dtype_from_safetensors("I64") == DType::i64);
  CHECK_FALSE(dtype_from_safetensors("f32"));  // names are case-sensitive in the format
  CHECK(dtype_to_safetensors(DType::i32) == "I32");
  CHECK_THROWS_AS(dtype_to_safetensors(DType::q4_k), Error);
}
