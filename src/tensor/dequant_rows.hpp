// Reference decoders, one per stored type: n values (whole blocks) from src into dst.
#pragma once

#include <cstdint>

namespace dsinfer::dequant {

void f32(const uint8_t* src, float* dst, int64_t n);
void f16(const uint8_t* src, float* dst, int64_t n);
void bf16(const uint8_t* src, float* dst, int64_t n);
void f8_e4m3(const uint8_t* src, float* dst, int64_t n);

void q4_0(const uint8_t* src, float* dst, int64_t n);
void q4_1(const uint8_t* src, float* dst, int64_t n);
void q5_0(const uint8_t* src, float* dst, int64_t n);
void q5_1(const uint8_t* src, float* dst, int64_t n);
void q8_0(const uint8_t* src, float* dst, int64_t n);

void q2_k(const uint8_t* src, float* dst, int64_t n);
void q3_k(const uint8_t* src, float* dst, int64_t n);
void q4_k(const uint8_t* src, float* dst, int64_t n);
void q5_k(const uint8_t* src, float* dst, int64_t n);
void q6_k(const uint8_t* src, float* dst, int64_t n);

void iq4_nl(const uint8_t* src, float* dst, int64_t n);
void iq4_xs(const uint8_t* src, float* dst, int64_t n);

void iq2_xxs(const uint8_t* src, float* dst, int64_t n);
void iq2_xs(const uint8_t* src, float* dst, int64_t n);
void iq2_s(const uint8_t* src, float* dst, int64_t n);
void iq3_xxs(const uint8_t* src, float* dst, int64_t n);
void iq3_s(const uint8_t* src, float* dst, int64_t n);
void iq1_s(const uint8_t* src, float* dst, int64_t n);
void iq1_m(const uint8_t* src, float* dst, int64_t n);

}  // namespace dsinfer::dequant
