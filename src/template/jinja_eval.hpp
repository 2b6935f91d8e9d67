// Runs a parsed template against a context, writing the output text. Every statement,
// expression node and loop iteration is charged to the render's budget, and nesting (blocks,
// expressions, macro calls) is bounded by max_depth, so a hostile template fails with
// Error(too_large) instead of running long, growing without bound or overflowing the stack.
#pragma once

#include <string>

#include "dsinfer/chat_template.hpp"
#include "template/jinja_ast.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

// `context` is a dict; its string keys become the template's variables.
std::string render_program(const Program& program, const Value& context, const ChatTemplateLimits& limits);

}  // namespace dsinfer::jinja
