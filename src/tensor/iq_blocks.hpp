// The 1- to 3-bit i-quant blocks (iq_grids.hpp holds their codebooks) read as integers:
// value i = factor * scale[i / 16] * w[i], w signed bytes (|w| <= 62) and scale odd (1..31).
// Every type's float scale is d times an odd integer over a power of two (iq2: (2s+1)/8,
// iq3_xxs: (2s+1)/4, iq3_s: 2s+1), and iq1's +-1/8 shift becomes exact as 8 * level +- 1,
// so a kernel rounds nothing before its dot product's one float step. The decoders
// (dequant_iq_codebooks.cpp) and the portable kernel read blocks value by value with it;
// the AVX2 kernels take its scales and d and assemble the values in vectors themselves
// (kernels/quant_blocks_avx2.hpp). Everything here is in an unnamed namespace: the AVX2
// files include it too, and a copy they compiled with AVX2 instructions must never be the
// one portable code links to.
#pragma once

#include <cstdint>
#include <cstring>

#include "dsinfer/dtype.hpp"
#include "dsinfer/half.hpp"
#include "tensor/iq_grids.hpp"

namespace dsinfer::iq {
namespace {

constexpr bool is_codebook_type(DType t) {
  return t == DType::iq2_xxs || t == DType::iq2_xs || t == DType::iq2_s || t == DType::iq3_xxs || t == DType::iq3_s ||
         t == DType::iq1_s || t == DType::iq1_m;
}

namespace codebook {

inline uint16_t u16_at(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t u32_at(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace codebook

// A block's float factor is its f16 d (these bits) times codebook_d_scale<T>.
template <DType T>
inline uint16_t codebook_d_bits(const uint8_t* b) {
  using codebook::u16_at;
  if constexpr (T == DType::iq1_m) return iq1m_d_bits(b);
  else return u16_at(b);
}
// Its inverse, for writing blocks (tests and benchmarks make random ones): iq1_m's d goes
// into the top nibbles of its scale words, the others' into their first two bytes.
inline void set_codebook_d_bits(DType t, uint8_t* b, uint16_t bits) {
  if (t == DType::iq1_m) {
    for (int k = 0; k < 4; ++k) b[49 + 2 * k] = static_cast<uint8_t>((b[49 + 2 * k] & 0x0f) | ((bits >> (4 * k) & 0xf) << 4));
  } else {
    std::memcpy(b, &bits, 2);
  }
}
template <DType T>
constexpr float codebook_d_scale = T == DType::iq3_s ? 1.0f : T == DType::iq3_xxs ? 0.25f : 0.125f;

template <DType T>
inline float codebook_factor(const uint8_t* b) {
  return f16_to_f32(codebook_d_bits<T>(b)) * codebook_d_scale<T>;
}

// The layouts (bytes of a 256-value block; "per 32" runs over the eight 32-value groups):
//   iq2_xxs (66): d; per 32, four 1-byte indices then a word of four 7-bit sign groups
//            under a 4-bit scale.
//   iq2_xs (74):  d; per 8 values a word, 9-bit index under 7 sign bits; per 32 a byte of
//            two 4-bit scales (one per 16).
//   iq2_s (82):   d; 32 index low bytes; 32 sign bytes (all eight bits stored); per 32 a
//            byte of index top bits (two per 8 values); per 32 a byte of two 4-bit scales.
//   iq3_xxs (98): d; 64 one-byte indices of four values; per 32 a word of four 7-bit
//            sign groups under a 4-bit scale.
//   iq3_s (110):  d; 64 index low bytes; per 32 a byte of index ninth bits; 32 sign bytes;
//            4 bytes of two 4-bit scales (one per 32).
//   iq1_s (50):   d; 32 index low bytes; per 32 a word: four 3-bit index tops, a 3-bit
//            scale, the sign of the +-1/8 shift.
//   iq1_m (56):   32 index low bytes; per 16 values a byte of two (3-bit index top, shift
//            sign) nibbles; four words of 3-bit scales (one per 16) whose top nibbles
//            together are d.
// Seven stored sign bits get an eighth from signs_with_parity.
// The sixteen odd integer scales, one per 16 values (types with one per 32 repeat it).
template <DType T>
inline void codebook_scales(const uint8_t* b, int8_t* scale) {
  using codebook::u16_at;
  using codebook::u32_at;
  auto odd = [](int s) { return static_cast<int8_t>(2 * s + 1); };
  for (int ib = 0; ib < 8; ++ib) {
    int lo, hi;
    if constexpr (T == DType::iq2_xxs) lo = hi = static_cast<int>(u32_at(b + 6 + 8 * ib) >> 28);
    else if constexpr (T == DType::iq3_xxs) lo = hi = static_cast<int>(u32_at(b + 66 + 4 * ib) >> 28);
    else if constexpr (T == DType::iq2_xs || T == DType::iq2_s) {
      const uint8_t s = b[(T == DType::iq2_xs ? 66 : 74) + ib];
      lo = s & 0xf;
      hi = s >> 4;
    } else if constexpr (T == DType::iq3_s) lo = hi = ib % 2 ? b[106 + ib / 2] >> 4 : b[106 + ib / 2] & 0xf;
    else if constexpr (T == DType::iq1_s) lo = hi = u16_at(b + 34 + 2 * ib) >> 12 & 7;
    else {
      static_assert(T == DType::iq1_m);
      const uint16_t sc = u16_at(b + 48 + 2 * (ib / 2));
      lo = sc >> (6 * (ib % 2)) & 7;
      hi = sc >> (6 * (ib % 2) + 3) & 7;
    }
    scale[2 * ib] = odd(lo);
    scale[2 * ib + 1] = odd(hi);
  }
}

// The 256 signed values w (value i = factor * scale[i / 16] * w[i]), eight at a time: a
// codebook entry's levels with their signs, or iq1's levels times 8 plus the shift's sign.
template <DType T>
inline void codebook_values(const uint8_t* b, int8_t* w) {
  using codebook::u16_at;
  using codebook::u32_at;
  for (int ib = 0; ib < 8; ++ib) {
    for (int l = 0; l < 4; ++l, w += 8) {
      int v[8];
      unsigned signs = 0;
      auto two_bit = [&](uint16_t entry) {
        for (int j = 0; j < 8; ++j) v[j] = iq2_value(entry, j);
      };
      auto iq1 = [&](uint16_t entry, bool minus) {
        for (int j = 0; j < 8; ++j) v[j] = 8 * iq1_value(entry, j) + (minus ? -1 : 1);
      };
      if constexpr (T == DType::iq2_xxs) {
        two_bit(kIq2xxsGrid[b[2 + 8 * ib + l]]);
        signs = signs_with_parity(u32_at(b + 6 + 8 * ib) >> (7 * l));
      } else if constexpr (T == DType::iq2_xs) {
        const uint16_t q = u16_at(b + 2 + 2 * (4 * ib + l));
        two_bit(kIq2xsGrid[q & 511]);
        signs = signs_with_parity(q >> 9);
      } else if constexpr (T == DType::iq2_s) {
        two_bit(kIq2sGrid[b[2 + 4 * ib + l] | ((b[66 + ib] >> (2 * l) & 3) << 8)]);
        signs = b[34 + 4 * ib + l];
      } else if constexpr (T == DType::iq3_xxs) {
        const uint8_t* q = b + 2 + 8 * ib + 2 * l;
        for (int j = 0; j < 4; ++j) {
          v[j] = iq3xxs_value(kIq3xxsGrid[q[0]], j);
          v[j + 4] = iq3xxs_value(kIq3xxsGrid[q[1]], j);
        }
        signs = signs_with_parity(u32_at(b + 66 + 4 * ib) >> (7 * l));
      } else if constexpr (T == DType::iq3_s) {
        const uint8_t* q = b + 2 + 8 * ib + 2 * l;
        const uint8_t h = b[66 + ib];
        for (int j = 0; j < 4; ++j) {
          v[j] = iq3s_value(kIq3sGrid[q[0] | ((h >> (2 * l) & 1) << 8)], j);
          v[j + 4] = iq3s_value(kIq3sGrid[q[1] | ((h >> (2 * l + 1) & 1) << 8)], j);
        }
        signs = b[74 + 4 * ib + l];
      } else if constexpr (T == DType::iq1_s) {
        const uint16_t h = u16_at(b + 34 + 2 * ib);
        iq1(kIq1sGrid[b[2 + 4 * ib + l] | ((h >> (3 * l) & 7) << 8)], h & 0x8000);
      } else {
        const uint8_t h = b[32 + 2 * ib + l / 2] >> (4 * (l % 2));
        iq1(kIq1sGrid[b[4 * ib + l] | ((h & 7) << 8)], h & 8);
      }
      for (int j = 0; j < 8; ++j) w[j] = static_cast<int8_t>(signs >> j & 1 ? -v[j] : v[j]);
    }
  }
}

}  // namespace
}  // namespace dsinfer::iq
