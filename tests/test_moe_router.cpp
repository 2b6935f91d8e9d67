// Hand-computed routing cases, one per rule of the DeepSeek routers.
#include <catch2/catch.hpp>

#include <cmath>

#include "dsinfer/error.hpp"
#include "dsinfer/moe_router.hpp"

using namespace dsinfer;

namespace {

std::vector<ExpertChoice> pick(const RouterConfig& cfg, std::vector<float> logits, std::vector<float> bias = {}) {
  std::vector<ExpertChoice> out(static_cast<size_t>(cfg.top_k));
  route(cfg, logits, bias, out);
  return out;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
float logit(float p) { return std::log(p / (1.0f - p)); }

}  // namespace

TEST_CASE("greedy softmax: best experts, softmax weights, scaling", "[router]") {
  RouterConfig cfg;
  cfg.n_experts = 4;
  cfg.top_k = 2;
  cfg.routed_scaling_factor = 1.0f;
  const auto c = pick(cfg, {0, 1, 2, 3});
  const float z = 1 + std::exp(1.0f) + std::exp(2.0f) + std::exp(3.0f);
  REQUIRE(c.size() == 2);
  CHECK(c[0].expert == 3);
  CHECK(c[1].expert == 2);
  CHECK(c[0].weight == Approx(std::exp(3.0f) / z));
  CHECK(c[1].weight == Approx(std::exp(2.0f) / z));

  cfg.routed_scaling_factor = 16.0f;
  CHECK(pick(cfg, {0, 1, 2, 3})[0].weight == Approx(16 * std::exp(3.0f) / z));

  cfg.norm_topk_prob = true;
  cfg.routed_scaling_factor = 2.5f;
  const auto n = pick(cfg, {0, 1, 2, 3});
  CHECK(n[0].weight + n[1].weight == Approx(2.5f));
  CHECK(n[0].weight / n[1].weight == Approx(std::exp(1.0f)));
}

TEST_CASE("group-limited greedy (V2): groups ranked by their best expert", "[router]") {
  RouterConfig cfg;
  cfg.n_experts = 8;
  cfg.top_k = 2;
  cfg.n_group = 4;
  cfg.topk_group = 1;
  cfg.method = TopkMethod::group_limited_greedy;
  // Group 0 = {0,1} has the single best expert; group 3 = {6,7} has the next two best.
  const auto c = pick(cfg, {5, 0, 0, 0, 0, 0, 4.5f, 4.5f});
  CHECK(c[0].expert == 0);
  CHECK(c[1].expert == 1);  // the only other expert in the kept group, despite a low score

  cfg.method = TopkMethod::greedy;  // greedy ignores groups
  const auto g = pick(cfg, {5, 0, 0, 0, 0, 0, 4.5f, 4.5f});
  CHECK(g[0].expert == 0);
  CHECK(g[1].expert == 6);
}

TEST_CASE("noaux_tc (V3): sum-of-top-2 groups, bias steers the choice, not the weights", "[router]") {
  RouterConfig cfg;
  cfg.n_experts = 8;
  cfg.top_k = 2;
  cfg.n_group = 4;
  cfg.topk_group = 1;
  cfg.scoring = ScoringFunc::sigmoid;
  cfg.method = TopkMethod::noaux_tc;
  // Group 0 = {0,1}: 0.9 + 0.1 = 1.0; group 1 = {2,3}: 0.6 + 0.6 = 1.2, so group 1 wins even
  // though expert 0 scores highest.
  std::vector<float> l = {logit(0.9f), logit(0.1f), logit(0.6f), logit(0.6f), logit(0.2f), logit(0.2f), logit(0.3f), logit(0.3f)};
  auto c = pick(cfg, l, std::vector<float>(8, 0.0f));
  std::vector<int> ids{c[0].expert, c[1].expert};
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<int>{2, 3});

  // A bias that lifts group 2 = {4,5} above the rest: chosen, but weighted by raw sigmoid.
  std::vector<float> bias(8, 0.0f);
  bias[4] = 0.8f;
  bias[5] = 0.7f;
  c = pick(cfg, l, bias);
  CHECK(c[0].expert == 4);
  CHECK(c[1].expert == 5);
  CHECK(c[0].weight == Approx(0.2f));
  CHECK(c[1].weight == Approx(0.2f));

  cfg.norm_topk_prob = true;
  cfg.routed_scaling_factor = 2.5f;
  c = pick(cfg, l, bias);
  CHECK(c[0].weight == Approx(1.25f));
  CHECK(c[1].weight == Approx(1.25f));
  CHECK(sigmoid(l[0]) == Approx(0.9f));
}

TEST_CASE("router record, counts and the experts-per-token override", "[router]") {
  RouterConfig cfg;
  cfg.n_experts = 4;
  cfg.top_k = 2;
  MoeRouter r(cfg, 3);
  r.begin(2);
  r.route(1, 0, std::vector<float>{0, 1, 2, 3}, {});
  r.route(1, 1, std::vector<float>{3, 2, 1, 0}, {});
  CHECK(r.last_choice(1, 0)[0].expert == 3);
  CHECK(r.last_choice(1, 1)[0].expert == 0);
  CHECK(r.last_choice(0, 0).empty());
  CHECK(r.last_choice(5, 0).empty());
  const auto counts = r.expert_counts(1);
  CHECK(std::vector<uint64_t>(counts.begin(), counts.end()) == std::vector<uint64_t>{1, 1, 1, 1});
  r.set_top_k(1);
  CHECK(r.top_k() == 1);
  r.begin(1);
  CHECK(r.route(2, 0, std::vector<float>{0, 9, 0, 0}, {}).size() == 1);
  r.set_top_k(0);
  CHECK(r.top_k() == 2);
  CHECK_THROWS_AS(r.set_top_k(5), Error);
  std::vector<ExpertChoice> out(2);
  CHECK_THROWS_AS(route(cfg, std::vector<float>{1, 2, 3}, {}, out), Error);
}
