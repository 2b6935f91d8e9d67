// The 4-bit non-linear types: iq4_nl is q4_0's layout with its codes looking up
// kIq4Levels instead of counting steps from -8; iq4_xs groups eight such 32-value blocks
// under one f16 d with a 6-bit signed integer scale each.
#include "tensor/block_read.hpp"
#include "tensor/dequant_rows.hpp"
#include "tensor/iq4_levels.hpp"

namespace dsinfer::dequant {
namespace {

// 16 bytes of codes: value j from byte j's low nibble, value j + 16 from its high one.
void levels32(const uint8_t* qs, float scale, float* dst) {
  for (int j = 0; j < 16; ++j) {
    dst[j] = scale * static_cast<float>(kIq4Levels[qs[j] & 0xf]);
    dst[j + 16] = scale * static_cast<float>(kIq4Levels[qs[j] >> 4]);
  }
}

}  // namespace

void iq4_nl(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 32; ++b, src += 18, dst += 32) levels32(src + 2, blocks::read_f16(src), dst);
}

void iq4_xs(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b, src += 136, dst += 256) {
    const float d = blocks::read_f16(src);
    for (int ib = 0; ib < 8; ++ib)
      levels32(src + 8 + 16 * ib, d * static_cast<float>(blocks::iq4xs_scale(src, ib)), dst + 32 * ib);
  }
}

}  // namespace dsinfer::dequant
