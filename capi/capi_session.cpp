// C ABI: sessions, generation, the MLA cache and the router record.
#include <cstring>

#include "handles.hpp"
#include "status.hpp"

using namespace dsinfer;
using namespace dsinfer::capi;

namespace {

GenerateParams generate_params(const dsi_generate_params* p) {
  require_size(p, "dsi_session_generate");
  const dsi_generate_params d = dsi_generate_default_params();
  if (!p) p = &d;
  GenerateParams g;
  if (p->max_tokens < 0) throw Error(ErrorCode::invalid_argument, "dsi_session_generate: max_tokens is negative");
  g.max_tokens = p->max_tokens;
  g.sampling.temperature = p->temperature;
  g.sampling.top_k = p->top_k;
  g.sampling.top_p = p->top_p;
  g.sampling.min_p = p->min_p;
  g.sampling.repetition_penalty = p->repetition_penalty;
  g.sampling.frequency_penalty = p->frequency_penalty;
  g.sampling.presence_penalty = p->presence_penalty;
  g.sampling.penalty_last_n = p->penalty_last_n;
  g.sampling.seed = p->seed;
  if (p->n_stop > 0) require(p->stop, "dsi_session_generate", "params->stop");
  for (size_t i = 0; i < p->n_stop; ++i) {
    require(p->stop[i], "dsi_session_generate", "a stop string");
    g.stop.emplace_back(p->stop[i]);
  }
  g.stop_at_eos = p->stop_at_eos != 0;
  if (p->top_logprobs < 0) throw Error(ErrorCode::invalid_argument, "dsi_session_generate: top_logprobs is negative");
  g.top_logprobs = p->top_logprobs;
  g.add_special = p->add_special != 0;
  return g;
}

TokenCallback callback(dsi_token_fn fn, void* user) {
  if (!fn) return {};
  return [fn, user](const TokenEvent& ev) {
    std::vector<int32_t> ids;
    std::vector<float> lps;
    for (const auto& t : ev.top) {
      ids.push_back(t.id);
      lps.push_back(t.logprob);
    }
    const dsi_token_event c{ev.id, ev.text.c_str(), ev.text.size(), ev.logprob, ids.data(), lps.data(), ids.size()};
    return fn(&c, user) != 0;
  };
}

void fill_result(const GenerateResult& r, dsi_generate_result* out) {
  if (!out) return;
  out->n_prompt_tokens = static_cast<int32_t>(r.prompt_tokens);
  out->n_generated = static_cast<int32_t>(r.tokens.size());
  out->stop = static_cast<dsi_stop_reason>(r.stop);
  out->prefill_seconds = r.prefill_seconds;
  out->decode_seconds = r.decode_seconds;
}

int32_t to_i32(int64_t v) { return static_cast<int32_t>(v); }

}  // namespace

extern "C" {

dsi_session_params dsi_session_default_params(void) {
  dsi_session_params p{};
  p.struct_size = sizeof p;
  p.n_ctx = 4096;
  p.prefill_chunk = 256;
  return p;
}

dsi_status dsi_session_create(dsi_model* model, const dsi_session_params* params, dsi_session** out) {
  return guard([&] {
    require(model, "dsi_session_create", "model");
    require(out, "dsi_session_create", "out");
    *out = nullptr;
    require_size(params, "dsi_session_create");
    const dsi_session_params d = dsi_session_default_params();
    if (!params) params = &d;
    SessionParams sp;
    sp.n_ctx = params->n_ctx;
    sp.prefill_chunk = params->prefill_chunk;
    *out = make_handle<dsi_session>(std::make_shared<Session>(model->model, sp));
  });
}

void dsi_session_free(dsi_session* session) { std::unique_ptr<dsi_session> drop(session); }

dsi_status dsi_session_prefill(dsi_session* session, const int32_t* ids, size_t n) {
  return guard([&] {
    require(session, "dsi_session_prefill", "session");
    if (n == 0) throw Error(ErrorCode::invalid_argument, "dsi_session_prefill: no tokens");
    require(ids, "dsi_session_prefill", "ids");
    session->session->prefill(std::span<const int32_t>(ids, n));
  });
}

dsi_status dsi_session_decode(dsi_session* session, int32_t id) {
  return guard([&] {
    require(session, "dsi_session_decode", "session");
    session->session->decode(id);
  });
}

dsi_status dsi_session_logits(const dsi_session* session, const float** logits, size_t* n) {
  return guard([&] {
    require(session, "dsi_session_logits", "session");
    require(logits, "dsi_session_logits", "logits");
    require(n, "dsi_session_logits", "n");
    const auto l = session->session->logits();
    *logits = l.data();
    *n = l.size();
  });
}

dsi_status dsi_session_n_past(const dsi_session* session, int32_t* out) {
  return guard([&] {
    require(session, "dsi_session_n_past", "session");
    require(out, "dsi_session_n_past", "out");
    *out = to_i32(session->session->n_past());
  });
}

dsi_generate_params dsi_generate_default_params(void) {
  dsi_generate_params p{};
  p.struct_size = sizeof p;
  const GenerateParams g;
  p.max_tokens = g.max_tokens;
  p.temperature = g.sampling.temperature;
  p.top_k = g.sampling.top_k;
  p.top_p = g.sampling.top_p;
  p.min_p = g.sampling.min_p;
  p.repetition_penalty = g.sampling.repetition_penalty;
  p.frequency_penalty = g.sampling.frequency_penalty;
  p.presence_penalty = g.sampling.presence_penalty;
  p.penalty_last_n = g.sampling.penalty_last_n;
  p.seed = g.sampling.seed;
  p.stop_at_eos = 1;
  p.add_special = 1;
  return p;
}

dsi_status dsi_session_generate(dsi_session* session, const char* prompt, size_t prompt_len,
                                const dsi_generate_params* params, dsi_token_fn on_token, void* user,
                                dsi_generate_result* result) {
  return guard([&] {
    require(session, "dsi_session_generate", "session");
    if (prompt_len > 0) require(prompt, "dsi_session_generate", "prompt");
    require_size(result, "dsi_session_generate");
    const auto r = session->session->generate(std::string_view(prompt ? prompt : "", prompt_len), generate_params(params),
                                              callback(on_token, user));
    fill_result(r, result);
  });
}

dsi_status dsi_session_generate_tokens(dsi_session* session, const int32_t* prompt, size_t n,
                                       const dsi_generate_params* params, dsi_token_fn on_token, void* user,
                                       dsi_generate_result* result) {
  return guard([&] {
    require(session, "dsi_session_generate_tokens", "session");
    if (n > 0) require(prompt, "dsi_session_generate_tokens", "prompt");
    require_size(result, "dsi_session_generate_tokens");
    const auto r = session->session->generate_tokens(std::span<const int32_t>(prompt, n), generate_params(params),
                                                     callback(on_token, user));
    fill_result(r, result);
  });
}

dsi_status dsi_session_get_cache(dsi_session* session, dsi_cache** out) {
  return guard([&] {
    require(session, "dsi_session_get_cache", "session");
    require(out, "dsi_session_get_cache", "out");
    *out = make_handle<dsi_cache>(session->session);
  });
}

void dsi_cache_free(dsi_cache* cache) { std::unique_ptr<dsi_cache> drop(cache); }

dsi_status dsi_cache_bytes_per_token(const dsi_cache* cache, int64_t* out) {
  return guard([&] {
    require(cache, "dsi_cache_bytes_per_token", "cache");
    require(out, "dsi_cache_bytes_per_token", "out");
    *out = cache->session->cache().bytes_per_token();
  });
}

dsi_status dsi_cache_n_tokens(const dsi_cache* cache, int32_t* out) {
  return guard([&] {
    require(cache, "dsi_cache_n_tokens", "cache");
    require(out, "dsi_cache_n_tokens", "out");
    *out = to_i32(cache->session->n_past());
  });
}

dsi_status dsi_cache_truncate(dsi_cache* cache, int32_t n) {
  return guard([&] {
    require(cache, "dsi_cache_truncate", "cache");
    cache->session->truncate(n);
  });
}

dsi_status dsi_cache_copy(const dsi_cache* src, dsi_cache* dst, int32_t n) {
  return guard([&] {
    require(src, "dsi_cache_copy", "src");
    require(dst, "dsi_cache_copy", "dst");
    if (src->session == dst->session) throw Error(ErrorCode::invalid_argument, "dsi_cache_copy: src and dst are the same cache");
    dst->session->copy_prefix_from(*src->session, n);
  });
}

dsi_status dsi_cache_save(const dsi_cache* cache, const char* path) {
  return guard([&] {
    require(cache, "dsi_cache_save", "cache");
    require(path, "dsi_cache_save", "path");
    cache->session->save_cache(path);
  });
}

dsi_status dsi_cache_load(dsi_cache* cache, const char* path) {
  return guard([&] {
    require(cache, "dsi_cache_load", "cache");
    require(path, "dsi_cache_load", "path");
    cache->session->load_cache(path);
  });
}

dsi_status dsi_session_get_router(dsi_session* session, dsi_router** out) {
  return guard([&] {
    require(session, "dsi_session_get_router", "session");
    require(out, "dsi_session_get_router", "out");
    *out = make_handle<dsi_router>(session->session);
  });
}

void dsi_router_free(dsi_router* router) { std::unique_ptr<dsi_router> drop(router); }

dsi_status dsi_router_info(const dsi_router* router, int32_t* n_layers, int32_t* n_experts, int32_t* top_k,
                           int32_t* last_tokens) {
  return guard([&] {
    require(router, "dsi_router_info", "router");
    const MoeRouter& r = router->session->router();
    if (n_layers) *n_layers = to_i32(router->session->model().config().num_hidden_layers);
    if (n_experts) *n_experts = to_i32(r.config().n_experts);
    if (top_k) *top_k = to_i32(r.top_k());
    if (last_tokens) *last_tokens = to_i32(r.last_tokens());
  });
}

dsi_status dsi_router_last_choice(const dsi_router* router, int32_t layer, int32_t token, int32_t* experts,
                                  float* weights, size_t cap, size_t* n_out) {
  return guard([&] {
    require(router, "dsi_router_last_choice", "router");
    require(n_out, "dsi_router_last_choice", "n_out");
    *n_out = 0;
    const MoeRouter& r = router->session->router();
    if (layer < 0 || layer >= router->session->model().config().num_hidden_layers || token < 0 || token >= r.last_tokens())
      throw Error(ErrorCode::invalid_argument, "dsi_router_last_choice: layer " + std::to_string(layer) + " / token " +
                                                   std::to_string(token) + " is outside the last forward call");
    const auto c = r.last_choice(layer, token);
    *n_out = c.size();
    if (c.size() > cap) throw BufferTooSmall("dsi_router_last_choice: " + std::to_string(c.size()) + " choices, cap is " + std::to_string(cap));
    if (!c.empty()) {
      require(experts, "dsi_router_last_choice", "experts");
      require(weights, "dsi_router_last_choice", "weights");
    }
    for (size_t i = 0; i < c.size(); ++i) {
      experts[i] = c[i].expert;
      weights[i] = c[i].weight;
    }
  });
}

dsi_status dsi_router_expert_counts(const dsi_router* router, int32_t layer, uint64_t* counts, size_t cap, size_t* n_out) {
  return guard([&] {
    require(router, "dsi_router_expert_counts", "router");
    require(n_out, "dsi_router_expert_counts", "n_out");
    *n_out = 0;
    if (layer < 0 || layer >= router->session->model().config().num_hidden_layers)
      throw Error(ErrorCode::invalid_argument, "dsi_router_expert_counts: layer " + std::to_string(layer) + " does not exist");
    const auto c = router->session->router().expert_counts(layer);
    *n_out = c.size();
    if (c.size() > cap) throw BufferTooSmall("dsi_router_expert_counts: " + std::to_string(c.size()) + " experts, cap is " + std::to_string(cap));
    if (!c.empty()) require(counts, "dsi_router_expert_counts", "counts");
    std::copy(c.begin(), c.end(), counts);
  });
}

dsi_status dsi_router_set_top_k(dsi_router* router, int32_t k) {
  return guard([&] {
    require(router, "dsi_router_set_top_k", "router");
    if (router->session->router().config().n_experts == 0)
      throw Error(ErrorCode::unsupported, "dsi_router_set_top_k: the model is dense");
    router->session->router().set_top_k(k);
  });
}

}  // extern "C"
