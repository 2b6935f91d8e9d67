// Memory for weights the loader repacks. Mapped directly rather than taken from the heap,
// so it can ask for transparent huge pages: 2 MiB pages make filling it take 512 times
// fewer page faults, and streaming it every token fewer TLB misses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsinfer {

class WeightBuffer {
 public:
  // Throws Error(io) when the OS refuses the memory.
  explicit WeightBuffer(uint64_t bytes);
  ~WeightBuffer();
  WeightBuffer(WeightBuffer&& other) noexcept;
  WeightBuffer& operator=(WeightBuffer&& other) noexcept;
  WeightBuffer(const WeightBuffer&) = delete;
  WeightBuffer& operator=(const WeightBuffer&) = delete;

  std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace dsinfer
