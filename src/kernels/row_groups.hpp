// Interleaved row groups: a weight layout made at load time (the bytes a file stores, moved,
// none added or dropped) in which eight rows' blocks lie side by side. A block is cut into
// its f16 header values (q4_1, q5_1, q4_k and q5_k have two: a scale and a minimum or min
// scale) and four-byte pieces (the five-bit types' high bits, q4_k's and q5_k's packed
// scales, then the codes); block i of a group holds the eight rows' header values, then
// piece by piece the eight rows' four bytes. q8_0's code piece k is values 4k..4k+3; the
// 32-value four- and five-bit types' holds values 4k..4k+3 in its low nibbles and 16+4k..
// in its high ones; q4_k's and q5_k's piece 8c+k holds values 64c+4k.. and 64c+32+4k.., and
// q5_k's high-bit piece k their fifth bits (bits 2c and 2c+1); iq4_xs's header is its d and
// the top bits of its scales, its first piece the scales' low nibbles, and code piece 4ib+k
// values 4k.. and 16+4k.. of sub-block ib. So q5_0's high bits and the
// k-quants' scale words give each row one 32-bit lane. One broadcast of four activation bytes then
// multiplies all eight rows at once, and the eight rows' sums end in the eight lanes of one
// vector: the tiles' fold of eight rows' lanes (about 40% of their work) is gone, and decode
// reads one stream instead of eight. Measured on one core, q8_0 with 1536 columns in cache:
// 27-28 -> 42-46 GMAC/s for four tokens; streaming a 64 MiB matrix for one token: 11.3-12.9
// -> 13.6-14.5 GB/s.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dsinfer/dtype.hpp"
#include "dsinfer/matrix.hpp"

namespace dsinfer::kernels {

constexpr int kGroupRows = 8;

// Whether this CPU has a kernel for the interleaved form of type t (only then is it worth
// making).
bool has_group_kernel(DType t);

// Rewrites `rows` rows (a multiple of kGroupRows) of type t (one with a group kernel), row r at
// src + r * row_bytes, into groups at dst (the same number of bytes).
void interleave_rows(DType t, const std::byte* src, uint64_t row_bytes, int64_t rows, std::byte* dst);

// Row r of an interleaved matrix back in the file's layout (row_bytes bytes at out).
void deinterleave_row(const Matrix& w, int64_t r, std::byte* out);

// Eight rows of one group (its first byte at `group`) times up to kMaxGroupActs activation
// rows: out[j * kGroupRows + r] = row r . act[j], for j < n.
constexpr int kMaxGroupActs = 4;
using GroupDot = void (*)(const std::byte* group, const std::byte* const* act, int n, int64_t cols, float* out);
GroupDot group_dot_avx2(DType t);  // call only where cpu_features() has avx2, fma and f16c
GroupDot group_dot_avx512(DType t);  // call only where cpu_features().avx512_vnni(); nullptr for iq4_xs
GroupDot group_dot(DType t);       // nullptr where this CPU has none

// Two neighbouring groups at once (rows r..r + 15; the second group starts group_bytes =
// kGroupRows * row_bytes after the first), where one vector holds sixteen rows' lanes:
// out[j * 2 * kGroupRows + r] = row r . act[j], for j < n <= kMaxGroupActs. The results are
// group_dot's on each group, bit for bit.
using GroupPairDot = void (*)(const std::byte* group, size_t group_bytes, const std::byte* const* act, int n,
                              int64_t cols, float* out);
GroupPairDot group_pair_dot_avx512(DType t);  // call only where cpu_features().avx512_vnni()
GroupPairDot group_pair_dot(DType t);         // nullptr where this CPU or type has none

}  // namespace dsinfer::kernels
