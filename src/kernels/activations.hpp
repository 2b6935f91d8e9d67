// Activations prepared for integer dot products. A quantized weight type is multiplied
// against activations quantized per block to int8 (as llama.cpp does), so the inner loop
// is an int8 x int8 (or u8 x int8) product summed in int32; float weights meet f32
// activations. Rows are quantized once and shared by every matrix that reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsinfer/dtype.hpp"

namespace dsinfer::kernels {

enum class ActFormat : uint8_t {
  f32,     // plain floats: f32 / f16 / bf16 weights, and types without an integer kernel
  q8_32,   // 32 values per block: f32 scale, f32 scaled sum, int8 (q8_0, q4_*, q5_*, iq4_nl weights)
  q8_256,  // 256 values per block: f32 scale, int16 sums of each 16, int8 (k-quant and iq4_xs weights)
};

struct ActBlock32 {
  float d;
  // d times the sum of q. q4_0 / q5_0 kernels multiply the unsigned codes (maddubs takes an
  // unsigned operand, so no sign juggling) and take the code offset off through this.
  float s;
  int8_t q[32];
};
struct ActBlock256 {
  float d;
  int16_t bsums[16];  // sum of q over each run of 16: the k-quants' mins and offsets need it
  int8_t q[256];
};

// The activation format the kernels for weight type t expect.
ActFormat act_format(DType t);

// Bytes one row of `cols` activations takes in format f (cols must be a whole number of blocks).
size_t act_row_bytes(ActFormat f, int64_t cols);

// Quantizes (or copies) one row, with the best variant this CPU runs.
void quantize_act_row(ActFormat f, const float* x, int64_t cols, std::byte* out);
// The portable definition (the reference) and the AVX2 variant of the int8 formats; the
// AVX2 one only where cpu_features() has avx2.
void quantize_act_row_portable(ActFormat f, const float* x, int64_t cols, std::byte* out);
void quantize_act_row_avx2(ActFormat f, const float* x, int64_t cols, std::byte* out);

// n rows of activations (row t at x + t * ldx) in whichever formats were asked for.
class Activations {
 public:
  Activations(const float* x, int64_t n, int64_t cols, int64_t ldx) : x_(x), n_(n), cols_(cols), ldx_(ldx) {}
  // Quantizes the rows into format f unless done already; not thread-safe, call before
  // the parallel region.
  void prepare(ActFormat f);
  const std::byte* row(ActFormat f, int64_t t) const;
  int64_t n() const { return n_; }
  int64_t cols() const { return cols_; }

 private:
  const float* x_;
  int64_t n_, cols_, ldx_;
  std::vector<std::byte> q32_, q256_;
};

}  // namespace dsinfer::kernels
