// What the C ABI's opaque handles hold. Cache and router handles share ownership of their
// session's state, so a host may free handles in any order.
#pragma once

#include <memory>

#include "dsinfer.h"
#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/session.hpp"
#include "dsinfer/tokenizer.hpp"

struct dsi_model {
  std::shared_ptr<const dsinfer::Model> model;
};
struct dsi_tokenizer {
  std::shared_ptr<const dsinfer::Tokenizer> tokenizer;
};
struct dsi_session {
  std::shared_ptr<dsinfer::Session> session;
};
struct dsi_cache {
  std::shared_ptr<dsinfer::Session> session;
};
struct dsi_router {
  std::shared_ptr<dsinfer::Session> session;
};

namespace dsinfer::capi {

// Throws Error(invalid_argument) naming the function and the argument when p is NULL.
template <typename T>
void require(const T* p, const char* fn, const char* arg) {
  if (!p) throw Error(ErrorCode::invalid_argument, std::string(fn) + ": " + arg + " is NULL");
}

// A caller's struct must be at least as large as the version this library knows.
template <typename T>
void require_size(const T* p, const char* fn) {
  if (p && p->struct_size < sizeof(T))
    throw Error(ErrorCode::invalid_argument, std::string(fn) + ": struct_size " + std::to_string(p->struct_size) +
                                                 " is smaller than " + std::to_string(sizeof(T)) +
                                                 " (initialise it with the *_default_params function)");
}

// Hands a new handle to C; the matching dsi_*_free deletes it.
template <typename H, typename... A>
H* make_handle(A&&... a) {
  auto h = std::make_unique<H>(H{std::forward<A>(a)...});
  return h.release();
}

}  // namespace dsinfer::capi
