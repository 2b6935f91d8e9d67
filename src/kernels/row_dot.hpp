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

}  // namespace dsinfer::kernels
