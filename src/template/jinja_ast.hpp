// The parsed template: expressions and statements as the parser builds them and the evaluator
// walks them. Each node keeps its source offset so runtime errors can say where they happened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/jinja_arith.hpp"
#include "template/jinja_value.hpp"

namespace dsinfer::jinja {

enum class ExprKind : uint8_t {
  literal,   // literal
  name,      // name
  list,      // args: the items
  tuple,     // args: the items
  dict,      // args: key, value, key, value, ...
  negate,    // -a
  plus,      // +a
  not_,      // not a
  arith,     // args[0] ops[0] args[1] ops[1] ... (one precedence level, left to right)
  and_,      // args joined by `and`
  or_,       // args joined by `or`
  compare,   // args[0] ops[0] args[1] ...: Python's chained comparison
  cond,      // a if b else c (c may be null)
  getattr,   // a.name
  getitem,   // a[b]
  slice,     // args: start, stop, step, each possibly null (only as getitem's b)
  call,      // a(args, kwargs)
  filter,    // a | name(args, kwargs); a is null inside {% filter %} and {% set x | f %}
  test,      // a is [not] name(args)
};

enum class CompareOp : uint8_t { eq, ne, lt, le, gt, ge, in, not_in };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  size_t offset = 0;
  int height = 1;  // nodes on the longest path down to a leaf; the parser bounds it
  Value literal;
  std::string name;
  int builtin = -1;  // filter or test: its id, resolved at parse time
  bool negated = false;
  ExprPtr a, b, c;
  std::vector<ExprPtr> args;
  std::vector<uint8_t> ops;  // ArithOp or CompareOp, one per args[i] after the first
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

enum class StmtKind : uint8_t {
  text,          // text
  output,        // {{ expr }}
  if_,           // branches, else_body
  for_,          // for target in expr [if cond]: body [else: else_body]
  set,           // set target = expr
  set_block,     // set target [| filters in expr] %}body{% endset
  macro,         // macro name(params): body
  call_block,    // call(params) expr: body, which the macro reaches as caller()
  filter_block,  // filter expr: body
  with,          // with bindings: body
  break_,
  continue_,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

// What a set or for assigns to: one name, several names to unpack, or a namespace attribute.
struct Target {
  std::vector<std::string> names;
  std::string attr;  // non-empty: names[0].attr
};

struct Param {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct IfBranch {
  ExprPtr cond;
  Body body;
};

struct Stmt {
  StmtKind kind;
  size_t offset = 0;
  std::string text;  // text; macro name
  ExprPtr expr;
  ExprPtr cond;
  Target target;
  std::vector<IfBranch> branches;
  Body body, else_body;
  std::vector<Param> params;
  std::vector<std::pair<std::string, ExprPtr>> bindings;
  // Jinja2 only lets a macro take extra arguments when its body mentions these names.
  bool uses_varargs = false, uses_kwargs = false, uses_caller = false;
  // Names the scope this statement opens (its body; else_body for a for loop) assigns before
  // anything in it or around it mentions them: they start out undefined there. See jinja_scopes.
  std::vector<std::string> fresh_locals, else_fresh_locals;
};

struct Program {
  std::string source;  // normalised, for error positions
  Body body;
  std::vector<std::string> fresh_locals;  // as Stmt::fresh_locals, for the top level
};

}  // namespace dsinfer::jinja
