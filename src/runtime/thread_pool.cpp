// Workers sleep on one atomic word (job generation and a closed bit; a futex underneath)
// between jobs, after a short spin: decode issues thousands of small jobs a second and a
// plain condition variable wake-up would cost more than many of the jobs themselves.
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
  bool shared = false;  // run_shared(): late workers may skip the job
  // The job's generation and whether it is closed, in one futex word: (generation << 1) |
  // closed. One word means a worker can never see a new generation with an old job's
  // closed flag, or the reverse. Only equality is compared, so wrap-around is harmless.
  std::atomic<uint32_t> word{0};
  std::atomic<int> pending{0};  // run(): workers yet to finish
  std::atomic<int> running{0};  // workers between joining a job and leaving it
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

  void leave() {
    if (running.fetch_sub(1, std::memory_order_seq_cst) == 1) running.notify_all();
  }

  void worker(int index) {
    t_inside_job = true;
    uint32_t seen_gen = 0;
    for (;;) {
      uint32_t w = word.load(std::memory_order_acquire);
      for (int spin = 0; spin < 20000 && (w >> 1) == seen_gen; ++spin) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
        w = word.load(std::memory_order_acquire);
      }
      while ((w >> 1) == seen_gen) {
        word.wait(w, std::memory_order_acquire);
        w = word.load(std::memory_order_acquire);
      }
      if (stop.load(std::memory_order_acquire)) return;
      // Join, then make sure the word has not moved on: if it has, the job was closed
      // (skip it) or replaced (take the new one on the next turn), and the job's fields
      // must not be read under this generation.
      running.fetch_add(1, std::memory_order_seq_cst);
      const uint32_t now = word.load(std::memory_order_seq_cst);
      if (now != w) {
        if ((now >> 1) == (w >> 1)) seen_gen = w >> 1;
        leave();
        continue;
      }
      seen_gen = w >> 1;
      if (w & 1) {  // woke after the shared job closed
        leave();
        continue;
      }
      const bool is_shared = shared;
      run_one(index);
      leave();
      if (!is_shared && pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_all();
    }
  }

  // Publishes a job under `submit`. A worker that woke too late for an earlier shared job
  // may still be joining it (and will find it closed); the fields change only once it left.
  void post(const std::function<void(int, int)>& fn, bool is_shared) {
    for (int v; (v = running.load(std::memory_order_seq_cst)) != 0;) running.wait(v, std::memory_order_acquire);
    job = &fn;
    shared = is_shared;
    error = nullptr;
    const uint32_t next = ((word.load(std::memory_order_relaxed) >> 1) + 1) << 1;
    word.store(next, std::memory_order_seq_cst);
    word.notify_all();
  }

  // run_shared(): no one may join any more; returns when everyone who joined has left.
  void close_and_wait() {
    word.fetch_or(1u, std::memory_order_seq_cst);
    for (int v; (v = running.load(std::memory_order_seq_cst)) != 0;) running.wait(v, std::memory_order_acquire);
  }
};

ThreadPool::ThreadPool(int n_threads) : state_(std::make_unique<State>()) {
  state_->n = n_threads > 0 ? n_threads : physical_core_count();
  for (int i = 1; i < state_->n; ++i) state_->workers.emplace_back([s = state_.get(), i] { s->worker(i); });
}

ThreadPool::~ThreadPool() {
  state_->stop.store(true, std::memory_order_seq_cst);
  state_->word.store(((state_->word.load() >> 1) + 1) << 1, std::memory_order_seq_cst);
  state_->word.notify_all();
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
  s.pending.store(s.n - 1, std::memory_order_release);
  s.post(fn, false);

  t_inside_job = true;
  s.run_one(0);
  t_inside_job = false;

  for (int v; (v = s.pending.load(std::memory_order_acquire)) != 0;) s.pending.wait(v, std::memory_order_acquire);
  s.job = nullptr;
  if (s.error) std::rethrow_exception(s.error);
}

void ThreadPool::run_shared(const std::function<void(int, int)>& fn) {
  State& s = *state_;
  if (t_inside_job || s.n == 1) {
    fn(0, s.n);
    return;
  }
  std::lock_guard<std::mutex> lock(s.submit);
  s.post(fn, true);

  t_inside_job = true;
  s.run_one(0);
  t_inside_job = false;

  // Whoever has not joined by now finds nothing left; wait only for those inside.
  s.close_and_wait();
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
  // One range per thread, but claimed from a counter: when a worker is slow to wake (the
  // host's other threads have its core), the threads already running take its range.
  std::atomic<int> next{0};
  run_shared([&](int, int) {
    for (int i; (i = next.fetch_add(1, std::memory_order_relaxed)) < parts;) {
      const int64_t begin = n * i / parts, end = n * (i + 1) / parts;
      if (begin < end) fn(begin, end);
    }
  });
}

}  // namespace dsinfer
