// Interleaved row groups: a weight layout made at load time (the bytes a file stores, moved,
// none added or dropped) in which eight rows' blocks lie side by side. Block i of a q8_0
// group is 272 bytes: the eight rows' f16 scales, then eight 32-byte chunks, chunk k holding
// values 4k..4k+3 of rows 0..7. One broadcast of four activation bytes then multiplies all
// eight rows at once, and the eight rows' sums end in the eight lanes of one vector: the
// tiles' fold of eight rows' lanes (about 40% of their work) is gone, and decode reads one
// stream instead of eight. Measured on one core, q8_0 with 1536 columns in cache: 27-28 ->
// 42-46 GMAC/s for four tokens; streaming a 64 MiB matrix for one token: 11.3-12.9 -> 13.6-14.5
// GB/s.
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

// Rewrites `rows` rows (a multiple of kGroupRows) of type t, row r at src + r * row_bytes,
// into groups at dst (the same number of bytes). Needs has_group_kernel's types.
void interleave_rows(DType t, const std::byte* src, uint64_t row_bytes, int64_t rows, std::byte* dst);

// Row r of an interleaved matrix back in the file's layout (row_bytes bytes at out).
void deinterleave_row(const Matrix& w, int64_t r, std::byte* out);

// Eight rows of one group (its first byte at `group`) times up to four activation rows:
// out[j * kGroupRows + r] = row r . act[j], for j < n.
using GroupDot = void (*)(const std::byte* group, const std::byte* const* act, int n, int64_t cols, float* out);
GroupDot group_dot_avx2(DType t);  // call only where cpu_features() has avx2, fma and f16c
GroupDot group_dot(DType t);       // nullptr where this CPU has none

}  // namespace dsinfer::kernels
