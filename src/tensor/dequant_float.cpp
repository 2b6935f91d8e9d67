// Plain float types, stored little-endian.
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "tensor/block_read.hpp"
#include "tensor/dequant_rows.hpp"

namespace dsinfer {

float fp8_e4m3_to_f32(uint8_t v) {
  const int sign = v >> 7;
  const int exp = (v >> 3) & 0xf;
  const int man = v & 0x7;
  float mag;
  if (exp == 0xf && man == 0x7) {
    mag = std::numeric_limits<float>::quiet_NaN();  // e4m3fn spends its top code on NaN, not inf
  } else if (exp == 0) {
    mag = std::ldexp(static_cast<float>(man), -9);  // subnormal: man/8 * 2^(1-7)
  } else {
    mag = std::ldexp(static_cast<float>(8 + man), exp - 10);  // (1 + man/8) * 2^(exp-7)
  }
  return sign ? -mag : mag;
}

namespace dequant {

void f32(const uint8_t* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * 4); }

void f16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = blocks::read_f16(src + 2 * i);
}

void bf16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(blocks::read_u16(src + 2 * i));
}

void f8_e4m3(const uint8_t* src, float* dst, int64_t n) {
  static const auto table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = fp8_e4m3_to_f32(static_cast<uint8_t>(i));
    return t;
  }();
  for (int64_t i = 0; i < n; ++i) dst[i] = table[src[i]];
}

}  // namespace dequant
}  // namespace dsinfer
