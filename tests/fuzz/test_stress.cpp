// Many sessions on one shared model from many threads, in random orders: create, prefill,
// generate, cancel mid-generation, truncate, copy a prefix, save and load the cache, free.
// Sessions move between threads through a shared pool (one thread at a time uses each, as
// the API requires). Run under ThreadSanitizer this finds data races on the model, the
// tokenizer, the thread pool and the handles; in any build it checks that every failure is
// an expected refusal and that each session stays consistent.
// Test names contain "threads": CI's ThreadSanitizer pass selects tests by that word.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include <unistd.h>

#include "dsinfer.h"
#include "dsinfer/error.hpp"
#include "dsinfer/session.hpp"

using namespace dsinfer;

namespace {

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 24;

// Catch2's assertions are not thread-safe: workers record, the main thread checks.
struct Failures {
  std::mutex m;
  std::vector<std::string> what;
  void add(std::string s) {
    std::lock_guard<std::mutex> lock(m);
    what.push_back(std::move(s));
  }
};

// Objects that any thread may take, use alone, and give back (or destroy).
template <typename T>
class Pool {
 public:
  void put(T v) {
    std::lock_guard<std::mutex> lock(m_);
    items_.push_back(std::move(v));
  }
  bool take(std::mt19937& rng, T* out) {
    std::lock_guard<std::mutex> lock(m_);
    if (items_.empty()) return false;
    const size_t i = rng() % items_.size();
    *out = std::move(items_[i]);
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
    return true;
  }
  std::vector<T> drain() {
    std::lock_guard<std::mutex> lock(m_);
    return std::move(items_);
  }

 private:
  std::mutex m_;
  std::vector<T> items_;
};

std::string temp_file(const std::string& tag, int thread) {
  return (std::filesystem::temp_directory_path() /
          ("dsinfer-stress-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(thread)))
      .string();
}

GenerateParams params(std::mt19937& rng) {
  GenerateParams p;
  p.max_tokens = static_cast<int32_t>(rng() % 6);
  p.sampling.temperature = (rng() % 3) ? 0.8f : 0.0f;
  p.sampling.seed = rng();
  p.stop_at_eos = rng() % 2;
  if (rng() % 4 == 0) p.stop = {"e"};
  return p;
}

}  // namespace

TEST_CASE("stress, 4 threads: random create / generate / cancel / copy / save / free on one model (C++ API)",
          "[stress][threads]") {
  LoadOptions o;
  o.threads = 2;
  const std::shared_ptr<const Model> model = Model::load_builtin(o);
  Pool<std::unique_ptr<Session>> pool;
  Failures failures;
  std::atomic<int> generated{0}, cancelled{0};

  auto worker = [&](int id) {
    std::mt19937 rng(1234 + id);
    const std::string cache_file = temp_file("cache", id);
    for (int op = 0; op < kOpsPerThread; ++op) {
      std::unique_ptr<Session> s, other;
      try {
        switch (rng() % 8) {
          case 0:
          case 1: {
            SessionParams sp;
            sp.n_ctx = 8 + static_cast<int64_t>(rng() % 24);
            pool.put(std::make_unique<Session>(model, sp));
            break;
          }
          case 2:  // generate, cancelling after a random number of tokens
            if (!pool.take(rng, &s)) break;
            {
              const int stop_after = static_cast<int>(rng() % 4);
              int seen = 0;
              const auto r = s->generate("stress " + std::to_string(op), params(rng), [&](const TokenEvent&) {
                return ++seen <= stop_after;
              });
              generated += static_cast<int>(r.tokens.size());
              if (r.stop == StopReason::cancelled) ++cancelled;
            }
            break;
          case 3:
            if (!pool.take(rng, &s)) break;
            s->prefill(std::vector<int32_t>{static_cast<int32_t>(rng() % 256), static_cast<int32_t>(rng() % 256)});
            break;
          case 4:
            if (!pool.take(rng, &s)) break;
            s->truncate(static_cast<int64_t>(rng() % static_cast<unsigned>(s->n_past() + 1)));
            break;
          case 5:
            if (!pool.take(rng, &s) || !pool.take(rng, &other)) break;
            s->copy_prefix_from(*other, static_cast<int64_t>(rng() % static_cast<unsigned>(other->n_past() + 1)));
            break;
          case 6:
            if (!pool.take(rng, &s)) break;
            s->save_cache(cache_file);
            s->load_cache(cache_file);
            break;
          case 7:  // free: the taken session is simply not given back
            pool.take(rng, &s);
            s.reset();
            break;
        }
      } catch (const Error& e) {
        // A full context is an expected refusal; anything else is a failure.
        if (std::string(e.what()).find("context") == std::string::npos &&
            std::string(e.what()).find("do not fit") == std::string::npos)
          failures.add(std::string("worker ") + std::to_string(id) + ": " + e.what());
      } catch (const std::exception& e) {
        failures.add(std::string("worker ") + std::to_string(id) + " (not an Error): " + e.what());
      }
      for (auto* p : {&s, &other})
        if (*p) {
          if (static_cast<int64_t>((*p)->history().size()) != (*p)->n_past())
            failures.add("a session's history and cache disagree");
          pool.put(std::move(*p));
        }
    }
    std::filesystem::remove(cache_file);
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  pool.drain();
  for (const auto& f : failures.what) FAIL_CHECK(f);
  CHECK(generated > 0);
}

TEST_CASE("stress, 4 threads: random create / generate / cancel / free through the C ABI, handles freed in any order",
          "[stress][threads][capi]") {
  dsi_model_params mp = dsi_model_default_params();
  mp.n_threads = 2;
  dsi_model* model = nullptr;
  REQUIRE(dsi_model_load_builtin(&mp, &model) == DSI_OK);
  // A session travels with the cache and router handles taken from it.
  struct Handles {
    dsi_session* s = nullptr;
    dsi_cache* c = nullptr;
    dsi_router* r = nullptr;
  };
  Pool<Handles> pool;
  Failures failures;
  std::atomic<int> generated{0};

  auto worker = [&](int id) {
    std::mt19937 rng(99 + id);
    const std::string cache_file = temp_file("capi", id);
    auto expect = [&](dsi_status st, const char* call) {
      if (st != DSI_OK && st != DSI_ERR_INVALID_ARGUMENT)  // invalid argument: a full context
        failures.add(std::string(call) + ": " + dsi_status_name(st) + ": " + dsi_last_error());
    };
    for (int op = 0; op < kOpsPerThread; ++op) {
      Handles h;
      switch (rng() % 6) {
        case 0:
        case 1: {
          dsi_session_params sp = dsi_session_default_params();
          sp.n_ctx = 8 + static_cast<int32_t>(rng() % 24);
          expect(dsi_session_create(model, &sp, &h.s), "dsi_session_create");
          if (h.s && rng() % 2) expect(dsi_session_get_cache(h.s, &h.c), "dsi_session_get_cache");
          if (h.s && rng() % 2) expect(dsi_session_get_router(h.s, &h.r), "dsi_session_get_router");
          break;
        }
        case 2: {
          if (!pool.take(rng, &h)) break;
          dsi_generate_params gp = dsi_generate_default_params();
          gp.max_tokens = static_cast<int32_t>(rng() % 6);
          gp.seed = rng();
          int budget = static_cast<int>(rng() % 4);
          auto cb = [](const dsi_token_event*, void* user) -> int { return --*static_cast<int*>(user) >= 0; };
          dsi_generate_result res{};
          res.struct_size = sizeof res;
          const std::string prompt = "capi " + std::to_string(op);
          expect(dsi_session_generate(h.s, prompt.c_str(), prompt.size(), &gp, cb, &budget, &res), "dsi_session_generate");
          generated += res.n_generated;
          break;
        }
        case 3: {
          if (!pool.take(rng, &h)) break;
          if (h.c) {
            int32_t n = 0;
            expect(dsi_cache_n_tokens(h.c, &n), "dsi_cache_n_tokens");
            expect(dsi_cache_truncate(h.c, n / 2), "dsi_cache_truncate");
            expect(dsi_cache_save(h.c, cache_file.c_str()), "dsi_cache_save");
            expect(dsi_cache_load(h.c, cache_file.c_str()), "dsi_cache_load");
          }
          if (h.r) {
            int32_t layers, experts, k, last;
            expect(dsi_router_info(h.r, &layers, &experts, &k, &last), "dsi_router_info");
          }
          break;
        }
        case 4: {  // free in a random order; a cache or router handle may outlive its session
          if (!pool.take(rng, &h)) break;
          const unsigned order = rng() % 3;
          if (order == 0) dsi_session_free(h.s), dsi_cache_free(h.c), dsi_router_free(h.r);
          if (order == 1) dsi_cache_free(h.c), dsi_router_free(h.r), dsi_session_free(h.s);
          if (order == 2) {
            dsi_session_free(h.s);
            h.s = nullptr;
            if (h.c) {
              int32_t n;
              expect(dsi_cache_n_tokens(h.c, &n), "dsi_cache_n_tokens after dsi_session_free");
            }
            dsi_router_free(h.r), dsi_cache_free(h.c);
          }
          h = Handles{};
          break;
        }
        case 5: {  // the shared tokenizer from many threads
          dsi_tokenizer* t = nullptr;
          expect(dsi_model_get_tokenizer(model, &t), "dsi_model_get_tokenizer");
          int32_t ids[64];
          size_t n = 0;
          expect(dsi_tokenize(t, "stress text", 11, 1, 1, ids, 64, &n), "dsi_tokenize");
          char buf[256];
          size_t len = 0;
          expect(dsi_detokenize(t, ids, n, 0, buf, sizeof buf, &len), "dsi_detokenize");
          dsi_tokenizer_free(t);
          break;
        }
      }
      if (h.s) pool.put(h);
    }
    std::filesystem::remove(cache_file);
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  for (Handles& h : pool.drain()) dsi_router_free(h.r), dsi_session_free(h.s), dsi_cache_free(h.c);
  dsi_model_free(model);
  for (const auto& f : failures.what) FAIL_CHECK(f);
  CHECK(generated > 0);
}
