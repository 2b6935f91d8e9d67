// Facts about GGUF shared by its reader and writer.
#pragma once

#include <cstdint>

#include "dsinfer/gguf.hpp"

namespace dsinfer::gguf {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kMaxDims = 4;         // ggml tensors have at most four dimensions
constexpr uint64_t kDefaultAlignment = 32;

// Bytes of one scalar of type t; 0 for string, array and unknown ids.
uint32_t scalar_size(GgufType t);

}  // namespace dsinfer::gguf
