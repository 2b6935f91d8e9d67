// Methods of str, dict, list and the loop object that templates call, with Python's results
// (indices count code points; split without a separator splits on any whitespace run).
#include <algorithm>
#include <array>

#include "dsinfer/error.hpp"
#include "template/jinja_access.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_text.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

constexpr std::string_view kStringMethods[] = {
    "capitalize", "count", "endswith", "find", "index", "isalnum", "isalpha", "isdigit", "islower",
    "isspace", "isupper", "join", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace",
    "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
    "title", "upper"};
// Python has these too; a template calling one gets a clear "not supported" rather than Undefined.
constexpr std::string_view kStringUnsupported[] = {
    "casefold", "center", "encode", "expandtabs", "format", "format_map", "isascii", "isdecimal",
    "isidentifier", "isnumeric", "isprintable", "istitle", "ljust", "maketrans", "rjust", "swapcase",
    "translate", "zfill"};
constexpr std::string_view kDictMethods[] = {"copy", "get", "items", "keys", "values"};
constexpr std::string_view kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};
constexpr std::string_view kListMethods[] = {"copy", "count", "index"};
constexpr std::string_view kListUnsafe[] = {"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"};

template <size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

const std::string& string_arg(const Value& v, const std::string& what) {
  if (!v.is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " needs a string argument");
  return v.as_string();
}

// Taken by pointer so that a temporary optional cannot be passed and outlived.
const std::string& string_arg(const std::optional<Value>* v, const std::string& what) {
  if (!*v) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " needs a string argument");
  return string_arg(**v, what);
}

// The code point index of byte offset `at`, or -1 for npos, as str.find returns.
Value cp_index(const std::string& s, size_t at) {
  if (at == std::string::npos) return Value::integer(-1);
  return Value::integer(static_cast<int64_t>(count_code_points(std::string_view(s).substr(0, at))));
}

// Python's optional start/end arguments of find/count/startswith, turned into a byte range.
std::pair<size_t, size_t> byte_range(const std::string& s, const std::optional<Value>& start,
                                     const std::optional<Value>& end) {
  const std::vector<size_t> starts = code_point_starts(s);
  const int64_t n = static_cast<int64_t>(starts.size() - 1);
  const auto pick = [&](const std::optional<Value>& v, int64_t dflt) {
    if (!v || v->is(Kind::none)) return dflt;
    const auto i = index_key(*v);
    if (!i) throw Error(ErrorCode::invalid_argument, "chat template: string index must be an integer");
    return std::clamp<int64_t>(*i < 0 ? *i + n : *i, 0, n);
  };
  const int64_t lo = pick(start, 0), hi = pick(end, n);
  return {starts[static_cast<size_t>(lo)], starts[static_cast<size_t>(std::max(lo, hi))]};
}

bool all_code_points(const std::string& s, bool (*pred)(uint32_t)) {
  if (s.empty()) return false;
  for (size_t pos = 0; pos < s.size();)
    if (!pred(decode_utf8(s, pos))) return false;
  return true;
}

// Letters: ASCII ones, anything with a case, and other non-ASCII code points, since most of those
// in prompts (CJK, kana, ...) are letters too.
bool letter_like(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0x80 && !is_py_space(c));
}
bool ascii_digit(uint32_t c) { return c >= '0' && c <= '9'; }

Value affix_test(const std::string& s, const CallArgs& args, bool prefix, Runtime& rt) {
  const auto a = bind_args(args, {"affix", "start", "end"}, 1, prefix ? "str.startswith" : "str.endswith");
  const auto [lo, hi] = byte_range(s, a[1], a[2]);
  const std::string_view window = std::string_view(s).substr(lo, hi - lo);
  std::vector<Value> candidates;
  if (a[0]->is(Kind::list)) candidates = a[0]->as_list().items;
  else candidates.push_back(*a[0]);
  rt.budget.step(candidates.size());
  for (const Value& c : candidates) {
    const std::string& affix = string_arg(c, prefix ? "str.startswith" : "str.endswith");
    if (window.size() >= affix.size() &&
        (prefix ? window.substr(0, affix.size()) : window.substr(window.size() - affix.size())) == affix)
      return Value::boolean(true);
  }
  return Value::boolean(false);
}

Value strings_to_list(std::vector<std::string> parts, Runtime& rt, bool tuple = false) {
  rt.budget.step(parts.size());
  std::vector<Value> items;
  items.reserve(parts.size());
  for (std::string& p : parts) items.push_back(Value::string(std::move(p)));
  return make_list(std::move(items), rt.max_depth(), tuple);
}

Value string_method(const std::string& s, const std::string& name, const CallArgs& args, Runtime& rt) {
  const std::string what = "str." + name;
  rt.budget.bytes(s.size());
  if (name == "startswith" || name == "endswith") return affix_test(s, args, name == "startswith", rt);
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const auto a = bind_args(args, {"chars"}, 0, what);
    const std::string* chars = a[0] && !a[0]->is(Kind::none) ? &string_arg(&a[0], what) : nullptr;
    return Value::string(std::string(py_strip(s, name != "rstrip", name != "lstrip", chars)));
  }
  if (name == "split" || name == "rsplit") {
    const auto a = bind_args(args, {"sep", "maxsplit"}, 0, what);
    const std::string* sep = a[0] && !a[0]->is(Kind::none) ? &string_arg(&a[0], what) : nullptr;
    int64_t maxsplit = -1;
    if (a[1]) {
      const auto m = index_key(*a[1]);
      if (!m) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " maxsplit must be an integer");
      maxsplit = *m;
    }
    return strings_to_list(py_split(s, sep, maxsplit, name == "rsplit"), rt);
  }
  if (name == "splitlines") {
    const auto a = bind_args(args, {"keepends"}, 0, what);
    return strings_to_list(py_splitlines(s, a[0] && truthy(*a[0])), rt);
  }
  if (name == "replace") {
    const auto a = bind_args(args, {"old", "new", "count"}, 2, what);
    int64_t count = -1;
    if (a[2]) count = index_key(*a[2]).value_or(-1);
    return Value::string(py_replace(s, string_arg(&a[0], what), string_arg(&a[1], what), count, rt.budget));
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    bind_args(args, {}, 0, what);
    if (name == "upper") return Value::string(py_upper(s));
    if (name == "lower") return Value::string(py_lower(s));
    if (name == "title") return Value::string(py_title(s));
    return Value::string(py_capitalize(s));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    const auto a = bind_args(args, {"sub", "start", "end"}, 1, what);
    const std::string& sub = string_arg(&a[0], what);
    const auto [lo, hi] = byte_range(s, a[1], a[2]);
    const std::string_view window = std::string_view(s).substr(lo, hi - lo);
    if (name == "count") {
      if (sub.empty()) return Value::integer(static_cast<int64_t>(count_code_points(window)) + 1);
      int64_t n = 0;
      for (size_t at = window.find(sub); at != std::string_view::npos; at = window.find(sub, at + sub.size())) ++n;
      return Value::integer(n);
    }
    const bool reverse = name[0] == 'r';
    size_t at = reverse ? window.rfind(sub) : window.find(sub);
    if (at != std::string_view::npos) at += lo;
    if (at == std::string::npos && name.find("index") != std::string::npos)
      throw Error(ErrorCode::invalid_argument, "chat template: " + what + ": substring not found");
    return cp_index(s, at);
  }
  if (name == "join") {
    const auto a = bind_args(args, {"iterable"}, 1, what);
    std::string out;
    const std::vector<Value> items = iterate(*a[0], rt);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += s;
      out += string_arg(items[i], what);
      rt.budget.check_size(out.size());
    }
    rt.budget.bytes(out.size());
    return Value::string(std::move(out));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    const auto a = bind_args(args, {"affix"}, 1, what);
    const std::string& affix = string_arg(&a[0], what);
    if (name == "removeprefix") return Value::string(s.rfind(affix, 0) == 0 ? s.substr(affix.size()) : s);
    const bool ends = s.size() >= affix.size() && s.compare(s.size() - affix.size(), affix.size(), affix) == 0;
    return Value::string(ends ? s.substr(0, s.size() - affix.size()) : s);
  }
  if (name == "partition" || name == "rpartition") {
    const auto a = bind_args(args, {"sep"}, 1, what);
    const std::string& sep = string_arg(&a[0], what);
    if (sep.empty()) throw Error(ErrorCode::invalid_argument, "chat template: " + what + ": empty separator");
    const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (at == std::string::npos)
      return strings_to_list(name == "partition" ? std::vector<std::string>{s, "", ""}
                                                 : std::vector<std::string>{"", "", s},
                             rt, true);
    return strings_to_list({s.substr(0, at), sep, s.substr(at + sep.size())}, rt, true);
  }
  bind_args(args, {}, 0, what);
  if (name == "isspace") return Value::boolean(all_code_points(s, is_py_space));
  if (name == "isalpha") return Value::boolean(all_code_points(s, letter_like));
  if (name == "isdigit") return Value::boolean(all_code_points(s, ascii_digit));
  if (name == "isalnum")
    return Value::boolean(all_code_points(s, [](uint32_t c) { return letter_like(c) || ascii_digit(c); }));
  bool has_upper = false, has_lower = false;
  for (size_t pos = 0; pos < s.size();) {
    const uint32_t cp = decode_utf8(s, pos);
    has_upper = has_upper || is_py_upper(cp);
    has_lower = has_lower || is_py_lower(cp);
  }
  if (name == "islower") return Value::boolean(has_lower && !has_upper);
  if (name == "isupper") return Value::boolean(has_upper && !has_lower);
  throw Error(ErrorCode::unsupported, "chat template: str." + name + "() is not supported");
}

Value dict_method(const Value& self, const std::string& name, const CallArgs& args, Runtime& rt) {
  const DictObj& dict = self.as_dict();
  const std::string what = "dict." + name;
  if (name == "get") {
    const auto a = bind_args(args, {"key", "default"}, 1, what);
    if (const Value* v = dict.find(*a[0])) return *v;
    return a[1] ? *a[1] : Value::none();
  }
  bind_args(args, {}, 0, what);
  rt.budget.step(dict.entries.size());
  if (name == "copy") return self;  // dicts are immutable here, so sharing is a copy
  std::vector<Value> items;
  items.reserve(dict.entries.size());
  for (const auto& [key, value] : dict.entries) {
    if (name == "keys") items.push_back(key);
    else if (name == "values") items.push_back(value);
    else items.push_back(make_list({key, value}, rt.max_depth(), true));
  }
  return make_list(std::move(items), rt.max_depth());
}

Value list_method(const Value& self, const std::string& name, const CallArgs& args, Runtime& rt) {
  const std::string what = "list." + name;
  if (name == "copy") {
    bind_args(args, {}, 0, what);
    return self;
  }
  const auto a = bind_args(args, {"value"}, 1, what);
  const auto& items = self.as_list().items;
  rt.budget.step(items.size());
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!equals(items[i], *a[0], rt)) continue;
    if (name == "index") return Value::integer(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") throw Error(ErrorCode::invalid_argument, "chat template: list.index(): value not in list");
  return Value::integer(count);
}

}  // namespace

bool has_method(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Kind::string: return listed(kStringMethods, name) || listed(kStringUnsupported, name);
    case Kind::dict: return listed(kDictMethods, name);
    case Kind::list: return listed(kListMethods, name);
    case Kind::loop: return name == "cycle";
    default: return false;
  }
}

bool unsafe_method(const Value& obj, std::string_view name) {
  if (obj.is(Kind::dict)) return listed(kDictUnsafe, name);
  if (obj.is(Kind::list)) return listed(kListUnsafe, name);
  return false;
}

Value call_method(const Value& obj, const std::string& name, const CallArgs& args, Runtime& rt) {
  switch (obj.kind()) {
    case Kind::string: return string_method(obj.as_string(), name, args, rt);
    case Kind::dict: return dict_method(obj, name, args, rt);
    case Kind::list: return list_method(obj, name, args, rt);
    case Kind::loop: {
      if (!args.keyword.empty() || args.positional.empty())
        throw Error(ErrorCode::invalid_argument, "chat template: loop.cycle() takes one or more positional arguments");
      return args.positional[obj.as_loop()->index0 % args.positional.size()];
    }
    default: throw Error(ErrorCode::internal, "chat template: no method " + name);
  }
}

}  // namespace dsinfer::jinja
