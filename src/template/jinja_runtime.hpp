// What one render carries besides the template: its work budget, the clock, and the namespaces
// it created. Filters, tests, methods and the evaluator all charge the same budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dsinfer/chat_template.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

class Budget {
 public:
  explicit Budget(const ChatTemplateLimits& limits) : limits_(limits) {}

  // One unit of work: an expression node, a statement, a loop iteration, a list item copied.
  void step(uint64_t n = 1) {
    if (n > limits_.max_steps - steps_) fail_steps();
    steps_ += n;
  }
  // A string of n bytes is about to exist: within max_output_bytes, and copying it costs a step
  // per KiB so that loops re-copying big strings stay bounded too.
  void bytes(size_t n) {
    check_size(n);
    step(n >> 10);
  }
  // Only the size bound, for a string still growing (charge bytes() once when it is done).
  void check_size(size_t n) const {
    if (n > limits_.max_output_bytes) fail_bytes();
  }
  int max_depth() const { return limits_.max_depth; }
  const ChatTemplateLimits& limits() const { return limits_; }

  [[noreturn]] void fail_steps() const;
  [[noreturn]] void fail_bytes() const;
  [[noreturn]] void fail_depth() const;

 private:
  ChatTemplateLimits limits_;
  uint64_t steps_ = 0;
};

// Positional and keyword arguments of a call, filter or test.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// Binds args to a Python signature `names` (the first `required` of them mandatory); an
// argument not given comes back empty. Errors name `what` (e.g. "filter 'join'").
std::vector<std::optional<Value>> bind_args(const CallArgs& args, std::initializer_list<const char*> names,
                                            size_t required, const std::string& what);

struct Runtime {
  explicit Runtime(const ChatTemplateLimits& limits) : budget(limits) {}
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Namespaces can hold themselves (`set ns.me = ns`); emptying them all here breaks such cycles
  // and keeps freeing a long chain of them from recursing.
  ~Runtime() {
    for (const NamespacePtr& ns : namespaces) ns->attrs.clear();
  }

  int max_depth() const { return budget.max_depth(); }

  Budget budget;
  std::vector<NamespacePtr> namespaces;
};

}  // namespace dsinfer::jinja
