// Random blocks of the codebook i-quants (iq1_s ... iq3_s), for benchmarks. dsinfer has
// no quantizer for these types (llama.cpp's searches the codebooks under an importance
// matrix); for speed, random indices, signs and scales cost a kernel the same as trained
// ones. Every block gets the same d, chosen so the values' mean magnitude is `amplitude`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <vector>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/dtype.hpp"
#include "dsinfer/half.hpp"
#include "tensor/iq_blocks.hpp"

namespace dsinfer::bench {

inline std::vector<std::byte> random_codebook_blocks(DType t, uint64_t n, uint64_t seed, float amplitude) {
  std::vector<std::byte> w(*dtype_bytes(t, n));
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= w.size(); i += 8) {
    const uint64_t r = rng();
    std::memcpy(&w[i], &r, 8);
  }
  for (size_t i = w.size() / 8 * 8; i < w.size(); ++i) w[i] = static_cast<std::byte>(rng() & 0xff);
  const size_t bb = dtype_info(t).block_bytes, blocks = w.size() / bb;
  // The mean magnitude with d = 1 over the first blocks fixes d.
  std::vector<std::byte> probe(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(blocks, 16) * bb));
  auto* bytes = reinterpret_cast<uint8_t*>(probe.data());
  for (size_t b = 0; b < probe.size() / bb; ++b) iq::set_codebook_d_bits(t, bytes + b * bb, f32_to_f16(1.0f));
  std::vector<float> v(probe.size() / bb * 256);
  dequantize_row(t, probe.data(), v.data(), static_cast<int64_t>(v.size()));
  double mean = 0;
  for (float x : v) mean += std::fabs(x);
  mean /= static_cast<double>(v.size());
  const uint16_t d = f32_to_f16(static_cast<float>(amplitude / mean));
  bytes = reinterpret_cast<uint8_t*>(w.data());
  for (size_t b = 0; b < blocks; ++b) iq::set_codebook_d_bits(t, bytes + b * bb, d);
  return w;
}

}  // namespace dsinfer::bench
