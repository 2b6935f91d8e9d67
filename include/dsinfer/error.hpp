// Errors inside the C++ library. Every failure a caller can cause (a bad file, a bad
// argument) is an Error with a code that the C ABI maps one-to-one onto dsi_status.
#pragma once

#include <stdexcept>
#include <string>

namespace dsinfer {

enum class ErrorCode {
  invalid_argument,  // the caller passed something unusable
  io,                // the OS refused: missing file, permission, mmap failure
  invalid_format,    // the file's bytes break its format's rules
  unsupported,       // well-formed, but a feature dsinfer does not implement
  too_large,         // a declared size beyond what dsinfer will allocate or map
  internal,          // a broken invariant inside dsinfer
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace dsinfer
