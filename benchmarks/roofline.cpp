#include "roofline.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <cblas.h>

namespace dsinfer::bench {
namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int passes) {
  const size_t words = bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  const int n = pool.size();
  // Each thread first-touches the slice it will read.
  pool.run([&](int i, int) {
    const size_t b = words * i / n, e = words * (i + 1) / n;
    for (size_t k = b; k < e; ++k) buf[k] = k;
  });
  std::vector<uint64_t> sums(static_cast<size_t>(n));
  double best = 0;
  for (int p = 0; p < passes; ++p) {
    const double t0 = now();
    pool.run([&](int i, int) {
      const size_t b = words * i / n, e = words * (i + 1) / n;
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t k = b;
      for (; k + 4 <= e; k += 4) {
        s0 += buf[k];
        s1 += buf[k + 1];
        s2 += buf[k + 2];
        s3 += buf[k + 3];
      }
      for (; k < e; ++k) s0 += buf[k];
      sums[static_cast<size_t>(i)] = s0 + s1 + s2 + s3;
    });
    const double dt = now() - t0;
    best = std::max(best, static_cast<double>(words * sizeof(uint64_t)) / dt / 1e9);
  }
  volatile uint64_t sink = 0;
  for (uint64_t s : sums) sink = sink + s;
  return best;
}

double measure_gemm_peak(int threads, int size) {
  openblas_set_num_threads(threads);
  const size_t n = static_cast<size_t>(size);
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.0f);
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    const double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a.data(), size, b.data(), size,
                0.0f, c.data(), size);
    const double dt = now() - t0;
    if (rep > 0) best = std::max(best, 2.0 * static_cast<double>(n * n * n) / dt / 1e9);  // rep 0 warms up
  }
  return best;
}

size_t resident_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return static_cast<size_t>(std::stoull(line.substr(6))) * 1024;
  return 0;
}

double warm_page_cache(const char* path) {
  const double t0 = now();
  const int fd = ::open(path, O_RDONLY);
  if (fd < 0) return 0;
  std::vector<char> buf(size_t{16} << 20);
  while (::read(fd, buf.data(), buf.size()) > 0) {
  }
  ::close(fd);
  return now() - t0;
}

}  // namespace dsinfer::bench
