// Workers sleep on an atomic generation counter (a futex underneath) between jobs, after
// a short spin: decode issues thousands of small jobs a second and a plain condition
// variable wake-up would cost more than many of the jobs themselves.
#include "dsinfer/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dsinfer {

int physical_core_count() {
  std::set<std::pair<std::string, std::string>> cores;  // (package, core id)
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned cpu = 0; cpu < n; ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    std::string p, c;
    if (!(pkg >> p) || !(core >> c)) return static_cast<int>(n);
    cores.emplace(p, c);
  }
  return cores.empty() ? static_cast<int>(n) : static_cast<int>(cores.size());
}

namespace {
thread_local bool t_inside_job = false;
}

struct ThreadPool::State {
  int n = 1;
  std::vector<std::thread> workers;
  std::mutex submit;  // one job at a time; concurrent callers queue here
  const std::function<void(int, int)>* job = nullptr;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  void run_one(int index) {
    try {
      (*job)(index, n);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }

  void worker(int index) {
    t_inside_job = true;
    uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < 20000 && generation.load(std::memory_order_acquire) == seen; ++spin) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      generation.wait(seen, std::memory_order_acquire);
      seen = generation.load(std::memory_order_acquire);
      if (stop.load(std::memory_order_acquire)) return;
      run_one(index);
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_all();
    }
  }
};

ThreadPool::ThreadPool(int n_threads) : state_(std::make_unique<State>()) {
  state_->n = n_threads > 0 ? n_threads : physical_core_count();
  for (int i = 1; i < state_->n; ++i) state_->workers.emplace_back([s = state_.get(), i] { s->worker(i); });
}

ThreadPool::~ThreadPool() {
  state_->stop.store(true, std::memory_order_release);
  state_->generation.fetch_add(1, std::memory_order_acq_rel);
  state_->generation.notify_all();
  for (auto& t : state_->workers) t.join();
}

int ThreadPool::size() const { return state_->n; }

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  State& s = *state_;
  if (t_inside_job || s.n == 1) {
    // Nested use (or a one-thread pool): the other threads are busy or absent, so this
    // thread does every share itself, keeping each index's work identical.
    for (int i = 0; i < s.n; ++i) fn(i, s.n);
    return;
  }
  std::lock_guard<std::mutex> lock(s.submit);
  s.job = &fn;
  s.error = nullptr;
  s.pending.store(s.n - 1, std::memory_order_release);
  s.generation.fetch_add(1, std::memory_order_acq_rel);
  s.generation.notify_all();

  t_inside_job = true;
  s.run_one(0);
  t_inside_job = false;

  for (int v; (v = s.pending.load(std::memory_order_acquire)) != 0;) s.pending.wait(v, std::memory_order_acquire);
  s.job = nullptr;
  if (s.error) std::rethrow_exception(s.error);
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t max_parts = (n + grain - 1) / grain;
  const int parts = static_cast<int>(std::min<int64_t>(size(), max_parts));
  if (parts <= 1) {
    fn(0, n);
    return;
  }
  run([&](int i, int) {
    if (i >= parts) return;
    const int64_t begin = n * i / parts, end = n * (i + 1) / parts;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace dsinfer
