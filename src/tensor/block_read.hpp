// Unaligned little-endian reads of block fields. Quantized blocks sit at any byte
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

}  // namespace dsinfer::blocks
