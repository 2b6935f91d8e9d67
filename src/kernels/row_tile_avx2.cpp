// AVX2 row tiles (compiled with -mavx2 -mfma -mf16c; reached only through row_tile()'s
// run-time check): eight weight rows times up to eight activation rows. Each row's integer
// products for a block are kept as eight int32 lanes; the eight rows' lane sets are then
// folded into one vector holding the eight rows' sums, so the float work of a block (int to
// float, the two scales, the accumulate) and the k-quants' min corrections are paid once per
// eight rows instead of once per row. In the one-row kernels that work cost about as much
// as the integer products themselves. Float weights (tile_float) keep their sums in
// registers instead, four rows by two tokens at a time.
#include <immintrin.h>

#include <cstring>

#include "kernels/activations.hpp"
#include "kernels/quant_blocks_avx2.hpp"
#include "kernels/row_dot.hpp"

namespace dsinfer::kernels {
namespace {

using namespace avx2;

constexpr int R = kTileRows;
static_assert(R == 8, "the folds below are written for eight rows");

// Lane r of the result = the sum of the eight lanes of p[r].
inline __m256i fold_rows(const __m256i* p) {
  const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
  const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
  return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

// Lane r of the result = the sum of the four lanes of p[r].
inline __m256i fold_rows(const __m128i* p) {
  const __m256i a = _mm256_hadd_epi32(_mm256_set_m128i(p[4], p[0]), _mm256_set_m128i(p[5], p[1]));
  const __m256i b = _mm256_hadd_epi32(_mm256_set_m128i(p[6], p[2]), _mm256_set_m128i(p[7], p[3]));
  return _mm256_hadd_epi32(a, b);
}

// An integer tile makes one pass over its eight rows per eight (or four) tokens; only the
// first pass waits for memory. Asking for the next tile's bytes (`next`: laid out like w,
// passed by matmul with a tile's first tokens only) into L2 while this tile runs hides that
// wait. A simulated MoE prefill layer (64 experts, 256 tokens, two threads; with and without,
// alternating in one process): q4_k gate/up 88.7 -> 97.6 and 96.8 -> 128.1 GFLOP/s, q8_0
// experts 88.3 -> 97.9, q6_k gate/up 95.5 -> 106.9; q5_0 down projections alone no
// different. Asked for by every pass, the hint cost dense 8960-wide rows up to 10% (their
// tile does not fit L1 and is walked once per four tokens).
template <uint32_t kBytes>
inline void prefetch_next_tile(const std::byte* next, size_t offset) {
  if (!next) return;
  const uintptr_t p = reinterpret_cast<uintptr_t>(next) + offset;
  for (uint32_t o = 0; o < kBytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T1);
}

inline int load_u16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return h;
}
// The eight rows' f16 scales at byte offset `at` of their blocks, as floats. Inserted lane by
// lane: eight narrow stores read back as one vector would stall store forwarding every block.
inline __m256 row_scales(const uint8_t* const* b, int at) {
  __m128i h = _mm_cvtsi32_si128(load_u16(b[0] + at));
  h = _mm_insert_epi16(h, load_u16(b[1] + at), 1);
  h = _mm_insert_epi16(h, load_u16(b[2] + at), 2);
  h = _mm_insert_epi16(h, load_u16(b[3] + at), 3);
  h = _mm_insert_epi16(h, load_u16(b[4] + at), 4);
  h = _mm_insert_epi16(h, load_u16(b[5] + at), 5);
  h = _mm_insert_epi16(h, load_u16(b[6] + at), 6);
  h = _mm_insert_epi16(h, load_u16(b[7] + at), 7);
  return _mm256_cvtph_ps(h);
}

// q8_0, iq4_nl, q4_0, q5_0, q4_1, q5_1. The four- and five-bit types multiply their unsigned codes
// directly (no sign juggling); the _0 types' code offset comes off, and the _1 types'
// minimum comes in, in float through the activation block's scaled sum: one multiply-add
// per token for all eight rows.
template <DType T, int N>
void tile32(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int64_t cols,
            float* out) {
  constexpr uint32_t bb = block32_bytes<T>;
  const ActBlock32* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock32*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < cols / 32; ++i) {
    const uint8_t* b[R];
    for (int r = 0; r < R; ++r) b[r] = u8(w) + r * stride + i * bb;
    alignas(32) __m256i part[N][R];
    for (int r = 0; r < R; ++r) {
      prefetch_next_tile<1>(next, r * stride + i * bb);
      if constexpr (signed_values<T>) {
        const __m256i q = signed32<T>(b[r]);
        for (int j = 0; j < N; ++j) part[j][r] = dot_i8(q, load32(a[j][i].q));
      } else {
        const __m256i q = unpack32_codes<T>(b[r]);
        for (int j = 0; j < N; ++j) part[j][r] = _mm256_madd_epi16(_mm256_maddubs_epi16(q, load32(a[j][i].q)), ones16);
      }
    }
    const __m256 d = row_scales(b, 0);
    for (int j = 0; j < N; ++j) {
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][i].d)), _mm256_cvtepi32_ps(fold_rows(part[j])),
                               acc[j]);
      if constexpr (has_min<T>)
        acc[j] = _mm256_fmadd_ps(row_scales(b, 2), _mm256_set1_ps(a[j][i].s), acc[j]);
      else if constexpr (!signed_values<T>)
        acc[j] = _mm256_fnmadd_ps(d, _mm256_set1_ps(static_cast<float>(code_offset<T>) * a[j][i].s), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * R, acc[j]);
}

// q4_k and q5_k: eight 32-value groups, value = d * scale * q - dmin * min.
template <DType T, int N>
void tile_q45k(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int64_t cols,
               float* out) {
  constexpr uint32_t bb = T == DType::q5_k ? 176 : 144;
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b[R];
    for (int r = 0; r < R; ++r) b[r] = u8(w) + r * stride + i * bb;
    const ActBlock256* ai[N];
    // Activation sums per 32 values: what each row's mins multiply.
    __m128i group_sums[N];
    for (int j = 0; j < N; ++j) {
      ai[j] = a[j] + i;
      group_sums[j] = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ai[j]->bsums)),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(ai[j]->bsums + 8)));
    }
    alignas(32) __m256i part[N][R];
    alignas(16) __m128i mins_part[N][R];
    for (int r = 0; r < R; ++r) {
      prefetch_next_tile<bb>(next, r * stride + i * bb);
      __m256i isum[N];
      __m128i mins16;
      q45k_block_sums<T, N>(b[r], ai, isum, &mins16);
      for (int j = 0; j < N; ++j) {
        part[j][r] = isum[j];
        mins_part[j][r] = _mm_madd_epi16(mins16, group_sums[j]);
      }
    }
    const __m256 d = row_scales(b, 0), dmin = row_scales(b, 2);
    for (int j = 0; j < N; ++j) {
      const __m256 ad = _mm256_set1_ps(ai[j]->d);
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, ad), _mm256_cvtepi32_ps(fold_rows(part[j])), acc[j]);
      acc[j] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, ad), _mm256_cvtepi32_ps(fold_rows(mins_part[j])), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * R, acc[j]);
}

// How tile256 reads one kind of 256-value block: its size, its integer sums with N tokens,
// and the float factors of eight rows' blocks (and q2_k's of their mins).
template <DType T>
struct D256Blocks {
  static constexpr uint32_t bytes = d256_bytes<T>;
  static constexpr bool mins = T == DType::q2_k;
  template <int N>
  static void sums(const uint8_t* b, const ActBlock256* const* a, __m256i* isum, __m256i* msum) {
    d256_block_sums<T, N>(b, a, isum, msum);
  }
  static __m256 factors(const uint8_t* const* b) {
    if constexpr (is_codebook_type(T))
      return _mm256_setr_ps(d256_d<T>(b[0]), d256_d<T>(b[1]), d256_d<T>(b[2]), d256_d<T>(b[3]), d256_d<T>(b[4]),
                            d256_d<T>(b[5]), d256_d<T>(b[6]), d256_d<T>(b[7]));
    else
      return row_scales(b, d256_d_at<T>);
  }
  static __m256 min_factors(const uint8_t* const* b) { return row_scales(b, 82); }
};
// Codebook rows unpacked by expand_rows (row_dot.hpp's kExpandedBlockBytes form).
struct ExpandedBlocks {
  static constexpr uint32_t bytes = kExpandedBlockBytes;
  static constexpr bool mins = false;
  template <int N>
  static void sums(const uint8_t* e, const ActBlock256* const* a, __m256i* isum, __m256i*) {
    expanded_block_sums<N>(e, a, isum);
  }
  static __m256 factors(const uint8_t* const* e) {
    alignas(32) float f[R];
    for (int r = 0; r < R; ++r) std::memcpy(&f[r], e[r] + 272, 4);
    return _mm256_load_ps(f);
  }
  static __m256 min_factors(const uint8_t* const*) { return _mm256_setzero_ps(); }
};

// q2_k, q3_k, q6_k: sixteen 16-value groups, value = d * scale * (q - offset), or for q2_k
// d * scale * q - dmin * min; iq4_xs: eight 32-value groups, value = d * scale * level; the
// codebook types: factor * scale * signed codebook byte (tensor/iq_blocks.hpp), in the
// file's blocks or expanded.
template <class Blocks, int N>
void tile256(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int64_t cols,
             float* out) {
  constexpr uint32_t bb = Blocks::bytes;
  constexpr bool mins = Blocks::mins;
  const ActBlock256* a[N];
  __m256 acc[N];
  for (int j = 0; j < N; ++j) {
    a[j] = reinterpret_cast<const ActBlock256*>(act[j]);
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < cols / 256; ++i) {
    const uint8_t* b[R];
    for (int r = 0; r < R; ++r) b[r] = u8(w) + r * stride + i * bb;
    const ActBlock256* ai[N];
    for (int j = 0; j < N; ++j) ai[j] = a[j] + i;
    alignas(32) __m256i part[N][R];
    alignas(32) __m256i mins_part[mins ? N : 1][R];
    for (int r = 0; r < R; ++r) {
      prefetch_next_tile<bb>(next, r * stride + i * bb);
      __m256i isum[N], msum[N];
      Blocks::template sums<N>(b[r], ai, isum, msum);
      for (int j = 0; j < N; ++j) {
        part[j][r] = isum[j];
        if constexpr (mins) mins_part[j][r] = msum[j];
      }
    }
    const __m256 d = Blocks::factors(b);
    for (int j = 0; j < N; ++j) {
      const __m256 ad = _mm256_set1_ps(ai[j]->d);
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, ad), _mm256_cvtepi32_ps(fold_rows(part[j])), acc[j]);
      if constexpr (mins)
        acc[j] = _mm256_fnmadd_ps(_mm256_mul_ps(Blocks::min_factors(b), ad), _mm256_cvtepi32_ps(fold_rows(mins_part[j])),
                                  acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + j * R, acc[j]);
}

template <DType T>
void expand_rows(const std::byte* w, size_t stride, int64_t cols, std::byte* out) {
  constexpr uint32_t bb = d256_bytes<T>;
  const int64_t blocks = cols / 256;
  for (int r = 0; r < R; ++r)
    for (int64_t i = 0; i < blocks; ++i)
      expand_codebook_block<T>(u8(w) + r * stride + i * bb,
                               reinterpret_cast<uint8_t*>(out) + (r * blocks + i) * kExpandedBlockBytes);
}

// Lane i of the result = the sum of the eight lanes of p[i].
inline __m256 fold_rows(const __m256* p) {
  const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(p[0], p[1]), _mm256_hadd_ps(p[2], p[3]));
  const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(p[4], p[5]), _mm256_hadd_ps(p[6], p[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// f32 / f16 / bf16 rows (MLA's per-head k_b and v_b matrices) times f32 activations: four
// rows times two tokens at a time, 8 accumulators plus the four rows' values and a token's
// in registers (six loads per eight multiply-adds; the one-row kernel needed ten). An odd
// last token is paired with itself and its copy dropped.
template <DType T, int N>
void tile_float(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int64_t cols,
                float* out) {
  for (int j0 = 0; j0 < N; j0 += 2) {
    const float* a[2] = {reinterpret_cast<const float*>(act[j0]),
                         reinterpret_cast<const float*>(act[j0 + 1 < N ? j0 + 1 : j0])};
    for (int r0 = 0; r0 < R; r0 += 4) {
      const std::byte* wr[4];
      for (int r = 0; r < 4; ++r) wr[r] = w + (r0 + r) * stride;
      __m256 acc[8];
      for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
      int64_t k = 0;
      for (; k + 8 <= cols; k += 8) {
        constexpr int64_t es = T == DType::f32 ? 4 : 2;
        __m256 wv[4];
        for (int r = 0; r < 4; ++r) {
          if ((k * es) % 64 == 0) prefetch_ahead<1>(wr[r] + k * es);
          wv[r] = load8<T>(wr[r], k);
        }
        for (int m = 0; m < 2; ++m) {
          const __m256 av = _mm256_loadu_ps(a[m] + k);
          for (int r = 0; r < 4; ++r) acc[r * 2 + m] = _mm256_fmadd_ps(wv[r], av, acc[r * 2 + m]);
        }
      }
      alignas(32) float sums[8];
      _mm256_store_ps(sums, fold_rows(acc));
      for (int r = 0; r < 4; ++r)
        for (int m = 0; m < 2 && j0 + m < N; ++m) {
          float s = sums[r * 2 + m];
          for (int64_t c = k; c < cols; ++c) s += load1<T>(wr[r], c) * a[m][c];
          out[(j0 + m) * R + r0 + r] = s;
        }
    }
  }
}

// More than four tokens take passes of four, or of eight where kEight: the q4_k, q5_k, q6_k
// and iq4_xs tiles, whose unpacking (nibbles, six-bit scales, level lookups) then happens
// half as often (measured 10-15% faster; q6_k 4%, iq4_xs 10%). For the others (q2_k and q3_k
// 2-6% slower) eight tokens' vectors spill and measured no faster. The codebook tiles take
// eight too (their table lookups cost far more than the multiplies; not measured apart:
// passes of more than eight tokens use the expanded tile, whose four and eight measured
// the same within this VM's noise). Five to seven
// tokens take a pass of four and one of the rest: eight instantiations per type would
// double this file's build for counts that only a batch's last pass has.
template <template <int> class K, bool kEight = false>
void by_count(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int n,
              int64_t cols, float* out) {
  switch (n) {
    case 1: K<1>::run(w, stride, next, act, cols, out); break;
    case 2: K<2>::run(w, stride, next, act, cols, out); break;
    case 3: K<3>::run(w, stride, next, act, cols, out); break;
    case 4: K<4>::run(w, stride, next, act, cols, out); break;
    default:
      if constexpr (kEight) {
        if (n == 8) {
          K<8>::run(w, stride, next, act, cols, out);
          break;
        }
      }
      K<4>::run(w, stride, next, act, cols, out);
      by_count<K, kEight>(w, stride, nullptr, act + 4, n - 4, cols, out + 4 * R);
  }
}

template <DType T>
struct T32 {
  template <int N>
  struct K {
    static void run(const std::byte* w, size_t s, const std::byte* x, const std::byte* const* a, int64_t c,
                    float* o) {
      tile32<T, N>(w, s, x, a, c, o);
    }
  };
};
template <DType T>
struct T45 {
  template <int N>
  struct K {
    static void run(const std::byte* w, size_t s, const std::byte* x, const std::byte* const* a, int64_t c,
                    float* o) {
      tile_q45k<T, N>(w, s, x, a, c, o);
    }
  };
};
template <DType T>
struct TF {
  template <int N>
  struct K {
    static void run(const std::byte* w, size_t s, const std::byte* x, const std::byte* const* a, int64_t c,
                    float* o) {
      tile_float<T, N>(w, s, x, a, c, o);
    }
  };
};
template <DType T>
struct TD256 {
  template <int N>
  struct K {
    static void run(const std::byte* w, size_t s, const std::byte* x, const std::byte* const* a, int64_t c,
                    float* o) {
      tile256<D256Blocks<T>, N>(w, s, x, a, c, o);
    }
  };
};

struct TE {
  template <int N>
  struct K {
    static void run(const std::byte* w, size_t s, const std::byte* x, const std::byte* const* a, int64_t c,
                    float* o) {
      tile256<ExpandedBlocks, N>(w, s, x, a, c, o);
    }
  };
};

}  // namespace

RowExpand row_expand_avx2(DType t) {
  switch (t) {
    case DType::iq2_xxs: return expand_rows<DType::iq2_xxs>;
    case DType::iq2_xs: return expand_rows<DType::iq2_xs>;
    case DType::iq2_s: return expand_rows<DType::iq2_s>;
    case DType::iq3_xxs: return expand_rows<DType::iq3_xxs>;
    case DType::iq3_s: return expand_rows<DType::iq3_s>;
    case DType::iq1_s: return expand_rows<DType::iq1_s>;
    case DType::iq1_m: return expand_rows<DType::iq1_m>;
    default: return nullptr;
  }
}

RowTile expanded_tile_avx2() { return by_count<TE::K>; }

RowTile row_tile_avx2(DType t) {
  switch (t) {
    case DType::q8_0: return by_count<T32<DType::q8_0>::K>;
    case DType::q4_0: return by_count<T32<DType::q4_0>::K>;
    case DType::q5_0: return by_count<T32<DType::q5_0>::K>;
    case DType::q4_1: return by_count<T32<DType::q4_1>::K>;
    case DType::q5_1: return by_count<T32<DType::q5_1>::K>;
    case DType::q4_k: return by_count<T45<DType::q4_k>::K, true>;
    case DType::q5_k: return by_count<T45<DType::q5_k>::K, true>;
    case DType::q2_k: return by_count<TD256<DType::q2_k>::K>;
    case DType::q3_k: return by_count<TD256<DType::q3_k>::K>;
    case DType::q6_k: return by_count<TD256<DType::q6_k>::K, true>;
    case DType::iq4_nl: return by_count<T32<DType::iq4_nl>::K>;
    case DType::iq4_xs: return by_count<TD256<DType::iq4_xs>::K, true>;
    case DType::iq2_xxs: return by_count<TD256<DType::iq2_xxs>::K, true>;
    case DType::iq2_xs: return by_count<TD256<DType::iq2_xs>::K, true>;
    case DType::iq2_s: return by_count<TD256<DType::iq2_s>::K, true>;
    case DType::iq3_xxs: return by_count<TD256<DType::iq3_xxs>::K, true>;
    case DType::iq3_s: return by_count<TD256<DType::iq3_s>::K, true>;
    case DType::iq1_s: return by_count<TD256<DType::iq1_s>::K, true>;
    case DType::iq1_m: return by_count<TD256<DType::iq1_m>::K, true>;
    case DType::f32: return by_count<TF<DType::f32>::K>;
    case DType::f16: return by_count<TF<DType::f16>::K>;
    case DType::bf16: return by_count<TF<DType::bf16>::K>;
    default: return nullptr;
  }
}

}  // namespace dsinfer::kernels
