// The one pool of worker threads the library computes with. The host sizes it (default:
// the number of physical cores); nothing else in dsinfer starts threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace dsinfer {

// Physical cores of this machine (SMT siblings counted once); at least 1.
int physical_core_count();

class ThreadPool {
 public:
  // n_threads <= 0 means physical_core_count(). The calling thread is one of the n.
  explicit ThreadPool(int n_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;

  // Calls fn(thread_index, n_threads) once on each of the pool's threads and returns when
  // all have finished. The first exception thrown by any call is rethrown here. Calls from
  // several host threads take turns; a call from inside a job runs inline on one thread.
  void run(const std::function<void(int, int)>& fn);

  // For jobs that pull their work from a shared queue: calls fn(thread_index, n_threads)
  // on the calling thread and on each worker that wakes before the caller's own call
  // returns; a worker that wakes later (its core busy with other programs) skips the job
  // instead of making everyone wait for it.
  void run_shared(const std::function<void(int, int)>& fn);

  // Splits [0, n) into contiguous ranges of at least `grain` items, one per thread, and
  // calls fn(begin, end) for each non-empty range (on whichever threads are running).
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain = 1);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dsinfer
