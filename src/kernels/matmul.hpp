// Matrix products over stored weights: y[t][r] = W_r . x_t for a batch of tokens. Weights
// stay in their file types; activations are quantized once per format (activations.hpp)
// and each weight row is unpacked once for up to four tokens (with several tokens, eight
// rows times up to eight tokens at a time: row_dot.hpp's tiles, which are handed the next
// tile's rows to ask into cache while they run; matrices the loader regrouped go to the
// group kernels of row_groups.hpp instead, and float weights with many tokens to a packed
// GEMM, float_gemm.hpp). Several products can be
// issued as one batch (the experts a token chose, gate and up together): the batch's row
// blocks are split into one contiguous share per thread, taken over by the others when a
// thread falls behind, so small expert matrices keep every core busy, each core reads one
// stream, and the pool is woken once, not once per matrix. Every output is computed by one thread
// from start to end, so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <span>

#include "dsinfer/matrix.hpp"
#include "dsinfer/thread_pool.hpp"
#include "kernels/activations.hpp"

namespace dsinfer::kernels {

struct MatmulTask {
  const Matrix* w = nullptr;
  Activations* x = nullptr;         // its cols == w->cols
  const int32_t* rows_of_x = nullptr;  // n indices into x; nullptr means 0..n-1
  int64_t n = 0;
  float* y = nullptr;               // y[i * ldy + r] for i < n, r < w->rows
  int64_t ldy = 0;
};

void matmul(std::span<const MatmulTask> tasks, ThreadPool* pool);

// One product: y[t * ldy + r] = W_r . x[t * ldx ...] for t < n.
void matmul(const Matrix& w, const float* x, int64_t n, int64_t ldx, float* y, int64_t ldy, ThreadPool* pool);

}  // namespace dsinfer::kernels
