// Speed of each weight type's kernel: decode-shaped products (one token: GB/s of weights
// streamed, against the read bandwidth measured in the same run) and prefill-shaped ones
// (64 tokens: GFLOP/s, against OpenBLAS's sgemm peak). Types with a row-group kernel are
// measured in the file's row layout and in the interleaved groups the loader makes.
//   bench_kernels [--threads N] [--rows R] [--cols C]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "dsinfer/quantize.hpp"
#include "dsinfer/thread_pool.hpp"
#include "tensor/iq_blocks.hpp"
#include "kernels/matmul.hpp"
#include "kernels/row_groups.hpp"
#include "random_codebook.hpp"
#include "roofline.hpp"

using namespace dsinfer;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  int64_t rows = 16384, cols = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rows")) rows = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cols")) cols = std::atoll(argv[i + 1]);
  }
  ThreadPool pool(threads);
  const double bw = bench::measure_read_bandwidth(pool);
  const double peak = bench::measure_gemm_peak(pool.size());
  std::printf("%d threads, %lld x %lld weights; read bandwidth %.1f GB/s, sgemm %.0f GFLOP/s\n", pool.size(),
              static_cast<long long>(rows), static_cast<long long>(cols), bw, peak);
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(rows * cols));
  for (auto& v : values) v = g(rng);
  std::vector<float> x(static_cast<size_t>(64 * cols)), y(static_cast<size_t>(64 * rows));
  for (auto& v : x) v = g(rng);
  for (DType t : {DType::q8_0, DType::q4_0, DType::q5_0, DType::q4_1, DType::q5_1, DType::q2_k, DType::q3_k,
                  DType::q4_k, DType::q5_k, DType::q6_k, DType::iq4_nl, DType::iq4_xs, DType::iq2_xxs, DType::iq2_xs,
                  DType::iq2_s, DType::iq3_xxs, DType::iq3_s, DType::iq1_s, DType::iq1_m, DType::f16, DType::bf16}) {
    const auto w = iq::is_codebook_type(t) ? bench::random_codebook_blocks(t, values.size(), 1, 0.8f)
                                                : quantize(t, values);
    std::vector<std::byte> grouped;
    for (int layout = 0; layout < 2; ++layout) {
      Matrix m;
      m.dtype = t;
      m.rows = rows;
      m.cols = cols;
      m.data = w.data();
      m.row_bytes = w.size() / static_cast<size_t>(rows);
      if (layout == 1) {
        if (!kernels::has_group_kernel(t) || rows % kernels::kGroupRows != 0) break;
        grouped.resize(w.size());
        kernels::interleave_rows(t, w.data(), m.row_bytes, rows, grouped.data());
        m.data = grouped.data();
        m.interleaved = true;
      }
      double best1 = 1e9, best64 = 1e9;
      for (int rep = 0; rep < 5; ++rep) {
        double t0 = now();
        kernels::matmul(m, x.data(), 1, cols, y.data(), rows, &pool);
        best1 = std::min(best1, now() - t0);
        t0 = now();
        kernels::matmul(m, x.data(), 64, cols, y.data(), rows, &pool);
        best64 = std::min(best64, now() - t0);
      }
      const double gbs = static_cast<double>(w.size()) / best1 / 1e9;
      const double gflops = 2.0 * static_cast<double>(rows * cols) * 64 / best64 / 1e9;
      std::printf("%-6s %-6s decode %6.1f GB/s (%3.0f%% of bandwidth) | 64 tokens %6.1f GFLOP/s (%3.0f%% of sgemm)\n",
                  std::string(dtype_name(t)).c_str(), layout ? "groups" : "rows", gbs, 100 * gbs / bw, gflops,
                  100 * gflops / peak);
    }
  }
  return 0;
}
