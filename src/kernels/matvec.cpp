#include "kernels/matvec.hpp"

#include <cstring>
#include <vector>

#include "dsinfer/dequantize.hpp"
#include "kernels/dot.hpp"
#include "kernels/matmul.hpp"
#include "kernels/row_groups.hpp"

namespace dsinfer::kernels {
namespace {

thread_local std::vector<float> t_row;

float* row_buffer(int64_t n) {
  if (static_cast<int64_t>(t_row.size()) < n) t_row.resize(static_cast<size_t>(n));
  return t_row.data();
}

}  // namespace

void decode_row(const Matrix& w, int64_t r, float* out) {
  if (w.dtype == DType::f32) {
    std::memcpy(out, w.row(r), static_cast<size_t>(w.cols) * 4);
    return;
  }
  if (w.interleaved) {
    thread_local std::vector<std::byte> stored;
    stored.resize(w.row_bytes);
    deinterleave_row(w, r, stored.data());
    dequantize_row(w.dtype, stored.data(), out, w.cols);
    return;
  }
  dequantize_row(w.dtype, w.row(r), out, w.cols);
  if (w.block_scale) {
    const float* s = w.block_scale + ((r + w.scale_row0) / w.block) * w.scale_cols;
    for (int64_t c = 0; c < w.cols; ++c) out[c] *= s[c / w.block];
  }
}

void matvec(const Matrix& w, const float* x, float* y, ThreadPool* pool) {
  matmul(w, x, 1, w.cols, y, w.rows, pool);
}

void matvec_transposed(const Matrix& w, const float* x, float* y) {
  for (int64_t c = 0; c < w.cols; ++c) y[c] = 0.0f;
  float* buf = row_buffer(w.cols);
  for (int64_t r = 0; r < w.rows; ++r) {
    decode_row(w, r, buf);
    const float xr = x[r];
    for (int64_t c = 0; c < w.cols; ++c) y[c] += xr * buf[c];
  }
}

}  // namespace dsinfer::kernels
