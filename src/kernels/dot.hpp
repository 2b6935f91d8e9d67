// f32 dot product and axpy, the inner loops of attention and of decoded-row products. A kernel
// family: a portable definition and an AVX2+FMA one, chosen once from the CPU's features.
#pragma once

#include <cstdint>

namespace dsinfer::kernels {

float dot_f32_portable(const float* a, const float* b, int64_t n);
float dot_f32_avx2(const float* a, const float* b, int64_t n);  // call only where cpu_features().avx2_fma()

using DotF32 = float (*)(const float*, const float*, int64_t);
// The best variant this CPU runs.
DotF32 dot_f32();

// y += a * x: attention's value accumulation over the cached latent.
void axpy_f32_portable(float a, const float* x, float* y, int64_t n);
void axpy_f32_avx2(float a, const float* x, float* y, int64_t n);
using AxpyF32 = void (*)(float, const float*, float*, int64_t);
AxpyF32 axpy_f32();

}  // namespace dsinfer::kernels
