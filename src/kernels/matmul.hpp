// Matrix products over stored weights: y[t][r] = W_r . x_t for a batch of tokens. Weights
// stay in their file types; activations are quantized once per format (activations.hpp)
// and each weight row is unpacked once for up to four tokens (with several tokens, eight
// rows at a time: row_dot.hpp's tiles). Several products can be
// issued as one batch (the experts a token chose, gate and up together) so the pool's
// threads share one queue of row blocks: small expert matrices keep every core busy and
// the pool is woken once, not once per matrix. Every output is computed by one thread
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
