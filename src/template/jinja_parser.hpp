// Builds the statement and expression tree from tokens, following Jinja2's grammar and operator
// precedence. Nesting is bounded by max_depth while parsing, so neither parsing nor later
// evaluation or destruction can recurse deeply enough to overflow the stack.
#pragma once

#include <string>

#include "template/jinja_ast.hpp"

namespace dsinfer::jinja {

// Throws Error(invalid_format) with "line L:C" for a syntax error, and Error(too_large) for
// nesting past max_depth.
Program parse_program(const std::string& source, int max_depth);

}  // namespace dsinfer::jinja
