// The deepseek2 family (DeepSeek-V2, V2-Lite, V2.5, V3, V3.1, R1): loading, and the forward
// pass over a chunk of tokens: MLA attention over the latent cache (mla_attention.hpp),
// then a dense MLP or DeepSeekMoE (feed_forward.hpp).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "kernels/matmul.hpp"
#include "kernels/matvec.hpp"
#include "kernels/ops.hpp"
#include "model/deepseek2_weights.hpp"
#include "model/dense.hpp"
#include "model/feed_forward.hpp"
#include "model/mla_attention.hpp"
#include "model/rope.hpp"
#include "model/tensor_source.hpp"
#include "runtime/system_memory.hpp"

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

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelConfig& Model::config() const { return impl_->cfg; }
const std::string& Model::path() const { return impl_->path; }
const char* Model::format() const { return impl_->source->is_gguf() ? "gguf" : "safetensors"; }

Model::Repacking Model::repacking() const {
  const WeightStore& s = impl_->dense ? impl_->dense->store : impl_->w.store;
  return {s.grouped_bytes, s.group_seconds};
}

namespace {

// Repacked weights live in memory this process owns, which (without swap) cannot be handed
// back the way a mapped file's pages can: repack only when the whole file fits in what the
// machine can still give, with a GiB to spare. A file larger than that keeps reading its
// experts through the page cache. Only GGUF files carry the types the groups are made for;
// the binder checks each matrix's type against this CPU's group kernels.
bool regroup_fits(const TensorSource& src) {
  const auto* gguf = dynamic_cast<const GgufSource*>(&src);
  return gguf && gguf->file().file()->size() + (uint64_t{1} << 30) <= available_memory_bytes();
}

// Validates, binds weights and starts the pool: the part of loading both formats share.
std::unique_ptr<Model::Impl> finish_load(std::unique_ptr<Model::Impl> impl, int64_t fp8_block, const LoadOptions& options) {
  try {
    impl->cfg.validate();
  } catch (const Error& e) {
    throw Error(e.code(), impl->path + ": " + e.what());
  }
  impl->pool = std::make_unique<ThreadPool>(options.threads);
  ThreadPool* regroup = options.repack && regroup_fits(*impl->source) ? impl->pool.get() : nullptr;
  if (impl->cfg.is_dense_arch())
    impl->dense = std::make_unique<DenseWeights>(
        bind_dense_weights(impl->cfg, *impl->source, fp8_block, regroup, options.progress));
  else
    impl->w = bind_deepseek2_weights(impl->cfg, *impl->source, fp8_block, regroup, options.progress);
  impl->rope = RopeFrequencies(impl->cfg);
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

Model::TokenCost Model::token_cost() const {
  TokenCost cost;
  auto add = [&](const Matrix& w, double times = 1.0) {
    cost.weight_bytes += static_cast<int64_t>(times * static_cast<double>(w.rows) * static_cast<double>(w.row_bytes));
    cost.multiply_adds += static_cast<int64_t>(times * static_cast<double>(w.rows) * static_cast<double>(w.cols));
  };
  auto add_mlp = [&](const MlpWeights& m, double times = 1.0) {
    if (m.gate.empty()) return;
    add(m.gate, times);
    add(m.up, times);
    add(m.down, times);
  };
  const Impl& m = *impl_;
  const ModelConfig& c = m.cfg;
  if (m.dense) {
    cost.weight_bytes += static_cast<int64_t>(m.dense->embed.row_bytes);
    for (const DenseLayer& L : m.dense->layers) {
      for (const Matrix* w : {&L.wq, &L.wk, &L.wv, &L.wo}) add(*w);
      add_mlp(L.mlp);
    }
    add(m.dense->output);
    return cost;
  }
  cost.weight_bytes += static_cast<int64_t>(m.w.embed.row_bytes);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const Deepseek2Layer& L = m.w.layers[static_cast<size_t>(l)];
    for (const Matrix* w : {&L.wq, &L.wq_a, &L.wq_b, &L.wkv_a, &L.wo})
      if (!w->empty()) add(*w);
    for (const Matrix& w : L.w_uk) add(w);
    for (const Matrix& w : L.w_uv) add(w);
    if (!c.is_moe_layer(l)) {
      add_mlp(L.dense);
      continue;
    }
    cost.weight_bytes += static_cast<int64_t>(L.router.size() * sizeof(float));
    cost.multiply_adds += static_cast<int64_t>(L.router.size());
    // Experts are usually equal in shape and type; average in case they are not.
    double bytes = 0, macs = 0;
    for (const MlpWeights& e : L.experts)
      for (const Matrix* w : {&e.gate, &e.up, &e.down}) {
        bytes += static_cast<double>(w->rows) * static_cast<double>(w->row_bytes);
        macs += static_cast<double>(w->rows) * static_cast<double>(w->cols);
      }
    const double k = static_cast<double>(c.num_experts_per_tok) / static_cast<double>(L.experts.size());
    cost.weight_bytes += static_cast<int64_t>(bytes * k);
    cost.multiply_adds += static_cast<int64_t>(macs * k);
    add_mlp(L.shared);
  }
  add(m.w.output);
  return cost;
}

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
    router.begin(n);  // no routing, but the record says which tokens the call had
    dense_forward(c, *m.dense, m.rope, m.pool.get(), tokens, cache, logits, all_logits);
    return;
  }
  const int64_t start = cache.reserve(n);
  router.begin(n);
  ThreadPool* pool = m.pool.get();
  const float eps = static_cast<float>(c.rms_norm_eps);
  const int64_t qlr = c.q_lora_rank, kva_w = kvr + rd;

  // The whole chunk goes through each layer together: every weight matrix is read once
  // per chunk and multiplies all its tokens (one token when decoding).
  std::vector<float> x(static_cast<size_t>(n * H)), h(x.size()), o(x.size());
  std::vector<float> q(static_cast<size_t>(n * nh * qk)), qa(static_cast<size_t>(n * std::max<int64_t>(qlr, 1)));
  std::vector<float> kva(static_cast<size_t>(n * kva_w)), att(static_cast<size_t>(n * nh * vd));
  for (int64_t t = 0; t < n; ++t) kernels::decode_row(m.w.embed, tokens[t], x.data() + t * H);
  // One rotation table per position of the chunk, shared by its heads and layers.
  std::vector<float> rope_cos(static_cast<size_t>(n * rd / 2)), rope_sin(rope_cos.size());
  kernels::rope_table(m.rope.inv_freq.data(), rd / 2, start, n, m.rope.mscale, rope_cos.data(), rope_sin.data());

  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const Deepseek2Layer& L = m.w.layers[l];
    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x.data() + t * H, L.attn_norm.data(), eps, H, h.data() + t * H);
    {
      kernels::Activations ha(h.data(), n, H, H);
      const kernels::MatmulTask tasks[2] = {
          qlr > 0 ? kernels::MatmulTask{&L.wq_a, &ha, nullptr, n, qa.data(), qlr}
                  : kernels::MatmulTask{&L.wq, &ha, nullptr, n, q.data(), nh * qk},
          {&L.wkv_a, &ha, nullptr, n, kva.data(), kva_w}};
      kernels::matmul(tasks, pool);
    }
    if (qlr > 0) {
      for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(qa.data() + t * qlr, L.q_a_norm.data(), eps, qlr, qa.data() + t * qlr);
      kernels::matmul(L.wq_b, qa.data(), n, qlr, q.data(), nh * qk, pool);
    }
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = start + t;
      // The normed latent and the roped key, in place in kva, then into the cache as halves.
      float* kv = kva.data() + t * kva_w;
      const float* cs = rope_cos.data() + t * rd / 2;
      const float* sn = rope_sin.data() + t * rd / 2;
      kernels::rmsnorm(kv, L.kv_a_norm.data(), eps, kvr, kv);
      kernels::rope_interleaved(kv + kvr, rd, cs, sn);
      kernels::to_f16(kv, kvr, cache.latent(l, pos).data());
      kernels::to_f16(kv + kvr, rd, cache.rope_key(l, pos).data());
      for (int64_t hd = 0; hd < nh; ++hd) kernels::rope_interleaved(q.data() + (t * nh + hd) * qk + nope, rd, cs, sn);
    }
    mla_attention(c, L, cache, l, start, n, q.data(), att.data(), pool);
    kernels::matmul(L.wo, att.data(), n, nh * vd, o.data(), H, pool);
    for (int64_t i = 0; i < n * H; ++i) x[i] += o[i];

    for (int64_t t = 0; t < n; ++t) kernels::rmsnorm(x.data() + t * H, L.ffn_norm.data(), eps, H, h.data() + t * H);
    if (c.is_moe_layer(l)) moe_forward(c, L, l, h.data(), n, router, x.data(), pool);
    else mlp_forward(L.dense, h.data(), n, H, x.data(), pool);
  }
  const int64_t first = all_logits ? 0 : n - 1;
  for (int64_t t = first; t < n; ++t) kernels::rmsnorm(x.data() + t * H, m.w.out_norm.data(), eps, H, h.data() + t * H);
  kernels::matmul(m.w.output, h.data() + first * H, n - first, H, logits.data(), V, pool);
  cache.commit(n);
}

}  // namespace dsinfer
