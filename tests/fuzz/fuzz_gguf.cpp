// GGUF bytes -> the reader, then everything that reads a parsed GGUF: typed metadata
// reads, the tokenizer, the model config and a full model load with one forward step and
// one sampled token.
#include <cstdlib>
#include <cstring>
#include <optional>

#include "dsinfer/gguf.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/sampler.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"

using namespace dsinfer;

namespace {

void read_every_value(const GgufValue& v) {
  (void)v.summary();
  fuzz::refused([&] { (void)v.as_int(); });
  fuzz::refused([&] { (void)v.as_uint(); });
  fuzz::refused([&] { (void)v.as_double(); });
  fuzz::refused([&] { (void)v.as_bool(); });
  fuzz::refused([&] { (void)v.as_string(); });
  fuzz::refused([&] { (void)v.as_int_array(); });
  fuzz::refused([&] { (void)v.as_double_array(); });
  fuzz::refused([&] { (void)v.as_string_array(); });
  for (const GgufValue& item : v.items) read_every_value(item);
}

void use_tokenizer(const Tokenizer& t) {
  const auto ids = t.encode("Hello the world, 1234 <think> caf\xc3\xa9 \xe4\xb8\x96", true, true);
  (void)t.decode(ids, false);
  (void)t.bos_token();
  (void)t.eos_token();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  std::optional<GgufFile> g;
  if (fuzz::refused([&] { g = GgufFile::parse(MappedFile::from_bytes(std::move(bytes), "fuzz.gguf")); })) return 0;

  for (const auto& [key, value] : g->metadata()) read_every_value(value);
  for (const TensorView& t : g->tensors()) (void)g->find_tensor(t.name);
  fuzz::refused([&] { use_tokenizer(*Tokenizer::from_gguf(*g)); });
  ModelConfig config;
  if (fuzz::refused([&] {
        config = config_from_gguf(*g);
        config.validate();
      }))
    return 0;

  fuzz::refused([&] {
    LoadOptions o;
    o.threads = 1;
    const auto model = Model::load_gguf(std::move(*g), o);
    auto cache = model->new_cache(4);
    auto router = model->new_router();
    std::vector<float> logits(static_cast<size_t>(model->config().vocab_size));
    const int32_t tokens[] = {0, 1};
    model->forward(std::span(tokens, 2), cache, router, logits, false);
    // Whatever the weights hold (NaN, infinities), choosing a token must stay in bounds.
    SamplerParams sp;
    sp.top_k = 0;
    std::vector<TokenLogprob> top;
    float lp;
    const int32_t id = Sampler(sp).sample(logits, tokens, 3, &top, &lp);
    if (id < 0 || id >= model->config().vocab_size) std::abort();
    if (model->tokenizer()) use_tokenizer(*model->tokenizer());
  });
  return 0;
}
