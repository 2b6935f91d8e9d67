// Where a template error happened, as "line L:C" (both 1-based, the column in code points), so
// syntax and runtime errors point into the template text the user can see.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dsinfer/error.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

inline std::string describe_position(std::string_view source, size_t offset) {
  if (offset > source.size()) offset = source.size();
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  const size_t column = count_code_points(source.substr(line_start, offset - line_start)) + 1;
  return "line " + std::to_string(line) + ":" + std::to_string(column);
}

[[noreturn]] inline void syntax_error(std::string_view source, size_t offset, const std::string& message) {
  throw Error(ErrorCode::invalid_format, "chat template " + describe_position(source, offset) + ": " + message);
}

}  // namespace dsinfer::jinja
