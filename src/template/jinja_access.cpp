#include "template/jinja_access.hpp"

#include <algorithm>

#include "dsinfer/error.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

Value missing(const Value& obj, const std::string& name) {
  return Value::undefined("'" + type_name(obj) + " object' has no attribute '" + name + "'");
}

Value unsafe(const Value& obj, const std::string& name) {
  return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe");
}

Value bound_method(const Value& obj, const std::string& name, Runtime& rt) {
  auto method = std::make_shared<Callable>();
  method->type = Callable::Type::method;
  method->name = name;
  method->self = obj;
  method->depth = value_depth(obj) + 1;
  if (method->depth > rt.max_depth()) rt.budget.fail_depth();
  return Value::callable(std::move(method));
}

Value loop_attr(const LoopObj& loop, const std::string& name, const Value& self, Runtime& rt) {
  const auto& items = loop.items->items;
  const int64_t n = static_cast<int64_t>(items.size());
  const int64_t i = static_cast<int64_t>(loop.index0);
  if (name == "index") return Value::integer(i + 1);
  if (name == "index0") return Value::integer(i);
  if (name == "revindex") return Value::integer(n - i);
  if (name == "revindex0") return Value::integer(n - i - 1);
  if (name == "first") return Value::boolean(i == 0);
  if (name == "last") return Value::boolean(i == n - 1);
  if (name == "length") return Value::integer(n);
  if (name == "depth") return Value::integer(1);
  if (name == "depth0") return Value::integer(0);
  if (name == "previtem") return i > 0 ? items[i - 1] : Value::undefined("there is no previous item");
  if (name == "nextitem") return i + 1 < n ? items[i + 1] : Value::undefined("there is no next item");
  if (has_method(self, name)) return bound_method(self, name, rt);
  return missing(self, name);
}

// Python's index normalisation: negative counts from the end; nullopt when out of range.
std::optional<size_t> normalize_index(int64_t i, size_t size) {
  const int64_t n = static_cast<int64_t>(size);
  if (i < 0) i += n;
  if (i < 0 || i >= n) return std::nullopt;
  return static_cast<size_t>(i);
}

}  // namespace

std::optional<int64_t> index_key(const Value& key) {
  if (key.is(Kind::integer)) return key.as_int();
  if (key.is(Kind::boolean)) return key.as_bool() ? 1 : 0;
  return std::nullopt;
}

Value get_attr(const Value& obj, const std::string& name, Runtime& rt) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (!name.empty() && name[0] == '_') return unsafe(obj, name);
  if (unsafe_method(obj, name)) return unsafe(obj, name);
  switch (obj.kind()) {
    case Kind::dict:
      if (has_method(obj, name)) return bound_method(obj, name, rt);
      if (const Value* v = obj.as_dict().find(std::string_view(name))) return *v;
      return missing(obj, name);
    case Kind::ns:
      if (const Value* v = obj.as_ns()->find(name)) return *v;
      return missing(obj, name);
    case Kind::loop: return loop_attr(*obj.as_loop(), name, obj, rt);
    default:
      if (has_method(obj, name)) return bound_method(obj, name, rt);
      return missing(obj, name);
  }
}

Value get_item(const Value& obj, const Value& key, Runtime& rt) {
  if (obj.is_undefined()) fail_undefined(obj);
  switch (obj.kind()) {
    case Kind::string:
    case Kind::list: {
      if (const auto i = index_key(key)) {
        if (obj.is(Kind::list)) {
          const auto& items = obj.as_list().items;
          if (const auto at = normalize_index(*i, items.size())) return items[*at];
          return Value::undefined("list index out of range");
        }
        const std::string& s = obj.as_string();
        const std::vector<size_t> starts = code_point_starts(s);
        if (const auto at = normalize_index(*i, starts.size() - 1))
          return Value::string(s.substr(starts[*at], starts[*at + 1] - starts[*at]));
        return Value::undefined("string index out of range");
      }
      break;
    }
    case Kind::dict:
      if (const Value* v = obj.as_dict().find(key)) return *v;
      break;
    default: break;
  }
  // Jinja2 falls back to the attribute of that name.
  if (key.is(Kind::string)) return get_attr(obj, key.as_string(), rt);
  return Value::undefined("'" + type_name(obj) + " object' has no item " + repr(key, rt));
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step, Runtime& rt) {
  if (obj.is_undefined()) fail_undefined(obj);
  const auto bound = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is(Kind::none)) return std::nullopt;
    if (auto i = index_key(v)) return i;
    throw Error(ErrorCode::invalid_argument, std::string("chat template: slice ") + what + " must be an integer or none");
  };
  const int64_t st = bound(step, "step").value_or(1);
  if (st == 0) throw Error(ErrorCode::invalid_argument, "chat template: slice step cannot be zero");

  std::vector<size_t> starts;  // strings slice by code point
  size_t size = 0;
  if (obj.is(Kind::string)) {
    starts = code_point_starts(obj.as_string());
    size = starts.size() - 1;
  } else if (obj.is(Kind::list)) {
    size = obj.as_list().items.size();
  } else {
    // Jinja2 compiles slices to a plain Python subscript, so this is a TypeError there too.
    throw Error(ErrorCode::invalid_argument, "chat template: cannot slice a '" + type_name(obj) + "'");
  }
  // Python's slice.indices().
  const int64_t n = static_cast<int64_t>(size);
  const auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t i = *v < 0 ? *v + n : *v;
    if (st > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  const int64_t lo = clamp(bound(start, "start"), st > 0 ? 0 : n - 1);
  const int64_t hi = clamp(bound(stop, "stop"), st > 0 ? n : -1);
  std::vector<size_t> picked;
  for (int64_t i = lo; st > 0 ? i < hi : i > hi; i += st) picked.push_back(static_cast<size_t>(i));
  rt.budget.step(picked.size());
  if (obj.is(Kind::string)) {
    const std::string& s = obj.as_string();
    std::string out;
    for (size_t i : picked) out.append(s, starts[i], starts[i + 1] - starts[i]);
    return Value::string(std::move(out));
  }
  const ListObj& list = obj.as_list();
  std::vector<Value> items;
  items.reserve(picked.size());
  for (size_t i : picked) items.push_back(list.items[i]);
  return make_list(std::move(items), rt.max_depth(), list.tuple);
}

std::vector<Value> iterate(const Value& v, Runtime& rt) {
  std::vector<Value> out;
  switch (v.kind()) {
    case Kind::undefined: return out;
    case Kind::list:
      rt.budget.step(v.as_list().items.size());
      return v.as_list().items;
    case Kind::dict:
      rt.budget.step(v.as_dict().entries.size());
      for (const auto& entry : v.as_dict().entries) out.push_back(entry.first);
      return out;
    case Kind::string: {
      const std::string& s = v.as_string();
      for (size_t pos = 0; pos < s.size();) {
        const size_t start = pos;
        decode_utf8(s, pos);
        out.push_back(Value::string(s.substr(start, pos - start)));
      }
      rt.budget.step(out.size());
      return out;
    }
    case Kind::loop:
      rt.budget.step(v.as_loop()->items->items.size());
      return v.as_loop()->items->items;
    default:
      throw Error(ErrorCode::invalid_argument, "chat template: '" + type_name(v) + "' object is not iterable");
  }
}

int64_t length_of(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return 0;
    case Kind::string: return static_cast<int64_t>(count_code_points(v.as_string()));
    case Kind::list: return static_cast<int64_t>(v.as_list().items.size());
    case Kind::dict: return static_cast<int64_t>(v.as_dict().entries.size());
    case Kind::loop: return static_cast<int64_t>(v.as_loop()->items->items.size());
    default:
      throw Error(ErrorCode::invalid_argument, "chat template: object of type '" + type_name(v) + "' has no len()");
  }
}

}  // namespace dsinfer::jinja
