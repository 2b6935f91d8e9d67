// Unaligned little-endian reads of block fields, and the packed integer scales of the block
// types that pack them: one definition each, for the reference decoders and the portable
// kernels alike. Quantized blocks sit at any byte
// offset (an 18-byte q4_0 block breaks 2-byte alignment), so fields are memcpy'd.
#pragma once

#include <cstdint>
#include <cstring>

#include "dsinfer/half.hpp"

namespace dsinfer::blocks {

inline uint16_t read_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t read_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline float read_f16(const uint8_t* p) { return f16_to_f32(read_u16(p)); }

// q4_k / q5_k pack eight 6-bit (scale, min) pairs into 12 bytes: the first four pairs
// use the low 6 bits of bytes 0-3 and 4-7; the last four take their low nibbles from
// bytes 8-11 and their top two bits from the spare bits of bytes 0-7.
inline void scale_min_6bit(const uint8_t* s, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4);
    *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// q3_k's sixteen 6-bit scales in 12 bytes, biased by 32: scale g's low four bits are the
// low (g < 8) or high nibble of byte g % 8, its top two bits pair g / 4 of byte 8 + g % 4.
inline int q3k_scale(const uint8_t* packed, int g) {
  const int low = g < 8 ? (packed[g] & 0xf) : (packed[g - 8] >> 4);
  const int high = (packed[8 + g % 4] >> (2 * (g / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// iq4_xs's eight 6-bit sub-block scales, biased by 32: the low four bits of scale ib are
// nibble ib of the four bytes after the f16 d and the u16 scales_h, the top two bits bits
// 2ib and 2ib + 1 of scales_h.
inline int iq4xs_scale(const uint8_t* block, int ib) {
  const unsigned scales_h = read_u16(block + 2);
  return (((block[4 + ib / 2] >> (4 * (ib % 2))) & 0xf) | (((scales_h >> (2 * ib)) & 3) << 4)) - 32;
}

}  // namespace dsinfer::blocks
