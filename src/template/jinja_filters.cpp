// Jinja2's builtin filters that chat templates use, plus transformers' tojson (json.dumps
// without HTML escaping, ensure_ascii off, with indent/separators/sort_keys).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "dsinfer/error.hpp"
#include "template/jinja_access.hpp"
#include "template/jinja_arith.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_json.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_text.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

enum Filter {
  f_abs, f_attr, f_capitalize, f_count, f_default, f_dictsort, f_escape, f_first, f_float, f_indent, f_int,
  f_items, f_join, f_last, f_length, f_list, f_lower, f_map, f_max, f_min, f_reject, f_rejectattr, f_replace,
  f_reverse, f_round, f_safe, f_select, f_selectattr, f_sort, f_string, f_sum, f_title, f_tojson, f_trim,
  f_unique, f_upper,
};

struct Named {
  std::string_view name;
  Filter id;
};

constexpr Named kFilters[] = {
    {"abs", f_abs}, {"attr", f_attr}, {"capitalize", f_capitalize}, {"count", f_count}, {"d", f_default},
    {"default", f_default}, {"dictsort", f_dictsort}, {"e", f_escape}, {"escape", f_escape}, {"first", f_first},
    {"float", f_float}, {"indent", f_indent}, {"int", f_int}, {"items", f_items}, {"join", f_join},
    {"last", f_last}, {"length", f_length}, {"list", f_list}, {"lower", f_lower}, {"map", f_map},
    {"max", f_max}, {"min", f_min}, {"reject", f_reject}, {"rejectattr", f_rejectattr},
    {"replace", f_replace}, {"reverse", f_reverse}, {"round", f_round}, {"safe", f_safe},
    {"select", f_select}, {"selectattr", f_selectattr}, {"sort", f_sort}, {"string", f_string},
    {"sum", f_sum}, {"title", f_title}, {"tojson", f_tojson}, {"trim", f_trim}, {"unique", f_unique},
    {"upper", f_upper},
};

constexpr std::string_view kUnsupported[] = {
    "batch", "center", "filesizeformat", "forceescape", "format", "groupby", "pprint", "random", "slice",
    "striptags", "truncate", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr"};

std::string str_of(const Value& v, Runtime& rt) { return to_str(v, rt); }

Value lowered(const Value& v) { return v.is(Kind::string) ? Value::string(py_lower(v.as_string())) : v; }

// Jinja2's make_attrgetter: "a.b.0" reads item a, then b, then index 0.
Value read_path(Value item, const Value& attribute, Runtime& rt) {
  if (!attribute.is(Kind::string)) return get_item(item, attribute, rt);
  const std::string& path = attribute.as_string();
  size_t begin = 0;
  for (;;) {
    const size_t dot = path.find('.', begin);
    const std::string part = path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    item = numeric && part.size() < 18 ? get_item(item, Value::integer(std::stoll(part)), rt)
                                       : get_item(item, Value::string(part), rt);
    if (dot == std::string::npos) return item;
    begin = dot + 1;
  }
}

Value to_list(std::vector<Value> items, Runtime& rt) { return make_list(std::move(items), rt.max_depth()); }

// select / reject / selectattr / rejectattr.
Value select_items(const Value& input, const CallArgs& args, bool by_attr, bool keep_if, Runtime& rt,
                   const std::string& what) {
  size_t next = 0;
  const auto& pos = args.positional;
  if (!args.keyword.empty()) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " takes no keyword arguments");
  std::optional<Value> attribute;
  if (by_attr) {
    if (pos.empty()) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " needs an attribute");
    attribute = pos[next++];
  }
  int test = -1;
  if (next < pos.size()) {
    if (!pos[next].is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: " + what + " needs a test name");
    test = find_test(pos[next].as_string());
    if (test < 0) throw Error(ErrorCode::invalid_argument, "chat template: " + what + ": no test named '" + pos[next].as_string() + "'");
    ++next;
  }
  CallArgs test_args;
  test_args.positional.assign(pos.begin() + static_cast<std::ptrdiff_t>(next), pos.end());
  std::vector<Value> kept;
  if (!truthy(input)) return to_list({}, rt);  // Jinja2 iterates only `if value`
  for (const Value& item : iterate(input, rt)) {
    const Value subject = attribute ? read_path(item, *attribute, rt) : item;
    const bool passed = test < 0 ? truthy(subject) : apply_test(test, subject, test_args, rt);
    if (passed == keep_if) kept.push_back(item);
  }
  return to_list(std::move(kept), rt);
}

Value map_items(const Value& input, const CallArgs& args, Runtime& rt) {
  std::vector<Value> out;
  if (!truthy(input)) return to_list({}, rt);  // Jinja2 iterates only `if value`
  if (args.positional.empty()) {
    const auto a = bind_args(args, {"attribute", "default"}, 1, "filter 'map'");
    for (const Value& item : iterate(input, rt)) {
      Value v = read_path(item, *a[0], rt);
      if (a[1] && v.is_undefined()) v = *a[1];
      out.push_back(std::move(v));
    }
    return to_list(std::move(out), rt);
  }
  if (!args.positional[0].is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: map needs a filter name");
  const int filter = find_filter(args.positional[0].as_string());
  if (filter < 0)
    throw Error(ErrorCode::invalid_argument, "chat template: map: no filter named '" + args.positional[0].as_string() + "'");
  CallArgs rest{{args.positional.begin() + 1, args.positional.end()}, args.keyword};
  for (const Value& item : iterate(input, rt)) out.push_back(apply_filter(filter, item, rest, rt));
  return to_list(std::move(out), rt);
}

// The sort key of sort/unique/min/max: an attribute path, lower-cased unless case_sensitive.
Value sort_key(const Value& item, const std::optional<Value>& attribute, bool case_sensitive, Runtime& rt) {
  Value key = attribute && !attribute->is(Kind::none) ? read_path(item, *attribute, rt) : item;
  return case_sensitive ? key : lowered(key);
}

Value sorted(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"reverse", "case_sensitive", "attribute"}, 0, "filter 'sort'");
  const bool reverse = a[0] && truthy(*a[0]);
  const bool case_sensitive = a[1] && truthy(*a[1]);
  std::vector<std::pair<Value, Value>> keyed;  // (key, item)
  for (const Value& item : iterate(input, rt)) keyed.emplace_back(sort_key(item, a[2], case_sensitive, rt), item);
  const size_t n = keyed.size();
  rt.budget.step(n * static_cast<uint64_t>(std::log2(n + 1) + 1));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first, rt) < 0 : compare(x.first, y.first, rt) < 0;
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return to_list(std::move(out), rt);
}

Value extreme(const Value& input, const CallArgs& args, bool want_max, Runtime& rt) {
  const auto a = bind_args(args, {"case_sensitive", "attribute"}, 0, want_max ? "filter 'max'" : "filter 'min'");
  const bool case_sensitive = a[0] && truthy(*a[0]);
  std::optional<Value> best, best_key;
  for (const Value& item : iterate(input, rt)) {
    Value key = sort_key(item, a[1], case_sensitive, rt);
    if (!best || (want_max ? compare(key, *best_key, rt) > 0 : compare(key, *best_key, rt) < 0)) {
      best = item;
      best_key = std::move(key);
    }
  }
  return best ? *best : Value::undefined("No aggregated item, sequence was empty.");
}

Value unique(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"case_sensitive", "attribute"}, 0, "filter 'unique'");
  const bool case_sensitive = a[0] && truthy(*a[0]);
  std::vector<Value> out, seen;
  for (const Value& item : iterate(input, rt)) {
    Value key = sort_key(item, a[1], case_sensitive, rt);
    if ((key.is(Kind::list) && !key.as_list().tuple) || key.is(Kind::dict))  // Python uses a set
      throw Error(ErrorCode::invalid_argument, "chat template: unique: unhashable type: '" + type_name(key) + "'");
    rt.budget.step(seen.size());
    const bool dup = std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key, rt); });
    if (dup) continue;
    seen.push_back(std::move(key));
    out.push_back(item);
  }
  return to_list(std::move(out), rt);
}

Value dictsort(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"case_sensitive", "by", "reverse"}, 0, "filter 'dictsort'");
  if (!input.is(Kind::dict)) throw Error(ErrorCode::invalid_argument, "chat template: dictsort needs a dict");
  const bool case_sensitive = a[0] && truthy(*a[0]);
  const bool by_value = a[1] && a[1]->is(Kind::string) && a[1]->as_string() == "value";
  if (a[1] && !(a[1]->is(Kind::string) && (a[1]->as_string() == "key" || by_value)))
    throw Error(ErrorCode::invalid_argument, "chat template: dictsort: 'by' must be 'key' or 'value'");
  const bool reverse = a[2] && truthy(*a[2]);
  std::vector<std::pair<Value, Value>> pairs = input.as_dict().entries;
  rt.budget.step(pairs.size() * 8);
  const int depth = rt.max_depth();
  std::stable_sort(pairs.begin(), pairs.end(), [&](const auto& x, const auto& y) {
    Value kx = by_value ? x.second : x.first, ky = by_value ? y.second : y.first;
    if (!case_sensitive) {
      kx = lowered(kx);
      ky = lowered(ky);
    }
    return reverse ? compare(ky, kx, rt) < 0 : compare(kx, ky, rt) < 0;
  });
  std::vector<Value> out;
  for (auto& [k, v] : pairs) out.push_back(make_list({k, v}, depth, true));
  return to_list(std::move(out), rt);
}

Value join(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"d", "attribute"}, 0, "filter 'join'");
  const std::string sep = a[0] ? str_of(*a[0], rt) : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(input, rt)) {
    if (!first) out += sep;
    first = false;
    out += str_of(a[1] && !a[1]->is(Kind::none) ? read_path(item, *a[1], rt) : item, rt);
    rt.budget.check_size(out.size());
  }
  rt.budget.bytes(out.size());
  return Value::string(std::move(out));
}

Value tojson(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"ensure_ascii", "indent", "separators", "sort_keys"}, 0, "filter 'tojson'");
  JsonStyle style;
  style.ensure_ascii = a[0] && truthy(*a[0]);
  style.sort_keys = a[3] && truthy(*a[3]);
  if (a[1] && !a[1]->is(Kind::none)) {
    style.pretty = true;
    style.item_separator = ",";
    if (a[1]->is(Kind::string)) {
      style.indent = a[1]->as_string();
    } else if (const auto n = index_key(*a[1])) {
      style.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(*n, 0, 1024)), ' ');
    } else {
      throw Error(ErrorCode::invalid_argument, "chat template: tojson indent must be an integer or a string");
    }
  }
  if (a[2] && !a[2]->is(Kind::none)) {
    const Value& seps = *a[2];
    if (!seps.is(Kind::list) || seps.as_list().items.size() != 2 || !seps.as_list().items[0].is(Kind::string) ||
        !seps.as_list().items[1].is(Kind::string))
      throw Error(ErrorCode::invalid_argument, "chat template: tojson separators must be two strings");
    style.item_separator = seps.as_list().items[0].as_string();
    style.key_separator = seps.as_list().items[1].as_string();
  }
  std::string out = to_json(input, style, rt);
  rt.budget.bytes(out.size());
  return Value::string(std::move(out));
}

Value indent(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"width", "first", "blank"}, 0, "filter 'indent'");
  std::string pad = "    ";
  if (a[0]) {
    if (a[0]->is(Kind::string)) pad = a[0]->as_string();
    else if (const auto n = index_key(*a[0])) pad = std::string(static_cast<size_t>(std::clamp<int64_t>(*n, 0, 1024)), ' ');
    else throw Error(ErrorCode::invalid_argument, "chat template: indent width must be an integer or a string");
  }
  if (input.is_undefined()) fail_undefined(input);
  if (!input.is(Kind::string))  // Jinja2 appends "\n" to the value itself
    throw Error(ErrorCode::invalid_argument, "chat template: indent needs a string, not '" + type_name(input) + "'");
  const std::vector<std::string> lines = py_splitlines(input.as_string() + "\n", false);
  rt.budget.step(lines.size());
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    if (i && (!lines[i].empty() || (a[2] && truthy(*a[2])))) out += pad;
    out += lines[i];
    rt.budget.check_size(out.size());
  }
  if (a[1] && truthy(*a[1])) out = pad + out;
  rt.budget.bytes(out.size());
  return Value::string(std::move(out));
}

std::optional<int64_t> parse_int(std::string text, int base) {
  text = std::string(py_strip(text, true, true));
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, base);
  if (*end != '\0') return std::nullopt;
  if (errno == ERANGE) throw Error(ErrorCode::unsupported, "chat template: integer does not fit in 64 bits");
  return v;
}

std::optional<double> parse_float(std::string text) {
  text = std::string(py_strip(text, true, true));
  text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
  if (text.empty() || text.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  return v;
}

std::optional<double> to_float(const Value& v) {
  if (v.is_number()) return v.number();
  if (v.is(Kind::string)) return parse_float(v.as_string());
  return std::nullopt;
}

Value to_int(const Value& input, const CallArgs& args) {
  const auto a = bind_args(args, {"default", "base"}, 0, "filter 'int'");
  const Value fallback = a[0] ? *a[0] : Value::integer(0);
  if (input.is_undefined()) fail_undefined(input);
  int base = 10;
  if (a[1]) base = static_cast<int>(index_key(*a[1]).value_or(10));
  if (input.is(Kind::integer)) return input;
  if (input.is(Kind::boolean)) return Value::integer(input.as_bool() ? 1 : 0);
  if (input.is(Kind::string))
    if (const auto i = parse_int(input.as_string(), base)) return Value::integer(*i);
  // Jinja2 then tries int(float(value)), so "42.23"|int is 42.
  const auto f = to_float(input);
  if (!f || std::isnan(*f)) return fallback;
  if (std::isinf(*f) || std::fabs(*f) >= 9.2e18)
    throw Error(ErrorCode::unsupported, "chat template: integer does not fit in 64 bits");
  return Value::integer(static_cast<int64_t>(*f));
}

Value round_filter(const Value& input, const CallArgs& args) {
  const auto a = bind_args(args, {"precision", "method"}, 0, "filter 'round'");
  const int64_t precision = a[0] ? index_key(*a[0]).value_or(0) : 0;
  const std::string method = a[1] && a[1]->is(Kind::string) ? a[1]->as_string() : "common";
  if (method != "common" && method != "ceil" && method != "floor")
    throw Error(ErrorCode::invalid_argument, "chat template: round method must be common, ceil or floor");
  if (!input.is_number()) throw Error(ErrorCode::invalid_argument, "chat template: round needs a number");
  if (method == "common" && !input.is(Kind::floating)) return Value::integer(input.is(Kind::boolean) ? input.as_bool() : input.as_int());
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = input.number() * scale;
  // Python's round() goes to even on ties, which nearbyint does in the default rounding mode.
  const double r = method == "common" ? std::nearbyint(x) : method == "ceil" ? std::ceil(x) : std::floor(x);
  return Value::floating(r / scale);
}

Value sum(const Value& input, const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"attribute", "start"}, 0, "filter 'sum'");
  Value total = a[1] ? *a[1] : Value::integer(0);
  for (const Value& item : iterate(input, rt))
    total = arith(ArithOp::add, total, a[0] && !a[0]->is(Kind::none) ? read_path(item, *a[0], rt) : item, rt);
  return total;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Jinja2's title filter is not str.title(): it splits at whitespace and any of "-({[<", then
// upper-cases the first character of each piece and lower-cases the rest ("they're" -> "They're").
std::string title_words(const std::string& s) {
  const auto separator = [](uint32_t cp) {
    return is_py_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
  };
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t probe = pos;
    const bool in_separators = separator(decode_utf8(s, probe));
    size_t end = pos;
    while (end < s.size()) {
      size_t next = end;
      if (separator(decode_utf8(s, next)) != in_separators) break;
      end = next;
    }
    const std::string_view piece = std::string_view(s).substr(pos, end - pos);
    out += py_upper(piece.substr(0, probe - pos)) + py_lower(piece.substr(probe - pos));
    pos = end;
  }
  return out;
}

Value reverse(const Value& input, Runtime& rt) {
  if (input.is(Kind::string)) {
    const std::string& s = input.as_string();
    const std::vector<size_t> starts = code_point_starts(s);
    std::string out;
    out.reserve(s.size());
    for (size_t i = starts.size() - 1; i > 0; --i) out.append(s, starts[i - 1], starts[i] - starts[i - 1]);
    return Value::string(std::move(out));
  }
  std::vector<Value> items = iterate(input, rt);
  std::reverse(items.begin(), items.end());
  return to_list(std::move(items), rt);
}

}  // namespace

int find_filter(std::string_view name) {
  for (const Named& f : kFilters)
    if (f.name == name) return f.id;
  return -1;
}

bool filter_unsupported(std::string_view name) {
  return std::find(std::begin(kUnsupported), std::end(kUnsupported), name) != std::end(kUnsupported);
}

Value apply_filter(int id, const Value& input, const CallArgs& args, Runtime& rt) {
  const auto none_args = [&](const char* what) { bind_args(args, {}, 0, std::string("filter '") + what + "'"); };
  switch (static_cast<Filter>(id)) {
    case f_abs:
      none_args("abs");
      if (input.is(Kind::floating)) return Value::floating(std::fabs(input.as_float()));
      if (input.is_number()) {
        const Value i = input.is(Kind::boolean) ? Value::integer(input.as_bool()) : input;
        return i.as_int() < 0 ? negate(i) : i;
      }
      throw Error(ErrorCode::invalid_argument, "chat template: bad operand type for abs(): '" + type_name(input) + "'");
    case f_attr: {
      const auto a = bind_args(args, {"name"}, 1, "filter 'attr'");
      if (!a[0]->is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: attr needs a name");
      return get_attr(input, a[0]->as_string(), rt);
    }
    case f_capitalize: none_args("capitalize"); return Value::string(py_capitalize(str_of(input, rt)));
    case f_count:
    case f_length: none_args("length"); return Value::integer(length_of(input));
    case f_default: {
      const auto a = bind_args(args, {"default_value", "boolean"}, 0, "filter 'default'");
      const bool use_default = input.is_undefined() || (a[1] && truthy(*a[1]) && !truthy(input));
      return use_default ? (a[0] ? *a[0] : Value::string("")) : input;
    }
    case f_dictsort: return dictsort(input, args, rt);
    case f_escape: none_args("escape"); return Value::string(html_escape(str_of(input, rt)));
    case f_first: {
      none_args("first");
      const std::vector<Value> items = iterate(input, rt);
      return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
    }
    case f_last: {
      none_args("last");
      const std::vector<Value> items = iterate(input, rt);
      return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
    }
    case f_float: {
      const auto a = bind_args(args, {"default"}, 0, "filter 'float'");
      if (input.is_undefined()) fail_undefined(input);
      if (const auto f = to_float(input)) return Value::floating(*f);
      return a[0] ? *a[0] : Value::floating(0.0);
    }
    case f_indent: return indent(input, args, rt);
    case f_int: return to_int(input, args);
    case f_items: {
      none_args("items");
      if (input.is_undefined()) return to_list({}, rt);
      if (!input.is(Kind::dict)) throw Error(ErrorCode::invalid_argument, "chat template: can only get item pairs from a mapping");
      CallArgs none;
      return call_method(input, "items", none, rt);
    }
    case f_join: return join(input, args, rt);
    case f_list: none_args("list"); return to_list(iterate(input, rt), rt);
    case f_lower: none_args("lower"); return Value::string(py_lower(str_of(input, rt)));
    case f_upper: none_args("upper"); return Value::string(py_upper(str_of(input, rt)));
    case f_title: none_args("title"); return Value::string(title_words(str_of(input, rt)));
    case f_map: return map_items(input, args, rt);
    case f_max: return extreme(input, args, true, rt);
    case f_min: return extreme(input, args, false, rt);
    case f_reject: return select_items(input, args, false, false, rt, "filter 'reject'");
    case f_rejectattr: return select_items(input, args, true, false, rt, "filter 'rejectattr'");
    case f_select: return select_items(input, args, false, true, rt, "filter 'select'");
    case f_selectattr: return select_items(input, args, true, true, rt, "filter 'selectattr'");
    case f_replace: {
      const auto a = bind_args(args, {"old", "new", "count"}, 2, "filter 'replace'");
      const int64_t count = a[2] && !a[2]->is(Kind::none) ? index_key(*a[2]).value_or(-1) : -1;
      return Value::string(py_replace(str_of(input, rt), str_of(*a[0], rt), str_of(*a[1], rt), count, rt.budget));
    }
    case f_reverse: none_args("reverse"); return reverse(input, rt);
    case f_round: return round_filter(input, args);
    case f_safe: none_args("safe"); return Value::string(str_of(input, rt));  // Markup(value) is a str
    case f_sort: return sorted(input, args, rt);
    case f_string: none_args("string"); return Value::string(str_of(input, rt));
    case f_sum: return sum(input, args, rt);
    case f_tojson: return tojson(input, args, rt);
    case f_trim: {
      const auto a = bind_args(args, {"chars"}, 0, "filter 'trim'");
      const std::string s = str_of(input, rt);
      std::string chars;
      if (a[0] && !a[0]->is(Kind::none)) chars = str_of(*a[0], rt);
      return Value::string(std::string(py_strip(s, true, true, a[0] && !a[0]->is(Kind::none) ? &chars : nullptr)));
    }
    case f_unique: return unique(input, args, rt);
  }
  throw Error(ErrorCode::internal, "chat template: bad filter id");
}

}  // namespace dsinfer::jinja
