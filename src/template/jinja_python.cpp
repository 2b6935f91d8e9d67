#include "template/jinja_python.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "dsinfer/error.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

void descend(int& depth) {
  if (--depth < 0)
    throw Error(ErrorCode::too_large, "chat template: value nested deeper than max_depth to print or compare");
}

// One more item printed into `out`: a step, and the string stays within the output bound.
void grew(const std::string& out, Runtime& rt) {
  rt.budget.step();
  rt.budget.check_size(out.size());
}

// Code points Python's str.isprintable() rejects, beyond ASCII controls: the common format,
// separator and private-use characters. repr() escapes them.
bool unprintable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return true;
  if (cp == 0x1680 || cp == 0x180E || cp == 0x3000 || cp == 0xFEFF || cp == 0x61C || cp == 0x6DD) return true;
  if ((cp >= 0x600 && cp <= 0x605) || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F)) return true;
  if ((cp >= 0x205F && cp <= 0x206F) || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFFF9 && cp <= 0xFFFB)) return true;
  return cp >= 0xD800 && cp <= 0xDFFF;
}

std::string repr_string(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = decode_utf8(s, pos);
    char buf[16];
    if (cp == '\\' || cp == static_cast<uint32_t>(quote)) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (unprintable(cp)) {
      std::snprintf(buf, sizeof buf, cp < 0x100 ? "\\x%02x" : "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s, start, pos - start);
    }
  }
  out += quote;
  return out;
}

std::string repr_impl(const Value& v, int depth, Runtime& rt);

std::string str_impl(const Value& v, int depth, Runtime& rt) {
  switch (v.kind()) {
    case Kind::undefined: return "";
    case Kind::none: return "None";
    case Kind::boolean: return v.as_bool() ? "True" : "False";
    case Kind::integer: return std::to_string(v.as_int());
    case Kind::floating: return format_float(v.as_float());
    case Kind::string: return v.as_string();
    case Kind::list: {
      descend(depth);
      const ListObj& list = v.as_list();
      std::string out = list.tuple ? "(" : "[";
      for (size_t i = 0; i < list.items.size(); ++i) {
        if (i) out += ", ";
        out += repr_impl(list.items[i], depth, rt);
        grew(out, rt);
      }
      if (list.tuple && list.items.size() == 1) out += ",";
      return out + (list.tuple ? ")" : "]");
    }
    case Kind::dict: {
      descend(depth);
      std::string out = "{";
      bool first = true;
      for (const auto& [key, value] : v.as_dict().entries) {
        if (!first) out += ", ";
        first = false;
        out += repr_impl(key, depth, rt) + ": " + repr_impl(value, depth, rt);
        grew(out, rt);
      }
      return out + "}";
    }
    case Kind::ns: {
      descend(depth);
      std::string out = "<Namespace {";
      bool first = true;
      for (const auto& [key, value] : v.as_ns()->attrs) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(key) + ": " + repr_impl(value, depth, rt);
        grew(out, rt);
      }
      return out + "}>";
    }
    case Kind::loop: return "<LoopContext>";
    case Kind::callable: return "<function " + v.as_callable().name + ">";
  }
  return "";
}

std::string repr_impl(const Value& v, int depth, Runtime& rt) {
  if (v.is(Kind::string)) return repr_string(v.as_string());
  if (v.is_undefined()) return "Undefined";
  return str_impl(v, depth, rt);
}

bool equals_impl(const Value& a, const Value& b, int depth, Runtime& rt);
int compare_impl(const Value& a, const Value& b, int depth, Runtime& rt);

}  // namespace

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined:
    case Kind::none: return false;
    case Kind::boolean: return v.as_bool();
    case Kind::integer: return v.as_int() != 0;
    case Kind::floating: return v.as_float() != 0.0;
    case Kind::string: return !v.as_string().empty();
    case Kind::list: return !v.as_list().items.empty();
    case Kind::dict: return !v.as_dict().entries.empty();
    default: return true;
  }
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "NoneType";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return "str";
    case Kind::list: return v.as_list().tuple ? "tuple" : "list";
    case Kind::dict: return "dict";
    case Kind::ns: return "Namespace";
    case Kind::loop: return "LoopContext";
    case Kind::callable: return "function";
  }
  return "object";
}

std::string to_str(const Value& v, Runtime& rt) {
  std::string out = str_impl(v, rt.max_depth(), rt);
  rt.budget.bytes(out.size());
  return out;
}

std::string repr(const Value& v, Runtime& rt) {
  std::string out = repr_impl(v, rt.max_depth(), rt);
  rt.budget.bytes(out.size());
  return out;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);  // e.g. "-1.2345e+16": the shortest round-trip digits
  const size_t e_pos = sci.find('e');
  const int exponent = std::atoi(sci.c_str() + e_pos + 1);
  std::string sign, digits;
  for (size_t i = 0; i < e_pos; ++i) {
    if (sci[i] == '-') sign = "-";
    else if (sci[i] != '.') digits += sci[i];
  }
  // Python switches to exponent notation outside 1e-4 <= |d| < 1e16.
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::snprintf(buf, sizeof buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + buf;
  }
  if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  const size_t int_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= int_digits) return sign + digits + std::string(int_digits - digits.size(), '0') + ".0";
  return sign + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

void fail_undefined(const Value& v) { throw Error(ErrorCode::invalid_argument, v.undefined_hint()); }

bool equals(const Value& a, const Value& b, Runtime& rt) { return equals_impl(a, b, rt.max_depth(), rt); }
int compare(const Value& a, const Value& b, Runtime& rt) { return compare_impl(a, b, rt.max_depth(), rt); }

namespace {

bool equals_impl(const Value& a, const Value& b, int max_depth, Runtime& rt) {
  if (a.is_number() && b.is_number()) {
    if (a.is(Kind::floating) || b.is(Kind::floating)) return a.number() == b.number();
    return (a.is(Kind::integer) ? a.as_int() : a.as_bool()) == (b.is(Kind::integer) ? b.as_int() : b.as_bool());
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::undefined:
    case Kind::none: return true;
    case Kind::string: return a.as_string() == b.as_string();
    case Kind::list: {
      const ListObj& x = a.as_list();
      const ListObj& y = b.as_list();
      if (x.tuple != y.tuple || x.items.size() != y.items.size()) return false;
      descend(max_depth);
      rt.budget.step(x.items.size());
      for (size_t i = 0; i < x.items.size(); ++i)
        if (!equals_impl(x.items[i], y.items[i], max_depth, rt)) return false;
      return true;
    }
    case Kind::dict: {
      const DictObj& x = a.as_dict();
      const DictObj& y = b.as_dict();
      if (x.entries.size() != y.entries.size()) return false;
      descend(max_depth);
      rt.budget.step(x.entries.size());
      for (const auto& [key, value] : x.entries) {
        const Value* other = y.find(key);
        if (other == nullptr || !equals_impl(value, *other, max_depth, rt)) return false;
      }
      return true;
    }
    case Kind::ns: return a.as_ns() == b.as_ns();
    case Kind::loop: return a.as_loop() == b.as_loop();
    case Kind::callable: return &a.as_callable() == &b.as_callable();
    default: return false;
  }
}

int compare_impl(const Value& a, const Value& b, int max_depth, Runtime& rt) {
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is(Kind::floating) || b.is(Kind::floating)) {
      const double x = a.number(), y = b.number();
      return x < y ? -1 : y < x ? 1 : 0;
    }
    const int64_t x = a.is(Kind::integer) ? a.as_int() : a.as_bool();
    const int64_t y = b.is(Kind::integer) ? b.as_int() : b.as_bool();
    return x < y ? -1 : y < x ? 1 : 0;
  }
  if (a.is(Kind::string) && b.is(Kind::string)) {
    const int c = a.as_string().compare(b.as_string());  // UTF-8 byte order is code point order
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.is(Kind::list) && b.is(Kind::list) && a.as_list().tuple == b.as_list().tuple) {
    descend(max_depth);
    const auto& x = a.as_list().items;
    const auto& y = b.as_list().items;
    rt.budget.step(std::min(x.size(), y.size()));
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (!equals_impl(x[i], y[i], max_depth, rt)) return compare_impl(x[i], y[i], max_depth, rt);
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  throw Error(ErrorCode::invalid_argument, "chat template: cannot order '" + type_name(a) + "' and '" +
                                               type_name(b) + "' values");
}

}  // namespace

bool contains(const Value& container, const Value& item, Runtime& rt) {
  switch (container.kind()) {
    case Kind::undefined: return false;  // Undefined iterates as empty
    case Kind::string:
      if (!item.is(Kind::string))
        throw Error(ErrorCode::invalid_argument,
                    "chat template: 'in <string>' requires a string on the left, not '" + type_name(item) + "'");
      rt.budget.step(container.as_string().size() >> 10);
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Kind::list:
      rt.budget.step(container.as_list().items.size());
      for (const Value& x : container.as_list().items)
        if (equals(x, item, rt)) return true;
      return false;
    case Kind::dict:
      if ((item.is(Kind::list) && !item.as_list().tuple) || item.is(Kind::dict))
        throw Error(ErrorCode::invalid_argument, "chat template: unhashable type: '" + type_name(item) + "'");
      return container.as_dict().find(item) != nullptr;
    default:
      throw Error(ErrorCode::invalid_argument,
                  "chat template: argument of type '" + type_name(container) + "' is not a container");
  }
}

}  // namespace dsinfer::jinja
