#include "dsinfer/error.hpp"

namespace dsinfer {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::io: return "i/o error";
    case ErrorCode::invalid_format: return "invalid format";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::too_large: return "too large";
    case ErrorCode::internal: return "internal error";
  }
  return "unknown error";
}

}  // namespace dsinfer
