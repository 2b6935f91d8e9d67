#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dsinfer/thread_pool.hpp"

using namespace dsinfer;

TEST_CASE("physical core count is sane", "[threads]") {
  const int n = physical_core_count();
  CHECK(n >= 1);
  CHECK(n <= static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("parallel_for visits every index exactly once", "[threads]") {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    CHECK(pool.size() == threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) CHECK(h.load() == 1);
    }
  }
}

TEST_CASE("run gives each thread its index; many jobs in a row", "[threads]") {
  ThreadPool pool(4);
  for (int job = 0; job < 2000; ++job) {
    std::vector<std::atomic<int>> seen(4);
    std::atomic<int> wrong_n{0};  // Catch's assertions are not thread-safe: check afterwards
    pool.run([&](int i, int n) {
      if (n != 4) wrong_n++;
      seen[static_cast<size_t>(i)]++;
    });
    REQUIRE(wrong_n.load() == 0);
    for (auto& s : seen) REQUIRE(s.load() == 1);
  }
}

TEST_CASE("shared-queue jobs interleaved with per-thread jobs: every item once, every index once", "[threads]") {
  for (int threads : {2, 3, 8}) {  // 8 on a 2-core machine: most workers wake late
    ThreadPool pool(threads);
    for (int job = 0; job < 500; ++job) {
      std::vector<std::atomic<int>> items(37);
      std::atomic<int> next{0};
      pool.run_shared([&](int, int) {
        for (int i; (i = next.fetch_add(1)) < 37;) items[static_cast<size_t>(i)]++;
      });
      for (auto& v : items) REQUIRE(v.load() == 1);
      std::vector<std::atomic<int>> seen(static_cast<size_t>(threads));
      pool.run([&](int i, int) { seen[static_cast<size_t>(i)]++; });
      for (auto& v : seen) REQUIRE(v.load() == 1);
    }
  }
}

TEST_CASE("an exception in a job reaches the caller and the pool stays usable", "[threads]") {
  ThreadPool pool(3);
  CHECK_THROWS_WITH(pool.run([](int i, int) {
                      if (i == 2) throw std::runtime_error("boom in 2");
                    }),
                    "boom in 2");
  std::atomic<int> count{0};
  pool.run([&](int, int) { count++; });
  CHECK(count == 3);
}

TEST_CASE("nested and concurrent use does not deadlock", "[threads]") {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pool.parallel_for(10, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
  });
  CHECK(total == 100);

  std::vector<std::thread> callers;
  std::atomic<int64_t> sum{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int k = 0; k < 200; ++k) pool.parallel_for(64, [&](int64_t b, int64_t e) { sum += e - b; });
    });
  for (auto& c : callers) c.join();
  CHECK(sum == 4 * 200 * 64);
}
