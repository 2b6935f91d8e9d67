// The float GEMM of float_gemm.hpp (compiled with -mavx2 -mfma -mf16c; reached only through
// uses_float_gemm()'s run-time check). This is the one file of the library that instantiates
// Eigen's products: their templates are not tagged with the instruction set, so a baseline
// file instantiating the same ones could swap code with this file at link time.
#include <Eigen/Core>

#include <algorithm>
#include <vector>

#include "kernels/float_gemm.hpp"
#include "kernels/matvec.hpp"

namespace dsinfer::kernels {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::OuterStride<>;

}  // namespace

void float_gemm_avx2(const MatmulTask& task, int64_t r0, int64_t r1) {
  const Matrix& w = *task.w;
  const int64_t rows = r1 - r0, cols = w.cols, n = task.n;
  // The rows as f32 (f32 weights are used where they lie).
  std::vector<float> decoded;
  const float* wf;
  int64_t w_stride = cols;
  if (w.dtype == DType::f32) {
    wf = reinterpret_cast<const float*>(w.row(r0));
    w_stride = static_cast<int64_t>(w.row_bytes / sizeof(float));
  } else {
    decoded.resize(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) decode_row(w, r0 + r, decoded.data() + r * cols);
    wf = decoded.data();
  }
  // The tokens' rows: in place when they are evenly spaced, else gathered.
  std::vector<float> gathered;
  auto x_row = [&](int64_t t) {
    return reinterpret_cast<const float*>(task.x->row(ActFormat::f32, task.rows_of_x ? task.rows_of_x[t] : t));
  };
  const float* xf = x_row(0);
  int64_t x_stride = n > 1 ? x_row(1) - xf : cols;
  bool even = x_stride >= cols;
  for (int64_t t = 2; even && t < n; ++t) even = x_row(t) == xf + t * x_stride;
  if (!even) {
    gathered.resize(static_cast<size_t>(n * cols));
    for (int64_t t = 0; t < n; ++t) std::copy(x_row(t), x_row(t) + cols, gathered.data() + t * cols);
    xf = gathered.data();
    x_stride = cols;
  }
  const Eigen::Map<const RowMajor, 0, Strided> x(xf, n, cols, Strided(x_stride));
  const Eigen::Map<const RowMajor, 0, Strided> wm(wf, rows, cols, Strided(w_stride));
  Eigen::Map<RowMajor, 0, Strided> y(task.y + r0, n, rows, Strided(task.ldy));
  y.noalias() = x * wm.transpose();
}

}  // namespace dsinfer::kernels
