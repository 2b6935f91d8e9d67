// The codebooks of the 1- to 3-bit i-quant types. Their blocks do not store values but
// indices into fixed tables of short vectors ("grids", chosen by llama.cpp's authors from
// lattice points), plus a scale and per-value signs. The tables are part of the format;
// iq_grids.cpp holds them as generated from llama.cpp's decoder, each entry packing its
// values' level indices b bits apiece.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace dsinfer::iq {

// iq2_xxs, iq2_xs, iq2_s: eight values from {8, 25, 43} (2 bits each).
extern const std::array<uint16_t, 256> kIq2xxsGrid;
extern const std::array<uint16_t, 512> kIq2xsGrid;
extern const std::array<uint16_t, 1024> kIq2sGrid;
// iq3_xxs: four values from {4, 12, 20, 28, 36, 44, 52, 62}; iq3_s: four odd values 1..15
// (3 bits each).
extern const std::array<uint16_t, 256> kIq3xxsGrid;
extern const std::array<uint16_t, 512> kIq3sGrid;
// iq1_s, iq1_m: eight values from {-1, 0, 1} (2 bits each).
extern const std::array<uint16_t, 2048> kIq1sGrid;

// The helpers below are in an unnamed namespace: AVX2 kernel files include this header,
// and an out-of-line copy they compiled must not serve the portable code.
namespace {

inline int iq2_value(uint16_t entry, int j) {
  constexpr int kLevels[4] = {8, 25, 43, 0};
  return kLevels[(entry >> (2 * j)) & 3];
}
inline int iq3xxs_value(uint16_t entry, int j) {
  constexpr int kLevels[8] = {4, 12, 20, 28, 36, 44, 52, 62};
  return kLevels[(entry >> (3 * j)) & 7];
}
inline int iq3s_value(uint16_t entry, int j) { return 2 * ((entry >> (3 * j)) & 7) + 1; }
inline int iq1_value(uint16_t entry, int j) { return static_cast<int>((entry >> (2 * j)) & 3) - 1; }

// iq1_m has no d field: its f16 bits are the top nibbles of the four scale words (bytes
// 48-55), the first word's the lowest.
inline uint16_t iq1m_d_bits(const uint8_t* block) {
  uint16_t s[4];
  std::memcpy(s, block + 48, 8);
  return static_cast<uint16_t>((s[0] >> 12) | ((s[1] >> 8) & 0x00f0) | ((s[2] >> 4) & 0x0f00) | (s[3] & 0xf000));
}

// The 2- and 3-bit types store seven sign bits per eight values; the eighth makes the
// count of negative values even (the codebooks were searched under that constraint).
constexpr uint8_t signs_with_parity(uint32_t seven) {
  return static_cast<uint8_t>((seven & 127) | ((std::popcount(seven & 127) & 1) << 7));
}

}  // namespace

// The same codebooks expanded for the AVX2 kernels: entry e's value j in byte j (iq1: as int8).
extern const std::array<uint64_t, 256> kIq2xxsBytes;
extern const std::array<uint64_t, 512> kIq2xsBytes;
extern const std::array<uint64_t, 1024> kIq2sBytes;
extern const std::array<uint32_t, 256> kIq3xxsBytes;
extern const std::array<uint32_t, 512> kIq3sBytes;
extern const std::array<uint64_t, 2048> kIq1sBytes;

}  // namespace dsinfer::iq
