// 16-bit float conversions. IEEE half goes through xtl's correctly rounded routines;
// bfloat16 is the top half of an f32, so it is a shift (round-to-nearest-even on the way down).
#pragma once

#include <cstdint>
#include <cstring>

#include <xtl/xhalf_float.hpp>

namespace dsinfer {

inline float f16_to_f32(uint16_t bits) { return half_float::detail::half2float<float>(bits); }

inline uint16_t f32_to_f16(float value) {
  return static_cast<uint16_t>(half_float::detail::float2half<std::round_to_nearest>(value));
}

inline float bf16_to_f32(uint16_t bits) {
  uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline uint16_t f32_to_bf16(float value) {
  uint32_t u;
  std::memcpy(&u, &value, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // keep NaN a NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

}  // namespace dsinfer
