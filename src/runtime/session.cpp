#include "dsinfer/session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>

#include "dsinfer/error.hpp"
#include "dsinfer/mapped_file.hpp"
#include "dsinfer/tokenizer.hpp"

namespace dsinfer {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Version 2: cached values are halves (version 1 files held f32 and are refused as "not a
// dsinfer cache file" rather than misread).
constexpr char kCacheMagic[8] = {'D', 'S', 'I', 'M', 'L', 'A', 'C', '2'};

uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

// The longest suffix of text that is a proper prefix of some stop string: text that must
// be held back because the next token could complete a stop string.
size_t held_back(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops)
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k)
      if (text.substr(text.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
  return hold;
}

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::eos: return "eos";
    case StopReason::stop_string: return "stop string";
    case StopReason::max_tokens: return "max tokens";
    case StopReason::context_full: return "context full";
    case StopReason::cancelled: return "cancelled";
  }
  return "?";
}

uint64_t model_fingerprint(const Model& model) {
  const ModelConfig& c = model.config();
  uint64_t h = 1469598103934665603ull;
  const int64_t dims[] = {c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.q_lora_rank,
                          c.kv_lora_rank, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim, c.n_routed_experts};
  h = fnv1a(h, dims, sizeof dims);
  // Weights decide what a cache means: fold in the logits of a fixed probe token.
  auto cache = model.new_cache(1);
  auto router = model.new_router();
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  const int32_t probe = static_cast<int32_t>(std::min<int64_t>(1, c.vocab_size - 1));
  model.forward(std::span(&probe, 1), cache, router, logits, false);
  return fnv1a(h, logits.data(), std::min<size_t>(logits.size(), 64) * sizeof(float));
}

Session::Session(std::shared_ptr<const Model> model, const SessionParams& params)
    : model_(std::move(model)),
      params_(params),
      cache_(model_ ? model_->new_cache(params.n_ctx > 0 ? params.n_ctx : 1) : MlaCache(1, 1, 1, 1)),
      router_(model_ ? model_->new_router() : MoeRouter(RouterConfig{}, 1)) {
  if (!model_) throw Error(ErrorCode::invalid_argument, "session: no model");
  if (params.n_ctx <= 0) throw Error(ErrorCode::invalid_argument, "session: n_ctx must be positive");
  if (params.prefill_chunk <= 0) throw Error(ErrorCode::invalid_argument, "session: prefill_chunk must be positive");
}

void Session::run(std::span<const int32_t> tokens) {
  if (tokens.empty()) return;
  if (cache_.size() + static_cast<int64_t>(tokens.size()) > cache_.max_tokens())
    throw Error(ErrorCode::invalid_argument, std::to_string(tokens.size()) + " tokens do not fit: the context holds " +
                                                 std::to_string(cache_.max_tokens()) + " and " +
                                                 std::to_string(cache_.size()) + " are used");
  logits_.resize(static_cast<size_t>(model_->config().vocab_size));
  for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(params_.prefill_chunk)) {
    const auto chunk = tokens.subspan(i, std::min<size_t>(params_.prefill_chunk, tokens.size() - i));
    logits_valid_ = false;
    model_->forward(chunk, cache_, router_, logits_, false);
    history_.insert(history_.end(), chunk.begin(), chunk.end());
    logits_valid_ = true;
  }
}

void Session::prefill(std::span<const int32_t> tokens) { run(tokens); }

void Session::decode(int32_t token) { run(std::span(&token, 1)); }

std::span<const float> Session::logits() const {
  if (!logits_valid_) throw Error(ErrorCode::invalid_argument, "no logits yet: feed the session a token first");
  return logits_;
}

GenerateResult Session::generate(std::string_view prompt, const GenerateParams& p, const TokenCallback& on_token) {
  const Tokenizer& tok = model_->require_tokenizer();
  const auto ids = tok.encode(prompt, p.add_special && n_past() == 0, p.parse_special);
  return generate_tokens(ids, p, on_token);
}

GenerateResult Session::generate_tokens(std::span<const int32_t> prompt, const GenerateParams& p,
                                        const TokenCallback& on_token) {
  if (p.max_tokens < 0) throw Error(ErrorCode::invalid_argument, "max_tokens must be >= 0");
  for (const auto& s : p.stop)
    if (s.empty()) throw Error(ErrorCode::invalid_argument, "a stop string is empty");
  // Everything that can refuse the request is checked before the prompt enters the cache,
  // so a refused call leaves the session as it was.
  Sampler sampler(p.sampling);
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  auto t0 = Clock::now();
  if (prompt.empty() && !logits_valid_) throw Error(ErrorCode::invalid_argument, "empty prompt and nothing to continue from");
  prefill(prompt);
  r.prefill_seconds = since(t0);

  const auto tokenizer = model_->tokenizer();
  std::unique_ptr<StreamingDecoder> detok;
  if (tokenizer) detok = std::make_unique<StreamingDecoder>(tokenizer, true);
  const int32_t eos = tokenizer ? tokenizer->eos_id() : static_cast<int32_t>(model_->config().eos_token_id);
  size_t emitted = 0;
  t0 = Clock::now();
  bool done = false;
  for (int32_t i = 0; i < p.max_tokens && !done; ++i) {
    if (n_past() >= n_ctx()) {
      r.stop = StopReason::context_full;
      break;
    }
    TokenEvent ev;
    ev.id = sampler.sample(logits(), history_, p.top_logprobs, &ev.top, &ev.logprob);
    if (p.stop_at_eos && ev.id == eos && eos >= 0) {
      r.stop = StopReason::eos;
      break;
    }
    if (detok) r.text += detok->push(ev.id);
    size_t final_end = r.text.size();
    if (!p.stop.empty()) {
      // A stop string may span tokens: search the text that is not yet final.
      size_t first = std::string::npos;
      const size_t from = emitted;
      for (const auto& s : p.stop) {
        const size_t at = r.text.find(s, from > s.size() ? from - s.size() : 0);
        if (at != std::string::npos) first = std::min(first, at);
      }
      if (first != std::string::npos) {
        r.text.resize(first);
        final_end = first;
        r.stop = StopReason::stop_string;
        done = true;
      } else {
        final_end = r.text.size() - held_back(r.text, p.stop);
      }
    }
    if (final_end > emitted) {
      ev.text = r.text.substr(emitted, final_end - emitted);
      emitted = final_end;
    }
    if (done) {
      if (on_token && !ev.text.empty()) {
        ev.id = -1;  // the stopping token itself is not part of the output
        on_token(ev);
      }
      break;
    }
    r.tokens.push_back(ev.id);
    if (on_token && !on_token(ev)) {
      r.stop = StopReason::cancelled;
      break;
    }
    decode(ev.id);
  }
  if (r.stop != StopReason::stop_string && detok) {
    r.text += detok->flush();
    // A host that cancelled hears nothing more.
    if (r.text.size() > emitted && on_token && r.stop != StopReason::cancelled) {
      TokenEvent tail{-1, r.text.substr(emitted), 0.0f, {}};
      on_token(tail);
    }
  }
  r.decode_seconds = since(t0);
  return r;
}

void Session::truncate(int64_t n) {
  cache_.truncate(n);
  history_.resize(static_cast<size_t>(n));
  logits_valid_ = false;
}

void Session::copy_prefix_from(const Session& other, int64_t n) {
  if (other.model_ != model_) throw Error(ErrorCode::invalid_argument, "cache copy: the sessions run different models");
  if (n < 0 || n > other.n_past())
    throw Error(ErrorCode::invalid_argument, "cache copy: the source holds " + std::to_string(other.n_past()) + " tokens, not " +
                                                 std::to_string(n));
  if (n > n_ctx()) throw Error(ErrorCode::invalid_argument, "cache copy: " + std::to_string(n) + " tokens exceed this session's context");
  cache_.truncate(0);
  cache_.reserve(n);
  for (int64_t l = 0; l < cache_.n_layers(); ++l)
    for (int64_t t = 0; t < n; ++t) {
      std::ranges::copy(other.cache_.latent(l, t), cache_.latent(l, t).begin());
      std::ranges::copy(other.cache_.rope_key(l, t), cache_.rope_key(l, t).begin());
    }
  cache_.commit(n);
  history_.assign(other.history_.begin(), other.history_.begin() + n);
  logits_valid_ = false;
  if (n == other.n_past() && other.logits_valid_) {
    logits_ = other.logits_;
    logits_valid_ = true;
  }
}

void Session::save_cache(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(ErrorCode::io, path + ": cannot open for writing");
  const uint64_t fp = model_fingerprint(*model_);
  const int64_t hdr[] = {cache_.n_layers(), cache_.kv_lora_rank(), cache_.rope_dim(), cache_.size(), logits_valid_ ? 1 : 0};
  f.write(kCacheMagic, sizeof kCacheMagic);
  f.write(reinterpret_cast<const char*>(&fp), sizeof fp);
  f.write(reinterpret_cast<const char*>(hdr), sizeof hdr);
  f.write(reinterpret_cast<const char*>(history_.data()), static_cast<std::streamsize>(history_.size() * 4));
  for (int64_t l = 0; l < cache_.n_layers(); ++l)
    for (int64_t t = 0; t < cache_.size(); ++t) {
      for (const auto row : {cache_.latent(l, t), cache_.rope_key(l, t)})
        f.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size_bytes()));
    }
  if (logits_valid_) f.write(reinterpret_cast<const char*>(logits_.data()), static_cast<std::streamsize>(logits_.size() * 4));
  if (!f) throw Error(ErrorCode::io, path + ": write failed");
}

void Session::load_cache(const std::string& path) {
  const auto file = MappedFile::open(path);
  const std::byte* p = file->data();
  const uint64_t size = file->size();
  const uint64_t head = sizeof kCacheMagic + 8 + 5 * 8;
  auto bad = [&](const std::string& why) { throw Error(ErrorCode::invalid_format, path + ": " + why); };
  if (size < head || std::memcmp(p, kCacheMagic, sizeof kCacheMagic) != 0) bad("not a dsinfer cache file");
  uint64_t fp;
  int64_t hdr[5];
  std::memcpy(&fp, p + 8, 8);
  std::memcpy(hdr, p + 16, sizeof hdr);
  if (fp != model_fingerprint(*model_)) bad("the cache was made by another model");
  if (hdr[0] != cache_.n_layers() || hdr[1] != cache_.kv_lora_rank() || hdr[2] != cache_.rope_dim())
    bad("cache dimensions do not match the model");
  if (hdr[4] != 0 && hdr[4] != 1) bad("bad logits flag");
  const int64_t n = hdr[3];
  if (n < 0 || n > cache_.max_tokens())
    throw Error(ErrorCode::invalid_argument, path + ": holds " + std::to_string(n) + " tokens, more than this session's context of " +
                                                 std::to_string(cache_.max_tokens()));
  // The header's sizes were checked against the model and the context; with them the
  // products below stay far inside 64 bits, and the file must hold exactly what they say.
  const uint64_t per_token = 4 + static_cast<uint64_t>(cache_.bytes_per_token());
  const uint64_t logits_bytes = hdr[4] ? static_cast<uint64_t>(model_->config().vocab_size) * 4 : 0;
  if (size != head + static_cast<uint64_t>(n) * per_token + logits_bytes) bad("file size does not match its header");
  const std::byte* q = p + head;
  std::vector<int32_t> history(static_cast<size_t>(n));
  if (n) std::memcpy(history.data(), q, static_cast<size_t>(n) * 4);
  q += n * 4;
  for (int32_t id : history)
    if (id < 0 || id >= model_->config().vocab_size) bad("a token id is outside the vocabulary");
  // An infinity or NaN read from a file would flow through every later attention and
  // sampling step as a wrong answer. A sane model writes none (a hostile one whose keys
  // overflow f16 can: such a session's answers are already wrong, and its saved cache is
  // refused here rather than carried on).
  const uint64_t cached = static_cast<uint64_t>(n) * static_cast<uint64_t>(cache_.bytes_per_token()) / 2;
  for (uint64_t i = 0; i < cached; ++i) {
    uint16_t h;
    std::memcpy(&h, q + 2 * i, 2);
    if ((h & 0x7c00) == 0x7c00) bad("a cached value is not a finite number");
  }
  for (uint64_t i = 0; i < logits_bytes / 4; ++i) {
    float v;
    std::memcpy(&v, q + 2 * cached + 4 * i, 4);
    if (!std::isfinite(v)) bad("a stored logit is not a finite number");
  }

  // Nothing above changed the session. From here only allocation can fail, which leaves
  // it empty rather than half loaded.
  cache_.truncate(0);
  history_.clear();
  logits_valid_ = false;
  cache_.reserve(n);
  for (int64_t l = 0; l < cache_.n_layers(); ++l)
    for (int64_t t = 0; t < n; ++t) {
      for (const auto row : {cache_.latent(l, t), cache_.rope_key(l, t)}) {
        std::memcpy(row.data(), q, row.size_bytes());
        q += row.size_bytes();
      }
    }
  cache_.commit(n);
  history_ = std::move(history);
  logits_valid_ = hdr[4] == 1;
  if (logits_valid_) {
    logits_.resize(static_cast<size_t>(model_->config().vocab_size));
    std::memcpy(logits_.data(), q, logits_.size() * 4);
  }
}

}  // namespace dsinfer
