// q8_0 / q5_0 / q4_0 / q4_1 / q5_1 / iq4_nl files, whose matrices the loader repacks into interleaved row groups
// (kernels/row_groups.hpp) on CPUs with the group kernel, against the same file left in
// rows and against its values decoded to f32 (the path the NumPy reference checks): a
// layout slip (an expert slice off by a group, a tied embedding read as rows) shows here.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/quantize.hpp"
#include "kernels/row_groups.hpp"
#include "test_util.hpp"

using namespace dsinfer;

namespace {

std::string ckpt(const std::string& config, const std::string& rel) {
  return std::string(DSINFER_CHECKPOINTS) + "/" + config + "/" + rel;
}

std::vector<float> all_logits(const Model& m, const std::vector<int32_t>& tokens) {
  auto cache = m.new_cache(static_cast<int64_t>(tokens.size()));
  auto router = m.new_router();
  std::vector<float> logits(tokens.size() * static_cast<size_t>(m.config().vocab_size));
  m.forward(tokens, cache, router, logits, true);
  return logits;
}

}  // namespace

TEST_CASE("32-value block GGUF files: repacked weights give the logits of the rows they came from",
          "[model][repack]") {
  for (DType type : {DType::q8_0, DType::q5_0, DType::q4_0, DType::q4_1, DType::q5_1, DType::iq4_nl})
    for (const char* config : {"v2lite", "v3", "qwen2", "llama"}) {
      INFO(dtype_name(type) << " " << config);
      const bool groups = kernels::has_group_kernel(type);
      const GgufFile src = GgufFile::open(ckpt(config, "model.gguf"));
      GgufWriter quant, f32;
      for (const auto& [key, value] : src.metadata()) {
        quant.set(key, value);
        f32.set(key, value);
      }
      int64_t quantized_bytes = 0;
      for (const TensorView& t : src.tensors()) {
        std::vector<float> v(static_cast<size_t>(t.numel()));
        dequantize(t, v);
        if (t.shape.size() < 2 || t.shape.back() % 32 != 0) {
          quant.add_tensor(t.name, DType::f32, t.shape, quantize(DType::f32, v));
          f32.add_tensor(t.name, DType::f32, t.shape, quantize(DType::f32, v));
          continue;
        }
        auto q = quantize(type, v);
        const TensorView qv{t.name, type, t.shape, q.data(), q.size()};
        dequantize(qv, v);
        quantized_bytes += static_cast<int64_t>(q.size());
        quant.add_tensor(t.name, type, t.shape, std::move(q));
        f32.add_tensor(t.name, DType::f32, t.shape, quantize(DType::f32, v));
      }
      test::TempDir dir("repack");
      quant.write(dir.file("quant.gguf"));
      f32.write(dir.file("f32.gguf"));
      LoadOptions rows_only;
      rows_only.repack = false;
      const auto mq = Model::load(dir.file("quant.gguf")), mr = Model::load(dir.file("quant.gguf"), rows_only),
                 mf = Model::load(dir.file("f32.gguf"));
      // Every quantized matrix has whole groups of rows here, each expert too; only the
      // embedding (looked up, not multiplied) stays in rows unless the output shares it.
      if (groups) {
        CHECK(mq->repacking().bytes > 0);
        CHECK(mq->repacking().bytes <= quantized_bytes);
      } else {
        CHECK(mq->repacking().bytes == 0);
      }
      CHECK(mr->repacking().bytes == 0);
      CHECK(mf->repacking().bytes == 0);

      const auto b = test::read_file(ckpt(config, "tokens.json"));
      const auto tokens = nlohmann::json::parse(b.begin(), b.end()).get<std::vector<int32_t>>();
      const auto lq = all_logits(*mq, tokens), lr = all_logits(*mr, tokens), lf = all_logits(*mf, tokens);
      // Groups and rows do the same integer products; only the order of float sums differs.
      // The integer kernels quantize activations to int8 per 32 values (as llama.cpp does), which
      // moves these logits by 1-4% of their range from the f32 ones. A misplaced row or group
      // moves them by the whole range.
      float range = 0, vs_rows = 0, vs_f32 = 0;
      for (size_t i = 0; i < lf.size(); ++i) {
        range = std::max(range, std::fabs(lf[i]));
        vs_rows = std::max(vs_rows, std::fabs(lq[i] - lr[i]));
        vs_f32 = std::max(vs_f32, std::fabs(lq[i] - lf[i]));
      }
      INFO("largest logit " << range << ", difference to rows " << vs_rows << ", to f32 " << vs_f32);
      CHECK(vs_rows <= 1e-4f * range);
      CHECK(vs_f32 <= 0.1f * range);
    }
}
