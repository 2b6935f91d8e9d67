// Overflow-checked size arithmetic for everything a file declares. A hostile file can
// put any 64-bit value in a count or an offset; these return false instead of wrapping.
#pragma once

#include <cstdint>

namespace dsinfer {

inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// Rounds up to a multiple of a power of two `align`.
inline bool checked_align_up(uint64_t v, uint64_t align, uint64_t* out) {
  uint64_t t;
  if (!checked_add(v, align - 1, &t)) return false;
  *out = t & ~(align - 1);
  return true;
}

}  // namespace dsinfer
