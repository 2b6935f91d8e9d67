// The 1- to 3-bit i-quant types, decoded from the integers iq_blocks.hpp reads out of a
// block (the layouts are described there). The float steps follow ggml's decoder
// operation for operation so that both round the same way, a subnormal d included: the
// per-32 (or per-16) multiplier is d * (0.5 + s) * 0.25 (iq2), d * (0.5 + s) * 0.5
// (iq3_xxs) or d * (2s + 1) (iq3_s, iq1), times the signed level (iq1: level + the +-1/8
// shift, which is w / 8 exactly).
#include "tensor/dequant_rows.hpp"
#include "tensor/iq_blocks.hpp"

namespace dsinfer::dequant {
namespace {

template <DType T>
void decode(const uint8_t* src, float* dst, int64_t n) {
  const uint32_t bb = dtype_info(T).block_bytes;
  for (int64_t b = 0; b < n / 256; ++b, src += bb) {
    int8_t w[256], scale[16];
    iq::codebook_values<T>(src, w);
    iq::codebook_scales<T>(src, scale);
    const float d = f16_to_f32(iq::codebook_d_bits<T>(src));
    for (int g = 0; g < 16; ++g, dst += 16) {
      const int s = (scale[g] - 1) / 2;  // the stored scale
      float db;
      if constexpr (T == DType::iq3_xxs) db = d * (0.5f + static_cast<float>(s)) * 0.5f;
      else if constexpr (T == DType::iq3_s || T == DType::iq1_s || T == DType::iq1_m) db = d * static_cast<float>(scale[g]);
      else db = d * (0.5f + static_cast<float>(s)) * 0.25f;
      for (int i = 0; i < 16; ++i) {
        const float v = static_cast<float>(w[16 * g + i]);
        dst[i] = T == DType::iq1_s || T == DType::iq1_m ? db * (v * 0.125f) : db * v;
      }
    }
  }
}

}  // namespace

void iq2_xxs(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq2_xxs>(src, dst, n); }
void iq2_xs(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq2_xs>(src, dst, n); }
void iq2_s(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq2_s>(src, dst, n); }
void iq3_xxs(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq3_xxs>(src, dst, n); }
void iq3_s(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq3_s>(src, dst, n); }
void iq1_s(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq1_s>(src, dst, n); }
void iq1_m(const uint8_t* src, float* dst, int64_t n) { decode<DType::iq1_m>(src, dst, n); }

}  // namespace dsinfer::dequant
