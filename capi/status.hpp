// Turning C++ failures into C ABI statuses; every entry point body runs inside guard().
#pragma once

#include <cxxabi.h>
#include <new>
#include <stdexcept>
#include <string>

#include "dsinfer.h"
#include "dsinfer/error.hpp"

namespace dsinfer::capi {

void set_last_error(std::string message);
dsi_status status_of(ErrorCode code);

// A caller's buffer was short; the needed size has already been written out.
struct BufferTooSmall : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Not noexcept: a host thread ended by pthread_exit or pthread_cancel inside a call
// unwinds with abi::__forced_unwind, which must pass through (swallowing it aborts).
template <typename F>
dsi_status guard(F&& body) {
  try {
    set_last_error("");
    body();
    return DSI_OK;
  } catch (abi::__forced_unwind&) {
    throw;
  } catch (const BufferTooSmall& e) {
    set_last_error(e.what());
    return DSI_ERR_BUFFER_TOO_SMALL;
  } catch (const Error& e) {
    set_last_error(e.what());
    return status_of(e.code());
  } catch (const std::bad_alloc&) {
    set_last_error("out of memory");
    return DSI_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(std::string("internal error: ") + e.what());
    return DSI_ERR_INTERNAL;
  } catch (...) {
    set_last_error("internal error: unknown exception");
    return DSI_ERR_INTERNAL;
  }
}

}  // namespace dsinfer::capi
