#include <catch2/catch.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/model_config.hpp"

using namespace dsinfer;

namespace {

const char* kV3 = R"({
  "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
  "vocab_size": 129280, "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
  "num_hidden_layers": 61, "num_nextn_predict_layers": 1, "num_attention_heads": 128, "num_key_value_heads": 128,
  "n_shared_experts": 1, "n_routed_experts": 256, "routed_scaling_factor": 2.5, "kv_lora_rank": 512,
  "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
  "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "num_experts_per_tok": 8, "moe_layer_freq": 1,
  "first_k_dense_replace": 3, "norm_topk_prob": true, "scoring_func": "sigmoid",
  "max_position_embeddings": 163840, "rms_norm_eps": 1e-06, "rope_theta": 10000,
  "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
                   "original_max_position_embeddings": 4096, "type": "yarn"},
  "bos_token_id": 0, "eos_token_id": 1, "tie_word_embeddings": false,
  "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]}
})";

std::string edit(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("DeepSeek-V3's config.json", "[config]") {
  const ModelConfig c = config_from_hf_json(kV3, "config.json");
  CHECK_NOTHROW(c.validate());
  CHECK(c.topk_method == TopkMethod::noaux_tc);
  CHECK(c.scoring_func == ScoringFunc::sigmoid);
  CHECK(c.mla_cache_width() == 576);
  CHECK(c.is_moe_layer(3));
  CHECK_FALSE(c.is_moe_layer(2));
  // (192^-0.5) * (0.1 * 1.0 * ln 40 + 1)^2
  CHECK(c.softmax_scale() == Approx(std::pow(192.0, -0.5) * std::pow(0.1 * std::log(40.0) + 1.0, 2)));
}

TEST_CASE("config errors name the key", "[config]") {
  CHECK_THROWS_WITH(config_from_hf_json(edit(kV3, R"("kv_lora_rank": 512,)", ""), "cfg.json"),
                    Catch::Contains("cfg.json") && Catch::Contains("kv_lora_rank") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(config_from_hf_json(edit(kV3, R"("hidden_size": 7168)", R"("hidden_size": "big")"), "c"),
                    Catch::Contains("hidden_size"));
  CHECK_THROWS_WITH(config_from_hf_json(edit(kV3, R"("topk_method": "noaux_tc")", R"("topk_method": "magic")"), "c"),
                    Catch::Contains("topk_method"));
  CHECK_THROWS_WITH(config_from_hf_json("{not json", "c"), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(config_from_hf_json(edit(kV3, "deepseek_v3", "mistral"), "c"), Catch::Contains("model_type"));
  auto contradictory = config_from_hf_json(edit(kV3, R"("num_experts_per_tok": 8)", R"("num_experts_per_tok": 300)"), "c");
  CHECK_THROWS_WITH(contradictory.validate(), Catch::Contains("num_experts_per_tok"));
  auto groups = config_from_hf_json(edit(kV3, R"("n_group": 8)", R"("n_group": 7)"), "c");
  CHECK_THROWS_WITH(groups.validate(), Catch::Contains("n_group"));
  auto odd_rope = config_from_hf_json(edit(kV3, R"("qk_rope_head_dim": 64)", R"("qk_rope_head_dim": 63)"), "c");
  CHECK_THROWS_WITH(odd_rope.validate(), Catch::Contains("qk_rope_head_dim"));
}
