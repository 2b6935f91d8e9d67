// The C ABI as a host sees it: linked against libdsinfer.so only. Every entry point refuses
// NULL handles and short buffers with a status and a message; the happy paths agree with
// the C++ API.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dsinfer.h"
#include "test_util.hpp"

namespace {

dsi_model* builtin() {
  static dsi_model* m = [] {
    dsi_model* model = nullptr;
    REQUIRE(dsi_model_load_builtin(nullptr, &model) == DSI_OK);
    return model;
  }();
  return m;
}

void expect_error(dsi_status st, dsi_status want = DSI_ERR_INVALID_ARGUMENT) {
  CHECK(st == want);
  CHECK(std::strlen(dsi_last_error()) > 0);
}

}  // namespace

TEST_CASE("version and status functions", "[capi]") {
  CHECK(dsi_abi_version() == DSI_ABI_VERSION);
  CHECK(std::string(dsi_version_string()).find('.') != std::string::npos);
  CHECK(std::string(dsi_status_name(DSI_ERR_IO)) == "DSI_ERR_IO");
  CHECK(std::string(dsi_status_name(static_cast<dsi_status>(999))) == "DSI_ERR_UNKNOWN");
}

TEST_CASE("every entry point refuses NULL and bad sizes", "[capi]") {
  dsi_model* m = nullptr;
  dsi_tokenizer* t = nullptr;
  dsi_session* s = nullptr;
  dsi_cache* c = nullptr;
  dsi_router* r = nullptr;
  int32_t i32 = 0;
  int64_t i64 = 0;
  size_t n = 0;
  const float* lp = nullptr;
  char buf[8];
  int32_t ids[4] = {1, 2, 3, 4};
  float w[4];
  uint64_t counts[4];

  expect_error(dsi_model_load(nullptr, nullptr, &m));
  expect_error(dsi_model_load("x", nullptr, nullptr));
  expect_error(dsi_model_load("", nullptr, &m));
  expect_error(dsi_model_load("/nonexistent/model.gguf", nullptr, &m), DSI_ERR_IO);
  CHECK(m == nullptr);
  expect_error(dsi_model_load_builtin(nullptr, nullptr));
  dsi_model_params small = dsi_model_default_params();
  small.struct_size = 4;
  expect_error(dsi_model_load_builtin(&small, &m));
  dsi_model_params neg = dsi_model_default_params();
  neg.n_threads = -1;
  expect_error(dsi_model_load_builtin(&neg, &m));
  dsi_model_info info{};
  info.struct_size = sizeof info;
  expect_error(dsi_model_get_info(nullptr, &info));
  expect_error(dsi_model_get_info(builtin(), nullptr));
  dsi_model_info tiny{};
  tiny.struct_size = 1;
  expect_error(dsi_model_get_info(builtin(), &tiny));
  expect_error(dsi_model_get_tokenizer(nullptr, &t));
  expect_error(dsi_model_get_tokenizer(builtin(), nullptr));

  expect_error(dsi_tokenizer_load(nullptr, &t));
  expect_error(dsi_tokenizer_load("x", nullptr));
  expect_error(dsi_tokenizer_load("/nonexistent", &t), DSI_ERR_IO);
  expect_error(dsi_tokenize(nullptr, "a", 1, 0, 1, ids, 4, &n));
  REQUIRE(dsi_model_get_tokenizer(builtin(), &t) == DSI_OK);
  expect_error(dsi_tokenize(t, nullptr, 3, 0, 1, ids, 4, &n));
  expect_error(dsi_tokenize(t, "a", 1, 0, 1, nullptr, 4, &n));
  expect_error(dsi_tokenize(t, "a", 1, 0, 1, ids, 4, nullptr));
  expect_error(dsi_tokenize(t, "\xff", 1, 0, 1, ids, 4, &n));
  expect_error(dsi_tokenize(t, "hello world", 11, 0, 1, ids, 4, &n), DSI_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 11);  // the needed size is reported
  CHECK(dsi_tokenize(t, "hello world", 11, 0, 1, nullptr, 0, &n) == DSI_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 11);
  expect_error(dsi_detokenize(nullptr, ids, 4, 0, buf, sizeof buf, &n));
  expect_error(dsi_detokenize(t, nullptr, 4, 0, buf, sizeof buf, &n));
  expect_error(dsi_detokenize(t, ids, 4, 0, nullptr, 8, &n));
  expect_error(dsi_detokenize(t, ids, 4, 0, buf, sizeof buf, nullptr));
  expect_error(dsi_detokenize(t, ids, 4, 0, buf, 4, &n), DSI_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 4);
  const int32_t bad_id = 99999;
  expect_error(dsi_detokenize(t, &bad_id, 1, 0, buf, sizeof buf, &n));
  expect_error(dsi_tokenizer_special_ids(nullptr, &i32, &i32));
  expect_error(dsi_tokenizer_vocab_size(nullptr, &i32));
  expect_error(dsi_tokenizer_vocab_size(t, nullptr));
  const dsi_chat_message msgs[] = {{"user", "hi"}, {nullptr, "x"}};
  expect_error(dsi_chat_template_apply(nullptr, msgs, 1, 1, buf, sizeof buf, &n));
  expect_error(dsi_chat_template_apply(t, nullptr, 1, 1, buf, sizeof buf, &n));
  expect_error(dsi_chat_template_apply(t, msgs, 1, 1, buf, sizeof buf, nullptr));
  expect_error(dsi_chat_template_apply(t, msgs, 2, 1, buf, sizeof buf, &n));
  expect_error(dsi_chat_template_apply(t, msgs, 1, 1, buf, sizeof buf, &n), DSI_ERR_BUFFER_TOO_SMALL);
  CHECK(n > sizeof buf);
  dsi_tokenizer_free(t);

  expect_error(dsi_session_create(nullptr, nullptr, &s));
  expect_error(dsi_session_create(builtin(), nullptr, nullptr));
  dsi_session_params sp = dsi_session_default_params();
  sp.n_ctx = 0;
  expect_error(dsi_session_create(builtin(), &sp, &s));
  sp = dsi_session_default_params();
  sp.struct_size = 3;
  expect_error(dsi_session_create(builtin(), &sp, &s));
  expect_error(dsi_session_prefill(nullptr, ids, 4));
  expect_error(dsi_session_decode(nullptr, 1));
  expect_error(dsi_session_logits(nullptr, &lp, &n));
  expect_error(dsi_session_n_past(nullptr, &i32));
  expect_error(dsi_session_generate(nullptr, "a", 1, nullptr, nullptr, nullptr, nullptr));
  expect_error(dsi_session_generate_tokens(nullptr, ids, 1, nullptr, nullptr, nullptr, nullptr));
  expect_error(dsi_session_get_cache(nullptr, &c));
  expect_error(dsi_session_get_router(nullptr, &r));

  REQUIRE(dsi_session_create(builtin(), nullptr, &s) == DSI_OK);
  expect_error(dsi_session_prefill(s, nullptr, 4));
  expect_error(dsi_session_prefill(s, ids, 0));
  expect_error(dsi_session_logits(s, &lp, &n));  // nothing fed yet
  expect_error(dsi_session_logits(s, nullptr, &n));
  expect_error(dsi_session_n_past(s, nullptr));
  expect_error(dsi_session_decode(s, -7));
  expect_error(dsi_session_generate(s, nullptr, 5, nullptr, nullptr, nullptr, nullptr));
  dsi_generate_params gp = dsi_generate_default_params();
  gp.n_stop = 1;
  gp.stop = nullptr;
  expect_error(dsi_session_generate(s, "a", 1, &gp, nullptr, nullptr, nullptr));
  gp = dsi_generate_default_params();
  gp.top_p = 0;
  expect_error(dsi_session_generate(s, "a", 1, &gp, nullptr, nullptr, nullptr));
  gp = dsi_generate_default_params();
  gp.struct_size = 8;
  expect_error(dsi_session_generate(s, "a", 1, &gp, nullptr, nullptr, nullptr));
  dsi_generate_result res{};
  res.struct_size = 2;
  expect_error(dsi_session_generate(s, "a", 1, nullptr, nullptr, nullptr, &res));
  expect_error(dsi_session_get_cache(s, nullptr));
  expect_error(dsi_session_get_router(s, nullptr));

  expect_error(dsi_cache_bytes_per_token(nullptr, &i64));
  expect_error(dsi_cache_n_tokens(nullptr, &i32));
  expect_error(dsi_cache_truncate(nullptr, 0));
  expect_error(dsi_cache_copy(nullptr, nullptr, 0));
  expect_error(dsi_cache_save(nullptr, "x"));
  expect_error(dsi_cache_load(nullptr, "x"));
  REQUIRE(dsi_session_get_cache(s, &c) == DSI_OK);
  expect_error(dsi_cache_bytes_per_token(c, nullptr));
  expect_error(dsi_cache_truncate(c, 5));  // holds 0 tokens
  expect_error(dsi_cache_save(c, nullptr));
  expect_error(dsi_cache_load(c, nullptr));
  expect_error(dsi_cache_load(c, "/nonexistent/cache.bin"), DSI_ERR_IO);
  expect_error(dsi_cache_copy(c, c, 0));

  expect_error(dsi_router_info(nullptr, &i32, &i32, &i32, &i32));
  expect_error(dsi_router_last_choice(nullptr, 0, 0, ids, w, 4, &n));
  expect_error(dsi_router_expert_counts(nullptr, 0, counts, 4, &n));
  expect_error(dsi_router_set_top_k(nullptr, 1));
  REQUIRE(dsi_session_get_router(s, &r) == DSI_OK);
  expect_error(dsi_router_last_choice(r, 0, 0, ids, w, 4, nullptr));
  expect_error(dsi_router_last_choice(r, 99, 0, ids, w, 4, &n));
  expect_error(dsi_router_expert_counts(r, -1, counts, 4, &n));
  expect_error(dsi_router_expert_counts(r, 1, counts, 4, &n), DSI_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 16);
  expect_error(dsi_router_set_top_k(r, 100));

  // Releases accept NULL, and handles may be freed in any order.
  dsi_session_free(s);
  CHECK(dsi_cache_bytes_per_token(c, &i64) == DSI_OK);
  dsi_cache_free(c);
  dsi_router_free(r);
  dsi_model_free(nullptr);
  dsi_tokenizer_free(nullptr);
  dsi_session_free(nullptr);
  dsi_cache_free(nullptr);
  dsi_router_free(nullptr);
}

TEST_CASE("tokenize, generate, cache and router through the C ABI", "[capi]") {
  dsi_tokenizer* t = nullptr;
  REQUIRE(dsi_model_get_tokenizer(builtin(), &t) == DSI_OK);
  int32_t ids[64];
  size_t n = 0;
  REQUIRE(dsi_tokenize(t, "héllo", 6, 1, 1, ids, 64, &n) == DSI_OK);
  int32_t bos = -2, eos = -2;
  REQUIRE(dsi_tokenizer_special_ids(t, &bos, &eos) == DSI_OK);
  CHECK(n == 7);  // BOS + 6 bytes
  CHECK(ids[0] == bos);
  char text[64];
  size_t len = 0;
  REQUIRE(dsi_detokenize(t, ids, n, 1, text, sizeof text, &len) == DSI_OK);
  CHECK(std::string(text, len) == "héllo");
  CHECK(text[len] == '\0');

  const dsi_chat_message msgs[] = {{"system", "Be brief."}, {"user", "Hello"}};
  char rendered[256];
  REQUIRE(dsi_chat_template_apply(t, msgs, 2, 1, rendered, sizeof rendered, &len) == DSI_OK);
  CHECK(std::string(rendered, len) == "<｜begin▁of▁sentence｜>Be brief.\n\nUser: Hello\n\nAssistant:");

  dsi_session *a = nullptr, *b = nullptr;
  REQUIRE(dsi_session_create(builtin(), nullptr, &a) == DSI_OK);
  REQUIRE(dsi_session_create(builtin(), nullptr, &b) == DSI_OK);
  dsi_generate_params gp = dsi_generate_default_params();
  gp.max_tokens = 10;
  gp.seed = 99;
  gp.stop_at_eos = 0;
  gp.top_logprobs = 3;
  struct Seen {
    std::string text;
    std::vector<int32_t> ids;
    size_t tops = 0;
  } seen_a, seen_b;
  auto cb = [](const dsi_token_event* ev, void* user) -> int {
    auto* s = static_cast<Seen*>(user);
    s->text.append(ev->text, ev->text_len);
    if (ev->id >= 0) {
      s->ids.push_back(ev->id);
      s->tops += ev->n_top;
    }
    return 1;
  };
  dsi_generate_result ra{}, rb{};
  ra.struct_size = rb.struct_size = sizeof(dsi_generate_result);
  REQUIRE(dsi_session_generate(a, "seed test", 9, &gp, cb, &seen_a, &ra) == DSI_OK);
  REQUIRE(dsi_session_generate(b, "seed test", 9, &gp, cb, &seen_b, &rb) == DSI_OK);
  CHECK(ra.n_generated == 10);
  CHECK(ra.stop == DSI_STOP_MAX_TOKENS);
  CHECK(seen_a.ids == seen_b.ids);
  CHECK(seen_a.tops == 30);

  // Cancel from the callback.
  dsi_session* c = nullptr;
  REQUIRE(dsi_session_create(builtin(), nullptr, &c) == DSI_OK);
  int calls = 0;
  auto cancel = [](const dsi_token_event*, void* user) -> int { return ++*static_cast<int*>(user) < 3 ? 1 : 0; };
  dsi_generate_result rc{};
  rc.struct_size = sizeof rc;
  REQUIRE(dsi_session_generate(c, "x", 1, &gp, cancel, &calls, &rc) == DSI_OK);
  CHECK(rc.stop == DSI_STOP_CANCELLED);
  CHECK(rc.n_generated == 3);

  // Cache: size, save/load round trip, copy.
  dsi_cache *ca = nullptr, *cc = nullptr;
  REQUIRE(dsi_session_get_cache(a, &ca) == DSI_OK);
  REQUIRE(dsi_session_get_cache(c, &cc) == DSI_OK);
  int64_t bpt = 0;
  int32_t used = 0;
  REQUIRE(dsi_cache_bytes_per_token(ca, &bpt) == DSI_OK);
  REQUIRE(dsi_cache_n_tokens(ca, &used) == DSI_OK);
  dsi_model_info info{};
  info.struct_size = sizeof info;
  REQUIRE(dsi_model_get_info(builtin(), &info) == DSI_OK);
  CHECK(bpt == info.cache_bytes_per_token);
  CHECK(std::string(info.architecture) == "deepseek2");
  CHECK(used == ra.n_prompt_tokens + ra.n_generated);
  test::TempDir dir("capi");
  const std::string file = dir.file("a.cache");
  REQUIRE(dsi_cache_save(ca, file.c_str()) == DSI_OK);
  REQUIRE(dsi_cache_load(cc, file.c_str()) == DSI_OK);
  const int32_t next = 'q';
  REQUIRE(dsi_session_decode(a, next) == DSI_OK);
  REQUIRE(dsi_session_decode(c, next) == DSI_OK);
  const float *la = nullptr, *lc = nullptr;
  size_t na = 0, nc = 0;
  REQUIRE(dsi_session_logits(a, &la, &na) == DSI_OK);
  REQUIRE(dsi_session_logits(c, &lc, &nc) == DSI_OK);
  REQUIRE(na == nc);
  CHECK(std::memcmp(la, lc, na * sizeof(float)) == 0);
  REQUIRE(dsi_cache_copy(ca, cc, 4) == DSI_OK);
  REQUIRE(dsi_cache_n_tokens(cc, &used) == DSI_OK);
  CHECK(used == 4);
  REQUIRE(dsi_cache_truncate(ca, 2) == DSI_OK);
  REQUIRE(dsi_cache_n_tokens(ca, &used) == DSI_OK);
  CHECK(used == 2);

  // Router: the last forward call's decisions and the counts.
  dsi_router* r = nullptr;
  REQUIRE(dsi_session_get_router(b, &r) == DSI_OK);
  int32_t layers = 0, experts = 0, topk = 0, last = 0;
  REQUIRE(dsi_router_info(r, &layers, &experts, &topk, &last) == DSI_OK);
  CHECK(layers == 4);
  CHECK(experts == 16);
  CHECK(topk == 2);
  CHECK(last == 1);  // the last forward call decoded one token
  int32_t ex[4];
  float wt[4];
  size_t k = 0;
  REQUIRE(dsi_router_last_choice(r, 0, 0, ex, wt, 4, &k) == DSI_OK);
  CHECK(k == 0);  // layer 0 is dense
  REQUIRE(dsi_router_last_choice(r, 1, 0, ex, wt, 4, &k) == DSI_OK);
  CHECK(k == 2);
  CHECK(ex[0] != ex[1]);
  uint64_t cnt[16];
  REQUIRE(dsi_router_expert_counts(r, 2, cnt, 16, &k) == DSI_OK);
  uint64_t total = 0;
  for (uint64_t v : cnt) total += v;
  CHECK(total == static_cast<uint64_t>(2 * (rb.n_prompt_tokens + rb.n_generated)));  // every generated token is fed back
  REQUIRE(dsi_router_set_top_k(r, 4) == DSI_OK);
  REQUIRE(dsi_session_decode(b, 'z') == DSI_OK);
  REQUIRE(dsi_router_last_choice(r, 3, 0, ex, wt, 4, &k) == DSI_OK);
  CHECK(k == 4);

  dsi_router_free(r);
  dsi_cache_free(ca);
  dsi_cache_free(cc);
  dsi_session_free(a);
  dsi_session_free(b);
  dsi_session_free(c);
  dsi_tokenizer_free(t);
}

TEST_CASE("4 threads through the C ABI: one model, own sessions, same tokens as alone", "[capi][threads]") {
  // Catch2's assertions are not thread-safe: workers only record, the main thread checks.
  struct Run {
    dsi_status create = DSI_ERR_INTERNAL, generate = DSI_ERR_INTERNAL;
    std::vector<int32_t> ids;
  };
  dsi_model* model = builtin();
  auto run = [model](int i, Run* out) {
    dsi_session* s = nullptr;
    out->create = dsi_session_create(model, nullptr, &s);
    if (out->create != DSI_OK) return;
    dsi_generate_params gp = dsi_generate_default_params();
    gp.max_tokens = 8;
    gp.seed = 1000 + static_cast<uint64_t>(i);
    gp.stop_at_eos = 0;
    auto cb = [](const dsi_token_event* ev, void* user) -> int {
      if (ev->id >= 0) static_cast<std::vector<int32_t>*>(user)->push_back(ev->id);
      return 1;
    };
    const std::string prompt = "worker " + std::to_string(i);
    out->generate = dsi_session_generate(s, prompt.c_str(), prompt.size(), &gp, cb, &out->ids, nullptr);
    dsi_session_free(s);
  };
  std::vector<Run> alone(4), together(4);
  for (int i = 0; i < 4; ++i) run(i, &alone[i]);
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back(run, i, &together[i]);
  for (auto& t : ts) t.join();
  for (int i = 0; i < 4; ++i) {
    CHECK(together[i].create == DSI_OK);
    CHECK(together[i].generate == DSI_OK);
    CHECK(alone[i].ids.size() == 8);
    CHECK(together[i].ids == alone[i].ids);
  }
}
