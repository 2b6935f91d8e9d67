// Reading the interleaved row groups (row_groups.hpp) in vectors: the pieces both ISA
// variants of the group kernels (row_group_avx2.cpp, row_group_avx512.cpp) take apart the
// same way. Include only from files compiled with at least -mavx2. Everything here has
// internal linkage: each kernel file gets its own copy, compiled for its own instruction
// set, so the linker can never hand an AVX-512 build of a helper to the AVX2 kernels.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/activations.hpp"

namespace dsinfer::kernels::group_pieces {
namespace {

// Four activation bytes in every 32-bit lane: one lane per row of the group.
inline __m256i broadcast4(const int8_t* p) {
  int32_t four;
  std::memcpy(&four, p, 4);
  return _mm256_set1_epi32(four);
}

// q5_0's fifth bits of values 4k..4k+3, as 0x10 in the bytes of each row's lane: byte k/2
// of the lane's 32 bits copied to its four bytes, and one bit of it kept in each.
inline __m256i fifth_bits(__m256i qh, int k) {
  const int8_t s = static_cast<int8_t>(k / 2);
  const __m256i spread = _mm256_setr_epi8(s, s, s, s, s + 4, s + 4, s + 4, s + 4, s + 8, s + 8, s + 8, s + 8, s + 12,
                                          s + 12, s + 12, s + 12, s, s, s, s, s + 4, s + 4, s + 4, s + 4, s + 8, s + 8,
                                          s + 8, s + 8, s + 12, s + 12, s + 12, s + 12);
  const __m256i bit = k % 2 ? _mm256_set1_epi32(static_cast<int>(0x80402010u)) : _mm256_set1_epi32(0x08040201);
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(qh, spread), bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// A byte shuffle putting byte `b` of each 32-bit lane (row) at bytes 0 and 2 (and `b + 1`
// at byte 2 when kPair), zeros at 1 and 3: the lane's int16 pair for madd.
template <bool kPair>
inline __m256i lane_bytes16(__m256i v, int b) {
  const int8_t z = -128, c = static_cast<int8_t>(kPair ? b + 1 : b);
  const auto x = static_cast<int8_t>(b);
  const __m256i pick = _mm256_setr_epi8(x, z, c, z, x + 4, z, c + 4, z, x + 8, z, c + 8, z, x + 12, z, c + 12, z, x, z,
                                        c, z, x + 4, z, c + 4, z, x + 8, z, c + 8, z, x + 12, z, c + 12, z);
  return _mm256_shuffle_epi8(v, pick);
}

// q5_k's fifth bits: bit `from` of each byte of h moved to bit 4 (16-bit shifts; the mask
// keeps each byte's own bit).
inline __m256i to_bit4(__m256i h, int from) {
  return _mm256_and_si256(from <= 4 ? _mm256_slli_epi16(h, 4 - from) : _mm256_srli_epi16(h, from - 4),
                          _mm256_set1_epi8(0x10));
}

// The six-bit scales and mins of a q4_k / q5_k group block (its three packed scale words
// at b + 32, b + 64, b + 96): lane r holds row r's scales (or mins) 0-3 (lo) and 4-7 (hi),
// one per byte, unpacked for all eight rows the way the one-row kernel unpacks one row's.
struct Q45kScales {
  __m256i sc_lo, sc_hi, mn_lo, mn_hi;
};
inline Q45kScales q45k_scales(const uint8_t* b) {
  const __m256i six = _mm256_set1_epi8(0x3f), nib = _mm256_set1_epi8(0x0f), two = _mm256_set1_epi8(0x03);
  const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
  const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 64));
  const __m256i w2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 96));
  Q45kScales s;
  s.sc_lo = _mm256_and_si256(w0, six);
  s.mn_lo = _mm256_and_si256(w1, six);
  s.sc_hi = _mm256_or_si256(_mm256_and_si256(w2, nib), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w0, 6), two), 4));
  s.mn_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(w2, 4), nib),
                            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w1, 6), two), 4));
  return s;
}

// Each row's mins times one token's activation sums per 32 values (from its sums per 16,
// in pairs): what the k-quant's minimum takes off, as eight int32 lanes.
inline __m256i q45k_min_sums(const Q45kScales& s, const ActBlock256& a) {
  const __m128i s16 = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums + 8)));
  const __m256i sums = _mm256_broadcastsi128_si256(s16);
  __m256i m = _mm256_madd_epi16(lane_bytes16<true>(s.mn_lo, 0), _mm256_shuffle_epi32(sums, 0x00));
  m = _mm256_add_epi32(m, _mm256_madd_epi16(lane_bytes16<true>(s.mn_lo, 2), _mm256_shuffle_epi32(sums, 0x55)));
  m = _mm256_add_epi32(m, _mm256_madd_epi16(lane_bytes16<true>(s.mn_hi, 0), _mm256_shuffle_epi32(sums, 0xaa)));
  return _mm256_add_epi32(m, _mm256_madd_epi16(lane_bytes16<true>(s.mn_hi, 2), _mm256_shuffle_epi32(sums, 0xff)));
}

}  // namespace
}  // namespace dsinfer::kernels::group_pieces
