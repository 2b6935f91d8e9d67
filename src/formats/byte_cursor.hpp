// A read position in untrusted bytes. Every read checks the remaining length first and
// throws Error(invalid_format) saying what was being read and where the bytes ran out.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "dsinfer/error.hpp"
#include "util/strings.hpp"

namespace dsinfer {

class ByteCursor {
 public:
  ByteCursor(const std::byte* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    if (n > remaining())
      throw Error(ErrorCode::invalid_format, "truncated while reading " + what + ": needs " +
                                                 std::to_string(n) + " bytes at offset " + hex(pos_) +
                                                 ", file has " + std::to_string(remaining()) + " left");
  }

  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  const std::byte* take(uint64_t n, const std::string& what) {
    need(n, what);
    const std::byte* p = data_ + pos_;
    pos_ += n;
    return p;
  }

 private:
  const std::byte* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

}  // namespace dsinfer
