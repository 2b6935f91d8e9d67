// ggml's k-quants: 256-value super-blocks split into 16 or 8 sub-blocks, each with a
// small integer scale (and for q2/q4/q5 a min) that multiplies the super-block's f16
// d (and dmin). Value order inside a super-block follows the packing: a run of 32 bytes
// holds several 32-value groups at different bit offsets.
#include "tensor/block_read.hpp"
#include "tensor/dequant_rows.hpp"

namespace dsinfer::dequant {
namespace {

using blocks::read_f16;
using blocks::scale_min_6bit;

constexpr int QK = 256;

}  // namespace

void q2_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / QK; ++b, src += 84, dst += QK) {
    const uint8_t* scales = src;  // 16 bytes: low nibble scale, high nibble min
    const uint8_t* qs = src + 16;
    const float d = read_f16(src + 80);
    const float dmin = read_f16(src + 82);
    for (int half = 0; half < 2; ++half) {
      for (int shift = 0; shift < 4; ++shift) {
        for (int l = 0; l < 32; ++l) {
          const uint8_t sc = scales[half * 8 + shift * 2 + l / 16];
          const int q = (qs[half * 32 + l] >> (2 * shift)) & 3;
          dst[half * 128 + shift * 32 + l] =
              d * static_cast<float>(sc & 0xf) * static_cast<float>(q) - dmin * static_cast<float>(sc >> 4);
        }
      }
    }
  }
}

void q3_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / QK; ++b, src += 110, dst += QK) {
    const uint8_t* hmask = src;       // 32 bytes: the third bit of each value, set means "no -4"
    const uint8_t* qs = src + 32;     // 64 bytes: two low bits per value
    const uint8_t* packed = src + 96; // 12 bytes: sixteen 6-bit scales, biased by 32
    const float d = read_f16(src + 108);
    int scale[16];
    for (int i = 0; i < 16; ++i) scale[i] = blocks::q3k_scale(packed, i);
    for (int half = 0; half < 2; ++half) {
      for (int shift = 0; shift < 4; ++shift) {
        const uint8_t bit = static_cast<uint8_t>(1u << (half * 4 + shift));
        for (int l = 0; l < 32; ++l) {
          const int q = ((qs[half * 32 + l] >> (2 * shift)) & 3) - ((hmask[l] & bit) ? 0 : 4);
          const int s = scale[half * 8 + shift * 2 + l / 16];
          dst[half * 128 + shift * 32 + l] = d * static_cast<float>(s) * static_cast<float>(q);
        }
      }
    }
  }
}

void q4_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / QK; ++b, src += 144, dst += QK) {
    const float d = read_f16(src);
    const float dmin = read_f16(src + 2);
    const uint8_t* scales = src + 4;
    const uint8_t* qs = src + 16;
    for (int chunk = 0; chunk < 4; ++chunk) {
      int sc0, m0, sc1, m1;
      scale_min_6bit(scales, 2 * chunk, &sc0, &m0);
      scale_min_6bit(scales, 2 * chunk + 1, &sc1, &m1);
      const float d0 = d * static_cast<float>(sc0), min0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), min1 = dmin * static_cast<float>(m1);
      for (int l = 0; l < 32; ++l) {
        const uint8_t q = qs[chunk * 32 + l];
        dst[chunk * 64 + l] = d0 * static_cast<float>(q & 0xf) - min0;
        dst[chunk * 64 + 32 + l] = d1 * static_cast<float>(q >> 4) - min1;
      }
    }
  }
}

void q5_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / QK; ++b, src += 176, dst += QK) {
    const float d = read_f16(src);
    const float dmin = read_f16(src + 2);
    const uint8_t* scales = src + 4;
    const uint8_t* qh = src + 16;  // 32 bytes: bit k of byte l is the fifth bit of group k's value l
    const uint8_t* qs = src + 48;
    for (int chunk = 0; chunk < 4; ++chunk) {
      int sc0, m0, sc1, m1;
      scale_min_6bit(scales, 2 * chunk, &sc0, &m0);
      scale_min_6bit(scales, 2 * chunk + 1, &sc1, &m1);
      const float d0 = d * static_cast<float>(sc0), min0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), min1 = dmin * static_cast<float>(m1);
      for (int l = 0; l < 32; ++l) {
        const uint8_t q = qs[chunk * 32 + l];
        const int lo = (q & 0xf) | (((qh[l] >> (2 * chunk)) & 1) << 4);
        const int hi = (q >> 4) | (((qh[l] >> (2 * chunk + 1)) & 1) << 4);
        dst[chunk * 64 + l] = d0 * static_cast<float>(lo) - min0;
        dst[chunk * 64 + 32 + l] = d1 * static_cast<float>(hi) - min1;
      }
    }
  }
}

void q6_k(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t b = 0; b < n / QK; ++b, src += 210, dst += QK) {
    const uint8_t* ql = src;        // 128 bytes: low four bits
    const uint8_t* qh = src + 128;  // 64 bytes: high two bits
    const int8_t* sc = reinterpret_cast<const int8_t*>(src + 192);  // 16 signed scales
    const float d = read_f16(src + 208);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* l4 = ql + half * 64;
      const uint8_t* h2 = qh + half * 32;
      const int8_t* s = sc + half * 8;
      float* y = dst + half * 128;
      for (int l = 0; l < 32; ++l) {
        const int g = l / 16;
        const int q0 = ((l4[l] & 0xf) | (((h2[l] >> 0) & 3) << 4)) - 32;
        const int q1 = ((l4[l + 32] & 0xf) | (((h2[l] >> 2) & 3) << 4)) - 32;
        const int q2 = ((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4)) - 32;
        const int q3 = ((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(s[g]) * static_cast<float>(q0);
        y[l + 32] = d * static_cast<float>(s[g + 2]) * static_cast<float>(q1);
        y[l + 64] = d * static_cast<float>(s[g + 4]) * static_cast<float>(q2);
        y[l + 96] = d * static_cast<float>(s[g + 6]) * static_cast<float>(q3);
      }
    }
  }
}

}  // namespace dsinfer::dequant
