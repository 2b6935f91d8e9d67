// Element types of tensors in model files. One enum covers both formats: GGUF's ggml
// types (plain and block-quantized) and safetensors' dtypes. A block-quantized type
// stores `block_size` values in `block_bytes` bytes; a plain type has block_size 1.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dsinfer {

enum class DType : uint8_t {
  // plain
  f32, f16, bf16, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean,
  f8_e4m3, f8_e5m2,
  // ggml block quantization: the types dsinfer decodes
  q4_0, q4_1, q5_0, q5_1, q8_0, q8_1, q2_k, q3_k, q4_k, q5_k, q6_k, q8_k,
  // ggml block quantization: the i-quants (decoded) and the ternary and fp4 types
  // (recognised: sizes known, files open, tensors not decoded)
  iq2_xxs, iq2_xs, iq3_xxs, iq1_s, iq4_nl, iq3_s, iq2_s, iq4_xs, iq1_m, tq1_0, tq2_0, mxfp4,
  count_,
};

struct DTypeInfo {
  std::string_view name;  // lower-case, as dsinfer prints it
  uint32_t block_size;    // values per block
  uint32_t block_bytes;   // bytes per block
  bool decodable;         // dequantize() supports it
};

const DTypeInfo& dtype_info(DType t);
inline std::string_view dtype_name(DType t) { return dtype_info(t).name; }
inline bool is_quantized(DType t) { return dtype_info(t).block_size > 1; }

// Bytes needed for n values; nullopt when n is not a whole number of blocks or the
// size overflows.
std::optional<uint64_t> dtype_bytes(DType t, uint64_t n);

// GGUF stores the ggml type id; unknown or retired ids give nullopt.
std::optional<DType> dtype_from_ggml(uint32_t ggml_type);
uint32_t dtype_to_ggml(DType t);  // throws Error(unsupported) for types GGUF cannot hold

// safetensors dtype strings ("F32", "BF16", "F8_E4M3", ...).
std::optional<DType> dtype_from_safetensors(std::string_view name);
std::string_view dtype_to_safetensors(DType t);  // throws Error(unsupported) for ggml-only types

}  // namespace dsinfer
