// The codebooks' byte form, built from their packed form before main (which is constant-
// initialised, so ready before any dynamic initialiser runs).
#include <cstddef>

#include "tensor/iq_grids.hpp"

namespace dsinfer::iq {
namespace {

template <typename Word, size_t N, int Values>
std::array<Word, N> expand(const std::array<uint16_t, N>& packed, int (*value)(uint16_t, int)) {
  std::array<Word, N> out{};
  for (size_t e = 0; e < N; ++e)
    for (int j = 0; j < Values; ++j)
      out[e] |= static_cast<Word>(static_cast<uint8_t>(value(packed[e], j))) << (8 * j);
  return out;
}

}  // namespace

const std::array<uint64_t, 256> kIq2xxsBytes = expand<uint64_t, 256, 8>(kIq2xxsGrid, iq2_value);
const std::array<uint64_t, 512> kIq2xsBytes = expand<uint64_t, 512, 8>(kIq2xsGrid, iq2_value);
const std::array<uint64_t, 1024> kIq2sBytes = expand<uint64_t, 1024, 8>(kIq2sGrid, iq2_value);
const std::array<uint32_t, 256> kIq3xxsBytes = expand<uint32_t, 256, 4>(kIq3xxsGrid, iq3xxs_value);
const std::array<uint32_t, 512> kIq3sBytes = expand<uint32_t, 512, 4>(kIq3sGrid, iq3s_value);
const std::array<uint64_t, 2048> kIq1sBytes = expand<uint64_t, 2048, 8>(kIq1sGrid, iq1_value);

}  // namespace dsinfer::iq
