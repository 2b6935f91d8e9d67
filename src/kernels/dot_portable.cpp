#include "kernels/dot.hpp"

#include "dsinfer/cpu_features.hpp"

namespace dsinfer::kernels {

float dot_f32_portable(const float* a, const float* b, int64_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void axpy_f32_portable(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

AxpyF32 axpy_f32() {
  static const AxpyF32 best = [] {
    return cpu_features().avx2_fma() ? axpy_f32_avx2 : axpy_f32_portable;
  }();
  return best;
}

DotF32 dot_f32() {
  static const DotF32 best = [] {
    return cpu_features().avx2_fma() ? dot_f32_avx2 : dot_f32_portable;
  }();
  return best;
}

}  // namespace dsinfer::kernels
