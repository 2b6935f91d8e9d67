// Encoding f32 values into stored types: what test checkpoints, the benchmark generator
// and the built-in demo model are written with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsinfer/dtype.hpp"

namespace dsinfer {

// Types quantize() can write.
bool can_quantize(DType type);

// Encodes values (a whole number of blocks of `type`) into dtype_bytes(type, n) bytes.
std::vector<std::byte> quantize(DType type, std::span<const float> values);

}  // namespace dsinfer
