// Multi-head latent attention over the MLA cache, for a chunk of new tokens. W_UK is
// absorbed into each head's query (scores are taken against the cached latent c_kv
// directly) and W_UV is applied to the latent mixed by the scores, so no per-head key or
// value is ever expanded. All heads read the latent together, in one pass per token
// (cached_attention.hpp).
#pragma once

#include <cstdint>

#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/thread_pool.hpp"
#include "model/deepseek2_weights.hpp"

namespace dsinfer {

// q: n rows of (heads * qk_head_dim), rope already applied; positions [start, start + n)
// must already be in the cache. out: n rows of (heads * v_head_dim).
void mla_attention(const ModelConfig& c, const Deepseek2Layer& L, const MlaCache& cache, int64_t layer, int64_t start,
                   int64_t n, const float* q, float* out, ThreadPool* pool);

}  // namespace dsinfer
