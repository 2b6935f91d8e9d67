#include "kernels/row_groups.hpp"

#include <cstring>

#include "dsinfer/cpu_features.hpp"

namespace dsinfer::kernels {
namespace {

// The pieces a 32-value block is cut into: its f16 scale, then four-byte pieces (q5_0's
// high bits, then the codes). Piece p of block i of the eight rows lies side by side:
// eight scales, then eight times four bytes per piece.
constexpr uint64_t kScaleBytes = 2, kPieceBytes = 4;

uint64_t piece_offset(uint64_t p) { return p == 0 ? 0 : kGroupRows * (kScaleBytes + (p - 1) * kPieceBytes); }
uint64_t piece_bytes(uint64_t p) { return p == 0 ? kScaleBytes : kPieceBytes; }

// Copies block i of row r (0..7) between the row layout and the group layout.
template <bool kToGroup>
void move_block(uint64_t block_bytes, const std::byte* from, std::byte* to, int r) {
  const uint64_t pieces = 1 + (block_bytes - kScaleBytes) / kPieceBytes;
  uint64_t in_row = 0;
  for (uint64_t p = 0; p < pieces; ++p) {
    const uint64_t n = piece_bytes(p), in_group = piece_offset(p) + static_cast<uint64_t>(r) * n;
    if constexpr (kToGroup) std::memcpy(to + in_group, from + in_row, n);
    else std::memcpy(to + in_row, from + in_group, n);
    in_row += n;
  }
}

}  // namespace

bool has_group_kernel(DType t) { return group_dot(t) != nullptr; }

void interleave_rows(DType t, const std::byte* src, uint64_t row_bytes, int64_t rows, std::byte* dst) {
  const uint64_t bb = dtype_info(t).block_bytes, blocks = row_bytes / bb;
  for (int64_t g = 0; g < rows / kGroupRows; ++g) {
    std::byte* group = dst + g * kGroupRows * row_bytes;
    for (int r = 0; r < kGroupRows; ++r) {
      const std::byte* row = src + (g * kGroupRows + r) * row_bytes;
      for (uint64_t i = 0; i < blocks; ++i) move_block<true>(bb, row + i * bb, group + i * kGroupRows * bb, r);
    }
  }
}

void deinterleave_row(const Matrix& w, int64_t r, std::byte* out) {
  const uint64_t bb = dtype_info(w.dtype).block_bytes, blocks = w.row_bytes / bb;
  const std::byte* group = w.data + (r / kGroupRows) * kGroupRows * w.row_bytes;
  for (uint64_t i = 0; i < blocks; ++i)
    move_block<false>(bb, group + i * kGroupRows * bb, out + i * bb, static_cast<int>(r % kGroupRows));
}

GroupDot group_dot(DType t) { return cpu_features().avx2_fma() && cpu_features().f16c ? group_dot_avx2(t) : nullptr; }

}  // namespace dsinfer::kernels
