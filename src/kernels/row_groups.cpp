#include "kernels/row_groups.hpp"

#include <cstring>

#include "dsinfer/cpu_features.hpp"

namespace dsinfer::kernels {
namespace {

constexpr uint64_t kQ8Block = 34;                        // f16 scale + 32 int8
constexpr uint64_t kQ8GroupBlock = kGroupRows * kQ8Block;  // 16 bytes of scales + 8 chunks of 32
constexpr int kChunkValues = 4;

// Where value c of row r (0..7) of block i sits in a group, and where its scale sits.
uint64_t value_at(int64_t i, int r, int c) {
  return static_cast<uint64_t>(i) * kQ8GroupBlock + 2 * kGroupRows + (c / kChunkValues) * 32 + r * kChunkValues +
         c % kChunkValues;
}
uint64_t scale_at(int64_t i, int r) { return static_cast<uint64_t>(i) * kQ8GroupBlock + 2 * r; }

}  // namespace

bool has_group_kernel(DType t) { return group_dot(t) != nullptr; }

void interleave_rows(DType t, const std::byte* src, uint64_t row_bytes, int64_t rows, std::byte* dst) {
  (void)t;  // q8_0 is the one type with a group kernel
  const int64_t blocks = static_cast<int64_t>(row_bytes / kQ8Block);
  const uint64_t group_bytes = kGroupRows * row_bytes;
  for (int64_t g = 0; g < rows / kGroupRows; ++g) {
    std::byte* out = dst + g * group_bytes;
    for (int r = 0; r < kGroupRows; ++r) {
      const std::byte* row = src + (g * kGroupRows + r) * row_bytes;
      for (int64_t i = 0; i < blocks; ++i) {
        const std::byte* b = row + i * kQ8Block;
        std::memcpy(out + scale_at(i, r), b, 2);
        for (int c = 0; c < 32; c += kChunkValues) std::memcpy(out + value_at(i, r, c), b + 2 + c, kChunkValues);
      }
    }
  }
}

void deinterleave_row(const Matrix& w, int64_t r, std::byte* out) {
  const std::byte* group = w.data + (r / kGroupRows) * kGroupRows * w.row_bytes;
  const int rr = static_cast<int>(r % kGroupRows);
  for (int64_t i = 0; i < static_cast<int64_t>(w.row_bytes / kQ8Block); ++i) {
    std::byte* b = out + i * kQ8Block;
    std::memcpy(b, group + scale_at(i, rr), 2);
    for (int c = 0; c < 32; c += kChunkValues) std::memcpy(b + 2 + c, group + value_at(i, rr, c), kChunkValues);
  }
}

GroupDot group_dot(DType t) { return cpu_features().avx2_fma() && cpu_features().f16c ? group_dot_avx2(t) : nullptr; }

}  // namespace dsinfer::kernels
