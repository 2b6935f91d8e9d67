// What a model's weights own beside the mapped file: the matrices point into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/weight_buffer.hpp"

namespace dsinfer {

struct WeightStore {
  std::vector<std::vector<float>> scales;            // FP8 block scales, decoded
  std::vector<WeightBuffer> groups;                  // matrices repacked into interleaved row groups
  int64_t grouped_bytes = 0;
  double group_seconds = 0;                          // the time repacking them took
};

}  // namespace dsinfer
