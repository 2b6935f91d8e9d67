#include "dsinfer/dequantize.hpp"

#include <string>

#include "dsinfer/error.hpp"
#include "tensor/dequant_rows.hpp"
#include "util/strings.hpp"

namespace dsinfer {
namespace {

using RowFn = void (*)(const uint8_t*, float*, int64_t);

RowFn row_decoder(DType type) {
  switch (type) {
    case DType::f32: return dequant::f32;
    case DType::f16: return dequant::f16;
    case DType::bf16: return dequant::bf16;
    case DType::f8_e4m3: return dequant::f8_e4m3;
    case DType::q4_0: return dequant::q4_0;
    case DType::q4_1: return dequant::q4_1;
    case DType::q5_0: return dequant::q5_0;
    case DType::q5_1: return dequant::q5_1;
    case DType::q8_0: return dequant::q8_0;
    case DType::q2_k: return dequant::q2_k;
    case DType::q3_k: return dequant::q3_k;
    case DType::q4_k: return dequant::q4_k;
    case DType::q5_k: return dequant::q5_k;
    case DType::q6_k: return dequant::q6_k;
    case DType::iq4_nl: return dequant::iq4_nl;
    case DType::iq4_xs: return dequant::iq4_xs;
    case DType::iq2_xxs: return dequant::iq2_xxs;
    case DType::iq2_xs: return dequant::iq2_xs;
    case DType::iq2_s: return dequant::iq2_s;
    case DType::iq3_xxs: return dequant::iq3_xxs;
    case DType::iq3_s: return dequant::iq3_s;
    case DType::iq1_s: return dequant::iq1_s;
    case DType::iq1_m: return dequant::iq1_m;
    default:
      throw Error(ErrorCode::unsupported,
                  "cannot decode tensors of type " + std::string(dtype_name(type)));
  }
}

}  // namespace

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  RowFn fn = row_decoder(type);
  if (n < 0 || n % dtype_info(type).block_size != 0)
    throw Error(ErrorCode::invalid_argument, "dequantize_row: " + std::to_string(n) +
                                                 " values is not a whole number of " +
                                                 std::string(dtype_name(type)) + " blocks");
  fn(static_cast<const uint8_t*>(src), dst, n);
}

void dequantize(const TensorView& t, std::span<float> out) {
  RowFn fn = row_decoder(t.dtype);
  const int64_t n = t.numel();
  if (static_cast<int64_t>(out.size()) != n)
    throw Error(ErrorCode::invalid_argument, "dequantize " + printable(t.name) + ": output holds " +
                                                 std::to_string(out.size()) + " values, tensor has " +
                                                 std::to_string(n));
  const auto need = dtype_bytes(t.dtype, static_cast<uint64_t>(n));
  if (!need || *need != t.nbytes)
    throw Error(ErrorCode::invalid_format, "dequantize " + printable(t.name) + ": " +
                                               std::to_string(t.nbytes) + " bytes do not fit shape " +
                                               shape_string(t.shape) + " of " +
                                               std::string(dtype_name(t.dtype)));
  fn(reinterpret_cast<const uint8_t*>(t.data), out.data(), n);
}

void dequantize_fp8_blockwise(const TensorView& weight, const TensorView& scale_inv,
                              int64_t block_rows, int64_t block_cols, std::span<float> out) {
  const std::string what = "fp8 weight " + printable(weight.name);
  if (weight.dtype != DType::f8_e4m3)
    throw Error(ErrorCode::invalid_argument, what + ": type is " + std::string(dtype_name(weight.dtype)) +
                                                 ", expected f8_e4m3");
  if (weight.shape.size() != 2)
    throw Error(ErrorCode::invalid_format, what + ": shape " + shape_string(weight.shape) + " is not 2-D");
  if (block_rows <= 0 || block_cols <= 0)
    throw Error(ErrorCode::invalid_argument, what + ": block size must be positive");
  const int64_t rows = weight.shape[0], cols = weight.shape[1];
  const int64_t srows = (rows + block_rows - 1) / block_rows;
  const int64_t scols = (cols + block_cols - 1) / block_cols;
  if (scale_inv.dtype != DType::f32 || scale_inv.shape != std::vector<int64_t>{srows, scols})
    throw Error(ErrorCode::invalid_format,
                what + ": scale " + printable(scale_inv.name) + " is " + std::string(dtype_name(scale_inv.dtype)) +
                    " " + shape_string(scale_inv.shape) + ", expected f32 [" + std::to_string(srows) + ", " +
                    std::to_string(scols) + "]");
  if (static_cast<int64_t>(out.size()) != rows * cols)
    throw Error(ErrorCode::invalid_argument, what + ": output size mismatch");
  if (weight.nbytes != static_cast<uint64_t>(rows * cols) || scale_inv.nbytes != static_cast<uint64_t>(srows * scols * 4))
    throw Error(ErrorCode::invalid_format, what + ": byte size does not match its shape");

  std::vector<float> scales(static_cast<size_t>(srows * scols));
  dequant::f32(reinterpret_cast<const uint8_t*>(scale_inv.data), scales.data(), srows * scols);
  const auto* w = reinterpret_cast<const uint8_t*>(weight.data);
  for (int64_t r = 0; r < rows; ++r) {
    float* y = out.data() + r * cols;
    dequant::f8_e4m3(w + r * cols, y, cols);
    const float* srow = scales.data() + (r / block_rows) * scols;
    for (int64_t c = 0; c < cols; ++c) y[c] *= srow[c / block_cols];
  }
}

}  // namespace dsinfer
