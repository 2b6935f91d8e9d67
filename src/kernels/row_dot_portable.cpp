// Portable row kernels: the definition of each weight type's dot product with quantized
// activations. Integer products are summed exactly; scales are applied per block.
#include <array>

#include "dsinfer/cpu_features.hpp"
#include "dsinfer/half.hpp"
#include "kernels/activations.hpp"
#include "kernels/row_dot.hpp"
#include "tensor/block_read.hpp"
#include "tensor/iq_blocks.hpp"
#include "tensor/iq4_levels.hpp"

namespace dsinfer::kernels {
namespace {

using iq::is_codebook_type;

using blocks::read_f16;
using blocks::scale_min_6bit;

const uint8_t* bytes(const std::byte* p) { return reinterpret_cast<const uint8_t*>(p); }

// The integer values q of one 32-value block and its scale d and minimum m: value = d * q + m
// (q signed with m = 0 for q8_0 / q4_0 / q5_0 / iq4_nl; unsigned codes with the block's m for
// q4_1 / q5_1). Four- and five-bit codes: low nibbles are values 0-15, high nibbles 16-31, five-bit
// types' 32 high bits follow the f16 header.
float unpack32(DType t, const uint8_t* b, int8_t* w, float* m) {
  *m = 0.0f;
  if (t == DType::q8_0) {
    for (int j = 0; j < 32; ++j) w[j] = static_cast<int8_t>(b[2 + j]);
    return read_f16(b);
  }
  if (t == DType::iq4_nl) {
    for (int j = 0; j < 16; ++j) {
      w[j] = kIq4Levels[b[2 + j] & 0xf];
      w[j + 16] = kIq4Levels[b[2 + j] >> 4];
    }
    return read_f16(b);
  }
  const bool with_min = t == DType::q4_1 || t == DType::q5_1, five = t == DType::q5_0 || t == DType::q5_1;
  const int head = with_min ? 4 : 2, offset = with_min ? 0 : five ? 16 : 8;
  const uint32_t qh = five ? blocks::read_u32(b + head) : 0;
  const uint8_t* qs = b + head + (five ? 4 : 0);
  for (int j = 0; j < 16; ++j) {
    w[j] = static_cast<int8_t>(((qs[j] & 0xf) | (((qh >> j) & 1) << 4)) - offset);
    w[j + 16] = static_cast<int8_t>(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - offset);
  }
  if (with_min) *m = read_f16(b + 2);
  return read_f16(b);
}

template <DType T>
void dot32(const std::byte* w, const std::byte* const* act, int n, int64_t cols, float* out) {
  const uint32_t bb = dtype_info(T).block_bytes;
  for (int j = 0; j < n; ++j) out[j] = 0.0f;
  int8_t q[32];
  for (int64_t i = 0; i < cols / 32; ++i) {
    float m;
    const float d = unpack32(T, bytes(w) + i * bb, q, &m);
    for (int j = 0; j < n; ++j) {
      const ActBlock32& a = reinterpret_cast<const ActBlock32*>(act[j])[i];
      int s = 0;
      for (int k = 0; k < 32; ++k) s += q[k] * a.q[k];
      out[j] += d * a.d * static_cast<float>(s);
      if (m != 0.0f) out[j] += m * a.s;  // the minimum times the block's activation sum
    }
  }
}

// One k-quant super-block as unsigned values plus, per run of 16, an integer scale and
// an integer offset: value = d * (scale * q) - dmin * min (q2_k, q4_k, q5_k) or
// d * scale * (q - offset) (q3_k: offset 4, q6_k: 32, iq4_xs: 128 from its level + 128).
struct Unpacked256 {
  uint8_t q[256];
  int scale[16];
  int min[16];  // q2_k / q4_k / q5_k: the min multiplier; q3_k / q6_k / iq4_xs / codebook: offset * scale
  float d, dmin;
};

// q2_k and q3_k store value half * 128 + 32 * k + l in bits 2k-2k+1 of byte half * 32 + l
// (q3_k's third bit: bit 4 * half + k of hmask byte l, set meaning no -4).
void unpack_k23(DType t, const uint8_t* b, Unpacked256& u) {
  const bool three = t == DType::q3_k;
  const uint8_t* qs = b + (three ? 32 : 16);
  for (int half = 0; half < 2; ++half)
    for (int k = 0; k < 4; ++k)
      for (int l = 0; l < 32; ++l) {
        int q = (qs[half * 32 + l] >> (2 * k)) & 3;
        if (three) q |= ((b[l] >> (half * 4 + k)) & 1) << 2;
        u.q[half * 128 + k * 32 + l] = static_cast<uint8_t>(q);
      }
  if (three) {
    const uint8_t* packed = b + 96;
    u.d = u.dmin = read_f16(b + 108);
    for (int g = 0; g < 16; ++g) {
      u.scale[g] = blocks::q3k_scale(packed, g);
      u.min[g] = 4 * u.scale[g];
    }
  } else {
    u.d = read_f16(b + 80);
    u.dmin = read_f16(b + 82);
    for (int g = 0; g < 16; ++g) {
      u.scale[g] = b[g] & 0xf;
      u.min[g] = b[g] >> 4;
    }
  }
}

// iq4_xs: eight 32-value sub-blocks of iq4_nl codes, each with a 6-bit scale biased by 32.
void unpack_iq4xs(const uint8_t* b, Unpacked256& u) {
  u.d = u.dmin = read_f16(b);
  for (int ib = 0; ib < 8; ++ib) {
    const int sc = blocks::iq4xs_scale(b, ib);
    u.scale[2 * ib] = u.scale[2 * ib + 1] = sc;
    u.min[2 * ib] = u.min[2 * ib + 1] = 128 * sc;
    const uint8_t* qs = b + 8 + 16 * ib;
    for (int j = 0; j < 16; ++j) {
      u.q[32 * ib + j] = static_cast<uint8_t>(kIq4Levels[qs[j] & 0xf] + 128);
      u.q[32 * ib + j + 16] = static_cast<uint8_t>(kIq4Levels[qs[j] >> 4] + 128);
    }
  }
}

void unpack256(DType t, const uint8_t* b, Unpacked256& u) {
  if (t == DType::q2_k || t == DType::q3_k) return unpack_k23(t, b, u);
  if (t == DType::iq4_xs) return unpack_iq4xs(b, u);
  if (t == DType::q6_k) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
    u.d = read_f16(b + 208);
    u.dmin = u.d;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* l4 = ql + half * 64;
      const uint8_t* h2 = qh + half * 32;
      uint8_t* y = u.q + half * 128;
      for (int l = 0; l < 32; ++l) {
        y[l] = static_cast<uint8_t>((l4[l] & 0xf) | ((h2[l] & 3) << 4));
        y[l + 32] = static_cast<uint8_t>((l4[l + 32] & 0xf) | (((h2[l] >> 2) & 3) << 4));
        y[l + 64] = static_cast<uint8_t>((l4[l] >> 4) | (((h2[l] >> 4) & 3) << 4));
        y[l + 96] = static_cast<uint8_t>((l4[l + 32] >> 4) | (((h2[l] >> 6) & 3) << 4));
      }
    }
    for (int g = 0; g < 16; ++g) {
      u.scale[g] = sc[g];
      u.min[g] = 32 * sc[g];
    }
    return;
  }
  u.d = read_f16(b);
  u.dmin = read_f16(b + 2);
  const uint8_t* scales = b + 4;
  const uint8_t* qh = b + 16;                                 // q5_k only
  const uint8_t* qs = b + (t == DType::q5_k ? 48 : 16);
  for (int chunk = 0; chunk < 4; ++chunk) {
    int sc0, m0, sc1, m1;
    scale_min_6bit(scales, 2 * chunk, &sc0, &m0);
    scale_min_6bit(scales, 2 * chunk + 1, &sc1, &m1);
    for (int l = 0; l < 32; ++l) {
      int lo = qs[chunk * 32 + l] & 0xf, hi = qs[chunk * 32 + l] >> 4;
      if (t == DType::q5_k) {
        lo |= ((qh[l] >> (2 * chunk)) & 1) << 4;
        hi |= ((qh[l] >> (2 * chunk + 1)) & 1) << 4;
      }
      u.q[chunk * 64 + l] = static_cast<uint8_t>(lo);
      u.q[chunk * 64 + 32 + l] = static_cast<uint8_t>(hi);
    }
    u.scale[4 * chunk] = u.scale[4 * chunk + 1] = sc0;
    u.scale[4 * chunk + 2] = u.scale[4 * chunk + 3] = sc1;
    u.min[4 * chunk] = u.min[4 * chunk + 1] = m0;
    u.min[4 * chunk + 2] = u.min[4 * chunk + 3] = m1;
  }
}

// Types whose offset term has the same float scale as the values (u.d == u.dmin).
template <DType T>
constexpr bool kOneScale = T == DType::q3_k || T == DType::q6_k || T == DType::iq4_xs || is_codebook_type(T);

// The codebook types in the same form: their signed values offset by 128 like iq4_xs's.
template <DType T>
void unpack_codebook256(const uint8_t* b, Unpacked256& u) {
  int8_t w[256], scale[16];
  iq::codebook_values<T>(b, w);
  iq::codebook_scales<T>(b, scale);
  u.d = u.dmin = iq::codebook_factor<T>(b);
  for (int i = 0; i < 256; ++i) u.q[i] = static_cast<uint8_t>(w[i] + 128);
  for (int g = 0; g < 16; ++g) {
    u.scale[g] = scale[g];
    u.min[g] = 128 * scale[g];
  }
}

template <DType T>
void dot256(const std::byte* w, const std::byte* const* act, int n, int64_t cols, float* out) {
  const uint32_t bb = dtype_info(T).block_bytes;
  for (int j = 0; j < n; ++j) out[j] = 0.0f;
  Unpacked256 u;
  for (int64_t i = 0; i < cols / 256; ++i) {
    if constexpr (is_codebook_type(T)) unpack_codebook256<T>(bytes(w) + i * bb, u);
    else unpack256(T, bytes(w) + i * bb, u);
    for (int j = 0; j < n; ++j) {
      const ActBlock256& a = reinterpret_cast<const ActBlock256*>(act[j])[i];
      int sum = 0, off = 0;
      for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int k = 0; k < 16; ++k) s += u.q[g * 16 + k] * a.q[g * 16 + k];
        sum += u.scale[g] * s;
        off += u.min[g] * a.bsums[g];
      }
      // Where the offset shares d, the integers are subtracted first: exact, where two
      // large converted sums would each round.
      if constexpr (kOneScale<T>) out[j] += a.d * (u.d * static_cast<float>(sum - off));
      else out[j] += a.d * (u.d * static_cast<float>(sum) - u.dmin * static_cast<float>(off));
    }
  }
}

template <DType T>
void dot_float(const std::byte* w, const std::byte* const* act, int n, int64_t cols, float* out) {
  for (int j = 0; j < n; ++j) {
    const auto* a = reinterpret_cast<const float*>(act[j]);
    float s = 0.0f;
    for (int64_t k = 0; k < cols; ++k) {
      float v;
      if constexpr (T == DType::f32) v = reinterpret_cast<const float*>(w)[k];
      else if constexpr (T == DType::f16) v = f16_to_f32(blocks::read_u16(bytes(w) + 2 * k));
      else v = bf16_to_f32(blocks::read_u16(bytes(w) + 2 * k));
      s += v * a[k];
    }
    out[j] = s;
  }
}

}  // namespace

RowDot row_dot_portable(DType t) {
  switch (t) {
    case DType::q8_0: return dot32<DType::q8_0>;
    case DType::q4_0: return dot32<DType::q4_0>;
    case DType::q5_0: return dot32<DType::q5_0>;
    case DType::q4_1: return dot32<DType::q4_1>;
    case DType::q5_1: return dot32<DType::q5_1>;
    case DType::q2_k: return dot256<DType::q2_k>;
    case DType::q3_k: return dot256<DType::q3_k>;
    case DType::q4_k: return dot256<DType::q4_k>;
    case DType::q5_k: return dot256<DType::q5_k>;
    case DType::q6_k: return dot256<DType::q6_k>;
    case DType::iq4_nl: return dot32<DType::iq4_nl>;
    case DType::iq4_xs: return dot256<DType::iq4_xs>;
    case DType::iq2_xxs: return dot256<DType::iq2_xxs>;
    case DType::iq2_xs: return dot256<DType::iq2_xs>;
    case DType::iq2_s: return dot256<DType::iq2_s>;
    case DType::iq3_xxs: return dot256<DType::iq3_xxs>;
    case DType::iq3_s: return dot256<DType::iq3_s>;
    case DType::iq1_s: return dot256<DType::iq1_s>;
    case DType::iq1_m: return dot256<DType::iq1_m>;
    case DType::f32: return dot_float<DType::f32>;
    case DType::f16: return dot_float<DType::f16>;
    case DType::bf16: return dot_float<DType::bf16>;
    default: return nullptr;
  }
}

namespace {

bool has_avx2() {
  static const bool avx2 = [] {
    const CpuFeatures& f = cpu_features();
    return f.avx2 && f.fma && f.f16c;
  }();
  return avx2;
}

}  // namespace

RowDot row_dot(DType t) {
  if (has_avx2())
    if (RowDot k = row_dot_avx2(t)) return k;
  return row_dot_portable(t);
}

RowTile row_tile(DType t) { return has_avx2() ? row_tile_avx2(t) : nullptr; }
RowExpand row_expand(DType t) { return has_avx2() ? row_expand_avx2(t) : nullptr; }
RowTile expanded_tile() { return has_avx2() ? expanded_tile_avx2() : nullptr; }

}  // namespace dsinfer::kernels
