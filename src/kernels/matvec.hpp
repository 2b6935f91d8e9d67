// Matrix-vector products over stored weights (one token of matmul.hpp), and the decoded
// rows the slow paths use. Only the rows asked for are read, so an unchosen expert's
// pages are never touched.
#pragma once

#include "dsinfer/matrix.hpp"
#include "dsinfer/thread_pool.hpp"

namespace dsinfer::kernels {

// y[rows] = W x[cols]; rows split across the pool when one is given.
void matvec(const Matrix& w, const float* x, float* y, ThreadPool* pool);

// y[cols] = W^T x[rows] (single thread; used on small per-head blocks).
void matvec_transposed(const Matrix& w, const float* x, float* y);

// Decodes row r of w into out[cols] (applying FP8 block scales).
void decode_row(const Matrix& w, int64_t r, float* out);

}  // namespace dsinfer::kernels
