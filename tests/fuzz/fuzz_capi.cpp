// The C ABI driven by fuzzed arguments. The input is a program: each byte picks an entry
// point, the bytes after it give its arguments (handle slots, NULLs, sizes, struct_size,
// ids, lengths, floats with any bit pattern, strings). A host can do all of this, so every
// call must come back with a status, never crash; besides that, the harness checks:
//   - the status is a dsi_status value, DSI_ERR_INTERNAL and DSI_ERR_OUT_OF_MEMORY never
//     happen (both would mean a missing check), and a failure leaves a message;
//   - a short buffer reports the size it needs, and that size then works.
// Generation is capped at a few tokens so one input stays fast.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dsinfer.h"
#include "fuzz_support.hpp"
#include "tiny_files.hpp"

namespace {

constexpr int kSlots = 3;

[[noreturn]] void fail(const char* call, dsi_status s, const char* why) {
  std::fprintf(stderr, "fuzz_capi: %s returned %s (%s): %s\n", call, dsi_status_name(s), why, dsi_last_error());
  std::abort();
}

dsi_status check(const char* call, dsi_status s) {
  if (s < DSI_OK || s > DSI_ERR_INTERNAL) fail(call, s, "not a dsi_status");
  if (s == DSI_ERR_INTERNAL) fail(call, s, "an internal error");
  if (s == DSI_ERR_OUT_OF_MEMORY) fail(call, s, "an allocation nothing bounded");
  if (s != DSI_OK && dsi_last_error()[0] == '\0') fail(call, s, "no message");
  return s;
}
#define CALL(expr) check(#expr, (expr))

struct World {
  std::string model_path, fuzzed_path, cache_path;
  dsi_model* model = nullptr;
  dsi_tokenizer* tok = nullptr;
  World() {
    const std::string dir = fuzz::scratch_dir();
    model_path = dir + "/capi-model.gguf";
    fuzzed_path = dir + "/capi-fuzzed.bin";
    cache_path = dir + "/capi.cache";
    const auto bytes = fuzz::tiny_deepseek_gguf();
    fuzz::write_file(model_path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    dsi_model_params p = dsi_model_default_params();
    p.n_threads = 1;
    if (dsi_model_load(model_path.c_str(), &p, &model) != DSI_OK || dsi_model_get_tokenizer(model, &tok) != DSI_OK) {
      std::fprintf(stderr, "fuzz_capi: the seed model does not load: %s\n", dsi_last_error());
      std::abort();
    }
  }
};

// The handles one input creates; all freed at its end, in an order the input chooses.
struct Handles {
  dsi_session* session[kSlots] = {};
  dsi_cache* cache[kSlots] = {};
  dsi_router* router[kSlots] = {};
  dsi_model* model = nullptr;
  dsi_tokenizer* tok = nullptr;
  void free_all(uint8_t order) {
    for (int i = 0; i < kSlots; ++i) {
      if (order & 1) dsi_session_free(session[i]), dsi_cache_free(cache[i]), dsi_router_free(router[i]);
      else dsi_router_free(router[i]), dsi_cache_free(cache[i]), dsi_session_free(session[i]);
    }
    dsi_tokenizer_free(tok);
    dsi_model_free(model);
  }
};

std::string text_arg(fuzz::Reader& r) { return r.bytes(24); }

std::vector<int32_t> ids_arg(fuzz::Reader& r, int32_t vocab) {
  std::vector<int32_t> ids(r.u8() % 6);
  for (auto& id : ids) {
    const uint8_t how = r.u8();
    id = how < 240 ? how % vocab : r.value<int32_t>();  // mostly valid, sometimes anything
  }
  return ids;
}

struct Stop {
  int remaining;
};
int on_token(const dsi_token_event* ev, void* user) {
  if (!ev || (ev->text_len && !ev->text)) std::abort();
  auto* s = static_cast<Stop*>(user);
  return --s->remaining > 0;
}

dsi_generate_params generate_params(fuzz::Reader& r, std::vector<std::string>& stops, std::vector<const char*>& ptrs) {
  dsi_generate_params g = dsi_generate_default_params();
  const uint8_t what = r.u8();
  g.max_tokens = static_cast<int8_t>(r.u8()) % 5;
  if (what & 1) g.temperature = r.value<float>();
  if (what & 2) g.top_k = r.value<int32_t>();
  if (what & 4) g.top_p = r.value<float>(), g.min_p = r.value<float>();
  if (what & 8)
    g.repetition_penalty = r.value<float>(), g.frequency_penalty = r.value<float>(), g.presence_penalty = r.value<float>(),
    g.penalty_last_n = r.value<int32_t>();
  if (what & 16) {
    for (int i = r.u8() % 3; i > 0; --i) stops.push_back(text_arg(r));
    for (const auto& s : stops) ptrs.push_back(s.c_str());
    g.stop = ptrs.empty() ? nullptr : ptrs.data();
    g.n_stop = ptrs.size();
  }
  if (what & 32) g.top_logprobs = static_cast<int8_t>(r.u8());
  if (what & 64) g.struct_size = r.u8();
  g.seed = r.u8();
  g.stop_at_eos = what >> 7;
  return g;
}

void run_one(const World& w, Handles& h, fuzz::Reader& r) {
  const int32_t vocab = 262;
  const int a = r.u8() % kSlots, b = r.u8() % kSlots;
  dsi_session* s = h.session[a];
  switch (r.u8() % 20) {
    case 0: {
      dsi_session_params p = dsi_session_default_params();
      const uint8_t what = r.u8();
      if (what & 1) p.n_ctx = r.value<int32_t>() % 100000;
      if (what & 2) p.prefill_chunk = r.value<int32_t>();
      if (what & 4) p.struct_size = r.u8();
      dsi_session_free(h.session[a]);
      h.session[a] = nullptr;
      CALL(dsi_session_create((what & 8) ? nullptr : w.model, (what & 16) ? nullptr : &p,
                              (what & 32) ? nullptr : &h.session[a]));
      break;
    }
    case 1:
      dsi_session_free(h.session[a]);
      h.session[a] = nullptr;
      break;
    case 2: {
      const auto ids = ids_arg(r, vocab);
      CALL(dsi_session_prefill(s, ids.empty() && r.u8() & 1 ? nullptr : ids.data(), ids.size()));
      break;
    }
    case 3:
      CALL(dsi_session_decode(s, r.u8() < 240 ? r.u8() : r.value<int32_t>()));
      break;
    case 4: {
      const float* logits = nullptr;
      size_t n = 0;
      const uint8_t what = r.u8();
      if (CALL(dsi_session_logits(s, (what & 1) ? nullptr : &logits, (what & 2) ? nullptr : &n)) == DSI_OK) {
        volatile float sink = 0;
        for (size_t i = 0; i < n; ++i) sink = sink + logits[i];
      }
      int32_t past;
      CALL(dsi_session_n_past(s, (what & 4) ? nullptr : &past));
      break;
    }
    case 5:
    case 6: {
      std::vector<std::string> stops;
      std::vector<const char*> ptrs;
      const dsi_generate_params g = generate_params(r, stops, ptrs);
      Stop stop{r.u8() % 4 + 1};
      dsi_generate_result res{};
      res.struct_size = r.u8() & 1 ? sizeof res : r.u8();
      const uint8_t what = r.u8();
      const dsi_token_fn fn = (what & 1) ? nullptr : on_token;
      dsi_generate_result* out = (what & 2) ? nullptr : &res;
      const dsi_generate_params* gp = (what & 4) ? nullptr : &g;
      if (r.u8() & 1) {
        const auto ids = ids_arg(r, vocab);
        CALL(dsi_session_generate_tokens(s, ids.data(), ids.size(), gp, fn, &stop, out));
      } else {
        const std::string text = text_arg(r);
        CALL(dsi_session_generate(s, (what & 8) ? nullptr : text.data(), text.size(), gp, fn, &stop, out));
      }
      break;
    }
    case 7:
      dsi_cache_free(h.cache[a]);
      h.cache[a] = nullptr;
      CALL(dsi_session_get_cache(s, (r.u8() & 1) ? nullptr : &h.cache[a]));
      break;
    case 8: {
      int64_t bytes;
      int32_t n;
      CALL(dsi_cache_bytes_per_token(h.cache[a], &bytes));
      CALL(dsi_cache_n_tokens(h.cache[a], &n));
      CALL(dsi_cache_truncate(h.cache[a], static_cast<int8_t>(r.u8())));
      break;
    }
    case 9:
      CALL(dsi_cache_copy(h.cache[a], h.cache[b], static_cast<int8_t>(r.u8())));
      break;
    case 10: {
      const uint8_t what = r.u8();
      if (what & 1) CALL(dsi_cache_save(h.cache[a], (what & 2) ? nullptr : w.cache_path.c_str()));
      if (what & 4) {
        // The file just saved, or it with some bytes overwritten.
        if (what & 8) {
          std::FILE* f = std::fopen(w.cache_path.c_str(), "r+b");
          if (f) {
            std::fseek(f, r.u8() % 96, SEEK_SET);
            const std::string junk = text_arg(r);
            std::fwrite(junk.data(), 1, junk.size(), f);
            std::fclose(f);
          }
        }
        CALL(dsi_cache_load(h.cache[b], w.cache_path.c_str()));
      }
      break;
    }
    case 11:
      dsi_router_free(h.router[a]);
      h.router[a] = nullptr;
      CALL(dsi_session_get_router(s, &h.router[a]));
      break;
    case 12: {
      const dsi_router* rt = h.router[a];
      int32_t nl, ne, k, lt;
      CALL(dsi_router_info(rt, &nl, (r.u8() & 1) ? nullptr : &ne, &k, &lt));
      int32_t experts[8];
      float weights[8];
      size_t n = 0;
      const size_t cap = r.u8() % 9;
      const int32_t layer = static_cast<int8_t>(r.u8()), token = static_cast<int8_t>(r.u8());
      if (CALL(dsi_router_last_choice(rt, layer, token, cap ? experts : nullptr, cap ? weights : nullptr, cap, &n)) ==
              DSI_ERR_BUFFER_TOO_SMALL &&
          n <= 8)
        CALL(dsi_router_last_choice(rt, layer, token, experts, weights, n, &n));
      uint64_t counts[8];
      CALL(dsi_router_expert_counts(rt, static_cast<int8_t>(r.u8()), counts, r.u8() % 9, &n));
      break;
    }
    case 13:
      CALL(dsi_router_set_top_k(h.router[a], static_cast<int8_t>(r.u8())));
      break;
    case 14: {
      const std::string text = text_arg(r);
      const uint8_t what = r.u8();
      size_t n = 0;
      std::vector<int32_t> ids(what % 8);
      const dsi_status st = CALL(dsi_tokenize(w.tok, text.data(), text.size(), what & 8, what & 16,
                                              ids.empty() ? nullptr : ids.data(), ids.size(), &n));
      if (st == DSI_ERR_BUFFER_TOO_SMALL) {
        ids.resize(n);
        CALL(dsi_tokenize(w.tok, text.data(), text.size(), what & 8, what & 16, ids.data(), ids.size(), &n));
      }
      break;
    }
    case 15: {
      const auto ids = ids_arg(r, vocab);
      const uint8_t what = r.u8();
      std::string buf(what % 16, '\0');
      size_t len = 0;
      const dsi_status st = CALL(dsi_detokenize(w.tok, ids.data(), ids.size(), what & 16, buf.empty() ? nullptr : buf.data(),
                                                buf.size(), &len));
      if (st == DSI_ERR_BUFFER_TOO_SMALL) {
        buf.resize(len + 1);
        if (CALL(dsi_detokenize(w.tok, ids.data(), ids.size(), what & 16, buf.data(), buf.size(), &len)) != DSI_OK) std::abort();
      }
      break;
    }
    case 16: {
      std::vector<std::string> text;
      std::vector<dsi_chat_message> msgs(r.u8() % 4);
      for (size_t i = 0; i < msgs.size(); ++i) text.push_back(text_arg(r)), text.push_back(text_arg(r));
      for (size_t i = 0; i < msgs.size(); ++i) {
        msgs[i].role = text[2 * i].empty() ? nullptr : text[2 * i].c_str();
        msgs[i].content = text[2 * i + 1].c_str();
      }
      const uint8_t what = r.u8();
      std::string buf(what % 64, '\0');
      size_t len = 0;
      CALL(dsi_chat_template_apply(w.tok, msgs.data(), msgs.size(), what & 64, buf.empty() ? nullptr : buf.data(),
                                   buf.size(), &len));
      break;
    }
    case 17: {
      dsi_model_info info{};
      info.struct_size = r.u8() & 1 ? sizeof info : r.u8();
      CALL(dsi_model_get_info(w.model, &info));
      int32_t bos, eos, n;
      CALL(dsi_tokenizer_special_ids(w.tok, &bos, (r.u8() & 1) ? nullptr : &eos));
      CALL(dsi_tokenizer_vocab_size(w.tok, &n));
      break;
    }
    case 18: {
      // Loading by path: the seed model, a file of fuzzed bytes, a directory, nothing.
      const std::string junk = r.bytes(64);
      fuzz::write_file(w.fuzzed_path, junk);
      const std::string paths[] = {w.model_path, w.fuzzed_path, fuzz::scratch_dir(), "", w.fuzzed_path + ".missing"};
      const std::string& path = paths[r.u8() % 5];
      const uint8_t what = r.u8();
      if (what & 1) {
        dsi_model_free(h.model);
        h.model = nullptr;
        dsi_model_params p = dsi_model_default_params();
        p.n_threads = 1;
        if (what & 2) p.struct_size = r.u8();
        if (what & 4) p.n_threads = static_cast<int8_t>(r.u8()) % 3;
        CALL(dsi_model_load((what & 8) ? nullptr : path.c_str(), (what & 16) ? nullptr : &p, &h.model));
      } else {
        dsi_tokenizer_free(h.tok);
        h.tok = nullptr;
        CALL(dsi_tokenizer_load((what & 8) ? nullptr : path.c_str(), (what & 16) ? nullptr : &h.tok));
      }
      break;
    }
    default: {
      // NULL handles everywhere they are taken.
      size_t n;
      int32_t i;
      CALL(dsi_session_prefill(nullptr, nullptr, 0));
      CALL(dsi_session_decode(nullptr, 0));
      CALL(dsi_tokenize(nullptr, "", 0, 0, 0, nullptr, 0, &n));
      CALL(dsi_detokenize(w.tok, nullptr, 1, 0, nullptr, 0, &n));
      CALL(dsi_cache_n_tokens(nullptr, &i));
      CALL(dsi_router_set_top_k(nullptr, 1));
      CALL(dsi_model_get_tokenizer(nullptr, nullptr));
      (void)dsi_status_name(static_cast<dsi_status>(r.value<int32_t>()));
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const World w;
  fuzz::Reader r(data, size);
  Handles h;
  for (int steps = 0; steps < 64 && !r.empty(); ++steps) run_one(w, h, r);
  h.free_all(r.u8());
  return 0;
}
