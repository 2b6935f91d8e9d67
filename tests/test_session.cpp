// Sessions on the built-in default model: generation, sampling, stop strings, cancel,
// cache save/load/copy, and many sessions on one model from many threads.
#include <catch2/catch.hpp>

#include <cmath>
#include <thread>

#include "dsinfer/error.hpp"
#include "dsinfer/session.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

std::shared_ptr<const Model> builtin() {
  static const auto m = Model::load_builtin();
  return m;
}

GenerateParams sampled(uint64_t seed, int n = 24) {
  GenerateParams p;
  p.max_tokens = n;
  p.sampling.temperature = 0.9f;
  p.sampling.top_k = 50;
  p.sampling.top_p = 0.95f;
  p.sampling.seed = seed;
  p.stop_at_eos = false;
  return p;
}

}  // namespace

TEST_CASE("same seed and prompt give the same tokens; another seed differs", "[session]") {
  Session a(builtin()), b(builtin()), c(builtin());
  const auto ra = a.generate("Hello there", sampled(7));
  const auto rb = b.generate("Hello there", sampled(7));
  const auto rc = c.generate("Hello there", sampled(8));
  CHECK(ra.tokens.size() == 24);
  CHECK(ra.tokens == rb.tokens);
  CHECK(ra.text == rb.text);
  CHECK(ra.tokens != rc.tokens);
  CHECK(ra.stop == StopReason::max_tokens);
}

TEST_CASE("greedy generation follows the argmax of the logits", "[session]") {
  Session s(builtin());
  GenerateParams p;
  p.max_tokens = 1;
  p.sampling.temperature = 0;
  const std::vector<int32_t> prompt{256, 72, 105};
  Session probe(builtin());
  probe.prefill(prompt);
  const auto l = probe.logits();
  const int32_t argmax = static_cast<int32_t>(std::max_element(l.begin(), l.end()) - l.begin());
  const auto r = s.generate_tokens(prompt, p);
  REQUIRE(r.tokens.size() == 1);
  CHECK(r.tokens[0] == argmax);
}

TEST_CASE("the callback streams the same text the result holds, and can cancel", "[session]") {
  Session s(builtin());
  std::string streamed;
  int calls = 0;
  const auto r = s.generate("abc", sampled(3, 30), [&](const TokenEvent& ev) {
    streamed += ev.text;
    return ++calls < 5;
  });
  CHECK(r.stop == StopReason::cancelled);
  CHECK(r.tokens.size() == 5);
  CHECK(streamed == r.text);
}

TEST_CASE("stop strings end generation even when they span tokens", "[session]") {
  // Run once to see what the model says, then stop on a string that starts in one token
  // and ends in the next.
  Session probe(builtin());
  GenerateParams p = sampled(11, 20);
  p.sampling.temperature = 0;
  const auto free_run = probe.generate("xyz", p);
  REQUIRE(free_run.text.size() >= 6);
  // Byte-level tokens: the first 4 bytes of the output span several tokens.
  const std::string stop = free_run.text.substr(2, 3);
  Session s(builtin());
  p.stop = {stop};
  std::string streamed;
  const auto r = s.generate("xyz", p, [&](const TokenEvent& ev) {
    streamed += ev.text;
    return true;
  });
  CHECK(r.stop == StopReason::stop_string);
  CHECK(r.text == free_run.text.substr(0, free_run.text.find(stop)));
  CHECK(streamed == r.text);  // the stop string itself never reached the host
}

TEST_CASE("a prompt longer than the context is an error, not a cut", "[session]") {
  SessionParams sp;
  sp.n_ctx = 8;
  Session s(builtin(), sp);
  CHECK_THROWS_WITH(s.generate("this prompt is much longer than eight tokens", sampled(1)), Catch::Contains("do not fit"));
  CHECK(s.n_past() == 0);
  // Generation that reaches the context's end stops cleanly.
  GenerateParams p = sampled(1, 100);
  const auto r = s.generate("abc", p);
  CHECK(r.stop == StopReason::context_full);
  CHECK(s.n_past() == 8);
}

TEST_CASE("cache save and load give identical next-token logits; foreign caches are refused", "[session][cache]") {
  test::TempDir dir("cache");
  Session a(builtin());
  a.prefill(std::vector<int32_t>{256, 10, 20, 30, 40});
  a.save_cache(dir.file("c.bin"));
  Session b(builtin());
  b.load_cache(dir.file("c.bin"));
  CHECK(b.n_past() == 5);
  CHECK(b.history() == a.history());
  a.decode(50);
  b.decode(50);
  const auto la = a.logits(), lb = b.logits();
  CHECK(std::equal(la.begin(), la.end(), lb.begin(), lb.end()));

  // A cache of another model (different weights, same shapes) is refused.
  const auto other = Model::load(std::string(DSINFER_CHECKPOINTS) + "/v2lite/model.gguf");
  Session c(other);
  CHECK_THROWS_WITH(c.load_cache(dir.file("c.bin")), Catch::Contains("another model"));
  // A truncated file is refused.
  const auto bytes = test::read_file(dir.file("c.bin"));
  std::vector<std::byte> cut(reinterpret_cast<const std::byte*>(bytes.data()), reinterpret_cast<const std::byte*>(bytes.data()) + bytes.size() - 3);
  test::write_file(dir.file("cut.bin"), cut);
  CHECK_THROWS_WITH(b.load_cache(dir.file("cut.bin")), Catch::Contains("size"));
  CHECK_THROWS_AS(b.load_cache(dir.file("missing.bin")), Error);
}

TEST_CASE("copying a cache prefix gives the same continuation", "[session][cache]") {
  Session a(builtin());
  const auto ra = a.generate("The same prefix", sampled(5));
  Session b(builtin());
  b.copy_prefix_from(a, a.n_past() - static_cast<int64_t>(ra.tokens.size()));  // the prompt only
  Session c(builtin());
  c.prefill(std::vector<int32_t>(a.history().begin(), a.history().begin() + b.n_past()));
  const std::vector<int32_t> next{65};
  b.prefill(next);
  c.prefill(next);
  const auto lb = b.logits(), lc = c.logits();
  float d = 0;
  for (size_t i = 0; i < lb.size(); ++i) d = std::max(d, std::fabs(lb[i] - lc[i]));
  CHECK(d == 0.0f);
  CHECK(b.cache().bytes_per_token() == (64 + 16) * 4 * 2);
}

TEST_CASE("8 threads, 8 sessions, one model: same outputs as one by one", "[session][threads]") {
  const auto model = builtin();
  std::vector<GenerateResult> serial(8), parallel(8);
  for (int i = 0; i < 8; ++i) {
    Session s(model);
    serial[i] = s.generate("thread " + std::to_string(i), sampled(100 + i, 12));
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      Session s(model);
      parallel[i] = s.generate("thread " + std::to_string(i), sampled(100 + i, 12));
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    CHECK(parallel[i].tokens == serial[i].tokens);
    CHECK(parallel[i].text == serial[i].text);
  }
}

TEST_CASE("sampler parameters are checked and penalties apply", "[sampler]") {
  SamplerParams bad;
  bad.top_p = 0;
  CHECK_THROWS_AS(Sampler(bad), Error);
  bad = {};
  bad.temperature = -1;
  CHECK_THROWS_AS(Sampler(bad), Error);
  SamplerParams greedy;
  greedy.temperature = 0;
  greedy.repetition_penalty = 10.0f;
  Sampler s(greedy);
  const std::vector<float> logits{1.0f, 2.0f, 1.9f};
  CHECK(s.sample(logits, {}) == 1);
  const std::vector<int32_t> recent{1};
  CHECK(s.sample(logits, recent) == 2);  // 2.0 / 10 falls below 1.9
  std::vector<TokenLogprob> top;
  float lp = 0;
  s.sample(logits, {}, 2, &top, &lp);
  REQUIRE(top.size() == 2);
  CHECK(top[0].id == 1);
  const double z = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(1.9));
  CHECK(top[0].logprob == Approx(2.0 - z));
  CHECK(lp == Approx(2.0 - z));
}
