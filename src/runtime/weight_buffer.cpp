#include "runtime/weight_buffer.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "dsinfer/error.hpp"

namespace dsinfer {

WeightBuffer::WeightBuffer(uint64_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw Error(ErrorCode::io, "cannot map " + std::to_string(bytes) + " bytes for repacked weights: " +
                                   std::strerror(errno));
  // Only a request: without huge pages (or with them disabled) the memory works the same.
  ::madvise(p, bytes, MADV_HUGEPAGE);
  data_ = static_cast<std::byte*>(p);
}

WeightBuffer::~WeightBuffer() {
  if (data_) ::munmap(data_, size_);
}

WeightBuffer::WeightBuffer(WeightBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

WeightBuffer& WeightBuffer::operator=(WeightBuffer&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace dsinfer
