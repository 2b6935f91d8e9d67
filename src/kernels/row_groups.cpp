#include "kernels/row_groups.hpp"

#include <cstring>

#include "dsinfer/cpu_features.hpp"

namespace dsinfer::kernels {
namespace {

// The pieces a block is cut into: its f16 header values (a scale; q4_k's scale and min
// scale; iq4_xs's scale and the 16 top bits of its sub-block scales), then four-byte pieces
// (q5_0's high bits, q4_k's packed six-bit scales or iq4_xs's low scale bits, then the
// codes). Piece p of block i of the eight rows lies side by side: the eight rows' first f16,
// their second, then eight times four bytes per piece.
constexpr uint64_t kHalfBytes = 2, kPieceBytes = 4;

uint64_t header_halves(DType t) {
  return t == DType::q4_k || t == DType::q5_k || t == DType::q4_1 || t == DType::q5_1 || t == DType::iq4_xs ? 2 : 1;
}

// Copies one block of row r (0..7) between the row layout and the group layout.
template <bool kToGroup>
void move_block(uint64_t block_bytes, uint64_t halves, const std::byte* from, std::byte* to, int r) {
  uint64_t in_row = 0, in_group = 0;
  while (in_row < block_bytes) {
    const uint64_t n = in_row < halves * kHalfBytes ? kHalfBytes : kPieceBytes;
    const uint64_t at = in_group + static_cast<uint64_t>(r) * n;
    if constexpr (kToGroup) std::memcpy(to + at, from + in_row, n);
    else std::memcpy(to + in_row, from + at, n);
    in_row += n;
    in_group += kGroupRows * n;
  }
}

}  // namespace

bool has_group_kernel(DType t) { return group_dot(t) != nullptr; }

void interleave_rows(DType t, const std::byte* src, uint64_t row_bytes, int64_t rows, std::byte* dst) {
  const uint64_t bb = dtype_info(t).block_bytes, blocks = row_bytes / bb, halves = header_halves(t);
  for (int64_t g = 0; g < rows / kGroupRows; ++g) {
    std::byte* group = dst + g * kGroupRows * row_bytes;
    for (int r = 0; r < kGroupRows; ++r) {
      const std::byte* row = src + (g * kGroupRows + r) * row_bytes;
      for (uint64_t i = 0; i < blocks; ++i) move_block<true>(bb, halves, row + i * bb, group + i * kGroupRows * bb, r);
    }
  }
}

void deinterleave_row(const Matrix& w, int64_t r, std::byte* out) {
  const uint64_t bb = dtype_info(w.dtype).block_bytes, blocks = w.row_bytes / bb, halves = header_halves(w.dtype);
  const std::byte* group = w.data + (r / kGroupRows) * kGroupRows * w.row_bytes;
  for (uint64_t i = 0; i < blocks; ++i)
    move_block<false>(bb, halves, group + i * kGroupRows * bb, out + i * bb, static_cast<int>(r % kGroupRows));
}

GroupDot group_dot(DType t) {
  const CpuFeatures& f = cpu_features();
  if (f.avx512_vnni())
    if (GroupDot k = group_dot_avx512(t)) return k;
  return f.avx2_fma() && f.f16c ? group_dot_avx2(t) : nullptr;
}

GroupPairDot group_pair_dot(DType t) { return cpu_features().avx512_vnni() ? group_pair_dot_avx512(t) : nullptr; }

}  // namespace dsinfer::kernels
