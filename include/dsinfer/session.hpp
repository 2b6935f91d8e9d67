// A session binds a shared, immutable Model to state of its own: the MLA cache of the
// tokens seen so far, the router's record, the last logits. Many sessions can run on one
// model from many threads; one session is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsinfer/mla_cache.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/moe_router.hpp"
#include "dsinfer/sampler.hpp"

namespace dsinfer {

struct SessionParams {
  int64_t n_ctx = 4096;          // tokens the cache can hold
  int64_t prefill_chunk = 256;   // prompt tokens processed per forward call
};

enum class StopReason { eos, stop_string, max_tokens, context_full, cancelled };
const char* stop_reason_name(StopReason r);

struct GenerateParams {
  int32_t max_tokens = 256;
  SamplerParams sampling;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any of these
  bool stop_at_eos = true;
  int32_t top_logprobs = 0;       // report this many alternatives per generated token
  bool add_special = true;        // text prompts: add BOS as the tokenizer says (only into an empty session)
  bool parse_special = true;      // text prompts: special-token strings become special tokens
};

struct TokenEvent {
  int32_t id;
  std::string text;  // text that became final with this token (held back while it may start a stop string)
  float logprob;     // of the chosen token under the model's distribution
  std::vector<TokenLogprob> top;
};

struct GenerateResult {
  std::string text;
  std::vector<int32_t> tokens;  // generated tokens (the one that hit a stop string or EOS excluded)
  StopReason stop = StopReason::max_tokens;
  int64_t prompt_tokens = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

// Return false to cancel generation.
using TokenCallback = std::function<bool(const TokenEvent&)>;

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, const SessionParams& params = {});

  const Model& model() const { return *model_; }
  int64_t n_ctx() const { return cache_.max_tokens(); }
  int64_t n_past() const { return cache_.size(); }
  const std::vector<int32_t>& history() const { return history_; }

  // Appends tokens (chunked); a prompt longer than the room left is an Error, never cut.
  void prefill(std::span<const int32_t> tokens);
  void decode(int32_t token);
  // Logits after the last token processed (vocab values); an Error before any.
  std::span<const float> logits() const;

  GenerateResult generate(std::string_view prompt, const GenerateParams& params, const TokenCallback& on_token = {});
  GenerateResult generate_tokens(std::span<const int32_t> prompt, const GenerateParams& params,
                                 const TokenCallback& on_token = {});

  MlaCache& cache() { return cache_; }
  const MlaCache& cache() const { return cache_; }
  MoeRouter& router() { return router_; }
  const MoeRouter& router() const { return router_; }

  // Forgets every position >= n (logits must be recomputed by feeding a token).
  void truncate(int64_t n);
  // Takes the first n positions of another session of the same model (prefix reuse).
  void copy_prefix_from(const Session& other, int64_t n);
  // Cache files carry the model's fingerprint; loading one made by another model is refused.
  void save_cache(const std::string& path) const;
  void load_cache(const std::string& path);

 private:
  void run(std::span<const int32_t> tokens);

  std::shared_ptr<const Model> model_;
  SessionParams params_;
  MlaCache cache_;
  MoeRouter router_;
  std::vector<int32_t> history_;
  std::vector<float> logits_;
  bool logits_valid_ = false;
};

// A fingerprint of a model's configuration and weights, for refusing foreign caches.
uint64_t model_fingerprint(const Model& model);

}  // namespace dsinfer
