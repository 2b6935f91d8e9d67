// JSON in and out of template values. Input keeps object key order (Python dicts do); output
// is byte-for-byte what Python's json.dumps writes, which transformers' `tojson` filter calls.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "template/jinja_runtime.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

// Throws Error(too_large) for input nested deeper than max_depth.
Value from_json(const nlohmann::ordered_json& json, int max_depth);

struct JsonStyle {
  bool pretty = false;          // indent given: one item per line
  std::string indent;           // per level, when pretty
  std::string item_separator = ", ";  // json.dumps' defaults: ", " compact, "," when pretty
  std::string key_separator = ": ";
  bool ensure_ascii = false;    // transformers' default; json.dumps' own default is true
  bool sort_keys = false;
};

// json.dumps(v, ...). Throws Error(invalid_argument) for values JSON cannot hold (Undefined,
// namespaces, macros), as json.dumps raises TypeError. Charges rt's budget per item.
std::string to_json(const Value& v, const JsonStyle& style, Runtime& rt);

}  // namespace dsinfer::jinja
