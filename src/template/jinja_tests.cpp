// Jinja2's builtin tests (`x is defined`, `x is not none`, `select('equalto', 3)`).
#include <algorithm>

#include "dsinfer/error.hpp"
#include "template/jinja_access.hpp"
#include "template/jinja_arith.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

enum Test {
  t_boolean, t_callable, t_defined, t_divisibleby, t_eq, t_escaped, t_even, t_false, t_filter, t_float, t_ge,
  t_gt, t_in, t_integer, t_iterable, t_le, t_lower, t_lt, t_mapping, t_ne, t_none, t_number, t_odd, t_sameas,
  t_sequence, t_string, t_test, t_true, t_undefined, t_upper,
};

struct Named {
  std::string_view name;
  Test id;
};

constexpr Named kTests[] = {
    {"boolean", t_boolean}, {"callable", t_callable}, {"defined", t_defined}, {"divisibleby", t_divisibleby},
    {"eq", t_eq}, {"equalto", t_eq}, {"==", t_eq}, {"escaped", t_escaped}, {"even", t_even},
    {"false", t_false}, {"filter", t_filter}, {"float", t_float}, {"ge", t_ge}, {">=", t_ge}, {"gt", t_gt},
    {"greaterthan", t_gt}, {">", t_gt}, {"in", t_in}, {"integer", t_integer}, {"iterable", t_iterable},
    {"le", t_le}, {"<=", t_le}, {"lower", t_lower}, {"lt", t_lt}, {"lessthan", t_lt}, {"<", t_lt},
    {"mapping", t_mapping}, {"ne", t_ne}, {"!=", t_ne}, {"none", t_none}, {"number", t_number},
    {"odd", t_odd}, {"sameas", t_sameas}, {"sequence", t_sequence}, {"string", t_string}, {"test", t_test},
    {"true", t_true}, {"undefined", t_undefined}, {"upper", t_upper},
};

// value % n == r with Python's modulo, for ints and floats alike (`1e3 is odd` is False).
bool remainder_is(const Value& v, const Value& n, int64_t r, Runtime& rt) {
  const Value m = arith(ArithOp::mod, v, n, rt);
  return m.is(Kind::floating) ? m.as_float() == static_cast<double>(r) : m.as_int() == r;
}

}  // namespace

int find_test(std::string_view name) {
  for (const Named& t : kTests)
    if (t.name == name) return t.id;
  return -1;
}

bool apply_test(int id, const Value& v, const CallArgs& args, Runtime& rt) {
  const auto other = [&](const char* what) { return *bind_args(args, {"other"}, 1, std::string("test '") + what + "'")[0]; };
  const auto no_args = [&](const char* what) { bind_args(args, {}, 0, std::string("test '") + what + "'"); };
  switch (static_cast<Test>(id)) {
    case t_boolean: no_args("boolean"); return v.is(Kind::boolean);
    case t_callable:  // Undefined defines __call__ (to fail), so Python's callable() says yes
      no_args("callable");
      return v.is(Kind::callable) || v.is(Kind::loop) || v.is_undefined();
    case t_defined: no_args("defined"); return !v.is_undefined();
    case t_undefined: no_args("undefined"); return v.is_undefined();
    case t_divisibleby: return remainder_is(v, other("divisibleby"), 0, rt);
    case t_eq: return equals(v, other("eq"), rt);
    case t_ne: return !equals(v, other("ne"), rt);
    case t_lt: return compare(v, other("lt"), rt) < 0;
    case t_le: return compare(v, other("le"), rt) <= 0;
    case t_gt: return compare(v, other("gt"), rt) > 0;
    case t_ge: return compare(v, other("ge"), rt) >= 0;
    case t_in: return contains(*bind_args(args, {"seq"}, 1, "test 'in'")[0], v, rt);
    case t_escaped: no_args("escaped"); return false;
    case t_even: no_args("even"); return remainder_is(v, Value::integer(2), 0, rt);
    case t_odd: no_args("odd"); return remainder_is(v, Value::integer(2), 1, rt);
    case t_true: no_args("true"); return v.is(Kind::boolean) && v.as_bool();
    case t_false: no_args("false"); return v.is(Kind::boolean) && !v.as_bool();
    case t_none: no_args("none"); return v.is(Kind::none);
    case t_number: no_args("number"); return v.is_number();
    case t_integer: no_args("integer"); return v.is(Kind::integer);
    case t_float: no_args("float"); return v.is(Kind::floating);
    case t_string: no_args("string"); return v.is(Kind::string);
    case t_mapping: no_args("mapping"); return v.is(Kind::dict);
    case t_iterable:
      no_args("iterable");
      return v.is_undefined() || v.is(Kind::string) || v.is(Kind::list) || v.is(Kind::dict) || v.is(Kind::loop);
    case t_sequence:
      no_args("sequence");
      return v.is_undefined() || v.is(Kind::string) || v.is(Kind::list) || v.is(Kind::dict);
    case t_lower:
    case t_upper: {
      no_args(id == t_lower ? "lower" : "upper");
      const std::string s = to_str(v, rt);
      bool has_upper = false, has_lower = false;
      for (size_t pos = 0; pos < s.size();) {
        const uint32_t cp = decode_utf8(s, pos);
        has_upper = has_upper || is_py_upper(cp);
        has_lower = has_lower || is_py_lower(cp);
      }
      return id == t_lower ? has_lower && !has_upper : has_upper && !has_lower;
    }
    case t_sameas: {
      const Value o = other("sameas");
      if (v.kind() != o.kind()) return false;
      if (v.is(Kind::list) || v.is(Kind::dict) || v.is(Kind::string) || v.is(Kind::floating)) {
        if (v.is(Kind::list)) return v.list_ptr() == o.list_ptr();
        if (v.is(Kind::dict)) return &v.as_dict() == &o.as_dict();
        return false;  // Python's `is` on strings and floats depends on interning; say no
      }
      return equals(v, o, rt);
    }
    case t_filter:
    case t_test: {
      no_args(id == t_filter ? "filter" : "test");
      if (!v.is(Kind::string)) return false;
      return id == t_filter ? find_filter(v.as_string()) >= 0 : find_test(v.as_string()) >= 0;
    }
  }
  throw Error(ErrorCode::internal, "chat template: bad test id");
}

}  // namespace dsinfer::jinja
