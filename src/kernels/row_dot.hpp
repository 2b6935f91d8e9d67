// Dot products of one stored weight row with up to four activation rows at once: the
// weight block is unpacked once and used for every row, which is what makes prefill's
// many tokens cheaper per weight byte than decode. One portable definition per weight
// type (the reference the ISA variants are tested against) and AVX2 variants, chosen at
// run time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dsinfer/dtype.hpp"

namespace dsinfer::kernels {

constexpr int kMaxRowDotActs = 4;

// out[j] = w . act[j] for j < n (1 <= n <= kMaxRowDotActs); act rows are in
// act_format(type) with `cols` values.
using RowDot = void (*)(const std::byte* w, const std::byte* const* act, int n, int64_t cols, float* out);

// nullptr when the type has no integer/float kernel (callers decode the row instead).
RowDot row_dot_portable(DType t);
RowDot row_dot_avx2(DType t);  // call only where cpu_features() has avx2, fma and f16c
// The best variant this CPU runs.
RowDot row_dot(DType t);

// Eight weight rows at once (row r at w + r * stride) times up to kMaxTileActs activation
// rows: out[j * kTileRows + r] = w_r . act[j]. Summing eight rows' integer products into one
// vector before any float work is what makes a tile cheaper than eight row_dot calls; taking
// eight tokens per pass unpacks each weight block half as often as four did. `next` (or
// nullptr): the bytes of the tile to come, laid out like w's, which the integer tiles ask
// into L2 while they run; it changes no result.
constexpr int kTileRows = 8;
constexpr int kMaxTileActs = 8;
using RowTile = void (*)(const std::byte* w, size_t stride, const std::byte* next, const std::byte* const* act, int n,
                         int64_t cols, float* out);
RowTile row_tile_avx2(DType t);  // call only where cpu_features() has avx2, fma and f16c
// nullptr where this CPU or this type has no tile (callers use row_dot per row); the row
// kernels are the reference a tile is tested against.
RowTile row_tile(DType t);

// The codebook types (tensor/iq_blocks.hpp) cost more to unpack than to multiply, and a
// tile unpacks its rows again for every kMaxTileActs tokens. In a pass of more tokens,
// eight rows are unpacked once into this form (per 256 values: the values plus 64 as unsigned bytes, the
// sixteen scales, the float factor; kExpandedBlockBytes each, rows `cols / 256` blocks
// apart) and the expanded tile runs on it for every group of tokens.
constexpr size_t kExpandedBlockBytes = 288;
using RowExpand = void (*)(const std::byte* w, size_t stride, int64_t cols, std::byte* out);
// nullptr where this CPU or this type has none (AVX2 only).
RowExpand row_expand(DType t);
RowExpand row_expand_avx2(DType t);  // call only where cpu_features() has avx2, fma and f16c
// The tile over expanded rows (stride: one expanded row's bytes; next: unused).
RowTile expanded_tile();
RowTile expanded_tile_avx2();

}  // namespace dsinfer::kernels
