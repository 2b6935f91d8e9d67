#include "dsinfer/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "dsinfer/error.hpp"
#include "dsinfer/dequantize.hpp"
#include "dsinfer/half.hpp"

namespace dsinfer {
namespace {

void put_u16(std::byte* p, uint16_t v) { std::memcpy(p, &v, 2); }

// q8_0: per 32 values, d = max|x| / 127 stored as f16, q = round(x / d).
void quantize_q8_0(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 32; ++b, x += 32, out += 34) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const uint16_t dh = f32_to_f16(amax / 127.0f);
    const float d = f16_to_f32(dh);  // divide by the scale the decoder will see
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    put_u16(out, dh);
    for (int j = 0; j < 32; ++j) {
      const float q = std::clamp(std::nearbyint(x[j] * inv), -127.0f, 127.0f);
      out[2 + j] = static_cast<std::byte>(static_cast<int8_t>(q));
    }
  }
}

// Nearest E4M3 code (ties to the even code), saturating at +-448 as DeepSeek's FP8
// checkpoints do; NaN stays NaN.
uint8_t to_fp8_e4m3(float v) {
  if (std::isnan(v)) return 0x7f;
  const uint8_t sign = std::signbit(v) ? 0x80 : 0x00;
  const float a = std::fabs(v);
  uint8_t best = 0;
  float best_err = a;
  for (uint8_t c = 1; c < 0x7f; ++c) {
    const float err = std::fabs(fp8_e4m3_to_f32(c) - a);
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = c;
      best_err = err;
    }
  }
  return static_cast<uint8_t>(sign | best);
}

}  // namespace

bool can_quantize(DType type) {
  return type == DType::f32 || type == DType::f16 || type == DType::bf16 || type == DType::q8_0 ||
         type == DType::f8_e4m3;
}

std::vector<std::byte> quantize(DType type, std::span<const float> values) {
  const auto bytes = dtype_bytes(type, values.size());
  if (!can_quantize(type))
    throw Error(ErrorCode::unsupported, "cannot encode values as " + std::string(dtype_name(type)));
  if (!bytes)
    throw Error(ErrorCode::invalid_argument, std::to_string(values.size()) + " values are not a whole number of " +
                                                 std::string(dtype_name(type)) + " blocks");
  std::vector<std::byte> out(*bytes);
  const size_t n = values.size();
  switch (type) {
    case DType::f32: std::memcpy(out.data(), values.data(), n * 4); break;
    case DType::f16:
      for (size_t i = 0; i < n; ++i) put_u16(out.data() + 2 * i, f32_to_f16(values[i]));
      break;
    case DType::bf16:
      for (size_t i = 0; i < n; ++i) put_u16(out.data() + 2 * i, f32_to_bf16(values[i]));
      break;
    case DType::q8_0: quantize_q8_0(values.data(), out.data(), n); break;
    case DType::f8_e4m3:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(to_fp8_e4m3(values[i]));
      break;
    default: break;
  }
  return out;
}

}  // namespace dsinfer
