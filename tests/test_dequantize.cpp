// Decoders against fixtures produced by the independent Python reference
// (tests/reference/gen_quant_fixtures.py); values must match bit for bit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/half.hpp"
#include "dsinfer/quantize.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

void check_fixture(const std::string& name, DType type) {
  INFO("type " << name);
  const auto src = test::read_file(test::fixture("quant/" + name + ".bin"));
  const auto expect = test::read_f32(test::fixture("quant/" + name + ".f32"));
  REQUIRE(dtype_bytes(type, expect.size()) == src.size());
  std::vector<float> got(expect.size());
  dequantize_row(type, src.data(), got.data(), static_cast<int64_t>(got.size()));
  size_t mismatches = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got[i], 4);
    std::memcpy(&b, &expect[i], 4);
    if (a != b && mismatches++ < 5) FAIL_CHECK("value " << i << ": got " << got[i] << ", expected " << expect[i]);
  }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("every decodable block type matches the independent reference bit for bit", "[dequant]") {
  const std::pair<const char*, DType> types[] = {
      {"f16", DType::f16},   {"bf16", DType::bf16}, {"q4_0", DType::q4_0}, {"q4_1", DType::q4_1},
      {"q5_0", DType::q5_0}, {"q5_1", DType::q5_1}, {"q8_0", DType::q8_0}, {"q2_k", DType::q2_k},
      {"q3_k", DType::q3_k}, {"q4_k", DType::q4_k}, {"q5_k", DType::q5_k}, {"q6_k", DType::q6_k},
      {"iq4_nl", DType::iq4_nl}, {"iq4_xs", DType::iq4_xs},
  };
  for (const auto& [name, type] : types) check_fixture(name, type);
}

// These fixtures come from llama.cpp's own decoder (tests/reference/probe_ggml_iquants.py),
// which also supplied the codebooks: a wrong codebook entry, index bit or sign shows here.
TEST_CASE("the 1- to 3-bit i-quants decode as llama.cpp decodes them, bit for bit", "[dequant]") {
  const std::pair<const char*, DType> types[] = {
      {"iq2_xxs", DType::iq2_xxs}, {"iq2_xs", DType::iq2_xs}, {"iq2_s", DType::iq2_s}, {"iq3_xxs", DType::iq3_xxs},
      {"iq3_s", DType::iq3_s},     {"iq1_s", DType::iq1_s},   {"iq1_m", DType::iq1_m},
  };
  for (const auto& [name, type] : types) check_fixture(name, type);
}

TEST_CASE("fp8 e4m3: all 256 codes, NaN codes included", "[dequant][fp8]") {
  const auto expect = test::read_f32(test::fixture("quant/fp8_e4m3_all.f32"));
  REQUIRE(expect.size() == 256);
  for (int i = 0; i < 256; ++i) {
    INFO("code " << i);
    const float v = fp8_e4m3_to_f32(static_cast<uint8_t>(i));
    if (std::isnan(expect[i])) CHECK(std::isnan(v));
    else CHECK(v == expect[i]);
  }
  CHECK(fp8_e4m3_to_f32(0x7e) == 448.0f);
}

TEST_CASE("fp8 with DeepSeek-V3 128x128 block scales, ragged edges", "[dequant][fp8]") {
  auto w = test::read_file(test::fixture("quant/fp8_e4m3_block.bin"));
  auto s = test::read_file(test::fixture("quant/fp8_e4m3_block_scale.f32"));
  const auto expect = test::read_f32(test::fixture("quant/fp8_e4m3_block.f32"));
  TensorView wv{"w", DType::f8_e4m3, {200, 300}, reinterpret_cast<const std::byte*>(w.data()), w.size()};
  TensorView sv{"w_scale_inv", DType::f32, {2, 3}, reinterpret_cast<const std::byte*>(s.data()), s.size()};
  std::vector<float> got(200 * 300);
  dequantize_fp8_blockwise(wv, sv, 128, 128, got);
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) bad += got[i] != expect[i];
  CHECK(bad == 0);

  TensorView wrong_scale = sv;
  wrong_scale.shape = {1, 3};
  CHECK_THROWS_AS(dequantize_fp8_blockwise(wv, wrong_scale, 128, 128, got), Error);
}

TEST_CASE("dequantize checks sizes and refuses types it cannot decode", "[dequant]") {
  std::vector<uint8_t> bytes(34);
  std::vector<float> out(32);
  CHECK_THROWS_AS(dequantize_row(DType::q8_0, bytes.data(), out.data(), 31), Error);
  CHECK_THROWS_AS(dequantize_row(DType::tq1_0, bytes.data(), out.data(), 256), Error);
  TensorView t{"t", DType::q8_0, {1, 32}, reinterpret_cast<const std::byte*>(bytes.data()), 33};
  CHECK_THROWS_AS(dequantize(t, out), Error);
  t.nbytes = 34;
  CHECK_NOTHROW(dequantize(t, out));
  std::vector<float> short_out(16);
  CHECK_THROWS_AS(dequantize(t, short_out), Error);
}

TEST_CASE("q8_0 quantization round-trips within half a step", "[quantize]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(32 * 64);
  for (auto& v : x) v = nd(rng);
  x[5] = 0.0f;
  for (int j = 32; j < 64; ++j) x[j] = 0.0f;  // an all-zero block must decode to zeros
  const auto q = quantize(DType::q8_0, x);
  std::vector<float> y(x.size());
  dequantize_row(DType::q8_0, q.data(), y.data(), static_cast<int64_t>(y.size()));
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float step = amax / 127.0f;
    for (int j = 0; j < 32; ++j) CHECK(std::fabs(y[b * 32 + j] - x[b * 32 + j]) <= 0.5f * step * 1.01f + 1e-7f);
  }
}

TEST_CASE("q4_1 / q5_1 quantization round-trips within half a step", "[quantize]") {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.5f, 1.0f);  // off-centre: the minimum matters
  std::vector<float> x(32 * 64);
  for (auto& v : x) v = nd(rng);
  for (int j = 32; j < 64; ++j) x[j] = 0.0f;  // a constant block decodes to itself
  for (DType t : {DType::q4_1, DType::q5_1}) {
    const float levels = t == DType::q4_1 ? 15.0f : 31.0f;
    const auto q = quantize(t, x);
    REQUIRE(q.size() == x.size() / 32 * dtype_info(t).block_bytes);
    std::vector<float> y(x.size());
    dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(y.size()));
    for (size_t b = 0; b < x.size() / 32; ++b) {
      const float* xb = &x[b * 32];
      const float lo = *std::min_element(xb, xb + 32), hi = *std::max_element(xb, xb + 32);
      // Half a step, plus the f16 rounding of the scale (over 31 steps) and of the minimum.
      const float step = (hi - lo) / levels, slack = 0.5f * step + 32 * step / 1024 + std::fabs(lo) / 1024 + 1e-7f;
      for (int j = 0; j < 32; ++j) CHECK(std::fabs(y[b * 32 + j] - xb[j]) <= slack);
    }
  }
}

TEST_CASE("half conversions", "[half]") {
  CHECK(f16_to_f32(0x3c00) == 1.0f);
  CHECK(f16_to_f32(0xc000) == -2.0f);
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(f16_to_f32(0x7c00)));
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(bf16_to_f32(0x3f80) == 1.0f);
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(f32_to_bf16(1.00390625f) == 0x3f80);  // a tie rounds to even
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
}
