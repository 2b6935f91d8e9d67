// A weight matrix as the kernels see it: row-major rows of any stored type, each row
// `row_bytes` long, possibly a slice of a larger tensor (one expert of a stacked GGUF
// tensor, one head of kv_b). FP8 matrices carry their per-block f32 scales. A matrix the
// loader repacked into interleaved groups of eight rows (kernels/row_groups.hpp) says so;
// its bytes are then in groups, not rows.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dsinfer/dtype.hpp"

namespace dsinfer {

struct Matrix {
  DType dtype = DType::f32;
  int64_t rows = 0;
  int64_t cols = 0;
  const std::byte* data = nullptr;  // row r starts at data + r * row_bytes
  uint64_t row_bytes = 0;
  // Rows in interleaved groups: group g's eight rows take the bytes rows 8g..8g+7 would.
  bool interleaved = false;

  // FP8 block scales: value(r, c) = fp8(r, c) * block_scale[((r + scale_row0) / block) * scale_cols + c / block]
  const float* block_scale = nullptr;
  int64_t block = 0;
  int64_t scale_cols = 0;
  int64_t scale_row0 = 0;

  bool empty() const { return rows == 0; }
  // Row r's bytes; for an interleaved matrix, the group's when r is its first row.
  const std::byte* row(int64_t r) const { return data + static_cast<uint64_t>(r) * row_bytes; }

  // Rows [begin, begin + n) as a matrix of their own (whole groups when interleaved).
  Matrix rows_slice(int64_t begin, int64_t n) const {
    Matrix m = *this;
    m.data = row(begin);
    m.rows = n;
    m.scale_row0 = scale_row0 + begin;
    return m;
  }
};

}  // namespace dsinfer
