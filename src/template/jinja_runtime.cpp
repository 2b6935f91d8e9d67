#include "template/jinja_runtime.hpp"

#include "dsinfer/error.hpp"

namespace dsinfer::jinja {

void Budget::fail_steps() const {
  throw Error(ErrorCode::too_large, "chat template render exceeded max_steps (" + std::to_string(limits_.max_steps) +
                                        "); the template loops too long");
}

void Budget::fail_bytes() const {
  throw Error(ErrorCode::too_large, "chat template render exceeded max_output_bytes (" +
                                        std::to_string(limits_.max_output_bytes) + ")");
}

void Budget::fail_depth() const {
  throw Error(ErrorCode::too_large, "chat template render nests deeper than max_depth (" +
                                        std::to_string(limits_.max_depth) + "): expressions, blocks or macro calls");
}

std::vector<std::optional<Value>> bind_args(const CallArgs& args, std::initializer_list<const char*> names,
                                            size_t required, const std::string& what) {
  std::vector<std::optional<Value>> bound(names.size());
  if (args.positional.size() > names.size())
    throw Error(ErrorCode::invalid_argument, "chat template: " + what + " takes at most " +
                                                 std::to_string(names.size()) + " arguments");
  for (size_t i = 0; i < args.positional.size(); ++i) bound[i] = args.positional[i];
  for (const auto& [key, value] : args.keyword) {
    size_t i = 0;
    for (const char* name : names) {
      if (key == name) break;
      ++i;
    }
    if (i == names.size())
      throw Error(ErrorCode::invalid_argument, "chat template: " + what + " got an unexpected keyword argument '" + key + "'");
    if (bound[i])
      throw Error(ErrorCode::invalid_argument, "chat template: " + what + " got multiple values for '" + key + "'");
    bound[i] = value;
  }
  for (size_t i = 0; i < required; ++i)
    if (!bound[i])
      throw Error(ErrorCode::invalid_argument, "chat template: " + what + " is missing argument '" +
                                                   names.begin()[i] + "'");
  return bound;
}

}  // namespace dsinfer::jinja
