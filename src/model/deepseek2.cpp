// The deepseek2 family forward pass (DeepSeek-V2, V2-Lite, V2.5, V3, V3.1, R1), one token
// at a time over the MLA latent cache: attention scores are taken against the cached
// latent c_kv with W_UK absorbed into the query, values are the latent mixed by the scores
// and mapped out per head by W_UV. Prefill runs the same path position by position.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "kernels/matvec.hpp"
#include "kernels/ops.hpp"
#include "model/deepseek2_weights.hpp"
#include "model/dense.hpp"
#include "model/rope.hpp"
#include "model/tensor_source.hpp"

namespace dsinfer {

struct Model::Impl {
  std::string path;
  std::unique_ptr<TensorSource> source;
  ModelConfig cfg;
  Deepseek2Weights w;                    // deepseek2 family
  std::unique_ptr<DenseWeights> dense;   // qwen2 / llama
  RopeFrequencies rope;
  std::unique_ptr<ThreadPool> pool;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::string tokenizer_error;  // why there is no tokenizer
};

namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorCode::io, path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// FP8 checkpoints state their block size in config.json's quantization_config.
int64_t fp8_block_from_hf(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("quantization_config") && j["quantization_config"].is_object()) {
    const auto& q = j["quantization_config"];
    if (q.contains("weight_block_size") && q["weight_block_size"].is_array() && q["weight_block_size"].size() == 2 &&
        q["weight_block_size"][0].is_number_integer() && q["weight_block_size"][0] == q["weight_block_size"][1]) {
      const int64_t b = q["weight_block_size"][0].get<int64_t>();
      if (b > 0) return b;
    }
  }
  return 128;
}

struct Scratch {
  std::vector<float> x, h, q, qa, kva, attn_out, o, scores, q_abs, lat, ffn_a, ffn_b, ffn_out, acc, router_logits;
};

void mlp_forward(const MlpWeights& m, const float* x, float* out, Scratch& s, ThreadPool* pool) {
  s.ffn_a.resize(static_cast<size_t>(m.gate.rows));
  s.ffn_b.resize(static_cast<size_t>(m.up.rows));
  kernels::matvec(m.gate, x, s.ffn_a.data(), pool);
  kernels::matvec(m.up, x, s.ffn_b.data(), pool);
  kernels::swiglu(s.ffn_a.data(), s.ffn_b.data(), m.gate.rows);
  kernels::matvec(m.down, s.ffn_a.data(), out, pool);
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelConfig& Model::config() const { return impl_->cfg; }
const std::string& Model::path() const { return impl_->path; }
const char* Model::format() const { return impl_->source->is_gguf() ? "gguf" : "safetensors"; }

namespace {

// Validates, binds weights and starts the pool: the part of loading both formats share.
std::unique_ptr<Model::Impl> finish_load(std::unique_ptr<Model::Impl> impl, int64_t fp8_block, const LoadOptions& options) {
  try {
    impl->cfg.validate();
  } catch (const Error& e) {
    throw Error(e.code(), impl->path + ": " + e.what());
  }
  if (impl->cfg.is_dense_arch())
    impl->dense = std::make_unique<DenseWeights>(bind_dense_weights(impl->cfg, *impl->source, fp8_block, options.progress));
  else
    impl->w = bind_deepseek2_weights(impl->cfg, *impl->source, fp8_block, options.progress);
  impl->rope = RopeFrequencies(impl->cfg);
  impl->pool = std::make_unique<ThreadPool>(options.threads);
  return impl;
}

}  // namespace

std::shared_ptr<const Model> Model::load_gguf(GgufFile file, const LoadOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = file.path();
  auto gguf = std::make_unique<GgufSource>(std::move(file));
  impl->cfg = config_from_gguf(gguf->file());
  if (impl->cfg.vocab_size == 0)
    if (const TensorView* out = gguf->find("output.weight"); out && out->shape.size() == 2)
      impl->cfg.vocab_size = out->shape[0];
  // A model without a usable tokenizer still runs on token ids; text needs one.
  if (gguf->file().find("tokenizer.ggml.model")) {
    try {
      impl->tokenizer = Tokenizer::from_gguf(gguf->file());
    } catch (const Error& e) {
      impl->tokenizer_error = e.what();
    }
  } else {
    impl->tokenizer_error = impl->path + ": the file carries no tokenizer";
  }
  impl->source = std::move(gguf);
  return std::shared_ptr<const Model>(new Model(finish_load(std::move(impl), 128, options)));
}

std::shared_ptr<const Model> Model::load(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::io, path + ": no such file or directory");
  if (!fs::is_directory(path, ec)) return load_gguf(GgufFile::open(path), options);
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const std::string config_path = (fs::path(path) / "config.json").string();
  if (!fs::exists(config_path, ec)) throw Error(ErrorCode::io, path + ": no config.json in this directory");
  const std::string text = read_text(config_path);
  impl->cfg = config_from_hf_json(text, config_path);
  const int64_t fp8_block = fp8_block_from_hf(text);
  impl->source = std::make_unique<SafetensorsSource>(SafetensorsSet::open(path), path);
  if (fs::exists(fs::path(path) / "tokenizer.json", ec)) {
    try {
      impl->tokenizer = Tokenizer::from_hf_dir(path);
    } catch (const Error& e) {
      impl->tokenizer_error = e.what();
    }
  } else {
    impl->tokenizer_error = path + ": no tokenizer.json in this directory";
  }
  return std::shared_ptr<const Model>(new Model(finish_load(std::move(impl), fp8_block, options)));
}

std::shared_ptr<const Tokenizer> Model::tokenizer() const { return impl_->tokenizer; }

const Tokenizer& Model::require_tokenizer() const {
  if (!impl_->tokenizer)
    throw Error(ErrorCode::unsupported, "this model has no tokenizer, so it works on token ids only (" +
                                            impl_->tokenizer_error + ")");
  return *impl_->tokenizer;
}

ThreadPool& Model::pool() const { return *impl_->pool; }

MlaCache Model::new_cache(int64_t max_tokens) const {
  const ModelConfig& c = impl_->cfg;
  if (c.is_dense_arch())  // K and V of every KV head
    return MlaCache(c.num_hidden_layers, c.num_key_value_heads * c.head_dim, c.num_key_value_heads * c.head_dim, max_tokens);
  return MlaCache(c.num_hidden_layers, c.kv_lora_rank, c.qk_rope_head_dim, max_tokens);
}

MoeRouter Model::new_router() const {
  const ModelConfig& c = impl_->cfg;
  RouterConfig r = RouterConfig::from(c);
  if (r.n_experts == 0) r.top_k = 0;
  return MoeRouter(r, c.num_hidden_layers);
}

void Model::forward(std::span<const int32_t> tokens, MlaCache& cache, MoeRouter& router, std::span<float> logits,
                    bool all_logits) const {
  const Impl& m = *impl_;
  const ModelConfig& c = m.cfg;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) throw Error(ErrorCode::invalid_argument, "forward: no tokens");
  const MlaCache expected_shape = new_cache(1);
  if (cache.n_layers() != expected_shape.n_layers() || cache.kv_lora_rank() != expected_shape.kv_lora_rank() ||
      cache.rope_dim() != expected_shape.rope_dim())
    throw Error(ErrorCode::invalid_argument, "forward: the cache was made for a different model");
  const int64_t V = c.vocab_size, H = c.hidden_size, nh = c.num_attention_heads;
  const int64_t nope = c.qk_nope_head_dim, rd = c.qk_rope_head_dim, qk = c.qk_head_dim();
  const int64_t kvr = c.kv_lora_rank, vd = c.v_head_dim;
  if (static_cast<int64_t>(logits.size()) != (all_logits ? n * V : V))
    throw Error(ErrorCode::invalid_argument, "forward: logits buffer holds " + std::to_string(logits.size()) +
                                                 " values, expected " + std::to_string(all_logits ? n * V : V));
  for (int32_t t : tokens)
    if (t < 0 || t >= V)
      throw Error(ErrorCode::invalid_argument, "forward: token id " + std::to_string(t) + " is outside the vocabulary [0, " +
                                                   std::to_string(V) + ")");
  if (m.dense) {
    dense_forward(c, *m.dense, m.rope, m.pool.get(), tokens, cache, logits, all_logits);
    return;
  }
  const int64_t start = cache.reserve(n);
  router.begin(n);
  ThreadPool* pool = m.pool.get();
  const float scale = static_cast<float>(c.softmax_scale());
  const float eps = static_cast<float>(c.rms_norm_eps);

  Scratch s;
  s.x.resize(H);
  s.h.resize(H);
  s.q.resize(static_cast<size_t>(nh * qk));
  s.qa.resize(static_cast<size_t>(std::max<int64_t>(c.q_lora_rank, 1)));
  s.kva.resize(static_cast<size_t>(kvr + rd));
  s.attn_out.resize(static_cast<size_t>(nh * vd));
  s.o.resize(H);
  s.q_abs.resize(kvr);
  s.lat.resize(kvr);
  s.acc.resize(H);

  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = start + t;
    kernels::decode_row(m.w.embed, tokens[t], s.x.data());
    for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
      const Deepseek2Layer& L = m.w.layers[l];
      kernels::rmsnorm(s.x.data(), L.attn_norm.data(), eps, H, s.h.data());

      if (c.q_lora_rank > 0) {
        kernels::matvec(L.wq_a, s.h.data(), s.qa.data(), pool);
        kernels::rmsnorm(s.qa.data(), L.q_a_norm.data(), eps, c.q_lora_rank, s.qa.data());
        kernels::matvec(L.wq_b, s.qa.data(), s.q.data(), pool);
      } else {
        kernels::matvec(L.wq, s.h.data(), s.q.data(), pool);
      }
      kernels::matvec(L.wkv_a, s.h.data(), s.kva.data(), pool);
      std::span<float> latent = cache.latent(l, pos);
      std::span<float> kpe = cache.rope_key(l, pos);
      kernels::rmsnorm(s.kva.data(), L.kv_a_norm.data(), eps, kvr, latent.data());
      std::copy(s.kva.begin() + kvr, s.kva.begin() + kvr + rd, kpe.begin());
      kernels::rope_interleaved(kpe.data(), rd, m.rope.inv_freq.data(), static_cast<double>(pos), m.rope.mscale);

      const int64_t ctx = pos + 1;
      s.scores.resize(static_cast<size_t>(ctx));
      for (int64_t hd = 0; hd < nh; ++hd) {
        float* qh = s.q.data() + hd * qk;
        float* qpe = qh + nope;
        kernels::rope_interleaved(qpe, rd, m.rope.inv_freq.data(), static_cast<double>(pos), m.rope.mscale);
        // Absorb W_UK: q_abs = W_UK^T q_nope, so q_abs . c_kv == q_nope . k_nope.
        if (L.w_uk_is_transposed) kernels::matvec(L.w_uk[hd], qh, s.q_abs.data(), nullptr);
        else kernels::matvec_transposed(L.w_uk[hd], qh, s.q_abs.data());
        for (int64_t p = 0; p < ctx; ++p) {
          const float* cl = cache.latent(l, p).data();
          const float* kp = cache.rope_key(l, p).data();
          float d = 0.0f;
          for (int64_t i = 0; i < kvr; ++i) d += s.q_abs[i] * cl[i];
          for (int64_t i = 0; i < rd; ++i) d += qpe[i] * kp[i];
          s.scores[p] = d * scale;
        }
        kernels::softmax(s.scores.data(), ctx);
        std::fill(s.lat.begin(), s.lat.end(), 0.0f);
        for (int64_t p = 0; p < ctx; ++p) {
          const float* cl = cache.latent(l, p).data();
          const float w = s.scores[p];
          for (int64_t i = 0; i < kvr; ++i) s.lat[i] += w * cl[i];
        }
        kernels::matvec(L.w_uv[hd], s.lat.data(), s.attn_out.data() + hd * vd, nullptr);
      }
      kernels::matvec(L.wo, s.attn_out.data(), s.o.data(), pool);
      for (int64_t i = 0; i < H; ++i) s.x[i] += s.o[i];

      kernels::rmsnorm(s.x.data(), L.ffn_norm.data(), eps, H, s.h.data());
      if (!c.is_moe_layer(l)) {
        mlp_forward(L.dense, s.h.data(), s.o.data(), s, pool);
        for (int64_t i = 0; i < H; ++i) s.x[i] += s.o[i];
        continue;
      }
      const int64_t E = c.n_routed_experts;
      s.router_logits.resize(static_cast<size_t>(E));
      for (int64_t e = 0; e < E; ++e) {
        const float* row = L.router.data() + e * H;
        float d = 0.0f;
        for (int64_t i = 0; i < H; ++i) d += row[i] * s.h[i];
        s.router_logits[e] = d;
      }
      const auto choice = router.route(l, t, s.router_logits, L.router_bias);
      std::fill(s.acc.begin(), s.acc.end(), 0.0f);
      for (const ExpertChoice& ch : choice) {
        mlp_forward(L.experts[ch.expert], s.h.data(), s.o.data(), s, pool);
        for (int64_t i = 0; i < H; ++i) s.acc[i] += ch.weight * s.o[i];
      }
      if (!L.shared.gate.empty()) {
        mlp_forward(L.shared, s.h.data(), s.o.data(), s, pool);
        for (int64_t i = 0; i < H; ++i) s.acc[i] += s.o[i];
      }
      for (int64_t i = 0; i < H; ++i) s.x[i] += s.acc[i];
    }
    if (all_logits || t == n - 1) {
      kernels::rmsnorm(s.x.data(), m.w.out_norm.data(), eps, H, s.h.data());
      float* out = logits.data() + (all_logits ? t * V : 0);
      kernels::matvec(m.w.output, s.h.data(), out, pool);
    }
  }
  cache.commit(n);
}

}  // namespace dsinfer
