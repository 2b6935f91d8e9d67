#include "dsinfer/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "dsinfer/error.hpp"
#include "dsinfer/dequantize.hpp"
#include "dsinfer/half.hpp"
#include "tensor/iq4_levels.hpp"

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

// The value of largest magnitude, sign kept: dividing it by -levels/2 maps it to the
// bottom code, so the asymmetric range [-levels/2, levels/2 - 1] is used to the full.
float signed_absmax(const float* x, int n) {
  float best = 0.0f;
  for (int j = 0; j < n; ++j)
    if (std::fabs(x[j]) > std::fabs(best)) best = x[j];
  return best;
}

int round_clamp(float v, int lo, int hi) { return std::clamp(static_cast<int>(std::nearbyint(v)), lo, hi); }

// 32 four- or five-bit codes as the 32-value types store them after their f16 header: for
// five bits, the 32 high bits first; then value j's low nibble with value j + 16's above it.
void pack_codes32(const int* q, int bits, std::byte* out) {
  std::byte* qs = out + (bits == 5 ? 4 : 0);
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<std::byte>((q[j] & 0xf) | ((q[j + 16] & 0xf) << 4));
    qh |= static_cast<uint32_t>(q[j] >> 4) << j;
    qh |= static_cast<uint32_t>(q[j + 16] >> 4) << (j + 16);
  }
  if (bits == 5) std::memcpy(out, &qh, 4);
}

// q4_0 / q5_0: per 32 values an f16 scale and 4- or 5-bit codes offset by 8 or 16.
void quantize_q4_q5_0(const float* x, std::byte* out, size_t n, int bits) {
  const int half = 1 << (bits - 1);
  const size_t bb = bits == 4 ? 18 : 22;
  for (size_t b = 0; b < n / 32; ++b, x += 32, out += bb) {
    const uint16_t dh = f32_to_f16(signed_absmax(x, 32) / static_cast<float>(-half));
    const float d = f16_to_f32(dh);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = round_clamp(x[j] * inv + static_cast<float>(half), 0, 2 * half - 1);
    put_u16(out, dh);
    pack_codes32(q, bits, out + 2);
  }
}

// q4_1 / q5_1: per 32 values an f16 scale d and an f16 minimum m, and 4- or 5-bit codes;
// value = d * q + m (the 5-bit layout as q5_0's: 32 high bits, then the nibbles).
void quantize_q4_q5_1(const float* x, std::byte* out, size_t n, int bits) {
  const int top = (1 << bits) - 1;
  const size_t bb = bits == 4 ? 20 : 24;
  for (size_t b = 0; b < n / 32; ++b, x += 32, out += bb) {
    const float mn = *std::min_element(x, x + 32), mx = *std::max_element(x, x + 32);
    const uint16_t dh = f32_to_f16((mx - mn) / static_cast<float>(top)), mh = f32_to_f16(mn);
    const float d = f16_to_f32(dh), m = f16_to_f32(mh);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = round_clamp((x[j] - m) * inv, 0, top);
    put_u16(out, dh);
    put_u16(out + 2, mh);
    pack_codes32(q, bits, out + 4);
  }
}

// q2_k's, q4_k's and q5_k's groups (`groups` of `size` values): each with an unsigned
// integer scale sc and min mn (0 .. scale_top) against one f16 d and dmin, chosen so the
// group's range (zero included) spans the codes q (0 .. top); value = d * sc * q - dmin * mn.
// Returns d's and dmin's f16 bits.
std::pair<uint16_t, uint16_t> min_group_codes(const float* x, int groups, int size, int top, int scale_top, int* sc,
                                              int* mn, int* q) {
  float scale[16], lo[16], max_scale = 0.0f, max_min = 0.0f;
  for (int g = 0; g < groups; ++g) {
    const float* y = x + g * size;
    const float low = std::min(0.0f, *std::min_element(y, y + size));
    const float high = std::max(0.0f, *std::max_element(y, y + size));
    scale[g] = (high - low) / static_cast<float>(top);
    lo[g] = -low;
    max_scale = std::max(max_scale, scale[g]);
    max_min = std::max(max_min, lo[g]);
  }
  const uint16_t dh = f32_to_f16(max_scale / static_cast<float>(scale_top));
  const uint16_t mh = f32_to_f16(max_min / static_cast<float>(scale_top));
  const float d = f16_to_f32(dh), dmin = f16_to_f32(mh);
  for (int g = 0; g < groups; ++g) {
    sc[g] = d > 0.0f ? round_clamp(scale[g] / d, 0, scale_top) : 0;
    mn[g] = dmin > 0.0f ? round_clamp(lo[g] / dmin, 0, scale_top) : 0;
    const float step = d * static_cast<float>(sc[g]), off = dmin * static_cast<float>(mn[g]);
    for (int j = 0; j < size; ++j)
      q[g * size + j] = step > 0.0f ? round_clamp((x[g * size + j] + off) / step, 0, top) : 0;
  }
  return {dh, mh};
}

// q2_k's and q3_k's codes, two bits each: value half * 128 + 32k + l in bits 2k-2k+1 of byte
// half * 32 + l (q3_k keeps its third bit elsewhere).
void pack_2bit(const int* q, std::byte* qs) {
  for (int half = 0; half < 2; ++half)
    for (int l = 0; l < 32; ++l) {
      const int* y = q + half * 128 + l;
      qs[half * 32 + l] =
          static_cast<std::byte>((y[0] & 3) | ((y[32] & 3) << 2) | ((y[64] & 3) << 4) | ((y[96] & 3) << 6));
    }
}

// q4_k / q5_k: eight groups of 32, each with a 6-bit scale and min against the
// super-block's f16 d and dmin; value = d * scale * q - dmin * min.
void quantize_q45_k(const float* x, std::byte* out, size_t n, int bits) {
  const int top = (1 << bits) - 1;
  const size_t bb = bits == 4 ? 144 : 176;
  for (size_t b = 0; b < n / 256; ++b, x += 256, out += bb) {
    int sc[8], mn[8], q[256];
    const auto [dh, mh] = min_group_codes(x, 8, 32, top, 63, sc, mn, q);
    uint8_t packed[12] = {};
    for (int j = 0; j < 4; ++j) {
      packed[j] = static_cast<uint8_t>(sc[j]);
      packed[j + 4] = static_cast<uint8_t>(mn[j]);
    }
    for (int j = 4; j < 8; ++j) {
      packed[j + 4] = static_cast<uint8_t>((sc[j] & 0xf) | ((mn[j] & 0xf) << 4));
      packed[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((mn[j] >> 4) << 6);
    }
    put_u16(out, dh);
    put_u16(out + 2, mh);
    std::memcpy(out + 4, packed, 12);
    std::byte* qh = out + 16;
    std::byte* qs = out + (bits == 4 ? 16 : 48);
    if (bits == 5) std::memset(qh, 0, 32);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int a = q[c * 64 + l], h = q[c * 64 + 32 + l];
        qs[c * 32 + l] = static_cast<std::byte>((a & 0xf) | ((h & 0xf) << 4));
        if (bits == 5) qh[l] |= static_cast<std::byte>(((a >> 4) << (2 * c)) | ((h >> 4) << (2 * c + 1)));
      }
    }
  }
}

// q3_k's and q6_k's sixteen groups of 16: each group's signed integer scale sc (-top - 1 ..
// top) against one f16 d, chosen so the group's value of largest magnitude lands on the
// bottom code, and its codes q (0 .. 2 * offset - 1, value = d * sc * (q - offset)).
// Returns d's f16 bits.
uint16_t signed_group_codes(const float* x, int offset, int top, int* sc, int* q) {
  float scale[16], max_scale = 0.0f;
  for (int g = 0; g < 16; ++g) {
    scale[g] = signed_absmax(x + g * 16, 16) / static_cast<float>(-offset);
    max_scale = std::max(max_scale, std::fabs(scale[g]));
  }
  const uint16_t dh = f32_to_f16(max_scale / static_cast<float>(top));
  const float d = f16_to_f32(dh);
  for (int g = 0; g < 16; ++g) {
    sc[g] = d > 0.0f ? round_clamp(scale[g] / d, -top - 1, top) : 0;
    const float step = d * static_cast<float>(sc[g]);
    for (int j = 0; j < 16; ++j)
      q[g * 16 + j] =
          step != 0.0f ? round_clamp(x[g * 16 + j] / step + static_cast<float>(offset), 0, 2 * offset - 1) : offset;
  }
  return dh;
}

// q6_k: sixteen groups of 16 with signed 8-bit scales against an f16 d; 6-bit codes
// offset by 32.
void quantize_q6_k(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 256; ++b, x += 256, out += 210) {
    int sc[16], q[256];
    const uint16_t dh = signed_group_codes(x, 32, 127, sc, q);
    std::byte* ql = out;
    std::byte* qh = out + 128;
    for (int half = 0; half < 2; ++half) {
      const int* y = q + half * 128;
      for (int l = 0; l < 32; ++l) {
        ql[half * 64 + l] = static_cast<std::byte>((y[l] & 0xf) | ((y[l + 64] & 0xf) << 4));
        ql[half * 64 + l + 32] = static_cast<std::byte>((y[l + 32] & 0xf) | ((y[l + 96] & 0xf) << 4));
        qh[half * 32 + l] = static_cast<std::byte>((y[l] >> 4) | ((y[l + 32] >> 4) << 2) | ((y[l + 64] >> 4) << 4) |
                                                   ((y[l + 96] >> 4) << 6));
      }
    }
    for (int g = 0; g < 16; ++g) out[192 + g] = static_cast<std::byte>(static_cast<int8_t>(sc[g]));
    put_u16(out + 208, dh);
  }
}

// q2_k: sixteen groups of 16, each with a 4-bit scale and min against the super-block's
// f16 d and dmin; value = d * scale * q - dmin * min with 2-bit q. Value half * 128 + 32 * k
// + l sits in bits 2k-2k+1 of byte half * 32 + l.
void quantize_q2_k(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 256; ++b, x += 256, out += 84) {
    int sc[16], mn[16], q[256];
    const auto [dh, mh] = min_group_codes(x, 16, 16, 3, 15, sc, mn, q);
    for (int g = 0; g < 16; ++g) out[g] = static_cast<std::byte>(sc[g] | (mn[g] << 4));
    pack_2bit(q, out + 16);
    put_u16(out + 80, dh);
    put_u16(out + 82, mh);
  }
}

// q3_k: sixteen groups of 16 with signed 6-bit scales against an f16 d; 3-bit codes offset
// by 4, stored as two low bits (laid out as q2_k's) and a third bit in a 32-byte mask (bit
// 4 * half + k of byte l). The scales are biased by 32 and packed into 12 bytes: low nibbles
// of scales 0-7 and 8-15 in the low and high nibbles of bytes 0-7, top bit pairs in 8-11.
void quantize_q3_k(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 256; ++b, x += 256, out += 110) {
    int sc[16], q[256];
    const uint16_t dh = signed_group_codes(x, 4, 31, sc, q);
    std::memset(out, 0, 110);
    std::byte* hmask = out;
    pack_2bit(q, out + 32);
    for (int half = 0; half < 2; ++half)
      for (int k = 0; k < 4; ++k)
        for (int l = 0; l < 32; ++l)
          hmask[l] |= static_cast<std::byte>((q[half * 128 + k * 32 + l] >> 2) << (half * 4 + k));
    auto* packed = reinterpret_cast<uint8_t*>(out + 96);
    for (int g = 0; g < 16; ++g) {
      const int biased = sc[g] + 32;
      packed[g % 8] |= static_cast<uint8_t>((biased & 0xf) << (g < 8 ? 0 : 4));
      packed[8 + g % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (g / 4)));
    }
    put_u16(out + 108, dh);
  }
}

// The code of the level nearest to v (levels in units of the block's scale).
int nearest_iq4_level(float v) {
  const int8_t* hi = std::lower_bound(kIq4Levels, kIq4Levels + 16, v);
  if (hi == kIq4Levels) return 0;
  if (hi == kIq4Levels + 16) return 15;
  const int i = static_cast<int>(hi - kIq4Levels);
  return v - static_cast<float>(kIq4Levels[i - 1]) < static_cast<float>(kIq4Levels[i]) - v ? i - 1 : i;
}

// 32 values as iq4_nl codes against `scale`, packed as q4_0's nibbles.
void pack_iq4(const float* x, float scale, std::byte* qs) {
  const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
  int q[32];
  for (int j = 0; j < 32; ++j) q[j] = nearest_iq4_level(x[j] * inv);
  pack_codes32(q, 4, qs);
}

// iq4_nl: per 32 values an f16 scale; the value of largest magnitude maps to the level -127.
void quantize_iq4_nl(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 32; ++b, x += 32, out += 18) {
    const uint16_t dh = f32_to_f16(signed_absmax(x, 32) / -127.0f);
    put_u16(out, dh);
    pack_iq4(x, f16_to_f32(dh), out + 2);
  }
}

// iq4_xs: eight iq4_nl blocks under one f16 d, each with a signed 6-bit scale (biased by
// 32: low nibbles in scales_l, top bit pairs in scales_h).
void quantize_iq4_xs(const float* x, std::byte* out, size_t n) {
  for (size_t b = 0; b < n / 256; ++b, x += 256, out += 136) {
    float scale[8], max_scale = 0.0f;
    for (int ib = 0; ib < 8; ++ib) {
      scale[ib] = signed_absmax(x + 32 * ib, 32) / -127.0f;
      max_scale = std::max(max_scale, std::fabs(scale[ib]));
    }
    const uint16_t dh = f32_to_f16(max_scale / 31.0f);
    const float d = f16_to_f32(dh);
    uint16_t scales_h = 0;
    uint8_t scales_l[4] = {};
    for (int ib = 0; ib < 8; ++ib) {
      const int sc = d > 0.0f ? round_clamp(scale[ib] / d, -32, 31) : 0;
      const int biased = sc + 32;
      scales_l[ib / 2] |= static_cast<uint8_t>((biased & 0xf) << (4 * (ib % 2)));
      scales_h |= static_cast<uint16_t>((biased >> 4) << (2 * ib));
      pack_iq4(x + 32 * ib, d * static_cast<float>(sc), out + 8 + 16 * ib);
    }
    put_u16(out, dh);
    put_u16(out + 2, scales_h);
    std::memcpy(out + 4, scales_l, 4);
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
         type == DType::q4_0 || type == DType::q5_0 || type == DType::q4_1 || type == DType::q5_1 ||
         type == DType::q2_k || type == DType::q3_k || type == DType::q4_k || type == DType::q5_k ||
         type == DType::q6_k || type == DType::iq4_nl || type == DType::iq4_xs || type == DType::f8_e4m3;
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
    case DType::q4_0: quantize_q4_q5_0(values.data(), out.data(), n, 4); break;
    case DType::q5_0: quantize_q4_q5_0(values.data(), out.data(), n, 5); break;
    case DType::q4_1: quantize_q4_q5_1(values.data(), out.data(), n, 4); break;
    case DType::q5_1: quantize_q4_q5_1(values.data(), out.data(), n, 5); break;
    case DType::q2_k: quantize_q2_k(values.data(), out.data(), n); break;
    case DType::q3_k: quantize_q3_k(values.data(), out.data(), n); break;
    case DType::q4_k: quantize_q45_k(values.data(), out.data(), n, 4); break;
    case DType::q5_k: quantize_q45_k(values.data(), out.data(), n, 5); break;
    case DType::q6_k: quantize_q6_k(values.data(), out.data(), n); break;
    case DType::iq4_nl: quantize_iq4_nl(values.data(), out.data(), n); break;
    case DType::iq4_xs: quantize_iq4_xs(values.data(), out.data(), n); break;
    case DType::f8_e4m3:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(to_fp8_e4m3(values[i]));
      break;
    default: break;
  }
  return out;
}

}  // namespace dsinfer
