// A loaded model: configuration plus weights bound to the mapped file. Immutable after
// load, so one Model serves any number of sessions on any number of threads; each
// session brings its own MlaCache and MoeRouter (the mutable state).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/moe_router.hpp"
#include "dsinfer/thread_pool.hpp"
#include "dsinfer/tokenizer.hpp"

namespace dsinfer {

struct LoadOptions {
  int threads = 0;                       // compute threads; 0 = physical cores
  std::function<void(float)> progress;   // 0..1 while binding weights; may be empty
  // Copy the matrices whose type has an interleaved-layout kernel on this CPU (q8_0, q4_0,
  // q5_0, q4_1, q5_1, iq4_nl, q4_k, q5_k, iq4_xs with AVX2) into that layout (faster prefill
  // and decode)
  // when the whole file fits in available memory; false keeps every weight in the mapped
  // file, read lazily and handed back to the page cache.
  bool repack = true;
};

class GgufFile;

class Model {
 public:
  // A GGUF file, or a Hugging Face directory (config.json + safetensors). Throws Error.
  static std::shared_ptr<const Model> load(const std::string& path, const LoadOptions& options = {});
  // A GGUF already parsed (from a file or from memory).
  static std::shared_ptr<const Model> load_gguf(GgufFile gguf, const LoadOptions& options = {});
  // The built-in default: a small DeepSeek-V2-architecture model (MLA + MoE) with a byte-level
  // tokenizer, its random weights made in memory from a fixed seed. It runs the whole real
  // pipeline; its output is not meaningful text.
  static std::shared_ptr<const Model> load_builtin(const LoadOptions& options = {});
  ~Model();

  // The tokenizer the model's files carry, or null when they carry none (token ids still work).
  std::shared_ptr<const Tokenizer> tokenizer() const;
  // The tokenizer, or an Error saying why there is none.
  const Tokenizer& require_tokenizer() const;

  ThreadPool& pool() const;

  const ModelConfig& config() const;
  const std::string& path() const;
  // "gguf" or "safetensors"
  const char* format() const;

  // What one decoded token reads from the weights: bytes and multiply-adds of every matrix
  // it multiplies (routed experts counted top_k times, the embedding as one row). The
  // decode roofline is weight_bytes / memory bandwidth; attention over the cache comes on
  // top and grows with the context.
  struct TokenCost {
    int64_t weight_bytes = 0;
    int64_t multiply_adds = 0;
  };
  TokenCost token_cost() const;

  // The weights loading copied into the kernels' interleaved row layout (see
  // LoadOptions::repack), and the time that took; zero when nothing was.
  struct Repacking {
    int64_t bytes = 0;
    double seconds = 0;
  };
  Repacking repacking() const;

  MlaCache new_cache(int64_t max_tokens) const;
  MoeRouter new_router() const;

  // Runs `tokens` at positions cache.size() .. cache.size() + n - 1 and appends them to the
  // cache. logits receives n * vocab values (all_logits) or vocab values for the last
  // token. On error the cache is left as it was.
  void forward(std::span<const int32_t> tokens, MlaCache& cache, MoeRouter& router, std::span<float> logits,
               bool all_logits) const;

  struct Impl;

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsinfer
