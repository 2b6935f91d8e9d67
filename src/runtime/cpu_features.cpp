// Read with CPUID and XGETBV directly rather than __builtin_cpu_supports: the builtin's
// feature names differ between compilers (clang 14 rejects "f16c" and "avxvnni"), and a
// vector extension counts only when the OS also saves its registers on a context switch.
#include "dsinfer/cpu_features.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <cstdint>
#endif

namespace dsinfer {

#if defined(__x86_64__)
namespace {

bool bit(unsigned reg, int n) { return ((reg >> n) & 1u) != 0; }

uint64_t xgetbv0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

}  // namespace
#endif

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = [] {
    CpuFeatures c;
#if defined(__x86_64__)
    unsigned a = 0, b = 0, cx = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &cx, &d)) return c;
    const bool osxsave = bit(cx, 27), avx = bit(cx, 28);
    if (!osxsave || !avx) return c;
    const uint64_t xcr0 = xgetbv0();
    const bool ymm_saved = (xcr0 & 0x6) == 0x6;        // SSE and AVX state
    const bool zmm_saved = (xcr0 & 0xe6) == 0xe6;      // plus opmask and both ZMM halves
    if (!ymm_saved) return c;
    c.fma = bit(cx, 12);
    c.f16c = bit(cx, 29);
    const unsigned max_leaf = __get_cpuid_max(0, nullptr);
    if (max_leaf < 7) return c;
    __cpuid_count(7, 0, a, b, cx, d);
    const unsigned max_sub7 = a;
    c.avx2 = bit(b, 5);
    if (zmm_saved) {
      c.avx512f = bit(b, 16);
      c.avx512bw = bit(b, 30);
      c.avx512vl = bit(b, 31);
      c.avx512vnni = bit(cx, 11);
    }
    if (max_sub7 >= 1) {
      __cpuid_count(7, 1, a, b, cx, d);
      c.avx_vnni = bit(a, 4);
      c.avx512bf16 = zmm_saved && bit(a, 5);
    }
#endif
    return c;
  }();
  return f;
}

const char* cpu_kernel_family() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512_vnni()) return "avx512-vnni";
  if (f.avx2 && f.fma && f.f16c) return "avx2";
  return "portable";
}

}  // namespace dsinfer
