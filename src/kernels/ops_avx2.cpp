// AVX2+FMA variants of the element-wise exponentials (compiled with -mavx2 -mfma; reached
// through the run-time check in ops.cpp). glibc's expf, one value at a time, made SwiGLU
// 6.6 ns a value (28 ms per 512-token MoE layer) and the softmax of a long context's scores
// a few percent of its attention pass. xsimd's exp is vectorised and its templates carry the
// instruction set in their type, so this file's AVX2 code cannot stand in for another file's
// baseline instantiation at link time (Eigen's exp, not arch-tagged, could).
#include <xsimd/xsimd.hpp>

#include <cmath>

#include "kernels/hsum_avx2.hpp"
#include "kernels/ops.hpp"

namespace dsinfer::kernels {
namespace {

using Floats = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
constexpr int64_t kLanes = static_cast<int64_t>(Floats::size);

}  // namespace

void swiglu_avx2(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Floats g = Floats::load_unaligned(gate + i);
    const Floats silu = g / (Floats(1.0f) + xsimd::exp(-g));
    (silu * Floats::load_unaligned(up + i)).store_unaligned(gate + i);
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float exp_shifted_sum_avx2(float* x, int64_t n, float shift) {
  const Floats s(shift);
  Floats acc(0.0f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Floats e = xsimd::exp(Floats::load_unaligned(x + i) - s);
    e.store_unaligned(x + i);
    acc += e;
  }
  float sum = avx2::hsum(acc);
  for (; i < n; ++i) sum += x[i] = std::exp(x[i] - shift);
  return sum;
}

}  // namespace dsinfer::kernels
