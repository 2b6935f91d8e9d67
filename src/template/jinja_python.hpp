// Python's meaning of the built-in operations a template applies to values: truth, str(),
// repr(), ==, <, `in`. Printing and comparing walk into containers, so they charge the render's
// budget per item and stop cleanly past max_depth (a namespace can be made to contain itself).
#pragma once

#include <string>

#include "template/jinja_runtime.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

bool truthy(const Value& v);

// Python's type name, for error messages: "int", "str", "dict", ...
std::string type_name(const Value& v);

// str(v): what {{ v }} prints. Undefined prints as "".
std::string to_str(const Value& v, Runtime& rt);
std::string repr(const Value& v, Runtime& rt);

// Python's repr() of a float: the shortest string that reads back to the same double.
std::string format_float(double d);

bool equals(const Value& a, const Value& b, Runtime& rt);
// -1, 0 or 1 for a < b, a == b, a > b; throws Error(invalid_argument) where Python raises TypeError.
int compare(const Value& a, const Value& b, Runtime& rt);
// `item in container`.
bool contains(const Value& container, const Value& item, Runtime& rt);

// Jinja2's Undefined refuses most operations with its hint as the message.
[[noreturn]] void fail_undefined(const Value& v);

}  // namespace dsinfer::jinja
