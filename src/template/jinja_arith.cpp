#include "template/jinja_arith.hpp"

#include <cmath>

#include "dsinfer/error.hpp"
#include "template/jinja_python.hpp"

namespace dsinfer::jinja {

namespace {

const char* symbol(ArithOp op) {
  switch (op) {
    case ArithOp::add: return "+";
    case ArithOp::sub: return "-";
    case ArithOp::mul: return "*";
    case ArithOp::div: return "/";
    case ArithOp::floordiv: return "//";
    case ArithOp::mod: return "%";
    case ArithOp::pow: return "**";
    case ArithOp::concat: return "~";
  }
  return "?";
}

[[noreturn]] void unsupported_operands(ArithOp op, const Value& a, const Value& b) {
  throw Error(ErrorCode::invalid_argument, std::string("chat template: unsupported operand types for ") + symbol(op) +
                                               ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

[[noreturn]] void overflow() {
  throw Error(ErrorCode::unsupported, "chat template: integer result does not fit in 64 bits");
}

[[noreturn]] void zero_division() {
  throw Error(ErrorCode::invalid_argument, "chat template: division by zero");
}

int64_t as_integer(const Value& v) { return v.is(Kind::boolean) ? (v.as_bool() ? 1 : 0) : v.as_int(); }

// Python's float divmod: the remainder takes the divisor's sign.
void float_divmod(double x, double y, double& floordiv, double& mod) {
  if (y == 0.0) zero_division();
  mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, x / y);
  }
}

Value integer_op(ArithOp op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case ArithOp::add:
      if (__builtin_add_overflow(x, y, &r)) overflow();
      return Value::integer(r);
    case ArithOp::sub:
      if (__builtin_sub_overflow(x, y, &r)) overflow();
      return Value::integer(r);
    case ArithOp::mul:
      if (__builtin_mul_overflow(x, y, &r)) overflow();
      return Value::integer(r);
    case ArithOp::div:
      if (y == 0) zero_division();
      return Value::floating(static_cast<double>(x) / static_cast<double>(y));
    case ArithOp::floordiv:
    case ArithOp::mod: {
      if (y == 0) zero_division();
      if (x == INT64_MIN && y == -1) {
        if (op == ArithOp::mod) return Value::integer(0);
        overflow();
      }
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value::integer(op == ArithOp::floordiv ? q : m);
    }
    case ArithOp::pow: {
      if (y < 0) {
        if (x == 0) zero_division();
        return Value::floating(std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      int64_t result = 1, base = x;
      for (int64_t e = y; e > 0; e >>= 1) {
        if ((e & 1) && __builtin_mul_overflow(result, base, &result)) overflow();
        // While bits remain, the squared base ends up in the result, so its overflow is the result's.
        if (e > 1 && __builtin_mul_overflow(base, base, &base)) overflow();
      }
      return Value::integer(result);
    }
    case ArithOp::concat: break;
  }
  return Value::integer(0);
}

Value float_op(ArithOp op, double x, double y) {
  switch (op) {
    case ArithOp::add: return Value::floating(x + y);
    case ArithOp::sub: return Value::floating(x - y);
    case ArithOp::mul: return Value::floating(x * y);
    case ArithOp::div:
      if (y == 0.0) zero_division();
      return Value::floating(x / y);
    case ArithOp::floordiv:
    case ArithOp::mod: {
      double q = 0, m = 0;
      float_divmod(x, y, q, m);
      return Value::floating(op == ArithOp::floordiv ? q : m);
    }
    case ArithOp::pow:
      if (x == 0.0 && y < 0) zero_division();
      return Value::floating(std::pow(x, y));
    case ArithOp::concat: break;
  }
  return Value::floating(0);
}

Value repeat(const Value& seq, int64_t n, Runtime& rt) {
  if (n < 0) n = 0;
  const uint64_t count = static_cast<uint64_t>(n);
  if (seq.is(Kind::string)) {
    const std::string& s = seq.as_string();
    if (!s.empty() && count > rt.budget.limits().max_output_bytes / s.size()) rt.budget.fail_bytes();
    rt.budget.bytes(s.size() * count);
    std::string out;
    out.reserve(s.size() * count);
    for (uint64_t i = 0; i < count; ++i) out += s;
    return Value::string(std::move(out));
  }
  const ListObj& list = seq.as_list();
  const uint64_t steps_per_copy = list.items.size() ? list.items.size() : 1;
  if (count > rt.budget.limits().max_steps / steps_per_copy) rt.budget.fail_steps();
  rt.budget.step(count * list.items.size());
  std::vector<Value> items;
  items.reserve(count * list.items.size());
  for (uint64_t i = 0; i < count; ++i) items.insert(items.end(), list.items.begin(), list.items.end());
  return make_list(std::move(items), rt.max_depth(), list.tuple);
}

}  // namespace

Value arith(ArithOp op, const Value& a, const Value& b, Runtime& rt) {
  if (op == ArithOp::concat) {
    std::string out = to_str(a, rt) + to_str(b, rt);
    rt.budget.bytes(out.size());
    return Value::string(std::move(out));
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.is(Kind::floating) || b.is(Kind::floating)) return float_op(op, a.number(), b.number());
    return integer_op(op, as_integer(a), as_integer(b));
  }
  if (op == ArithOp::add && a.is(Kind::string) && b.is(Kind::string)) {
    rt.budget.bytes(a.as_string().size() + b.as_string().size());
    return Value::string(a.as_string() + b.as_string());
  }
  if (op == ArithOp::add && a.is(Kind::list) && b.is(Kind::list) && a.as_list().tuple == b.as_list().tuple) {
    std::vector<Value> items = a.as_list().items;
    const auto& more = b.as_list().items;
    rt.budget.step(items.size() + more.size());
    items.insert(items.end(), more.begin(), more.end());
    return make_list(std::move(items), rt.max_depth(), a.as_list().tuple);
  }
  if (op == ArithOp::mul) {
    const bool a_seq = a.is(Kind::string) || a.is(Kind::list);
    const bool b_seq = b.is(Kind::string) || b.is(Kind::list);
    if (a_seq && (b.is(Kind::integer) || b.is(Kind::boolean))) return repeat(a, as_integer(b), rt);
    if (b_seq && (a.is(Kind::integer) || a.is(Kind::boolean))) return repeat(b, as_integer(a), rt);
  }
  if (op == ArithOp::mod && a.is(Kind::string))
    throw Error(ErrorCode::unsupported, "chat template: printf-style '%' string formatting is not supported");
  unsupported_operands(op, a, b);
}

Value negate(const Value& v) {
  if (v.is_undefined()) fail_undefined(v);
  if (v.is(Kind::floating)) return Value::floating(-v.as_float());
  if (v.is(Kind::integer) || v.is(Kind::boolean)) {
    const int64_t i = as_integer(v);
    if (i == INT64_MIN) overflow();
    return Value::integer(-i);
  }
  throw Error(ErrorCode::invalid_argument, "chat template: bad operand type for unary -: '" + type_name(v) + "'");
}

}  // namespace dsinfer::jinja
