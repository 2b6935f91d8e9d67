// The functions a template can reach by name: filters (`x | trim`), tests (`x is defined`),
// methods of str/dict/list and the loop (`s.strip()`), and globals (range, namespace, dict,
// raise_exception, strftime_now). Filter and test names resolve to ids at parse time, so an
// unknown one is a syntax error with a position rather than a surprise at render time.
#pragma once

#include <string>
#include <string_view>

#include "dsinfer/error.hpp"
#include "template/jinja_runtime.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

// The id of a filter or test, or -1. filter_unsupported names Jinja2's builtin filters that
// dsinfer does not implement (wordwrap, groupby, ...), for a clearer message.
int find_filter(std::string_view name);
int find_test(std::string_view name);
bool filter_unsupported(std::string_view name);

Value apply_filter(int id, const Value& input, const CallArgs& args, Runtime& rt);
bool apply_test(int id, const Value& input, const CallArgs& args, Runtime& rt);

// Methods: `has_method` says whether obj.name is a method Jinja2's sandbox lets a template
// call; `unsafe_method` whether it is one it refuses (list.append, dict.pop, ...).
bool has_method(const Value& obj, std::string_view name);
bool unsafe_method(const Value& obj, std::string_view name);
Value call_method(const Value& obj, const std::string& name, const CallArgs& args, Runtime& rt);

bool is_global(std::string_view name);
Value call_global(const std::string& name, const CallArgs& args, Runtime& rt);

// A template's raise_exception(msg): ChatTemplate reports it as Error(invalid_argument, msg)
// without adding a position, so callers see exactly the template's message.
class TemplateRaised : public Error {
 public:
  explicit TemplateRaised(const std::string& message) : Error(ErrorCode::invalid_argument, message) {}
};

}  // namespace dsinfer::jinja
