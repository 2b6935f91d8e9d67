// What this CPU can execute, read once. Kernels are compiled per ISA and chosen from
// this at run time, so one build runs on any x86-64.
#pragma once

namespace dsinfer {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool avx_vnni = false;

  // What the AVX2 kernels are compiled for (-mavx2 -mfma).
  bool avx2_fma() const { return avx2 && fma; }
  // What the AVX-512 VNNI kernels are compiled for (-mavx512f -mavx512bw -mavx512vl
  // -mavx512vnni on top of the AVX2 kernels' flags and -mf16c).
  bool avx512_vnni() const { return avx2_fma() && f16c && avx512f && avx512bw && avx512vl && avx512vnni; }
};

const CpuFeatures& cpu_features();

// "avx512-vnni", "avx2" or "portable": the best kernel family this CPU gets.
const char* cpu_kernel_family();

}  // namespace dsinfer
