// f32 dot product, the inner loop of every decoded-row matrix-vector product. A kernel
// family: a portable definition and an AVX2+FMA one, chosen once from the CPU's features.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

float dot_f32_portable(const float* a, const float* b, int64_t n);
float dot_f32_avx2(const float* a, const float* b, int64_t n);  // call only where cpu_features().avx2 && .fma

using DotF32 = float (*)(const float*, const float*, int64_t);
// The best variant this CPU runs.
DotF32 dot_f32();

}  // namespace dsinfer::kernels
