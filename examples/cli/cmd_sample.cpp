// dsinfer sample-gguf: a small, deterministic GGUF with tensors of several stored types,
// written through the library's own writer and quantizer so `info` has something real
// to read on a machine with no model files.
#include <cmath>
#include <cstdio>
#include <random>

#include "commands.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/quantize.hpp"

namespace cli {

int cmd_sample_gguf(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') throw UsageError("sample-gguf: expected one PATH");
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  auto values = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = normal(rng);
    return v;
  };
  dsinfer::GgufWriter w;
  w.set("general.architecture", dsinfer::GgufValue::of_string("dsinfer-sample"));
  w.set("general.name", dsinfer::GgufValue::of_string("dsinfer sample file (random weights, not a model)"));
  w.set("dsinfer-sample.embedding_length", dsinfer::GgufValue::of_u32(64));
  w.set("dsinfer-sample.block_count", dsinfer::GgufValue::of_u32(2));
  w.set("tokenizer.ggml.tokens", dsinfer::GgufValue::of_strings({"<s>", "</s>", "a", "b"}));
  const struct {
    const char* name;
    dsinfer::DType type;
    std::vector<int64_t> shape;
  } tensors[] = {
      {"token_embd.weight", dsinfer::DType::f16, {4, 64}},
      {"blk.0.attn_norm.weight", dsinfer::DType::f32, {64}},
      {"blk.0.ffn_up.weight", dsinfer::DType::q8_0, {128, 64}},
      {"blk.1.attn_norm.weight", dsinfer::DType::f32, {64}},
      {"blk.1.ffn_up.weight", dsinfer::DType::bf16, {128, 64}},
  };
  for (const auto& t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    w.add_tensor(t.name, t.type, t.shape, dsinfer::quantize(t.type, values(n)));
  }
  w.write(args[0]);
  std::printf("wrote %s\n", args[0].c_str());
  return 0;
}

}  // namespace cli
