// Hugging Face checkpoints. The first byte picks what the rest is:
//   0: one .safetensors file, parsed from memory
//   1: model.safetensors.index.json, then shards "a.safetensors" and "b.safetensors"
//      (parts joined by fuzz::kSeparator), opened as a directory
//   2: config.json, then model.safetensors: a whole checkpoint loaded as a model
// Parts go to files because sharded checkpoints and models are opened by path.
#include <cstring>
#include <filesystem>

#include "dsinfer/model.hpp"
#include "dsinfer/model_config.hpp"
#include "dsinfer/safetensors.hpp"
#include "fuzz_support.hpp"

using namespace dsinfer;

namespace {

// Reads a view's first and last byte: ASan reports it if the view is not inside the file.
void touch(const TensorView& t) {
  if (t.nbytes == 0) return;
  volatile std::byte sink = t.data[0];
  sink = t.data[t.nbytes - 1];
  (void)sink;
  (void)t.numel();
}

std::string fresh_dir(const char* name) {
  const std::string dir = fuzz::scratch_dir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  if (mode == 0) {
    std::vector<std::byte> bytes(rest.size());
    if (!rest.empty()) std::memcpy(bytes.data(), rest.data(), rest.size());
    fuzz::refused([&] {
      const auto f = SafetensorsFile::parse(MappedFile::from_bytes(std::move(bytes), "fuzz.safetensors"));
      for (const TensorView& t : f.tensors()) touch(t);
    });
    return 0;
  }
  if (mode == 1) {
    const auto parts = fuzz::split_parts(rest, 3);
    const std::string dir = fresh_dir("sharded");
    fuzz::write_file(dir + "/model.safetensors.index.json", parts[0]);
    if (parts.size() > 1) fuzz::write_file(dir + "/a.safetensors", parts[1]);
    if (parts.size() > 2) fuzz::write_file(dir + "/b.safetensors", parts[2]);
    fuzz::refused([&] {
      const auto set = SafetensorsSet::open(dir);
      for (const TensorView* t : set.tensors()) touch(*t);
    });
    return 0;
  }
  const auto parts = fuzz::split_parts(rest, 2);
  fuzz::refused([&] { config_from_hf_json(std::string(parts[0]), "config.json").validate(); });
  if (parts.size() < 2) return 0;
  const std::string dir = fresh_dir("checkpoint");
  fuzz::write_file(dir + "/config.json", parts[0]);
  fuzz::write_file(dir + "/model.safetensors", parts[1]);
  fuzz::refused([&] {
    LoadOptions o;
    o.threads = 1;
    const auto model = Model::load(dir, o);
    auto cache = model->new_cache(4);
    auto router = model->new_router();
    std::vector<float> logits(static_cast<size_t>(model->config().vocab_size));
    const int32_t token = 0;
    model->forward(std::span(&token, 1), cache, router, logits, false);
  });
  return 0;
}
