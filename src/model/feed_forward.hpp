// The feed-forward half of a deepseek2 layer over a chunk of tokens: a dense SwiGLU MLP,
// or DeepSeekMoE (routed experts plus shared experts). Tokens are grouped by the expert
// they chose, so each chosen expert's matrices are read once per chunk and multiply all
// of its tokens together; experts nobody chose are never touched. All experts' gate and
// up products go to the pool as one batch, then all down products.
#pragma once

#include <cstdint>

#include "dsinfer/model_config.hpp"
#include "dsinfer/moe_router.hpp"
#include "dsinfer/thread_pool.hpp"
#include "model/deepseek2_weights.hpp"

namespace dsinfer {

// h: n normed rows of hidden_size; adds the layer's output to x (n rows).
void mlp_forward(const MlpWeights& m, const float* h, int64_t n, int64_t hidden, float* x, ThreadPool* pool);
void moe_forward(const ModelConfig& c, const Deepseek2Layer& L, int64_t layer, const float* h, int64_t n,
                 MoeRouter& router, float* x, ThreadPool* pool);

}  // namespace dsinfer
