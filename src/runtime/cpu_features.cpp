#include "dsinfer/cpu_features.hpp"

namespace dsinfer {

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = [] {
    CpuFeatures c;
#if defined(__x86_64__)
    __builtin_cpu_init();
    c.avx2 = __builtin_cpu_supports("avx2");
    c.fma = __builtin_cpu_supports("fma");
    c.f16c = __builtin_cpu_supports("f16c");
    c.avx512f = __builtin_cpu_supports("avx512f");
    c.avx512bw = __builtin_cpu_supports("avx512bw");
    c.avx512vl = __builtin_cpu_supports("avx512vl");
    c.avx512vnni = __builtin_cpu_supports("avx512vnni");
    c.avx512bf16 = __builtin_cpu_supports("avx512bf16");
    c.avx_vnni = __builtin_cpu_supports("avxvnni");
#endif
    return c;
  }();
  return f;
}

const char* cpu_kernel_family() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) return "avx512-vnni";
  if (f.avx2 && f.fma && f.f16c) return "avx2";
  return "portable";
}

}  // namespace dsinfer
