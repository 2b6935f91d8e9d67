// Python's arithmetic on template values: + - * / // % ** and Jinja2's ~ (string concatenation).
// Integers are 64-bit; where Python would grow a big integer this throws instead.
#pragma once

#include <cstdint>

#include "template/jinja_runtime.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

enum class ArithOp : uint8_t { add, sub, mul, div, floordiv, mod, pow, concat };

Value arith(ArithOp op, const Value& a, const Value& b, Runtime& rt);
Value negate(const Value& v);

}  // namespace dsinfer::jinja
