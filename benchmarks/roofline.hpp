// The machine's own limits, measured in the same run as the model so that a benchmark
// can say how close it came: main-memory read bandwidth (what bounds decode) and f32 GEMM
// throughput (what bounds prefill).
#pragma once

#include <cstddef>

#include "dsinfer/thread_pool.hpp"

namespace dsinfer::bench {

// GB/s (1e9 bytes/s) for the pool's threads each reading its own slice of a buffer far
// larger than the caches; the best of `passes` passes.
double measure_read_bandwidth(ThreadPool& pool, size_t bytes = size_t{1} << 30, int passes = 3);

// GFLOP/s of OpenBLAS's sgemm on square matrices with `threads` threads; best of 3.
double measure_gemm_peak(int threads, int size = 2048);

// Resident set size of this process, bytes.
size_t resident_bytes();

// Reads a file through the page cache once (read(), not mmap, so it adds no resident
// memory); returns seconds taken.
double warm_page_cache(const char* path);

}  // namespace dsinfer::bench
