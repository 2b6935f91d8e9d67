// Where a model's tensors come from: one GGUF file or a Hugging Face safetensors
// checkpoint, behind one lookup by name.
#pragma once

#include <memory>
#include <string>

#include "dsinfer/gguf.hpp"
#include "dsinfer/safetensors.hpp"

namespace dsinfer {

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual const TensorView* find(const std::string& name) const = 0;
  virtual const std::string& path() const = 0;
  virtual bool is_gguf() const = 0;
  // A tensor's bytes were copied elsewhere and will not be read here again.
  virtual void release(const TensorView& t) const { (void)t; }
};

class GgufSource : public TensorSource {
 public:
  explicit GgufSource(GgufFile f) : file_(std::move(f)) {}
  const TensorView* find(const std::string& name) const override { return file_.find_tensor(name); }
  const std::string& path() const override { return file_.path(); }
  bool is_gguf() const override { return true; }
  void release(const TensorView& t) const override { file_.file()->release(t.data, t.nbytes); }
  const GgufFile& file() const { return file_; }

 private:
  GgufFile file_;
};

class SafetensorsSource : public TensorSource {
 public:
  SafetensorsSource(SafetensorsSet s, std::string dir) : set_(std::move(s)), dir_(std::move(dir)) {}
  const TensorView* find(const std::string& name) const override { return set_.find_tensor(name); }
  const std::string& path() const override { return dir_; }
  bool is_gguf() const override { return false; }

 private:
  SafetensorsSet set_;
  std::string dir_;
};

}  // namespace dsinfer
