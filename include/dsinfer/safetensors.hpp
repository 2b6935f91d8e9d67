// safetensors: Hugging Face's format, an 8-byte header length, a JSON header, then one
// byte buffer that the header's tensors tile exactly. A checkpoint is one file or a
// directory of shards listed by model.safetensors.index.json.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dsinfer/mapped_file.hpp"
#include "dsinfer/tensor_view.hpp"

namespace dsinfer {

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  static SafetensorsFile parse(std::shared_ptr<const MappedFile> bytes);

  const std::string& path() const { return file_->path(); }
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorView* find_tensor(std::string_view name) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a checkpoint, whichever way it is split.
class SafetensorsSet {
 public:
  // A .safetensors file, or a directory holding model.safetensors.index.json, or
  // model.safetensors, or (else) every *.safetensors file in it.
  static SafetensorsSet open(const std::string& path);

  // Views point into shards_, so the set moves but never copies.
  SafetensorsSet() = default;
  SafetensorsSet(SafetensorsSet&&) = default;
  SafetensorsSet& operator=(SafetensorsSet&&) = default;
  SafetensorsSet(const SafetensorsSet&) = delete;
  SafetensorsSet& operator=(const SafetensorsSet&) = delete;

  const std::vector<SafetensorsFile>& shards() const { return shards_; }
  const std::vector<const TensorView*>& tensors() const { return tensors_; }
  const TensorView* find_tensor(std::string_view name) const;

 private:
  std::vector<SafetensorsFile> shards_;
  std::vector<const TensorView*> tensors_;
  std::unordered_map<std::string, const TensorView*> index_;
};

// Writes one safetensors file (tests and converters). Tensor data must match its shape.
struct SafetensorsEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;
};
std::vector<std::byte> safetensors_bytes(const std::vector<SafetensorsEntry>& tensors,
                                         const std::map<std::string, std::string>& metadata = {});
void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace dsinfer
