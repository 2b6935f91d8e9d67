// AVX2 kernels of the interleaved row groups (row_groups.hpp; compiled with -mavx2 -mfma
// -mf16c, reached only through group_dot()'s run-time check).
#include <immintrin.h>

#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/group_pieces.hpp"
#include "kernels/quant_blocks_avx2.hpp"
#include "kernels/row_groups.hpp"

namespace dsinfer::kernels {
namespace {

using namespace avx2;
using namespace group_pieces;

// A code piece of an iq4 group (four values of each row in the low nibbles, the four 16
// further on in the high ones) looked up as signed levels, and their magnitudes for maddubs.
struct Iq4Piece {
  __m256i lo, hi, lo_abs, hi_abs;
};
inline Iq4Piece iq4_piece(__m256i levels, const uint8_t* p) {
  const __m256i v = load32(p);
  Iq4Piece x;
  x.lo = _mm256_shuffle_epi8(levels, nibbles_low(v));
  x.hi = _mm256_shuffle_epi8(levels, nibbles_high(v));
  x.lo_abs = _mm256_sign_epi8(x.lo, x.lo);
  x.hi_abs = _mm256_sign_epi8(x.hi, x.hi);
  return x;
}
// The piece times one token's activations q (the low nibbles' values) and q + 16, each
// row's products madd-ed with its int16 pair in `mult` (ones, or the row's scale). A pair
// of products may reach 2 * 127 * 127, so the two halves meet in int32, not int16.
inline __m256i iq4_piece_dot(const Iq4Piece& x, const int8_t* q, __m256i mult) {
  const __m256i p_lo = _mm256_maddubs_epi16(x.lo_abs, _mm256_sign_epi8(broadcast4(q), x.lo));
  const __m256i p_hi = _mm256_maddubs_epi16(x.hi_abs, _mm256_sign_epi8(broadcast4(q + 16), x.hi));
  return _mm256_add_epi32(_mm256_madd_epi16(p_lo, mult), _mm256_madd_epi16(p_hi, mult));
}

// The 32-value types. q8_0's piece k is four values of each of the eight rows, so one
// token's four values broadcast to every lane meet all eight rows in one product (signed
// bytes: the weights' signs move onto the activations); the int32 lanes are the rows' sums
// as they come, and one multiply-add per block applies the eight rows' scales at once.
// The four- and five-bit types' unsigned codes multiply the activations directly; the _0
// types' code offset (8 or 16) comes off, and the _1 types' minimum comes in, in float
// through each activation block's scaled sum: one multiply-add per token for all eight rows.
// iq4_nl's pieces are laid out as q4_0's; its codes look up signed values, which multiply
// as q8_0's do.
template <DType T, int N>
void group32(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  constexpr bool five = five_bit<T>;
  constexpr uint32_t kBlock = kGroupRows * block32_bytes<T>;
  constexpr uint32_t kHead = has_min<T> ? 32 : 16;  // the eight rows' f16 scales (and minimums)
  constexpr uint32_t kCodes = kHead + (five ? 32 : 0);
  const ActBlock32* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b = u8(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    __m256i isum[N];
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    if constexpr (T == DType::q8_0) {
      for (int k = 0; k < 8; ++k) {
        const __m256i w = load32(b + 16 + 32 * k);
        const __m256i w_abs = _mm256_sign_epi8(w, w);
        for (int j = 0; j < N; ++j) {
          const __m256i p = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(broadcast4(a[j][i].q + 4 * k), w));
          isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(p, ones16));
        }
      }
    } else if constexpr (T == DType::iq4_nl) {
      const __m256i levels = iq4_levels();
      for (int k = 0; k < 4; ++k) {
        const Iq4Piece piece = iq4_piece(levels, b + kCodes + 32 * k);
        for (int j = 0; j < N; ++j)
          isum[j] = _mm256_add_epi32(isum[j], iq4_piece_dot(piece, a[j][i].q + 4 * k, ones16));
      }
    } else {
      const __m256i qh = five ? load32(b + kHead) : _mm256_setzero_si256();
      for (int k = 0; k < 4; ++k) {
        const __m256i v = load32(b + kCodes + 32 * k);
        __m256i lo = nibbles_low(v), hi = nibbles_high(v);
        if constexpr (five) {
          lo = _mm256_or_si256(lo, fifth_bits(qh, k));
          hi = _mm256_or_si256(hi, fifth_bits(qh, k + 4));
        }
        for (int j = 0; j < N; ++j) {
          const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, broadcast4(a[j][i].q + 4 * k)), ones16);
          const __m256i p_hi =
              _mm256_madd_epi16(_mm256_maddubs_epi16(hi, broadcast4(a[j][i].q + 16 + 4 * k)), ones16);
          isum[j] = _mm256_add_epi32(isum[j], _mm256_add_epi32(p_lo, p_hi));
        }
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    for (int j = 0; j < N; ++j) {
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][i].d)), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      if constexpr (has_min<T>)
        acc[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16))),
                                 _mm256_set1_ps(a[j][i].s), acc[j]);
      else if constexpr (!signed_values<T>)
        acc[j] = _mm256_fnmadd_ps(d, _mm256_set1_ps(static_cast<float>(code_offset<T>) * a[j][i].s), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

// q4_k and q5_k: eight 32-value sub-blocks per 256, value = d * scale * q - dmin * min.
// Pieces of one sub-block are summed in int16 before its six-bit scale, as each row's int16
// pair, applies with one madd: eight of them for four-bit codes (15 * 127 * 2 * 8 < 2^15),
// four for five-bit ones (31 * 127 * 2 * 4 < 2^15). The three packed scale words of the
// eight rows unpack in eight-lane vectors, the way the one-row kernel unpacks one row's.
// q5_k's high bits: piece k of its 32-byte qh holds, for values 4k.. of every 64-value
// chunk c, bit 2c (low nibbles) and 2c + 1 (high ones), shifted here to the code's bit 4.
// Two tokens at most per call: more spilled their sums (and unpacking a block once into L1
// for eight tokens measured no faster for prefill and slower for decode).
template <DType T, int N>
void group_q45_k(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  static_assert(N <= 2);
  constexpr bool five = T == DType::q5_k;
  constexpr uint32_t kBlock = kGroupRows * (five ? 176 : 144);
  constexpr uint32_t kHigh = 128, kCodes = five ? 384 : 128;  // where qh and the codes start
  constexpr int kRun = five ? 4 : 8;
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = u8(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    const Q45kScales sc = q45k_scales(b);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
    __m256i isum[N], msum[N];
    for (int j = 0; j < N; ++j) {
      // The mins meet the activations through their sums per 32 values, in pairs.
      msum[j] = q45k_min_sums(sc, a[j][i]);
      isum[j] = _mm256_setzero_si256();
    }
    // Unrolled so every shuffle pattern and shift is a constant, not built in the loop.
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m256i scales = c < 2 ? sc.sc_lo : sc.sc_hi;
      const __m256i s_lo = lane_bytes16<false>(scales, 2 * (c % 2)), s_hi = lane_bytes16<false>(scales, 2 * (c % 2) + 1);
#pragma GCC unroll 2
      for (int k0 = 0; k0 < 8; k0 += kRun) {
        __m256i lo16[N], hi16[N];
        for (int j = 0; j < N; ++j) lo16[j] = hi16[j] = _mm256_setzero_si256();
        for (int k = k0; k < k0 + kRun; ++k) {
          const __m256i v = load32(b + kCodes + 32 * (8 * c + k));
          __m256i lo = nibbles_low(v), hi = nibbles_high(v);
          if constexpr (five) {
            const __m256i h = load32(b + kHigh + 32 * k);
            lo = _mm256_or_si256(lo, to_bit4(h, 2 * c));
            hi = _mm256_or_si256(hi, to_bit4(h, 2 * c + 1));
          }
          for (int j = 0; j < N; ++j) {
            const int8_t* q = a[j][i].q + 64 * c + 4 * k;
            lo16[j] = _mm256_add_epi16(lo16[j], _mm256_maddubs_epi16(lo, broadcast4(q)));
            hi16[j] = _mm256_add_epi16(hi16[j], _mm256_maddubs_epi16(hi, broadcast4(q + 32)));
          }
        }
        for (int j = 0; j < N; ++j)
          isum[j] = _mm256_add_epi32(
              isum[j], _mm256_add_epi32(_mm256_madd_epi16(lo16[j], s_lo), _mm256_madd_epi16(hi16[j], s_hi)));
      }
    }
    // Scales, then mins: the tiles' order, so the two layouts' results are the same floats.
    for (int j = 0; j < N; ++j) {
      const __m256 ad = _mm256_set1_ps(a[j][i].d);
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, ad), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      acc[j] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, ad), _mm256_cvtepi32_ps(msum[j]), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

// iq4_xs: eight 32-value sub-blocks per 256, value = d * scale * level. Lane r of the
// scales_h and scales_l pieces is row r's; sub-block ib's scale comes out of them as an int16
// pair per lane, and the madd of each product applies it. Code piece 4 * ib + k holds
// values 4k.. and 16 + 4k.. of sub-block ib, as iq4_nl's piece k holds its block's.
template <int N>
void group_iq4xs(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  constexpr uint32_t kBlock = kGroupRows * 136, kCodes = 64;
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  const __m256i levels = iq4_levels();
  const __m256i pair16 = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1, 0, 1, 4, 5, 4, 5, 8,
                                          9, 8, 9, 12, 13, 12, 13);
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = u8(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i high = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
    const __m256i low = load32(b + 32);
    __m256i isum[N];
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ++ib) {
      const __m256i ls = _mm256_or_si256(
          _mm256_and_si256(_mm256_srli_epi32(low, 4 * ib), _mm256_set1_epi32(0xf)),
          _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(high, 2 * ib), _mm256_set1_epi32(3)), 4));
      const __m256i scale = _mm256_shuffle_epi8(_mm256_sub_epi32(ls, _mm256_set1_epi32(32)), pair16);
      for (int k = 0; k < 4; ++k) {
        const Iq4Piece piece = iq4_piece(levels, b + kCodes + 32 * (4 * ib + k));
        for (int j = 0; j < N; ++j)
          isum[j] = _mm256_add_epi32(isum[j], iq4_piece_dot(piece, a[j][i].q + 32 * ib + 4 * k, scale));
      }
    }
    for (int j = 0; j < N; ++j)
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][i].d)), _mm256_cvtepi32_ps(isum[j]), acc[j]);
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

template <DType T>
struct G32 {
  template <int N>
  struct K {
    static void run(const std::byte* g, const std::byte* const* a, int64_t c, float* o) { group32<T, N>(g, a, c, o); }
  };
};
template <DType T>
struct Q45K {
  template <int N>
  struct K {
    static void run(const std::byte* g, const std::byte* const* a, int64_t c, float* o) {
      for (int j = 0; j + 1 < N; j += 2) group_q45_k<T, 2>(g, a + j, c, o + j * kGroupRows);
      if constexpr (N % 2) group_q45_k<T, 1>(g, a + N - 1, c, o + (N - 1) * kGroupRows);
    }
  };
};

template <int N>
struct GIQ4XS {
  static void run(const std::byte* g, const std::byte* const* a, int64_t c, float* o) { group_iq4xs<N>(g, a, c, o); }
};

// Four tokens at most (kMaxGroupActs): their sums and accumulators stay in registers.
template <template <int> class K>
void by_count(const std::byte* group, const std::byte* const* act, int n, int64_t cols, float* out) {
  switch (n) {
    case 1: K<1>::run(group, act, cols, out); break;
    case 2: K<2>::run(group, act, cols, out); break;
    case 3: K<3>::run(group, act, cols, out); break;
    default: K<4>::run(group, act, cols, out); break;
  }
}

}  // namespace

GroupDot group_dot_avx2(DType t) {
  switch (t) {
    case DType::q8_0: return by_count<G32<DType::q8_0>::K>;
    case DType::q5_0: return by_count<G32<DType::q5_0>::K>;
    case DType::q4_0: return by_count<G32<DType::q4_0>::K>;
    case DType::q4_1: return by_count<G32<DType::q4_1>::K>;
    case DType::q5_1: return by_count<G32<DType::q5_1>::K>;
    case DType::iq4_nl: return by_count<G32<DType::iq4_nl>::K>;
    case DType::q4_k: return by_count<Q45K<DType::q4_k>::K>;
    case DType::q5_k: return by_count<Q45K<DType::q5_k>::K>;
    case DType::iq4_xs: return by_count<GIQ4XS>;
    default: return nullptr;
  }
}

}  // namespace dsinfer::kernels
