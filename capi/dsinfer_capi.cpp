// C ABI entry points. Each one catches everything: no exception may unwind into a C
// caller, so failures become a status plus the thread-local message.
#include "dsinfer.h"

#include <cstring>
#include <string>

#include "dsinfer/version.hpp"
#include "status.hpp"

namespace {
thread_local std::string t_last_error;
}

namespace dsinfer::capi {

void set_last_error(std::string message) { t_last_error = std::move(message); }

dsi_status status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return DSI_ERR_INVALID_ARGUMENT;
    case ErrorCode::io: return DSI_ERR_IO;
    case ErrorCode::invalid_format: return DSI_ERR_INVALID_FORMAT;
    case ErrorCode::unsupported: return DSI_ERR_UNSUPPORTED;
    case ErrorCode::too_large: return DSI_ERR_TOO_LARGE;
    case ErrorCode::internal: return DSI_ERR_INTERNAL;
  }
  return DSI_ERR_INTERNAL;
}

}  // namespace dsinfer::capi

extern "C" {

uint32_t dsi_abi_version(void) { return DSI_ABI_VERSION; }

const char* dsi_version_string(void) { return dsinfer::version_string(); }

const char* dsi_last_error(void) { return t_last_error.c_str(); }

const char* dsi_status_name(dsi_status status) {
  // A C caller may pass any int here; in C++ a dsi_status outside the enumerators' range is
  // undefined, so the bits are read as the int they are before anything compares them.
  int code;
  std::memcpy(&code, &status, sizeof code);
  switch (code) {
    case DSI_OK: return "DSI_OK";
    case DSI_ERR_INVALID_ARGUMENT: return "DSI_ERR_INVALID_ARGUMENT";
    case DSI_ERR_IO: return "DSI_ERR_IO";
    case DSI_ERR_INVALID_FORMAT: return "DSI_ERR_INVALID_FORMAT";
    case DSI_ERR_UNSUPPORTED: return "DSI_ERR_UNSUPPORTED";
    case DSI_ERR_TOO_LARGE: return "DSI_ERR_TOO_LARGE";
    case DSI_ERR_BUFFER_TOO_SMALL: return "DSI_ERR_BUFFER_TOO_SMALL";
    case DSI_ERR_OUT_OF_MEMORY: return "DSI_ERR_OUT_OF_MEMORY";
    case DSI_ERR_INTERNAL: return "DSI_ERR_INTERNAL";
  }
  return "DSI_ERR_UNKNOWN";
}

}  // extern "C"
