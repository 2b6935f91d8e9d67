// A tensor as it lies in a mapped model file: a name, a type, a shape and a pointer to
// bytes the view does not own. Shapes are written outermost first (numpy / PyTorch
// order): a [rows, cols] weight has shape {rows, cols} and each row is contiguous.
// GGUF lists dimensions innermost first; its reader reverses them into this order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dsinfer/dtype.hpp"

namespace dsinfer {

struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;    // outermost first; shape.back() is the contiguous row
  const std::byte* data = nullptr;
  uint64_t nbytes = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t row_length() const { return shape.empty() ? 1 : shape.back(); }
  int64_t rows() const { return shape.empty() ? 1 : numel() / shape.back(); }
  uint64_t row_bytes() const { return rows() ? nbytes / static_cast<uint64_t>(rows()) : 0; }
};

// "[2048, 512]"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace dsinfer
