// The deepseek2 forward pass against the independent NumPy reference
// (tests/reference/deepseek_ref.py) on small random checkpoints that
// make_deepseek_checkpoint.py writes in both Hugging Face and GGUF form from one set of
// weights. CTest runs the generator first (fixture "deepseek_checkpoints").
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/quantize.hpp"
#include "dsinfer/safetensors.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

std::string ckpt(const std::string& config, const std::string& rel) {
  return std::string(DSINFER_CHECKPOINTS) + "/" + config + "/" + rel;
}

std::vector<float> read_npy_f32(const std::string& path) {
  const auto b = test::read_file(path);
  REQUIRE(b.size() > 10);
  const size_t hlen = b[8] | (b[9] << 8);
  std::vector<float> v((b.size() - 10 - hlen) / 4);
  std::memcpy(v.data(), b.data() + 10 + hlen, v.size() * 4);
  return v;
}

std::vector<int32_t> read_tokens(const std::string& config) {
  const auto b = test::read_file(ckpt(config, "tokens.json"));
  return nlohmann::json::parse(b.begin(), b.end()).get<std::vector<int32_t>>();
}

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

std::vector<float> run_all(const Model& m, const std::vector<int32_t>& tokens, MoeRouter* router_out = nullptr) {
  auto cache = m.new_cache(64);
  auto router = m.new_router();
  std::vector<float> logits(tokens.size() * static_cast<size_t>(m.config().vocab_size));
  m.forward(tokens, cache, router, logits, true);
  if (router_out) *router_out = router;
  return logits;
}

const char* kConfigs[] = {"v2lite", "v3", "v2"};

}  // namespace

TEST_CASE("deepseek2 logits match the NumPy reference at every position, GGUF and HF", "[model][deepseek2]") {
  for (const char* config : kConfigs) {
    const auto tokens = read_tokens(config);
    const auto ref = read_npy_f32(ckpt(config, "ref_logits.npy"));
    for (const char* src : {"model.gguf", "hf"}) {
      INFO(config << " from " << src);
      const auto model = Model::load(ckpt(config, src));
      CHECK(model->config().architecture == "deepseek2");
      const auto got = run_all(*model, tokens);
      CHECK(max_abs_diff(got, ref) <= 1e-4f);
      // The GGUF checkpoints carry a tokenizer (v2lite / v2 name the deepseek-llm pre-tokenizer).
      if (std::string(src) == "model.gguf") CHECK(model->tokenizer() != nullptr);
    }
  }
}

TEST_CASE("GGUF and HF loads of the same weights agree", "[model][deepseek2]") {
  for (const char* config : kConfigs) {
    INFO(config);
    const auto tokens = read_tokens(config);
    const auto a = run_all(*Model::load(ckpt(config, "model.gguf")), tokens);
    const auto b = run_all(*Model::load(ckpt(config, "hf")), tokens);
    CHECK(max_abs_diff(a, b) <= 1e-5f);
    const auto ga = Model::load(ckpt(config, "model.gguf"))->config();
    const auto hb = Model::load(ckpt(config, "hf"))->config();
    CHECK(ga.topk_method == hb.topk_method);
    CHECK(ga.scoring_func == hb.scoring_func);
    CHECK(ga.q_lora_rank == hb.q_lora_rank);
    CHECK(std::fabs(ga.softmax_scale() - hb.softmax_scale()) < 1e-6);
  }
}

TEST_CASE("routing decisions match the reference's", "[model][deepseek2][router]") {
  for (const char* config : kConfigs) {
    const auto tokens = read_tokens(config);
    const auto rb = test::read_file(ckpt(config, "ref_routing.json"));
    const auto ref = nlohmann::json::parse(rb.begin(), rb.end());
    for (const char* src : {"model.gguf", "hf"}) {
      INFO(config << " from " << src);
      const auto model = Model::load(ckpt(config, src));
      MoeRouter router = model->new_router();
      run_all(*model, tokens, &router);
      for (const auto& layer : ref["layers"]) {
        const int64_t l = layer["layer"].get<int64_t>();
        for (size_t t = 0; t < tokens.size(); ++t) {
          auto choice = router.last_choice(l, static_cast<int64_t>(t));
          std::vector<std::pair<int32_t, float>> got;
          for (const auto& c : choice) got.emplace_back(c.expert, c.weight);
          std::sort(got.begin(), got.end());
          const auto want_ids = layer["experts"][t].get<std::vector<int32_t>>();
          const auto want_w = layer["weights"][t].get<std::vector<double>>();
          REQUIRE(got.size() == want_ids.size());
          for (size_t k = 0; k < got.size(); ++k) {
            CHECK(got[k].first == want_ids[k]);
            CHECK(std::fabs(got[k].second - want_w[k]) < 1e-5);
          }
        }
        uint64_t total = 0;
        for (uint64_t c : router.expert_counts(l)) total += c;
        CHECK(total == tokens.size() * static_cast<size_t>(model->config().num_experts_per_tok));
      }
      CHECK(router.last_choice(0, 0).empty());  // layer 0 is dense in every config
    }
  }
}

TEST_CASE("prefill then one-token decodes reproduce the full-sequence logits", "[model][deepseek2][cache]") {
  for (const char* config : kConfigs) {
    for (const char* src : {"model.gguf", "hf"}) {
      INFO(config << " from " << src);
      const auto model = Model::load(ckpt(config, src));
      const auto tokens = read_tokens(config);
      const int64_t V = model->config().vocab_size;
      const auto full = run_all(*model, tokens);
      auto cache = model->new_cache(static_cast<int64_t>(tokens.size()));
      auto router = model->new_router();
      const size_t prefill = 3;
      std::vector<float> last(static_cast<size_t>(V));
      model->forward(std::span(tokens).first(prefill), cache, router, last, false);
      CHECK(max_abs_diff(last, std::span(full).subspan((prefill - 1) * V, V)) <= 1e-5f);
      for (size_t t = prefill; t < tokens.size(); ++t) {
        model->forward(std::span(tokens).subspan(t, 1), cache, router, last, false);
        CHECK(max_abs_diff(last, std::span(full).subspan(t * V, V)) <= 1e-5f);
      }
      CHECK(cache.size() == static_cast<int64_t>(tokens.size()));
      // The cache is full now: one more token is a clear error and leaves the cache as it was.
      CHECK_THROWS_WITH(model->forward(std::span(tokens).first(1), cache, router, last, false),
                        Catch::Contains("context is full"));
      CHECK(cache.size() == static_cast<int64_t>(tokens.size()));

      // Rolling back and replaying the tail gives the same logits again.
      cache.truncate(4);
      model->forward(std::span(tokens).subspan(4), cache, router, last, false);
      CHECK(max_abs_diff(last, std::span(full).subspan((tokens.size() - 1) * V, V)) <= 1e-5f);
    }
  }
}

TEST_CASE("the MLA cache holds only latent + rope key per token and layer", "[model][deepseek2][cache]") {
  const auto model = Model::load(ckpt("v3", "model.gguf"));
  const ModelConfig& c = model->config();
  auto cache = model->new_cache(16);
  CHECK(cache.bytes_per_token() == (c.kv_lora_rank + c.qk_rope_head_dim) * c.num_hidden_layers * 2);  // f16
  CHECK(c.mla_cache_width() == 32 + 8);
  CHECK(c.num_hidden_layers == 3);  // the HF checkpoint's MTP layer 3 is not a decoder layer here
  CHECK(Model::load(ckpt("v3", "hf"))->config().num_hidden_layers == 3);
}

TEST_CASE("bad token ids and buffers are errors, not crashes", "[model][deepseek2]") {
  const auto model = Model::load(ckpt("v2lite", "model.gguf"));
  auto cache = model->new_cache(8);
  auto router = model->new_router();
  std::vector<float> logits(static_cast<size_t>(model->config().vocab_size));
  const std::vector<int32_t> bad{1, 96};
  CHECK_THROWS_WITH(model->forward(bad, cache, router, logits, false), Catch::Contains("outside the vocabulary"));
  const std::vector<int32_t> neg{-1};
  CHECK_THROWS_AS(model->forward(neg, cache, router, logits, false), Error);
  std::vector<float> small(3);
  const std::vector<int32_t> ok{1};
  CHECK_THROWS_WITH(model->forward(ok, cache, router, small, false), Catch::Contains("logits buffer"));
  CHECK(cache.size() == 0);
  auto other = MlaCache(2, 32, 8, 8);
  CHECK_THROWS_WITH(model->forward(ok, other, router, logits, false), Catch::Contains("different model"));
}

TEST_CASE("loading names what is missing or contradictory", "[model][deepseek2]") {
  test::TempDir dir("ds-broken");
  std::filesystem::copy(ckpt("v2lite", "hf"), dir.path / "hf");
  // A checkpoint missing one tensor.
  {
    const auto st = SafetensorsFile::open((dir.path / "hf" / "model.safetensors").string());
    std::vector<SafetensorsEntry> keep;
    for (const auto& t : st.tensors())
      if (t.name != "model.layers.1.self_attn.kv_a_layernorm.weight")
        keep.push_back({t.name, t.dtype, t.shape, std::vector<std::byte>(t.data, t.data + t.nbytes)});
    write_safetensors((dir.path / "hf" / "model.safetensors").string(), keep);
  }
  CHECK_THROWS_WITH(Model::load((dir.path / "hf").string()),
                    Catch::Contains("model.layers.1.self_attn.kv_a_layernorm.weight") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(Model::load((dir.path / "nowhere").string()), Catch::Contains("no such file"));
}

TEST_CASE("FP8 checkpoints with block scales load as their dequantized values", "[model][deepseek2][fp8]") {
  // The V3 checkpoint re-encoded the way DeepSeek-V3 ships: every projection matrix in
  // E4M3 with a weight_scale_inv per block (16x16 here, so the tiny matrices span several
  // blocks with ragged edges). A twin checkpoint holds the same values decoded to f32; the
  // two must give the same logits.
  constexpr int64_t kBlock = 16;
  test::TempDir dir("ds-fp8");
  std::filesystem::create_directories(dir.path / "fp8");
  std::filesystem::create_directories(dir.path / "f32");
  const auto src = SafetensorsFile::open(ckpt("v3", "hf/model.safetensors"));
  std::vector<SafetensorsEntry> fp8, f32;
  size_t n_fp8 = 0;
  for (const auto& t : src.tensors()) {
    std::vector<std::byte> bytes(t.data, t.data + t.nbytes);
    const bool project = t.shape.size() == 2 && t.name.find("proj") != std::string::npos && t.name.find("layers.3.") == std::string::npos;
    if (!project) {
      fp8.push_back({t.name, t.dtype, t.shape, bytes});
      f32.push_back({t.name, t.dtype, t.shape, bytes});
      continue;
    }
    const int64_t rows = t.shape[0], cols = t.shape[1];
    const int64_t sr = (rows + kBlock - 1) / kBlock, sc = (cols + kBlock - 1) / kBlock;
    std::vector<float> w(static_cast<size_t>(rows * cols)), scaled(w.size()), scale(static_cast<size_t>(sr * sc));
    dequantize(t, w);
    for (int64_t bi = 0; bi < sr; ++bi)
      for (int64_t bj = 0; bj < sc; ++bj) {
        float amax = 0;
        for (int64_t r = bi * kBlock; r < std::min(rows, (bi + 1) * kBlock); ++r)
          for (int64_t c = bj * kBlock; c < std::min(cols, (bj + 1) * kBlock); ++c) amax = std::max(amax, std::fabs(w[r * cols + c]));
        scale[bi * sc + bj] = amax > 0 ? amax / 448.0f : 1.0f;
      }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) scaled[r * cols + c] = w[r * cols + c] / scale[(r / kBlock) * sc + c / kBlock];
    const auto q = quantize(DType::f8_e4m3, scaled);
    fp8.push_back({t.name, DType::f8_e4m3, t.shape, q});
    fp8.push_back({t.name + "_scale_inv", DType::f32, {sr, sc}, quantize(DType::f32, scale)});
    TensorView qv{t.name, DType::f8_e4m3, t.shape, q.data(), q.size()};
    const auto sbytes = quantize(DType::f32, scale);
    TensorView sv{t.name + "_scale_inv", DType::f32, {sr, sc}, sbytes.data(), sbytes.size()};
    std::vector<float> back(w.size());
    dequantize_fp8_blockwise(qv, sv, kBlock, kBlock, back);
    f32.push_back({t.name, DType::f32, t.shape, quantize(DType::f32, back)});
    ++n_fp8;
  }
  REQUIRE(n_fp8 > 20);
  write_safetensors((dir.path / "fp8" / "model.safetensors").string(), fp8);
  write_safetensors((dir.path / "f32" / "model.safetensors").string(), f32);
  const auto cb = test::read_file(ckpt("v3", "hf/config.json"));
  auto config = nlohmann::json::parse(cb.begin(), cb.end());
  std::ofstream((dir.path / "f32" / "config.json").string()) << config.dump();
  config["quantization_config"] = {{"quant_method", "fp8"}, {"fmt", "e4m3"}, {"weight_block_size", {kBlock, kBlock}}};
  std::ofstream((dir.path / "fp8" / "config.json").string()) << config.dump();

  const auto tokens = read_tokens("v3");
  const auto a = run_all(*Model::load((dir.path / "fp8").string()), tokens);
  const auto b = run_all(*Model::load((dir.path / "f32").string()), tokens);
  CHECK(max_abs_diff(a, b) <= 1e-5f);
  // FP8 is lossy, yet the model must stay close to the original weights' logits.
  CHECK(max_abs_diff(a, read_npy_f32(ckpt("v3", "ref_logits.npy"))) < 0.05f);
}
