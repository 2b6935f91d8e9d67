// The 1- to 3-bit i-quant types: each block is an f16 d (iq1_m spreads it over its scale
// words) and, per 32 values, a small integer scale and codebook indices (tensor/iq_grids.hpp)
// with sign bits. The float arithmetic follows ggml's decoder operation for operation so
// that both round the same way.
#include "tensor/block_read.hpp"
#include "tensor/dequant_rows.hpp"
#include "tensor/iq_grids.hpp"

namespace dsinfer::dequant {
namespace {

using blocks::read_f16;
using blocks::read_u16;
using blocks::read_u32;

// Eight values of a {8, 25, 43} entry times db, value j negated where sign bit j is set.
void iq2_eight(uint16_t entry, uint8_t signs, float db, float* y) {
  for (int j = 0; j < 8; ++j) y[j] = db * static_cast<float>(iq::iq2_value(entry, j)) * (signs >> j & 1 ? -1.f : 1.f);
}

// Two four-value iq3 entries (values 0-3 and 4-7) under one sign byte.
template <int (*Value)(uint16_t, int)>
void iq3_eight(uint16_t first, uint16_t second, uint8_t signs, float db, float* y) {
  for (int j = 0; j < 4; ++j) {
    y[j] = db * static_cast<float>(Value(first, j)) * (signs >> j & 1 ? -1.f : 1.f);
    y[j + 4] = db * static_cast<float>(Value(second, j)) * (signs >> (j + 4) & 1 ? -1.f : 1.f);
  }
}

// Eight {-1, 0, 1} values shifted by delta (+-1/8), times dl.
void iq1_eight(uint16_t entry, float dl, float delta, float* y) {
  for (int j = 0; j < 8; ++j) y[j] = dl * (static_cast<float>(iq::iq1_value(entry, j)) + delta);
}

constexpr float kIq1Delta = 0.125f;

}  // namespace

// d, then per 32 values eight bytes: four 1-byte indices, and a word of four 7-bit sign
// groups under a 4-bit scale.
void iq2_xxs(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 66) {
    const float d = read_f16(src);
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t* q = src + 2 + 8 * ib;
      const uint32_t aux = read_u32(q + 4);
      const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f;
      for (int l = 0; l < 4; ++l, dst += 8)
        iq2_eight(iq::kIq2xxsGrid[q[l]], iq::signs_with_parity(aux >> (7 * l)), db, dst);
    }
  }
}

// d, 32 words (a 9-bit index under 7 sign bits per eight values), then a byte of two
// 4-bit scales per 32 values (one per 16).
void iq2_xs(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 74) {
    const float d = read_f16(src);
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t scales = src[66 + ib];
      const float db[2] = {d * (0.5f + static_cast<float>(scales & 0xf)) * 0.25f,
                           d * (0.5f + static_cast<float>(scales >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, dst += 8) {
        const uint16_t w = read_u16(src + 2 + 2 * (4 * ib + l));
        iq2_eight(iq::kIq2xsGrid[w & 511], iq::signs_with_parity(w >> 9), db[l / 2], dst);
      }
    }
  }
}

// d, 32 index low bytes, 32 sign bytes (all eight bits stored), 8 bytes of index top bits
// (two per eight values), 8 bytes of two 4-bit scales.
void iq2_s(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 82) {
    const float d = read_f16(src);
    const uint8_t *qs = src + 2, *signs = src + 34, *qh = src + 66, *scales = src + 74;
    for (int ib = 0; ib < 8; ++ib) {
      const float db[2] = {d * (0.5f + static_cast<float>(scales[ib] & 0xf)) * 0.25f,
                           d * (0.5f + static_cast<float>(scales[ib] >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, dst += 8) {
        const int index = qs[4 * ib + l] | ((qh[ib] >> (2 * l) & 3) << 8);
        iq2_eight(iq::kIq2sGrid[index], signs[4 * ib + l], db[l / 2], dst);
      }
    }
  }
}

// d, 64 one-byte indices of four values, then per 32 values a word of four 7-bit sign
// groups under a 4-bit scale.
void iq3_xxs(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 98) {
    const float d = read_f16(src);
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t* q = src + 2 + 8 * ib;
      const uint32_t aux = read_u32(src + 66 + 4 * ib);
      const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
      for (int l = 0; l < 4; ++l, dst += 8)
        iq3_eight<iq::iq3xxs_value>(iq::kIq3xxsGrid[q[2 * l]], iq::kIq3xxsGrid[q[2 * l + 1]],
                                    iq::signs_with_parity(aux >> (7 * l)), db, dst);
    }
  }
}

// d, 64 index low bytes, 8 bytes of index ninth bits (one byte per 32 values), 32 sign
// bytes, 4 bytes of two 4-bit scales (one per 32 values, odd multipliers 1..31).
void iq3_s(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 110) {
    const float d = read_f16(src);
    const uint8_t *qs = src + 2, *qh = src + 66, *signs = src + 74, *scales = src + 106;
    for (int ib = 0; ib < 8; ++ib) {
      const int s = ib % 2 ? scales[ib / 2] >> 4 : scales[ib / 2] & 0xf;
      const float db = d * static_cast<float>(1 + 2 * s);
      for (int l = 0; l < 4; ++l, dst += 8) {
        const int i0 = qs[8 * ib + 2 * l] | ((qh[ib] >> (2 * l) & 1) << 8);
        const int i1 = qs[8 * ib + 2 * l + 1] | ((qh[ib] >> (2 * l + 1) & 1) << 8);
        iq3_eight<iq::iq3s_value>(iq::kIq3sGrid[i0], iq::kIq3sGrid[i1], signs[4 * ib + l], db, dst);
      }
    }
  }
}

// d, 32 index low bytes, then per 32 values a word: four 3-bit index tops, a 3-bit
// scale (odd multipliers 1..15) and the sign of the shared +-1/8 shift.
void iq1_s(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 50) {
    const float d = read_f16(src);
    for (int ib = 0; ib < 8; ++ib) {
      const uint16_t h = read_u16(src + 34 + 2 * ib);
      const float dl = d * static_cast<float>(2 * (h >> 12 & 7) + 1);
      const float delta = h & 0x8000 ? -kIq1Delta : kIq1Delta;
      for (int l = 0; l < 4; ++l, dst += 8)
        iq1_eight(iq::kIq1sGrid[src[2 + 4 * ib + l] | ((h >> (3 * l) & 7) << 8)], dl, delta, dst);
    }
  }
}

// 32 index low bytes; per 16 values a byte with two (3-bit index top, shift sign) nibbles;
// four words whose low 12 bits hold 3-bit scales (one per 16 values) and whose top
// nibbles together are the block's f16 d.
void iq1_m(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 56) {
    const uint8_t *qs = src, *qh = src + 32;
    uint16_t sc[4];
    for (int k = 0; k < 4; ++k) sc[k] = read_u16(src + 48 + 2 * k);
    const float d = f16_to_f32(iq::iq1m_d_bits(src));
    for (int ib = 0; ib < 8; ++ib) {
      const int shift = 6 * (ib % 2);
      const float dl[2] = {d * static_cast<float>(2 * (sc[ib / 2] >> shift & 7) + 1),
                           d * static_cast<float>(2 * (sc[ib / 2] >> (shift + 3) & 7) + 1)};
      for (int l = 0; l < 4; ++l, dst += 8) {
        const uint8_t h = qh[2 * ib + l / 2] >> (4 * (l % 2));
        const int index = qs[4 * ib + l] | ((h & 7) << 8);
        iq1_eight(iq::kIq1sGrid[index], dl[l / 2], h & 8 ? -kIq1Delta : kIq1Delta, dst);
      }
    }
  }
}

}  // namespace dsinfer::dequant
