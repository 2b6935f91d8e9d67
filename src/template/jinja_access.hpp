// Reading from values the way Jinja2's sandbox does: `a.b` tries a Python attribute (a method)
// before an item, `a[b]` an item before an attribute, anything missing is Undefined, and names
// starting with '_' or mutating methods are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "template/jinja_runtime.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

Value get_attr(const Value& obj, const std::string& name, Runtime& rt);
Value get_item(const Value& obj, const Value& key, Runtime& rt);
// obj[start:stop:step] on a str, list or tuple.
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step, Runtime& rt);

// The items a for loop or a filter sees: a list's items, a dict's keys, a string's code points,
// nothing for Undefined. Charges a step per item.
std::vector<Value> iterate(const Value& v, Runtime& rt);

// len(v); Undefined has length 0.
int64_t length_of(const Value& v);

// The Python index a bool or int key names, or nullopt for other keys.
std::optional<int64_t> index_key(const Value& key);

}  // namespace dsinfer::jinja
