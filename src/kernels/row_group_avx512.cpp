// AVX-512 VNNI kernels of the interleaved row groups (row_groups.hpp; compiled with -mavx2
// -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni, reached only through
// group_dot()'s run-time check). The groups' layout and the AVX2 kernels' arithmetic, with
// one change: vpdpbusd multiplies unsigned by signed bytes and adds each lane's four
// products into its int32 in one instruction, where AVX2 takes three (maddubs to int16
// pairs, madd by ones, add). The vectors stay 256 bits wide, one lane per row of the
// group, so the layout the loader makes serves both. The integer sums are the AVX2
// kernels' exactly (no step saturates in either), and the float steps are the same, so
// both give the same results bit for bit.
#include <immintrin.h>

#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/group_pieces.hpp"
#include "kernels/row_groups.hpp"
#include "tensor/iq4_levels.hpp"

namespace dsinfer::kernels {
namespace {

using namespace group_pieces;

inline const uint8_t* bytes(const std::byte* p) { return reinterpret_cast<const uint8_t*>(p); }
inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m256 load_halves8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256i low_nibbles(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi8(0x0f)); }
inline __m256i high_nibbles(__m256i v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f)); }

// Decode streams each group once: the lines 1 KiB ahead are asked for, as the AVX2 kernels do.
template <uint32_t kBytes>
inline void prefetch_ahead(const uint8_t* p) {
  const uintptr_t ahead = reinterpret_cast<uintptr_t>(p) + 1024;
  for (uint32_t o = 0; o < kBytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(ahead + o), _MM_HINT_T0);
}

template <DType T>
constexpr uint32_t block_bytes = T == DType::q8_0 ? 34 : T == DType::q4_0 || T == DType::iq4_nl ? 18 : T == DType::q4_1 ? 20 : T == DType::q5_0 ? 22 : 24;

// The 32-value types, as row_group_avx2.cpp's group32: q8_0's and iq4_nl's signed values
// move their signs onto the activations; the four- and five-bit codes are unsigned as
// stored, their offset (or minimum) applied in float through each block's scaled sum.
template <DType T, int N>
void group32(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  constexpr bool five = T == DType::q5_0 || T == DType::q5_1;
  constexpr bool has_min = T == DType::q4_1 || T == DType::q5_1;
  constexpr bool is_signed = T == DType::q8_0 || T == DType::iq4_nl;
  constexpr float offset = T == DType::q4_0 ? 8.0f : T == DType::q5_0 ? 16.0f : 0.0f;
  constexpr uint32_t kBlock = kGroupRows * block_bytes<T>;
  constexpr uint32_t kHead = has_min ? 32 : 16;
  constexpr uint32_t kCodes = kHead + (five ? 32 : 0);
  const ActBlock32* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b = bytes(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    __m256i isum[N];
    for (int j = 0; j < N; ++j) isum[j] = _mm256_setzero_si256();
    if constexpr (T == DType::q8_0) {
      for (int k = 0; k < 8; ++k) {
        const __m256i w = load32(b + 16 + 32 * k);
        const __m256i w_abs = _mm256_abs_epi8(w);
        for (int j = 0; j < N; ++j)
          isum[j] = _mm256_dpbusd_epi32(isum[j], w_abs, _mm256_sign_epi8(broadcast4(a[j][i].q + 4 * k), w));
      }
    } else if constexpr (T == DType::iq4_nl) {
      const __m256i levels =
          _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(kIq4Levels)));
      for (int k = 0; k < 4; ++k) {
        const __m256i v = load32(b + kCodes + 32 * k);
        const __m256i lo = _mm256_shuffle_epi8(levels, low_nibbles(v)), hi = _mm256_shuffle_epi8(levels, high_nibbles(v));
        const __m256i lo_abs = _mm256_abs_epi8(lo), hi_abs = _mm256_abs_epi8(hi);
        for (int j = 0; j < N; ++j) {
          isum[j] = _mm256_dpbusd_epi32(isum[j], lo_abs, _mm256_sign_epi8(broadcast4(a[j][i].q + 4 * k), lo));
          isum[j] = _mm256_dpbusd_epi32(isum[j], hi_abs, _mm256_sign_epi8(broadcast4(a[j][i].q + 16 + 4 * k), hi));
        }
      }
    } else {
      const __m256i qh = five ? load32(b + kHead) : _mm256_setzero_si256();
      for (int k = 0; k < 4; ++k) {
        const __m256i v = load32(b + kCodes + 32 * k);
        __m256i lo = low_nibbles(v), hi = high_nibbles(v);
        if constexpr (five) {
          lo = _mm256_or_si256(lo, fifth_bits(qh, k));
          hi = _mm256_or_si256(hi, fifth_bits(qh, k + 4));
        }
        for (int j = 0; j < N; ++j) {
          isum[j] = _mm256_dpbusd_epi32(isum[j], lo, broadcast4(a[j][i].q + 4 * k));
          isum[j] = _mm256_dpbusd_epi32(isum[j], hi, broadcast4(a[j][i].q + 16 + 4 * k));
        }
      }
    }
    const __m256 d = load_halves8(b);
    for (int j = 0; j < N; ++j) {
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][i].d)), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      if constexpr (has_min)
        acc[j] = _mm256_fmadd_ps(load_halves8(b + 16), _mm256_set1_ps(a[j][i].s), acc[j]);
      else if constexpr (!is_signed)
        acc[j] = _mm256_fnmadd_ps(d, _mm256_set1_ps(offset * a[j][i].s), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

// Byte `b` of each 32-bit lane, as that lane's int32.
inline __m256i lane_byte32(__m256i v, int b) {
  return _mm256_and_si256(_mm256_srli_epi32(v, 8 * b), _mm256_set1_epi32(0xff));
}

// q4_k and q5_k, as row_group_avx2.cpp's group_q45_k. Each 32-value sub-block's products
// gather in int32 (no int16 stage to keep short, as maddubs needed), and its six-bit scale
// multiplies them once per sub-block. Up to four tokens per call: AVX-512 has 32 vector
// registers, twice AVX2's.
template <DType T, int N>
void group_q45_k(const std::byte* group, const std::byte* const* act, int64_t cols, float* out) {
  constexpr bool five = T == DType::q5_k;
  constexpr uint32_t kBlock = kGroupRows * (five ? 176 : 144);
  constexpr uint32_t kHigh = 128, kCodes = five ? 384 : 128;  // where qh and the codes start
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = bytes(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    const Q45kScales sc = q45k_scales(b);
    const __m256 d = load_halves8(b), dmin = load_halves8(b + 16);
    __m256i isum[N], msum[N];
    for (int j = 0; j < N; ++j) {
      msum[j] = q45k_min_sums(sc, a[j][i]);
      isum[j] = _mm256_setzero_si256();
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m256i scales = c < 2 ? sc.sc_lo : sc.sc_hi;
      const __m256i s_lo = lane_byte32(scales, 2 * (c % 2)), s_hi = lane_byte32(scales, 2 * (c % 2) + 1);
      __m256i lo32[N], hi32[N];
      for (int j = 0; j < N; ++j) lo32[j] = hi32[j] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const __m256i v = load32(b + kCodes + 32 * (8 * c + k));
        __m256i lo = low_nibbles(v), hi = high_nibbles(v);
        if constexpr (five) {
          const __m256i h = load32(b + kHigh + 32 * k);
          lo = _mm256_or_si256(lo, to_bit4(h, 2 * c));
          hi = _mm256_or_si256(hi, to_bit4(h, 2 * c + 1));
        }
        for (int j = 0; j < N; ++j) {
          const int8_t* q = a[j][i].q + 64 * c + 4 * k;
          lo32[j] = _mm256_dpbusd_epi32(lo32[j], lo, broadcast4(q));
          hi32[j] = _mm256_dpbusd_epi32(hi32[j], hi, broadcast4(q + 32));
        }
      }
      for (int j = 0; j < N; ++j)
        isum[j] = _mm256_add_epi32(isum[j], _mm256_add_epi32(_mm256_mullo_epi32(lo32[j], s_lo),
                                                             _mm256_mullo_epi32(hi32[j], s_hi)));
    }
    // Scales, then mins: the tiles' order, so every layout's results are the same floats.
    for (int j = 0; j < N; ++j) {
      const __m256 ad = _mm256_set1_ps(a[j][i].d);
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, ad), _mm256_cvtepi32_ps(isum[j]), acc[j]);
      acc[j] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, ad), _mm256_cvtepi32_ps(msum[j]), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * kGroupRows, acc[j]);
}

// ---- Sixteen rows at once: two neighbouring groups in the two halves of a 512-bit vector.
// One vpdpbusd then multiplies sixteen rows' four bytes by a token's four (broadcast to all
// sixteen lanes): half the instructions per product of the 256-bit kernels above, which
// CPUs with full-width AVX-512 units (measured here: two 512-bit vpdpbusd per cycle, as
// many as 256-bit ones) turn into twice the multiply rate. Each lane's arithmetic is the
// 256-bit kernels' (the same integer sums, the same float steps), so the results are too.

// The same 32 bytes of the two groups (the second `gb` bytes after the first).
inline __m512i load_pair(const uint8_t* p, size_t gb) {
  return _mm512_inserti64x4(_mm512_zextsi256_si512(load32(p)), load32(p + gb), 1);
}
inline __m512 load_halves_pair(const uint8_t* p, size_t gb) {
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
                                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + gb)), 1));
}
inline __m512i broadcast4_512(const int8_t* p) {
  int32_t four;
  std::memcpy(&four, p, 4);
  return _mm512_set1_epi32(four);
}
inline __m512i low_nibbles(__m512i v) { return _mm512_and_si512(v, _mm512_set1_epi8(0x0f)); }
inline __m512i high_nibbles(__m512i v) { return _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(0x0f)); }
// a with its sign flipped where `negative` is set (AVX-512 has no vpsignb; where the
// weight is zero the product is zero whatever a's sign).
inline __m512i flip_sign(__m512i a, __mmask64 negative) {
  return _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a);
}
inline __m512i pair(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_zextsi256_si512(lo), hi, 1); }

template <DType T, int N>
void group32_pair(const std::byte* group, size_t gb, const std::byte* const* act, int64_t cols, float* out) {
  constexpr bool five = T == DType::q5_0 || T == DType::q5_1;
  constexpr bool has_min = T == DType::q4_1 || T == DType::q5_1;
  constexpr bool is_signed = T == DType::q8_0 || T == DType::iq4_nl;
  constexpr float offset = T == DType::q4_0 ? 8.0f : T == DType::q5_0 ? 16.0f : 0.0f;
  constexpr uint32_t kBlock = kGroupRows * block_bytes<T>;
  constexpr uint32_t kHead = has_min ? 32 : 16;
  constexpr uint32_t kCodes = kHead + (five ? 32 : 0);
  const ActBlock32* a[N];
  __m512 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b = bytes(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    prefetch_ahead<kBlock>(b + gb);
    __m512i isum[N];
    for (int j = 0; j < N; ++j) isum[j] = _mm512_setzero_si512();
    if constexpr (T == DType::q8_0) {
      for (int k = 0; k < 8; ++k) {
        const __m512i w = load_pair(b + 16 + 32 * k, gb);
        const __m512i w_abs = _mm512_abs_epi8(w);
        const __mmask64 negative = _mm512_movepi8_mask(w);
        for (int j = 0; j < N; ++j)
          isum[j] = _mm512_dpbusd_epi32(isum[j], w_abs, flip_sign(broadcast4_512(a[j][i].q + 4 * k), negative));
      }
    } else if constexpr (T == DType::iq4_nl) {
      const __m512i levels = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(kIq4Levels)));
      for (int k = 0; k < 4; ++k) {
        const __m512i v = load_pair(b + kCodes + 32 * k, gb);
        const __m512i lo = _mm512_shuffle_epi8(levels, low_nibbles(v)), hi = _mm512_shuffle_epi8(levels, high_nibbles(v));
        const __m512i lo_abs = _mm512_abs_epi8(lo), hi_abs = _mm512_abs_epi8(hi);
        const __mmask64 lo_neg = _mm512_movepi8_mask(lo), hi_neg = _mm512_movepi8_mask(hi);
        for (int j = 0; j < N; ++j) {
          isum[j] = _mm512_dpbusd_epi32(isum[j], lo_abs, flip_sign(broadcast4_512(a[j][i].q + 4 * k), lo_neg));
          isum[j] = _mm512_dpbusd_epi32(isum[j], hi_abs, flip_sign(broadcast4_512(a[j][i].q + 16 + 4 * k), hi_neg));
        }
      }
    } else {
      const __m256i qh0 = five ? load32(b + kHead) : _mm256_setzero_si256();
      const __m256i qh1 = five ? load32(b + gb + kHead) : _mm256_setzero_si256();
      for (int k = 0; k < 4; ++k) {
        const __m512i v = load_pair(b + kCodes + 32 * k, gb);
        __m512i lo = low_nibbles(v), hi = high_nibbles(v);
        if constexpr (five) {
          lo = _mm512_or_si512(lo, pair(fifth_bits(qh0, k), fifth_bits(qh1, k)));
          hi = _mm512_or_si512(hi, pair(fifth_bits(qh0, k + 4), fifth_bits(qh1, k + 4)));
        }
        for (int j = 0; j < N; ++j) {
          isum[j] = _mm512_dpbusd_epi32(isum[j], lo, broadcast4_512(a[j][i].q + 4 * k));
          isum[j] = _mm512_dpbusd_epi32(isum[j], hi, broadcast4_512(a[j][i].q + 16 + 4 * k));
        }
      }
    }
    const __m512 d = load_halves_pair(b, gb);
    for (int j = 0; j < N; ++j) {
      acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(a[j][i].d)), _mm512_cvtepi32_ps(isum[j]), acc[j]);
      if constexpr (has_min)
        acc[j] = _mm512_fmadd_ps(load_halves_pair(b + 16, gb), _mm512_set1_ps(a[j][i].s), acc[j]);
      else if constexpr (!is_signed)
        acc[j] = _mm512_fnmadd_ps(d, _mm512_set1_ps(offset * a[j][i].s), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm512_storeu_ps(out + j * 2 * kGroupRows, acc[j]);
}

inline __m512i lane_byte32(__m512i v, int b) {
  return _mm512_and_si512(_mm512_srli_epi32(v, 8 * b), _mm512_set1_epi32(0xff));
}

template <DType T, int N>
void group_q45_k_pair(const std::byte* group, size_t gb, const std::byte* const* act, int64_t cols, float* out) {
  constexpr bool five = T == DType::q5_k;
  constexpr uint32_t kBlock = kGroupRows * (five ? 176 : 144);
  constexpr uint32_t kHigh = 128, kCodes = five ? 384 : 128;
  const ActBlock256* a[N];
  __m512 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b = bytes(group) + i * kBlock;
    prefetch_ahead<kBlock>(b);
    prefetch_ahead<kBlock>(b + gb);
    const Q45kScales s0 = q45k_scales(b), s1 = q45k_scales(b + gb);
    const __m512i sc_lo = pair(s0.sc_lo, s1.sc_lo), sc_hi = pair(s0.sc_hi, s1.sc_hi);
    const __m512 d = load_halves_pair(b, gb), dmin = load_halves_pair(b + 16, gb);
    __m512i isum[N], msum[N];
    for (int j = 0; j < N; ++j) {
      msum[j] = pair(q45k_min_sums(s0, a[j][i]), q45k_min_sums(s1, a[j][i]));
      isum[j] = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m512i scales = c < 2 ? sc_lo : sc_hi;
      const __m512i s_lo = lane_byte32(scales, 2 * (c % 2)), s_hi = lane_byte32(scales, 2 * (c % 2) + 1);
      __m512i lo32[N], hi32[N];
      for (int j = 0; j < N; ++j) lo32[j] = hi32[j] = _mm512_setzero_si512();
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const __m512i v = load_pair(b + kCodes + 32 * (8 * c + k), gb);
        __m512i lo = low_nibbles(v), hi = high_nibbles(v);
        if constexpr (five) {
          const __m256i h0 = load32(b + kHigh + 32 * k), h1 = load32(b + gb + kHigh + 32 * k);
          lo = _mm512_or_si512(lo, pair(to_bit4(h0, 2 * c), to_bit4(h1, 2 * c)));
          hi = _mm512_or_si512(hi, pair(to_bit4(h0, 2 * c + 1), to_bit4(h1, 2 * c + 1)));
        }
        for (int j = 0; j < N; ++j) {
          const int8_t* q = a[j][i].q + 64 * c + 4 * k;
          lo32[j] = _mm512_dpbusd_epi32(lo32[j], lo, broadcast4_512(q));
          hi32[j] = _mm512_dpbusd_epi32(hi32[j], hi, broadcast4_512(q + 32));
        }
      }
      for (int j = 0; j < N; ++j)
        isum[j] = _mm512_add_epi32(isum[j], _mm512_add_epi32(_mm512_mullo_epi32(lo32[j], s_lo),
                                                             _mm512_mullo_epi32(hi32[j], s_hi)));
    }
    for (int j = 0; j < N; ++j) {
      const __m512 ad = _mm512_set1_ps(a[j][i].d);
      acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(d, ad), _mm512_cvtepi32_ps(isum[j]), acc[j]);
      acc[j] = _mm512_fnmadd_ps(_mm512_mul_ps(dmin, ad), _mm512_cvtepi32_ps(msum[j]), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm512_storeu_ps(out + j * 2 * kGroupRows, acc[j]);
}

template <DType T>
struct G32Pair {
  template <int N>
  static void run(const std::byte* g, size_t gb, const std::byte* const* a, int64_t c, float* o) {
    group32_pair<T, N>(g, gb, a, c, o);
  }
};
template <DType T>
struct Q45KPair {
  template <int N>
  static void run(const std::byte* g, size_t gb, const std::byte* const* a, int64_t c, float* o) {
    group_q45_k_pair<T, N>(g, gb, a, c, o);
  }
};

template <class K>
void pair_by_count(const std::byte* group, size_t gb, const std::byte* const* act, int n, int64_t cols, float* out) {
  switch (n) {
    case 1: K::template run<1>(group, gb, act, cols, out); break;
    case 2: K::template run<2>(group, gb, act, cols, out); break;
    case 3: K::template run<3>(group, gb, act, cols, out); break;
    default: K::template run<4>(group, gb, act, cols, out); break;
  }
}

template <DType T>
struct G32 {
  template <int N>
  static void run(const std::byte* g, const std::byte* const* a, int64_t c, float* o) {
    group32<T, N>(g, a, c, o);
  }
};
template <DType T>
struct Q45K {
  template <int N>
  static void run(const std::byte* g, const std::byte* const* a, int64_t c, float* o) {
    group_q45_k<T, N>(g, a, c, o);
  }
};

template <class K>
void by_count(const std::byte* group, const std::byte* const* act, int n, int64_t cols, float* out) {
  switch (n) {
    case 1: K::template run<1>(group, act, cols, out); break;
    case 2: K::template run<2>(group, act, cols, out); break;
    case 3: K::template run<3>(group, act, cols, out); break;
    default: K::template run<4>(group, act, cols, out); break;
  }
}

}  // namespace

GroupDot group_dot_avx512(DType t) {
  switch (t) {
    case DType::q8_0: return by_count<G32<DType::q8_0>>;
    case DType::q5_0: return by_count<G32<DType::q5_0>>;
    case DType::q4_0: return by_count<G32<DType::q4_0>>;
    case DType::q4_1: return by_count<G32<DType::q4_1>>;
    case DType::q5_1: return by_count<G32<DType::q5_1>>;
    case DType::iq4_nl: return by_count<G32<DType::iq4_nl>>;
    case DType::q4_k: return by_count<Q45K<DType::q4_k>>;
    case DType::q5_k: return by_count<Q45K<DType::q5_k>>;
    default: return nullptr;  // iq4_xs: the AVX2 kernel
  }
}

GroupPairDot group_pair_dot_avx512(DType t) {
  switch (t) {
    case DType::q8_0: return pair_by_count<G32Pair<DType::q8_0>>;
    case DType::q5_0: return pair_by_count<G32Pair<DType::q5_0>>;
    case DType::q4_0: return pair_by_count<G32Pair<DType::q4_0>>;
    case DType::q4_1: return pair_by_count<G32Pair<DType::q4_1>>;
    case DType::q5_1: return pair_by_count<G32Pair<DType::q5_1>>;
    case DType::iq4_nl: return pair_by_count<G32Pair<DType::iq4_nl>>;
    case DType::q4_k: return pair_by_count<Q45KPair<DType::q4_k>>;
    case DType::q5_k: return pair_by_count<Q45KPair<DType::q5_k>>;
    default: return nullptr;
  }
}

}  // namespace dsinfer::kernels
