#include "model/feed_forward.hpp"

#include <numeric>
#include <vector>

#include "kernels/matmul.hpp"
#include "kernels/ops.hpp"

namespace dsinfer {

using kernels::Activations;
using kernels::MatmulTask;

namespace {

// Element-wise, so split over the pool when a batch has enough values: in prefill it ran on
// one thread between two parallel products (1-2% of samples, the other cores idle).
void swiglu(float* gate, const float* up, int64_t n, ThreadPool* pool) {
  constexpr int64_t kGrain = 1 << 15;
  if (!pool || pool->size() == 1 || n < 2 * kGrain) {
    kernels::swiglu(gate, up, n);
    return;
  }
  pool->parallel_for(n, [&](int64_t b, int64_t e) { kernels::swiglu(gate + b, up + b, e - b); }, kGrain);
}

}  // namespace

void mlp_forward(const MlpWeights& m, const float* h, int64_t n, int64_t hidden, float* x, ThreadPool* pool) {
  const int64_t I = m.gate.rows;
  Activations ha(h, n, hidden, hidden);
  std::vector<float> gate(static_cast<size_t>(n * I)), up(gate.size()), down(static_cast<size_t>(n * hidden));
  const MatmulTask first[2] = {{&m.gate, &ha, nullptr, n, gate.data(), I}, {&m.up, &ha, nullptr, n, up.data(), I}};
  kernels::matmul(first, pool);
  swiglu(gate.data(), up.data(), n * I, pool);
  kernels::matmul(m.down, gate.data(), n, I, down.data(), hidden, pool);
  for (int64_t i = 0; i < n * hidden; ++i) x[i] += down[static_cast<size_t>(i)];
}

void moe_forward(const ModelConfig& c, const Deepseek2Layer& L, int64_t layer, const float* h, int64_t n,
                 MoeRouter& router, float* x, ThreadPool* pool) {
  const int64_t H = c.hidden_size, E = c.n_routed_experts, I = c.moe_intermediate_size;
  Matrix gate_w;  // the router's weights, kept in f32
  gate_w.dtype = DType::f32;
  gate_w.rows = E;
  gate_w.cols = H;
  gate_w.data = reinterpret_cast<const std::byte*>(L.router.data());
  gate_w.row_bytes = static_cast<uint64_t>(H) * sizeof(float);
  std::vector<float> logits(static_cast<size_t>(n * E));
  kernels::matmul(gate_w, h, n, H, logits.data(), E, pool);

  // Route every token, then give each chosen expert the list of its tokens and a run of
  // slots for their intermediate rows.
  std::vector<std::vector<int32_t>> tokens_of(static_cast<size_t>(E));
  std::vector<std::vector<std::pair<int64_t, float>>> picks(static_cast<size_t>(n));  // (expert, weight) in choice order
  for (int64_t t = 0; t < n; ++t) {
    const auto choice = router.route(layer, t, std::span<const float>(logits.data() + t * E, static_cast<size_t>(E)),
                                     L.router_bias);
    for (const ExpertChoice& ch : choice) {
      tokens_of[static_cast<size_t>(ch.expert)].push_back(static_cast<int32_t>(t));
      picks[static_cast<size_t>(t)].emplace_back(ch.expert, ch.weight);
    }
  }
  std::vector<int64_t> first_slot(static_cast<size_t>(E) + 1, 0);
  for (int64_t e = 0; e < E; ++e) first_slot[e + 1] = first_slot[e] + static_cast<int64_t>(tokens_of[e].size());
  const int64_t slots = first_slot[E];
  std::vector<int32_t> slot_index(static_cast<size_t>(slots));
  std::iota(slot_index.begin(), slot_index.end(), 0);

  const bool shared = !L.shared.gate.empty();
  const int64_t Is = shared ? L.shared.gate.rows : 0;
  Activations ha(h, n, H, H);
  std::vector<float> gate(static_cast<size_t>(slots * I)), up(gate.size());
  std::vector<float> sgate(static_cast<size_t>(n * Is)), sup(sgate.size());
  std::vector<MatmulTask> tasks;
  for (int64_t e = 0; e < E; ++e) {
    const auto& toks = tokens_of[static_cast<size_t>(e)];
    if (toks.empty()) continue;
    const MlpWeights& m = L.experts[static_cast<size_t>(e)];
    const int64_t ne = static_cast<int64_t>(toks.size());
    tasks.push_back({&m.gate, &ha, toks.data(), ne, gate.data() + first_slot[e] * I, I});
    tasks.push_back({&m.up, &ha, toks.data(), ne, up.data() + first_slot[e] * I, I});
  }
  if (shared) {
    tasks.push_back({&L.shared.gate, &ha, nullptr, n, sgate.data(), Is});
    tasks.push_back({&L.shared.up, &ha, nullptr, n, sup.data(), Is});
  }
  kernels::matmul(tasks, pool);
  swiglu(gate.data(), up.data(), slots * I, pool);
  if (shared) swiglu(sgate.data(), sup.data(), n * Is, pool);

  Activations ga(gate.data(), slots, I, I), sa(sgate.data(), n, Is, Is);
  std::vector<float> down(static_cast<size_t>(slots * H)), sdown(static_cast<size_t>(n * H));
  tasks.clear();
  for (int64_t e = 0; e < E; ++e) {
    const int64_t ne = first_slot[e + 1] - first_slot[e];
    if (ne == 0) continue;
    tasks.push_back({&L.experts[static_cast<size_t>(e)].down, &ga, slot_index.data() + first_slot[e], ne,
                     down.data() + first_slot[e] * H, H});
  }
  if (shared) tasks.push_back({&L.shared.down, &sa, nullptr, n, sdown.data(), H});
  kernels::matmul(tasks, pool);

  // Each token's experts in the order the router ranked them, then the shared experts.
  std::vector<int64_t> next_slot(first_slot.begin(), first_slot.end() - 1);
  std::vector<float> acc(static_cast<size_t>(H));
  for (int64_t t = 0; t < n; ++t) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (const auto& [e, wgt] : picks[static_cast<size_t>(t)]) {
      const float* row = down.data() + next_slot[static_cast<size_t>(e)]++ * H;
      for (int64_t i = 0; i < H; ++i) acc[i] += wgt * row[i];
    }
    if (shared)
      for (int64_t i = 0; i < H; ++i) acc[i] += sdown[t * H + i];
    for (int64_t i = 0; i < H; ++i) x[t * H + i] += acc[i];
  }
}

}  // namespace dsinfer
