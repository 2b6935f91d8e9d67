// Decoding stored tensor values to f32. This is the portable reference every faster
// kernel is tested against, and the path model loading uses for small tensors (norms,
// biases, router weights) that are kept in f32.
#pragma once

#include <cstdint>
#include <span>

#include "dsinfer/dtype.hpp"
#include "dsinfer/tensor_view.hpp"

namespace dsinfer {

// Decodes n values that start at a block boundary; n must be a whole number of blocks
// of `type`. src must hold dtype_bytes(type, n) bytes (no alignment needed).
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Decodes a whole tensor; out.size() must equal t.numel().
void dequantize(const TensorView& t, std::span<float> out);

// DeepSeek-V3 / R1 Hugging Face FP8: weight (rows, cols) in f8_e4m3 and scale_inv of shape
// (ceil(rows/block_rows), ceil(cols/block_cols)) in f32; value = fp8 * scale_inv[block].
void dequantize_fp8_blockwise(const TensorView& weight, const TensorView& scale_inv,
                              int64_t block_rows, int64_t block_cols, std::span<float> out);

// One E4M3 (OCP "e4m3fn") byte as f32; 0x7f and 0xff are NaN, there is no infinity.
float fp8_e4m3_to_f32(uint8_t v);

}  // namespace dsinfer
