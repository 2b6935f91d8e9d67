// Prefill products over float weights (f32, f16, bf16: Hugging Face checkpoints, MLA's
// per-head matrices) as a packed GEMM. The row tiles multiply such rows by tokens straight
// from their stored form, and with many tokens they stream the activations from L2 for
// every four rows: about 20 GMAC/s on one core here, where a cache-blocked GEMM reaches
// about 40. So a block of rows is decoded to f32 once and handed, with the tokens, to
// Eigen's GEMM (packed panels that stay in L1/L2).
#pragma once

#include <cstdint>

#include "kernels/matmul.hpp"

namespace dsinfer::kernels {

// Tokens from which a float product goes to the GEMM (measured, 2048 x 2048 bf16 on two
// threads: 16 tokens 27 GMAC/s against the tiles' 41, 32 level, 64 47-51 against 40, 512
// 63-71 against 36), and the rows of one unit of work: enough that packing the tokens'
// activations once per unit costs little (64-row units: 56-59 GMAC/s at 512 tokens, 128:
// 63, 256: 67), few enough that a matrix splits over many cores. Fixed, not sized by the
// thread count: the GEMM's blocking, and so its float order, follows the unit's shape, and
// results must not depend on the thread count.
constexpr int64_t kGemmMinTokens = 32;
constexpr int64_t kGemmRows = 128;

// Whether task goes to the GEMM on this CPU.
bool uses_float_gemm(const MatmulTask& task);

// y[t][r] for every token t and rows r0 <= r < r1 (only where uses_float_gemm(task)).
void float_gemm_avx2(const MatmulTask& task, int64_t r0, int64_t r1);

}  // namespace dsinfer::kernels
