#include "template/jinja_value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dsinfer/error.hpp"

namespace dsinfer::jinja {

double Value::number() const {
  switch (kind()) {
    case Kind::boolean: return as_bool() ? 1.0 : 0.0;
    case Kind::integer: return static_cast<double>(as_int());
    default: return as_float();
  }
}

const Value* DictObj::find(std::string_view key) const {
  auto it = string_keys.find(std::string(key));
  return it == string_keys.end() ? nullptr : &entries[it->second].second;
}

std::string DictObj::other_key_text(const Value& key) {
  if (key.is(Kind::none)) return "None";
  const double d = key.number();
  if (key.is(Kind::floating) && !(d == std::floor(d) && std::fabs(d) < 9.2e18)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  return std::to_string(key.is(Kind::floating) ? static_cast<int64_t>(d) : key.is(Kind::boolean) ? key.as_bool() : key.as_int());
}

const Value* DictObj::find(const Value& key) const {
  if (key.is(Kind::string)) return find(key.as_string());
  if (!key.is_number() && !key.is(Kind::none)) return nullptr;
  auto it = other_keys.find(other_key_text(key));
  return it == other_keys.end() ? nullptr : &entries[it->second].second;
}

const Value* NamespaceObj::find(std::string_view name) const {
  for (const auto& [k, v] : attrs)
    if (k == name) return &v;
  return nullptr;
}

void NamespaceObj::set(const std::string& name, Value value) {
  for (auto& [k, v] : attrs)
    if (k == name) {
      v = std::move(value);
      return;
    }
  attrs.emplace_back(name, std::move(value));
}

int value_depth(const Value& v) {
  switch (v.kind()) {
    case Kind::list: return v.as_list().depth;
    case Kind::dict: return v.as_dict().depth;
    case Kind::callable: return v.as_callable().depth;
    default: return 0;  // scalars; namespaces and loops are freed through their own owners
  }
}

namespace {

void check_depth(int depth, int max_depth) {
  if (depth > max_depth)
    throw Error(ErrorCode::too_large,
                "chat template built a value nested deeper than max_depth (" + std::to_string(max_depth) + ")");
}

}  // namespace

Value make_list(std::vector<Value> items, int max_depth, bool tuple) {
  auto list = std::make_shared<ListObj>();
  int inner = 0;
  for (const Value& item : items) inner = std::max(inner, value_depth(item));
  list->depth = inner + 1;
  check_depth(list->depth, max_depth);
  list->items = std::move(items);
  list->tuple = tuple;
  return Value::list(std::move(list));
}

Value make_dict(std::vector<std::pair<Value, Value>> entries, int max_depth) {
  auto dict = std::make_shared<DictObj>();
  int inner = 0;
  dict->entries.reserve(entries.size());
  for (auto& [key, value] : entries) {
    if (!(key.is(Kind::string) || key.is_number() || key.is(Kind::none)))
      throw Error(ErrorCode::invalid_argument, "chat template: dict keys must be strings, numbers or none");
    inner = std::max(inner, value_depth(value));
    // A repeated key keeps its first position and its last value, as in Python.
    if (Value* existing = const_cast<Value*>(dict->find(key))) {
      *existing = std::move(value);
      continue;
    }
    if (key.is(Kind::string)) dict->string_keys.emplace(key.as_string(), dict->entries.size());
    else dict->other_keys.emplace(DictObj::other_key_text(key), dict->entries.size());
    dict->entries.emplace_back(std::move(key), std::move(value));
  }
  dict->depth = inner + 1;
  check_depth(dict->depth, max_depth);
  return Value::dict(std::move(dict));
}

}  // namespace dsinfer::jinja
