// Reference dequantization throughput per stored type, beside the machine's read
// bandwidth measured in the same run. These decoders are the portable reference, not the
// decode kernels; the ratio shows how far a plain loop is from the memory limit.
//   bench_dequantize [MiB of input per type, default 256]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/half.hpp"

using namespace dsinfer;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Single-thread streaming read of a buffer far larger than the caches, best of 3.
double read_bandwidth_gbs(size_t bytes) {
  std::vector<uint64_t> buf(bytes / 8, 1);
  double best = 0;
  uint64_t sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = Clock::now();
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= buf.size(); i += 4) {
      a += buf[i];
      b += buf[i + 1];
      c += buf[i + 2];
      d += buf[i + 3];
    }
    sink += a + b + c + d;
    best = std::max(best, static_cast<double>(bytes) / seconds_since(t0) / 1e9);
  }
  if (sink == 42) std::puts("");
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const size_t bytes = std::max<size_t>(mib, 16) << 20;
  const double bw = read_bandwidth_gbs(bytes);
  std::printf("read bandwidth (1 thread, %zu MiB): %.2f GB/s\n", bytes >> 20, bw);
  std::printf("%-8s %12s %12s %14s\n", "type", "in GB/s", "out Gval/s", "of read bw");
  const DType types[] = {DType::f16, DType::bf16, DType::q8_0, DType::q4_0, DType::q5_0,
                         DType::q2_k, DType::q3_k, DType::q4_k, DType::q5_k, DType::q6_k};
  std::mt19937 rng(7);
  for (DType t : types) {
    const DTypeInfo& info = dtype_info(t);
    const size_t blocks = bytes / info.block_bytes;
    std::vector<uint8_t> src(blocks * info.block_bytes);
    for (auto& b : src) b = static_cast<uint8_t>(rng());
    // Keep f16 scales finite so the timing is not of NaN paths: rewrite every 16-bit word of
    // a block that could be a scale with a small value. Timing does not depend on the values.
    for (size_t i = 0; i + 1 < src.size(); i += 2) {
      const uint16_t h = f32_to_f16(0.01f);
      if ((src[i + 1] & 0x7c) == 0x7c) { src[i] = static_cast<uint8_t>(h); src[i + 1] = static_cast<uint8_t>(h >> 8); }
    }
    const size_t chunk_values = 1 << 16;  // decode in cache-sized pieces, as a loader would
    std::vector<float> out(chunk_values);
    const size_t chunk_bytes = chunk_values / info.block_size * info.block_bytes;
    const auto t0 = Clock::now();
    for (size_t off = 0; off + chunk_bytes <= src.size(); off += chunk_bytes)
      dequantize_row(t, src.data() + off, out.data(), static_cast<int64_t>(chunk_values));
    const double s = seconds_since(t0);
    const double in_gbs = static_cast<double>(src.size()) / s / 1e9;
    const double vals = static_cast<double>(blocks) * info.block_size / s / 1e9;
    std::printf("%-8s %12.2f %12.2f %13.1f%%\n", std::string(info.name).c_str(), in_gbs, vals, 100.0 * in_gbs / bw);
  }
  return 0;
}
