// The dense R1-Distill architectures (qwen2, llama) against the independent NumPy reference
// (tests/reference/dense_ref.py) on checkpoints make_dense_checkpoint.py writes in HF and
// GGUF form (llama.cpp permutes Llama's q/k for its rope; Qwen2 keeps HF's layout).
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/session.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

std::string dense_ckpt(const std::string& config, const std::string& rel) {
  return std::string(DSINFER_CHECKPOINTS) + "/" + config + "/" + rel;
}

std::vector<float> npy(const std::string& path) {
  const auto b = test::read_file(path);
  const size_t hlen = b[8] | (b[9] << 8);
  std::vector<float> v((b.size() - 10 - hlen) / 4);
  std::memcpy(v.data(), b.data() + 10 + hlen, v.size() * 4);
  return v;
}

std::vector<int32_t> dense_tokens(const std::string& config) {
  const auto b = test::read_file(dense_ckpt(config, "tokens.json"));
  return nlohmann::json::parse(b.begin(), b.end()).get<std::vector<int32_t>>();
}

float max_diff(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("qwen2 and llama logits match the NumPy reference, GGUF and HF", "[model][dense]") {
  for (const char* config : {"qwen2", "llama"}) {
    const auto tokens = dense_tokens(config);
    const auto ref = npy(dense_ckpt(config, "ref_logits.npy"));
    for (const char* src : {"model.gguf", "hf"}) {
      INFO(config << " from " << src);
      const auto model = Model::load(dense_ckpt(config, src));
      CHECK(model->config().architecture == config);
      auto cache = model->new_cache(16);
      auto router = model->new_router();
      std::vector<float> logits(tokens.size() * static_cast<size_t>(model->config().vocab_size));
      model->forward(tokens, cache, router, logits, true);
      CHECK(max_diff(logits, ref) <= 1e-4f);
    }
  }
}

TEST_CASE("dense models: prefill + decode equals the full sequence; KV cache size; dense router", "[model][dense][cache]") {
  for (const char* config : {"qwen2", "llama"}) {
    for (const char* src : {"model.gguf", "hf"}) {
      INFO(config << " from " << src);
      const auto model = Model::load(dense_ckpt(config, src));
      const ModelConfig& c = model->config();
      const auto tokens = dense_tokens(config);
      const int64_t V = c.vocab_size;
      auto full_cache = model->new_cache(16);
      auto router = model->new_router();
      std::vector<float> full(tokens.size() * static_cast<size_t>(V));
      model->forward(tokens, full_cache, router, full, true);
      Session s(model);
      s.prefill(std::span(tokens).first(4));
      CHECK(max_diff(s.logits(), std::span(full).subspan(3 * V, V)) <= 1e-5f);
      for (size_t t = 4; t < tokens.size(); ++t) {
        s.decode(tokens[t]);
        CHECK(max_diff(s.logits(), std::span(full).subspan(t * V, V)) <= 1e-5f);
      }
      CHECK(s.cache().bytes_per_token() == 2 * c.num_key_value_heads * c.head_dim * c.num_hidden_layers * 2);
      CHECK(s.router().config().n_experts == 0);
      CHECK(s.router().last_choice(0, 0).empty());
    }
  }
  CHECK(Model::load(dense_ckpt("qwen2", "hf"))->config().tie_word_embeddings);
  CHECK_FALSE(Model::load(dense_ckpt("llama", "hf"))->config().tie_word_embeddings);
}
