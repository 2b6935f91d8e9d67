// A compiled PCRE2 pattern (UTF + UCP, JIT when available) that lists its matches in a
// string. Pre-tokenizer patterns come from model files, so compile errors are Errors.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer {

class Regex {
 public:
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(Regex&& o) noexcept;
  Regex& operator=(Regex&&) = delete;
  Regex(const Regex&) = delete;

  // Non-overlapping matches, left to right, as [begin, end) byte offsets; empty matches skipped.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*
};

}  // namespace dsinfer
