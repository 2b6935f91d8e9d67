// What the harnesses share. The rule every harness checks: hostile input may make dsinfer
// refuse with a dsinfer::Error (a C ABI status other than DSI_ERR_INTERNAL), never crash,
// leak, hang, allocate without bound, or throw anything else. Any other exception is left
// to escape, so the fuzzer reports it as a crash.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsinfer/error.hpp"

namespace fuzz {

// Runs f; a dsinfer::Error is the expected answer to bad input and is swallowed.
template <typename F>
bool refused(F&& f) {
  try {
    f();
    return false;
  } catch (const dsinfer::Error&) {
    return true;
  }
}

// Multi-part inputs (a template and its context, an index and its shards) are the parts
// joined by this separator; the seeds use it, so mutations keep the structure.
constexpr std::string_view kSeparator = "\n\x01\x02\n";
std::vector<std::string_view> split_parts(std::string_view data, size_t max_parts);
std::string join_parts(const std::vector<std::string>& parts);

// A directory private to this process (created on first use, removed at exit) for the APIs
// that take paths.
const std::string& scratch_dir();
void write_file(const std::string& path, std::string_view bytes);

// Reads fixed-size values off the front of the input; past the end they read as zero.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  template <typename T>
  T value() {
    T v{};
    uint8_t* p = reinterpret_cast<uint8_t*>(&v);
    for (size_t i = 0; i < sizeof v; ++i) p[i] = u8();
    return v;
  }
  // Up to max bytes, length taken from the input.
  std::string bytes(size_t max) {
    const size_t n = std::min<size_t>(u8() % (max + 1), size_ - std::min(pos_, size_));
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace fuzz
