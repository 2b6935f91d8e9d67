// AVX2 building blocks shared by the row kernels (row_dot_avx2.cpp) and the row tiles
// (row_tile_avx2.cpp): loading and unpacking quantized weight blocks, int8 products, and
// the integer part of a k-quant super-block times a few activation rows. Include
// only from files compiled with -mavx2 -mfma -mf16c.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dsinfer/dtype.hpp"
#include "kernels/activations.hpp"
#include "kernels/hsum_avx2.hpp"
#include "tensor/iq4_levels.hpp"
#include "tensor/iq_blocks.hpp"

namespace dsinfer::kernels::avx2 {

using iq::codebook_d_bits;
using iq::codebook_d_scale;
using iq::codebook_scales;
using iq::is_codebook_type;

inline const uint8_t* u8(const std::byte* p) { return reinterpret_cast<const uint8_t*>(p); }
inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline float f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}
// Decode reads each weight byte once: asking for the lines 1 KiB ahead keeps more misses in
// flight than the hardware prefetcher alone, which one core needs to approach the memory
// bandwidth (measured: a q8_0 product with 2048-wide rows went from 74% to 80-93% of it).
template <uint32_t kBytes>
inline void prefetch_ahead(const void* p) {
  // An integer address: near a matrix's end the line named lies past it (a prefetch never
  // faults, but a pointer past the array is undefined).
  const uintptr_t ahead = reinterpret_cast<uintptr_t>(p) + 1024;
  for (uint32_t o = 0; o < kBytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(ahead + o), _MM_HINT_T0);
}

// Eight (load8) or one (load1) values of an f32 / f16 / bf16 row from index k, as floats.
template <DType T>
inline __m256 load8(const std::byte* w, int64_t k) {
  if constexpr (T == DType::f32) return _mm256_loadu_ps(reinterpret_cast<const float*>(w) + k);
  else if constexpr (T == DType::f16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * k)));
  else
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * k))), 16));
}

template <DType T>
inline float load1(const std::byte* w, int64_t k) {
  if constexpr (T == DType::f32) return reinterpret_cast<const float*>(w)[k];
  uint16_t h;
  std::memcpy(&h, w + 2 * k, 2);
  if constexpr (T == DType::f16) return _cvtsh_ss(h);
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// A byte shuffle that copies int16 element e of each 128-bit half to all eight of its lanes.
inline __m256i spread_int16(int e) { return _mm256_set1_epi16(static_cast<int16_t>((2 * e) | ((2 * e + 1) << 8))); }

inline __m256i nibbles_low(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0f)); }
inline __m256i nibbles_high(__m256i v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f)); }

// Signed bytes times signed bytes, as 8 int32 sums (w moves its sign onto a).
inline __m256i dot_i8(__m256i w, __m256i a) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// 0xff in byte i where bit i of x is set.
inline __m256i bits_to_bytes(uint32_t x) {
  const __m256i spread = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                                            0x0303030303030303);
  __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(x)), spread);
  b = _mm256_or_si256(b, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}

// The 32 nibbles of 16 bytes in order: low nibbles then high ones. The bytes go to both
// halves by the load itself; one variable shift moves the high half's nibbles down.
inline __m256i nibbles32(const uint8_t* p) {
  const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return nibbles_low(_mm256_srlv_epi32(v, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)));
}

template <DType T>
constexpr int code_offset = T == DType::q4_0 ? 8 : T == DType::q5_0 ? 16 : 0;
// q4_1 and q5_1 store a minimum beside the scale (value = d * q + m) instead of an offset.
template <DType T>
constexpr bool has_min = T == DType::q4_1 || T == DType::q5_1;
template <DType T>
constexpr bool five_bit = T == DType::q5_0 || T == DType::q5_1;
// q8_0 and iq4_nl blocks hold signed values (iq4_nl's codes name them in kIq4Levels).
template <DType T>
constexpr bool signed_values = T == DType::q8_0 || T == DType::iq4_nl;
template <DType T>
constexpr uint32_t block32_bytes = T == DType::q8_0                        ? 34
                                   : T == DType::q4_0 || T == DType::iq4_nl ? 18
                                   : T == DType::q4_1                       ? 20
                                   : T == DType::q5_0                       ? 22
                                                                            : 24;

// kIq4Levels in both 128-bit halves: a byte shuffle with codes as indices looks them up.
inline __m256i iq4_levels() {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kIq4Levels)));
}

// The 32 signed values of 16 bytes of iq4 codes (nibbles laid out as q4_0's).
inline __m256i iq4_values(const uint8_t* qs) { return _mm256_shuffle_epi8(iq4_levels(), nibbles32(qs)); }

// The signed values of a q8_0 or iq4_nl block.
template <DType T>
inline __m256i signed32(const uint8_t* b) {
  if constexpr (T == DType::q8_0) return load32(b + 2);
  else return iq4_values(b + 2);
}

// The stored codes of a q4_0 / q4_1 (0..15) or q5_0 / q5_1 (0..31) block, before the
// _0 types' offset (8 or 16) is taken off. The _1 types' header has one f16 more.
template <DType T>
inline __m256i unpack32_codes(const uint8_t* b) {
  constexpr int head = has_min<T> ? 4 : 2;
  if constexpr (!five_bit<T>) {
    return nibbles32(b + head);
  } else {
    uint32_t qh;
    std::memcpy(&qh, b + head, 4);
    return _mm256_or_si256(nibbles32(b + head + 4), _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10)));
  }
}
// The eight 6-bit scales and mins of a q4_k / q5_k super-block, from their 12 bytes: the
// low six bits of bytes 0-7 hold scales and mins 0-3; bytes 8-11 hold the low nibbles of
// scales and mins 4-7, whose top two bits sit in the spare top bits of bytes 0-7.
inline void unpack_scales_mins(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  uint32_t w[3];
  std::memcpy(w, s, 12);
  const uint32_t six = 0x3f3f3f3f, nib = 0x0f0f0f0f, two = 0x03030303;
  const uint32_t scales_lo = w[0] & six, mins_lo = w[1] & six;
  const uint32_t scales_hi = (w[2] & nib) | (((w[0] >> 6) & two) << 4);
  const uint32_t mins_hi = ((w[2] >> 4) & nib) | (((w[1] >> 6) & two) << 4);
  std::memcpy(sc, &scales_lo, 4);
  std::memcpy(sc + 4, &scales_hi, 4);
  std::memcpy(mn, &mins_lo, 4);
  std::memcpy(mn + 4, &mins_hi, 4);
}

// The integer part of one q4_k / q5_k super-block times N activation blocks (a[j]: token j's
// block at the same position): the eight lanes of isum[j] sum to sum_g scale_g * (q_g . a_g).
// The mins are left to the caller, which gets them as eight int16 in *mins16.
template <DType T, int N>
inline void q45k_block_sums(const uint8_t* b, const ActBlock256* const* a, __m256i* isum, __m128i* mins16) {
  constexpr bool five = T == DType::q5_k;
  uint8_t sc[8], mn[8];
  unpack_scales_mins(b + 4, sc, mn);
  *mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
  // The eight scales as int16 in both 128-bit halves; group g's is spread over all lanes by
  // one byte shuffle (three instructions per group through a scalar broadcast).
  const __m256i sc16 =
      _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
  const uint8_t* qs = b + (five ? 48 : 16);
  __m256i qh = five ? load32(b + 16) : _mm256_setzero_si256();
  for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
  for (int c = 0; c < 4; ++c) {
    const __m256i v = load32(qs + c * 32);
    __m256i lo = nibbles_low(v), hi = nibbles_high(v);
    if constexpr (five) {
      const __m256i one = _mm256_set1_epi8(1);
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(qh, one), 4));
      hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 1), one), 4));
      qh = _mm256_srli_epi16(qh, 2);
    }
    const __m256i s_lo = _mm256_shuffle_epi8(sc16, spread_int16(2 * c));
    const __m256i s_hi = _mm256_shuffle_epi8(sc16, spread_int16(2 * c + 1));
    // The low nibbles for every token, then the high ones: fewer vectors live at once (GCC
    // spilled products to the stack when each token's two halves were summed together).
    for (int j = 0; j < N; ++j)
      isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load32(a[j]->q + c * 64)), s_lo));
    for (int j = 0; j < N; ++j)
      isum[j] = _mm256_add_epi32(isum[j],
                                 _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load32(a[j]->q + c * 64 + 32)), s_hi));
  }
}

// 256-value super-blocks with one f16 d and an integer scale per group, whose integer parts
// are summed whole before d: q2_k, q3_k and q6_k (sixteen 16-value groups; their codes come
// in two halves of 128 values, each four 32-value runs, a run spanning two groups) and
// iq4_xs (eight 32-value groups); and the codebook types (tensor/iq_blocks.hpp), whose
// 32-value runs codebook_run assembles from codebook lookups.
constexpr uint32_t d256_block_bytes(DType t) {
  switch (t) {
    case DType::q2_k: return 84;
    case DType::q3_k: return 110;
    case DType::q6_k: return 210;
    case DType::iq4_xs: return 136;
    case DType::iq2_xxs: return 66;
    case DType::iq2_xs: return 74;
    case DType::iq2_s: return 82;
    case DType::iq3_xxs: return 98;
    case DType::iq3_s: return 110;
    case DType::iq1_s: return 50;
    case DType::iq1_m: return 56;
    default: return 0;
  }
}
template <DType T>
constexpr uint32_t d256_bytes = d256_block_bytes(T);
// Where the f16 d sits (q2_k's dmin follows it).
template <DType T>
constexpr int d256_d_at = [] {
  static_assert(!is_codebook_type(T), "a codebook block's d: d256_d");
  return T == DType::q2_k ? 80 : T == DType::q3_k ? 108 : T == DType::iq4_xs ? 0 : 208;
}();
// The float factor of the block's integer sums.
template <DType T>
inline float d256_d(const uint8_t* b) {
  if constexpr (is_codebook_type(T)) return _cvtsh_ss(codebook_d_bits<T>(b)) * codebook_d_scale<T>;
  else return f16(b + d256_d_at<T>);
}

// Sixteen int8 scales as int16: even-numbered ones in the low 128-bit half, odd-numbered
// in the high half, so the pair of run (half, k) is one in-lane byte shuffle away.
inline __m256i scale_pairs16(__m128i sc8) {
  return _mm256_cvtepi8_epi16(
      _mm_shuffle_epi8(sc8, _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15)));
}

// isum[j] += sum over the four runs q[k] (unsigned codes of half `half`) of each group's
// scale times its codes . token j's activations.
template <int N>
inline void add_scaled_runs(const __m256i* q, int half, __m256i pairs16, const ActBlock256* const* a,
                            __m256i* isum) {
  for (int k = 0; k < 4; ++k) {
    const __m256i scale = _mm256_shuffle_epi8(pairs16, spread_int16(half * 4 + k));
    for (int j = 0; j < N; ++j) {
      const __m256i p = _mm256_maddubs_epi16(q[k], load32(a[j]->q + half * 128 + k * 32));
      isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(p, scale));
    }
  }
}

// isum[j] += scale (int16 pairs) times the products of run r's values, given as their
// magnitudes and a vector carrying their signs, with token j's activations of that run.
template <int N>
inline void add_signed_run(__m256i magnitude, __m256i sign, __m256i scale, const ActBlock256* const* a, int r,
                           __m256i* isum) {
  for (int j = 0; j < N; ++j) {
    const __m256i p = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(load32(a[j]->q + 32 * r), sign));
    isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(p, scale));
  }
}

// sum_g s_g * bsums_g as eight int32 lanes (s: sixteen int16 per-group multipliers).
inline __m256i group_sums_times(__m256i s16, const ActBlock256* a) {
  return _mm256_madd_epi16(s16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a->bsums)));
}

// The sixteen signed scales of a q3_k super-block from their 12 bytes: the low nibbles of
// scales 0-7 and 8-15 are the low and high nibbles of bytes 0-7; their top two bits are
// bit pairs of bytes 8-11 (pair p of byte 8 + i % 4 for scale i = 4p + i % 4). Biased by 32.
inline __m128i q3k_scales(const uint8_t* s) {
  uint64_t low;
  uint32_t top;
  std::memcpy(&low, s, 8);
  std::memcpy(&top, s + 8, 4);
  const uint64_t nib = 0x0f0f0f0f0f0f0f0full;
  const uint64_t two = 0x0303030303030303ull;
  const uint64_t top64 = top | (static_cast<uint64_t>(top >> 2) << 32);  // pairs 0 and 1
  const uint64_t top64_hi = (top >> 4) | (static_cast<uint64_t>(top >> 6) << 32);  // pairs 2 and 3
  const uint64_t first = (low & nib) | ((top64 & two) << 4);
  const uint64_t second = ((low >> 4) & nib) | ((top64_hi & two) << 4);
  return _mm_sub_epi8(_mm_set_epi64x(static_cast<int64_t>(second), static_cast<int64_t>(first)), _mm_set1_epi8(32));
}

// The eight signed scales of an iq4_xs block as int16, in both 128-bit halves: the low four
// bits of scale i are nibble i of the four bytes after scales_h, the top two bits 2i and
// 2i + 1 of the little-endian scales_h (moved to the top of each lane by one multiply).
inline __m256i iq4xs_scales16(const uint8_t* b) {
  uint32_t low;
  uint16_t high;
  std::memcpy(&high, b + 2, 2);
  std::memcpy(&low, b + 4, 4);
  const __m128i lv = _mm_cvtsi32_si128(static_cast<int>(low)), nib = _mm_set1_epi8(0x0f);
  const __m128i low16 =
      _mm_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_and_si128(lv, nib), _mm_and_si128(_mm_srli_epi16(lv, 4), nib)));
  const __m128i top16 = _mm_srli_epi16(
      _mm_mullo_epi16(_mm_set1_epi16(static_cast<int16_t>(high)),
                      _mm_setr_epi16(1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1)),
      14);
  return _mm256_broadcastsi128_si256(_mm_sub_epi16(_mm_or_si128(low16, _mm_slli_epi16(top16, 4)), _mm_set1_epi16(32)));
}

// Seven stored sign bits and their parity bit as eight bytes, 0x01 or 0xff (-1) where set:
// what _mm256_sign_epi8 takes.
constexpr std::array<uint64_t, 128> kEvenSignBytes = [] {
  std::array<uint64_t, 128> t{};
  for (uint32_t s = 0; s < 128; ++s) {
    const int bits = iq::signs_with_parity(s);
    for (int j = 0; j < 8; ++j) t[s] |= static_cast<uint64_t>(bits >> j & 1 ? 0xff : 0x01) << (8 * j);
  }
  return t;
}();

// 32 sign bits (four bytes, one per eight values) as bytes -1 (bit set) or +1.
inline __m256i sign_bytes(const uint8_t* s) {
  uint32_t bits;
  std::memcpy(&bits, s, 4);
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                             _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2,
                                                              2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(1));
}

// Values 32r..32r+31 of a codebook block (tensor/iq_blocks.hpp): their magnitudes as unsigned
// bytes, and bytes whose signs are theirs (sign_epi8 moves them onto the activations). Four
// table lookups for the entries and four for the signs, assembled in a vector: no store
// and reload, and the magnitudes of the 2- and 3-bit types are the table's bytes as they are.
template <DType T>
inline void codebook_run(const uint8_t* b, int r, __m256i* magnitude, __m256i* sign) {
  auto four = [](uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3) {
    return _mm256_set_epi64x(static_cast<int64_t>(v3), static_cast<int64_t>(v2), static_cast<int64_t>(v1),
                             static_cast<int64_t>(v0));
  };
  auto eight = [](const std::array<uint32_t, 256>& g, const uint8_t* q) {
    return _mm256_setr_epi32(static_cast<int>(g[q[0]]), static_cast<int>(g[q[1]]), static_cast<int>(g[q[2]]),
                             static_cast<int>(g[q[3]]), static_cast<int>(g[q[4]]), static_cast<int>(g[q[5]]),
                             static_cast<int>(g[q[6]]), static_cast<int>(g[q[7]]));
  };
  if constexpr (T == DType::iq2_xxs) {
    const uint8_t* q = b + 2 + 8 * r;
    uint32_t aux;
    std::memcpy(&aux, q + 4, 4);
    const auto& g = iq::kIq2xxsBytes;
    *magnitude = four(g[q[0]], g[q[1]], g[q[2]], g[q[3]]);
    *sign = four(kEvenSignBytes[aux & 127], kEvenSignBytes[aux >> 7 & 127], kEvenSignBytes[aux >> 14 & 127],
                 kEvenSignBytes[aux >> 21 & 127]);
  } else if constexpr (T == DType::iq2_xs) {
    uint16_t q[4];
    std::memcpy(q, b + 2 + 8 * r, 8);
    const auto& g = iq::kIq2xsBytes;
    *magnitude = four(g[q[0] & 511], g[q[1] & 511], g[q[2] & 511], g[q[3] & 511]);
    *sign = four(kEvenSignBytes[q[0] >> 9], kEvenSignBytes[q[1] >> 9], kEvenSignBytes[q[2] >> 9],
                 kEvenSignBytes[q[3] >> 9]);
  } else if constexpr (T == DType::iq2_s) {
    const uint8_t *q = b + 2 + 4 * r, *s = b + 34 + 4 * r;
    const int h = b[66 + r];
    const auto& g = iq::kIq2sBytes;
    *magnitude = four(g[q[0] | (h << 8 & 0x300)], g[q[1] | (h << 6 & 0x300)], g[q[2] | (h << 4 & 0x300)],
                      g[q[3] | (h << 2 & 0x300)]);
    *sign = sign_bytes(s);
  } else if constexpr (T == DType::iq3_xxs) {
    uint32_t aux;
    std::memcpy(&aux, b + 66 + 4 * r, 4);
    *magnitude = eight(iq::kIq3xxsBytes, b + 2 + 8 * r);
    *sign = four(kEvenSignBytes[aux & 127], kEvenSignBytes[aux >> 7 & 127], kEvenSignBytes[aux >> 14 & 127],
                 kEvenSignBytes[aux >> 21 & 127]);
  } else if constexpr (T == DType::iq3_s) {
    const uint8_t *q = b + 2 + 8 * r, *s = b + 74 + 4 * r;
    const int h = b[66 + r];
    const auto& g = iq::kIq3sBytes;
    *magnitude = _mm256_setr_epi32(
        static_cast<int>(g[q[0] | (h << 8 & 256)]), static_cast<int>(g[q[1] | (h << 7 & 256)]),
        static_cast<int>(g[q[2] | (h << 6 & 256)]), static_cast<int>(g[q[3] | (h << 5 & 256)]),
        static_cast<int>(g[q[4] | (h << 4 & 256)]), static_cast<int>(g[q[5] | (h << 3 & 256)]),
        static_cast<int>(g[q[6] | (h << 2 & 256)]), static_cast<int>(g[q[7] | (h << 1 & 256)]));
    *sign = sign_bytes(s);
  } else {
    // iq1: 8 * level + delta, the delta +-1 per 32 (iq1_s) or per 8 values (iq1_m).
    const auto& g = iq::kIq1sBytes;
    __m256i levels, delta;
    if constexpr (T == DType::iq1_s) {
      const uint8_t* q = b + 2 + 4 * r;
      uint16_t h;
      std::memcpy(&h, b + 34 + 2 * r, 2);
      levels = four(g[q[0] | (h << 8 & 0x700)], g[q[1] | (h << 5 & 0x700)], g[q[2] | (h << 2 & 0x700)],
                    g[q[3] | (h >> 1 & 0x700)]);
      delta = _mm256_set1_epi8(h & 0x8000 ? -1 : 1);
    } else {
      static_assert(T == DType::iq1_m);
        const uint8_t* q = b + 4 * r;
      const uint8_t h0 = b[32 + 2 * r], h1 = b[33 + 2 * r];
      levels = four(g[q[0] | (h0 << 8 & 0x700)], g[q[1] | (h0 << 4 & 0x700)], g[q[2] | (h1 << 8 & 0x700)],
                    g[q[3] | (h1 << 4 & 0x700)]);
      auto d = [](int bit) { return bit ? ~uint64_t{0} : 0x0101010101010101ull; };  // -1 or +1 in every byte
      delta = four(d(h0 & 0x08), d(h0 & 0x80), d(h1 & 0x08), d(h1 & 0x80));
    }
    const __m256i w = _mm256_add_epi8(_mm256_and_si256(_mm256_slli_epi16(levels, 3), _mm256_set1_epi8(-8)), delta);
    *magnitude = _mm256_sign_epi8(w, w);
    *sign = w;
  }
}

// A codebook block's sixteen odd scales in scale_pairs16's layout (even groups' as int16 in
// the low half, odd groups' in the high half), read with vector shifts: codebook_scales'
// scalar loop cost decode as much as a fifth of a block (measured, iq2_xs and iq1_m more).
template <DType T>
inline __m256i codebook_pairs16(const uint8_t* b) {
  const __m256i one16 = _mm256_set1_epi16(1);
  auto odd16 = [&](__m256i s) { return _mm256_add_epi16(_mm256_add_epi16(s, s), one16); };
  // Eight int32 scales s_ib (one per 32 values) -> 2s+1 as int16 in both halves.
  auto per32 = [](__m256i s32) {
    const __m256i odd = _mm256_add_epi32(_mm256_add_epi32(s32, s32), _mm256_set1_epi32(1));
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(odd, odd), 0x88);
  };
  if constexpr (T == DType::iq2_xs || T == DType::iq2_s) {
    // A byte per 32 values: the low nibble scales the first 16, the high nibble the rest.
    const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + (T == DType::iq2_xs ? 66 : 74)));
    const __m128i m4 = _mm_set1_epi8(0x0f);
    const __m128i both = _mm_unpacklo_epi64(_mm_and_si128(v, m4), _mm_and_si128(_mm_srli_epi16(v, 4), m4));
    return odd16(_mm256_cvtepu8_epi16(both));
  } else if constexpr (T == DType::iq1_m) {
    // Word k: 3-bit scales of group pairs 2k (bits 0-2, 3-5) and 2k + 1 (bits 6-8, 9-11).
    uint32_t w[2];
    std::memcpy(w, b + 48, 8);
    const __m256i words = _mm256_setr_epi32(static_cast<int>(w[0]), static_cast<int>(w[0]), static_cast<int>(w[0]),
                                            static_cast<int>(w[0]), static_cast<int>(w[1]), static_cast<int>(w[1]),
                                            static_cast<int>(w[1]), static_cast<int>(w[1]));
    const __m256i at = _mm256_setr_epi32(0, 6, 16, 22, 0, 6, 16, 22), seven = _mm256_set1_epi32(7);
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(words, at), seven);
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(words, _mm256_add_epi32(at, _mm256_set1_epi32(3))), seven);
    // packs interleaves the halves per lane: [lo 0-3, hi 0-3 | lo 4-7, hi 4-7] -> [lo | hi].
    return odd16(_mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xd8));
  } else if constexpr (T == DType::iq3_xxs) {
    return per32(_mm256_srli_epi32(load32(b + 66), 28));
  } else if constexpr (T == DType::iq2_xxs) {
    // The scale tops the second word of each 32 values' eight bytes.
    const __m256i s0 = _mm256_srli_epi64(load32(b + 2), 60), s1 = _mm256_srli_epi64(load32(b + 34), 60);
    const __m256i mixed = _mm256_blend_epi32(s0, _mm256_slli_epi64(s1, 32), 0xaa);  // s0 s4 s1 s5 | s2 s6 s3 s7
    return per32(_mm256_permutevar8x32_epi32(mixed, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)));
  } else if constexpr (T == DType::iq3_s) {
    uint32_t v;
    std::memcpy(&v, b + 106, 4);
    const __m128i x = _mm_cvtsi32_si128(static_cast<int>(v)), m4 = _mm_set1_epi8(0x0f);
    const __m128i s8 = _mm_unpacklo_epi8(_mm_and_si128(x, m4), _mm_and_si128(_mm_srli_epi16(x, 4), m4));
    return odd16(_mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(s8)));
  } else {
    static_assert(T == DType::iq1_s);
    const __m128i h = _mm_and_si128(_mm_srli_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 34)), 12),
                                    _mm_set1_epi16(7));
    return odd16(_mm256_broadcastsi128_si256(h));
  }
}

// One 256-value block of a codebook type in its expanded form (row_dot.hpp): 256 values
// plus kExpandedBias, sixteen int8 scales, the float factor.
constexpr int kExpandedBias = 64;
template <DType T>
inline void expand_codebook_block(const uint8_t* b, uint8_t* e) {
  codebook_scales<T>(b, reinterpret_cast<int8_t*>(e + 256));
  for (int r = 0; r < 8; ++r) {
    __m256i magnitude, sign;
    codebook_run<T>(b, r, &magnitude, &sign);
    _mm256_store_si256(reinterpret_cast<__m256i*>(e + 32 * r),
                       _mm256_add_epi8(_mm256_sign_epi8(magnitude, sign), _mm256_set1_epi8(kExpandedBias)));
  }
  const float d = d256_d<T>(b);
  std::memcpy(e + 272, &d, 4);
}

// The integer sums of one expanded block times N activation blocks. The values are stored
// plus 64 (2..126, unsigned), so they meet the activations in maddubs as they are, with no
// sign moved per token (pair sums stay below 2 * 126 * 127 < 2^15); the 64 comes off
// through the activations' sums per 16, once per block.
template <int N>
inline void expanded_block_sums(const uint8_t* e, const ActBlock256* const* a, __m256i* isum) {
  const __m128i sc8 = _mm_load_si128(reinterpret_cast<const __m128i*>(e + 256));
  const __m256i pairs16 = scale_pairs16(sc8), scales16 = _mm256_cvtepi8_epi16(sc8);
  for (int j = 0; j < N; ++j)
    isum[j] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(group_sums_times(scales16, a[j]), 6));
  for (int r = 0; r < 8; ++r) {
    const __m256i u = _mm256_load_si256(reinterpret_cast<const __m256i*>(e + 32 * r));
    const __m256i scale = _mm256_shuffle_epi8(pairs16, spread_int16(r));
    for (int j = 0; j < N; ++j)
      isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(_mm256_maddubs_epi16(u, load32(a[j]->q + 32 * r)), scale));
  }
}

// The integer part of one q2_k / q3_k / q6_k / iq4_xs / codebook super-block times N activation blocks (a[j]:
// token j's block at the same position). q3_k and q6_k: value = scale * (q - offset) with
// offset 4 and 32; the offset comes off through the activations' sums per 16, and the lanes
// of isum[j] sum to sum_g scale_g * ((q_g - offset) . a_g). q2_k: value = d * scale * q -
// dmin * min; isum[j] gets the scale part and msum[j] (q2_k only) sum_g min_g * sum(a_g).
// iq4_xs: value = d * scale * level, the levels signed (their sign moves onto a); the
// codebook types likewise with d256_d's factor and their sixteen scales.
template <DType T, int N>
inline void d256_block_sums(const uint8_t* b, const ActBlock256* const* a, __m256i* isum, __m256i* msum) {
  const __m256i three = _mm256_set1_epi8(3);
  if constexpr (T == DType::q2_k) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i m4 = _mm_set1_epi8(0x0f);
    const __m256i pairs16 = scale_pairs16(_mm_and_si128(packed, m4));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), m4));
    for (int j = 0; j < N; ++j) {
      isum[j] = _mm256_setzero_si256();
      msum[j] = group_sums_times(mins16, a[j]);
    }
    for (int half = 0; half < 2; ++half) {
      const __m256i v = load32(b + 16 + half * 32);
      const __m256i q[4] = {_mm256_and_si256(v, three), _mm256_and_si256(_mm256_srli_epi16(v, 2), three),
                            _mm256_and_si256(_mm256_srli_epi16(v, 4), three),
                            _mm256_and_si256(_mm256_srli_epi16(v, 6), three)};
      add_scaled_runs<N>(q, half, pairs16, a, isum);
    }
  } else if constexpr (T == DType::q3_k) {
    const __m128i sc8 = q3k_scales(b + 96);
    const __m256i scales16 = _mm256_cvtepi8_epi16(sc8), pairs16 = scale_pairs16(sc8);
    for (int j = 0; j < N; ++j)
      isum[j] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(group_sums_times(scales16, a[j]), 2));
    // hmask bit 4 * half + k of byte l is the third bit of run (half, k)'s value l: each
    // is shifted to bit 2 of its own byte (a 16-bit shift moves bits across bytes, but the
    // mask keeps only the byte's own bit).
    const __m256i hv = load32(b), four = _mm256_set1_epi8(4);
    for (int half = 0; half < 2; ++half) {
      const __m256i v = load32(b + 32 + half * 32);
      __m256i q[4];
      for (int k = 0; k < 4; ++k) {
        const int bit = half * 4 + k;
        const __m256i h = bit >= 2 ? _mm256_srli_epi16(hv, bit - 2) : _mm256_slli_epi16(hv, 2 - bit);
        q[k] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 2 * k), three), _mm256_and_si256(h, four));
      }
      add_scaled_runs<N>(q, half, pairs16, a, isum);
    }
  } else if constexpr (is_codebook_type(T)) {
    const __m256i pairs16 = codebook_pairs16<T>(b);
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    for (int r = 0; r < 8; ++r) {
      __m256i magnitude, sign;
      codebook_run<T>(b, r, &magnitude, &sign);
      add_signed_run<N>(magnitude, sign, _mm256_shuffle_epi8(pairs16, spread_int16(r)), a, r, isum);
    }
  } else if constexpr (T == DType::iq4_xs) {
    const __m256i sc16 = iq4xs_scales16(b);
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) {
      const __m256i w = iq4_values(b + 8 + 16 * ib);
      add_signed_run<N>(_mm256_sign_epi8(w, w), w, _mm256_shuffle_epi8(sc16, spread_int16(ib)), a, ib, isum);
    }
  } else {
    static_assert(T == DType::q6_k);
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    const __m128i sc8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 192));
    const __m256i scales16 = _mm256_cvtepi8_epi16(sc8), pairs16 = scale_pairs16(sc8);
    for (int j = 0; j < N; ++j)
      isum[j] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(group_sums_times(scales16, a[j]), 5));
    for (int half = 0; half < 2; ++half) {
      const uint8_t* l4 = b + half * 64;
      const __m256i la = load32(l4), lb = load32(l4 + 32), hv = load32(b + 128 + half * 32);
      // Each 2-bit pair of hv shifted straight to bits 4-5 and masked there.
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(la, m4), _mm256_and_si256(_mm256_slli_epi16(hv, 4), m30)),
          _mm256_or_si256(_mm256_and_si256(lb, m4), _mm256_and_si256(_mm256_slli_epi16(hv, 2), m30)),
          _mm256_or_si256(nibbles_high(la), _mm256_and_si256(hv, m30)),
          _mm256_or_si256(nibbles_high(lb), _mm256_and_si256(_mm256_srli_epi16(hv, 2), m30))};
      add_scaled_runs<N>(q, half, pairs16, a, isum);
    }
  }
  (void)msum;
}

}  // namespace dsinfer::kernels::avx2
