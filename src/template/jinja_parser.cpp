#include "template/jinja_parser.hpp"

#include <algorithm>
#include <initializer_list>

#include "template/jinja_builtins.hpp"
#include "template/jinja_lexer.hpp"
#include "template/jinja_scopes.hpp"
#include "template/jinja_source.hpp"

namespace dsinfer::jinja {

namespace {

class Parser {
 public:
  Parser(const std::string& src, std::vector<Token> tokens, int max_depth)
      : src_(src), toks_(std::move(tokens)), max_depth_(max_depth) {}

  Body parse_template() {
    Body body = subparse({});
    if (cur().kind != Tok::eof) fail(cur(), "unexpected " + describe(cur()));
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[i_]; }
  const Token& peek(size_t k = 1) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  void advance() {
    if (i_ + 1 < toks_.size()) ++i_;
  }
  static bool is_op(const Token& t, std::string_view op) { return t.kind == Tok::op && t.text == op; }
  static bool is_name(const Token& t, std::string_view name) { return t.kind == Tok::name && t.text == name; }
  bool op(std::string_view o) const { return is_op(cur(), o); }
  bool name(std::string_view n) const { return is_name(cur(), n); }

  [[noreturn]] void fail(const Token& t, const std::string& message) const { syntax_error(src_, t.offset, message); }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::text: return "template text";
      case Tok::var_begin: return "'{{'";
      case Tok::var_end: return "end of print statement";
      case Tok::block_begin: return "'{%'";
      case Tok::block_end: return "end of statement block";
      case Tok::string: return "string literal";
      case Tok::integer:
      case Tok::floating: return "number " + t.text;
      case Tok::eof: return "end of template";
      default: return "'" + t.text + "'";
    }
  }

  void expect_op(std::string_view o) {
    if (!op(o)) fail(cur(), "expected '" + std::string(o) + "', got " + describe(cur()));
    advance();
  }
  std::string expect_name() {
    if (cur().kind != Tok::name) fail(cur(), "expected a name, got " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect(Tok kind, const char* what) {
    if (cur().kind != kind) fail(cur(), std::string("expected ") + what + ", got " + describe(cur()));
    advance();
  }

  // ---- nesting bound ----
  class Nest {
   public:
    Nest(Parser& p, const Token& at) : p_(p) {
      if (++p_.depth_ > p_.max_depth_) p_.too_deep(at.offset);
    }
    ~Nest() { --p_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& p_;
  };

  [[noreturn]] void too_deep(size_t offset) const {
    throw Error(ErrorCode::too_large, "chat template " + describe_position(src_, offset) +
                                          ": nested deeper than max_depth (" + std::to_string(max_depth_) + ")");
  }

  ExprPtr node(ExprKind kind, size_t offset) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = offset;
    return e;
  }

  // Records a finished node's height and enforces the bound: long chains like a.b.c.d... or
  // x|f|f|f... nest without recursing in the parser, so the height is checked here too.
  ExprPtr seal(ExprPtr e) {
    int h = 0;
    for (const ExprPtr* child : {&e->a, &e->b, &e->c})
      if (*child) h = std::max(h, (*child)->height);
    for (const ExprPtr& arg : e->args)
      if (arg) h = std::max(h, arg->height);
    for (const auto& kw : e->kwargs) h = std::max(h, kw.second->height);
    e->height = h + 1;
    if (e->height > max_depth_) too_deep(e->offset);
    return e;
  }

  // ---- statements ----

  // Parses text, output and statements until a block tag whose name is in `ends` (left as the
  // current token, with its '{%' consumed) or the end of the template.
  Body subparse(std::initializer_list<std::string_view> ends) {
    Body body;
    for (;;) {
      const Token& t = cur();
      if (t.kind == Tok::eof) return body;
      if (t.kind == Tok::text) {
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::text;
        s->offset = t.offset;
        s->text = t.text;
        body.push_back(std::move(s));
        advance();
      } else if (t.kind == Tok::var_begin) {
        advance();
        auto s = std::make_unique<Stmt>();
        s->kind = StmtKind::output;
        s->offset = t.offset;
        s->expr = parse_tuple(true, false, {});
        expect(Tok::var_end, "'}}'");
        body.push_back(std::move(s));
      } else if (t.kind == Tok::block_begin) {
        advance();
        if (cur().kind == Tok::name && std::find(ends.begin(), ends.end(), cur().text) != ends.end()) return body;
        parse_statement(body);
        expect(Tok::block_end, "'%}'");
      } else {
        fail(t, "unexpected " + describe(t));
      }
    }
  }

  // The body of a block statement: '%}', then statements up to one of `ends`.
  Body parse_statements(std::initializer_list<std::string_view> ends, const Token& opener) {
    if (op(":")) advance();
    expect(Tok::block_end, "'%}'");
    Body body = subparse(ends);
    if (cur().kind == Tok::eof) {
      std::string names;
      for (std::string_view e : ends) names += (names.empty() ? "'" : " or '") + std::string(e) + "'";
      fail(opener, "block is never closed: expected " + names + " before the end of the template");
    }
    return body;
  }

  void parse_statement(Body& out) {
    const Token& t = cur();
    if (t.kind != Tok::name) fail(t, "expected a tag name, got " + describe(t));
    Nest nest(*this, t);
    const std::string& tag = t.text;
    if (tag == "for") return out.push_back(parse_for());
    if (tag == "if") return out.push_back(parse_if());
    if (tag == "set") return out.push_back(parse_set());
    if (tag == "macro") return out.push_back(parse_macro());
    if (tag == "call") return out.push_back(parse_call_block());
    if (tag == "filter") return out.push_back(parse_filter_block());
    if (tag == "with") return out.push_back(parse_with());
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail(t, "'" + tag + "' outside of a for loop");
      auto s = stmt(tag == "break" ? StmtKind::break_ : StmtKind::continue_, t);
      advance();
      return out.push_back(std::move(s));
    }
    if (tag == "print") {
      auto s = stmt(StmtKind::output, t);
      advance();
      s->expr = parse_tuple(true, false, {});
      return out.push_back(std::move(s));
    }
    if (tag == "generation") {
      // transformers' AssistantTracker marks assistant text for masks; rendering just inlines it.
      const Token& opener = t;
      advance();
      Body body = parse_statements({"endgeneration"}, opener);
      advance();
      for (StmtPtr& s : body) out.push_back(std::move(s));
      return;
    }
    static constexpr std::string_view kUnsupported[] = {"block", "extends", "include", "import", "from",
                                                        "autoescape", "raw", "do"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), tag) != std::end(kUnsupported))
      fail(t, "the '" + tag + "' tag is not supported in chat templates");
    if (tag.rfind("end", 0) == 0 || tag == "else" || tag == "elif")
      fail(t, "unexpected '" + tag + "' with no open block it could close");
    fail(t, "unknown tag '" + tag + "'");
  }

  StmtPtr stmt(StmtKind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->offset = at.offset;
    return s;
  }

  // `name`, `a, b` or `(a, b)`; with_namespace also allows `ns.attr`.
  Target parse_target(bool with_namespace) {
    Target target;
    if (with_namespace && cur().kind == Tok::name && is_op(peek(), ".") && peek(2).kind == Tok::name) {
      target.names.push_back(expect_name());
      advance();
      target.attr = expect_name();
      return target;
    }
    const bool parens = op("(");
    if (parens) advance();
    for (;;) {
      const Token& t = cur();
      std::string n = expect_name();
      static constexpr std::string_view kConstants[] = {"true", "false", "none", "True", "False", "None"};
      if (std::find(std::begin(kConstants), std::end(kConstants), n) != std::end(kConstants))
        fail(t, "cannot assign to '" + n + "'");
      target.names.push_back(std::move(n));
      if (!op(",")) break;
      advance();
      if (cur().kind != Tok::name) break;  // trailing comma
    }
    if (parens) expect_op(")");
    return target;
  }

  StmtPtr parse_for() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::for_, opener);
    advance();
    s->target = parse_target(false);
    if (!name("in")) fail(cur(), "expected 'in' in for loop, got " + describe(cur()));
    advance();
    s->expr = parse_tuple(false, false, {"recursive"});
    if (name("if")) {
      advance();
      s->cond = parse_expression(true);
    }
    if (name("recursive")) fail(cur(), "recursive for loops are not supported");
    ++loop_depth_;
    s->body = parse_statements({"endfor", "else"}, opener);
    --loop_depth_;
    if (name("else")) {
      advance();
      s->else_body = parse_statements({"endfor"}, opener);
    }
    advance();
    return s;
  }

  StmtPtr parse_if() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::if_, opener);
    advance();
    ExprPtr cond = parse_tuple(false, false, {});
    for (;;) {
      Body body = parse_statements({"elif", "else", "endif"}, opener);
      s->branches.push_back(IfBranch{std::move(cond), std::move(body)});
      if (name("elif")) {
        advance();
        cond = parse_tuple(false, false, {});
        continue;
      }
      if (name("else")) {
        advance();
        s->else_body = parse_statements({"endif"}, opener);
      }
      advance();
      return s;
    }
  }

  StmtPtr parse_set() {
    const Token& opener = cur();
    advance();
    Target target = parse_target(true);
    if (op("=")) {
      auto s = stmt(StmtKind::set, opener);
      advance();
      s->target = std::move(target);
      s->expr = parse_tuple(true, false, {});
      return s;
    }
    auto s = stmt(StmtKind::set_block, opener);
    s->target = std::move(target);
    if (s->target.names.size() != 1) fail(opener, "a block set assigns to one name");
    if (op("|")) s->expr = parse_filter(nullptr, false);
    s->body = parse_statements({"endset"}, opener);
    advance();
    return s;
  }

  std::vector<Param> parse_signature() {
    std::vector<Param> params;
    expect_op("(");
    while (!op(")")) {
      if (!params.empty()) expect_op(",");
      if (op(")")) break;
      Param p;
      p.name = expect_name();
      if (op("=")) {
        advance();
        p.default_value = parse_expression(true);
      }
      params.push_back(std::move(p));
    }
    advance();
    return params;
  }

  StmtPtr parse_macro() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::macro, opener);
    advance();
    s->text = expect_name();
    s->params = parse_signature();
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    macros_.push_back(s.get());
    s->body = parse_statements({"endmacro"}, opener);
    macros_.pop_back();
    loop_depth_ = saved_loops;
    advance();
    return s;
  }

  StmtPtr parse_call_block() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::call_block, opener);
    s->text = "caller";
    advance();
    if (op("(")) s->params = parse_signature();
    s->expr = parse_expression(true);
    if (s->expr->kind != ExprKind::call) fail(opener, "{% call %} needs a macro call");
    macros_.push_back(s.get());
    s->body = parse_statements({"endcall"}, opener);
    macros_.pop_back();
    advance();
    return s;
  }

  StmtPtr parse_filter_block() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::filter_block, opener);
    advance();
    s->expr = parse_filter(nullptr, true);
    s->body = parse_statements({"endfilter"}, opener);
    advance();
    return s;
  }

  StmtPtr parse_with() {
    const Token& opener = cur();
    auto s = stmt(StmtKind::with, opener);
    advance();
    while (cur().kind != Tok::block_end) {
      if (!s->bindings.empty()) expect_op(",");
      std::string n = expect_name();
      expect_op("=");
      s->bindings.emplace_back(std::move(n), parse_expression(true));
    }
    s->body = parse_statements({"endwith"}, opener);
    advance();
    return s;
  }

  // ---- expressions, loosest binding first ----

  ExprPtr parse_expression(bool with_condexpr) {
    Nest nest(*this, cur());
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  ExprPtr parse_condexpr() {
    ExprPtr expr = parse_or();
    while (name("if")) {
      auto e = node(ExprKind::cond, cur().offset);
      advance();
      e->b = parse_or();
      if (name("else")) {
        Nest nest(*this, cur());
        advance();
        e->c = parse_condexpr();
      }
      e->a = std::move(expr);
      expr = seal(std::move(e));
    }
    return expr;
  }

  ExprPtr parse_logical(ExprKind kind, const char* word) {
    const size_t offset = cur().offset;
    ExprPtr first = kind == ExprKind::or_ ? parse_logical(ExprKind::and_, "and") : parse_not();
    if (!name(word)) return first;
    auto e = node(kind, offset);
    e->args.push_back(std::move(first));
    while (name(word)) {
      advance();
      e->args.push_back(kind == ExprKind::or_ ? parse_logical(ExprKind::and_, "and") : parse_not());
    }
    return seal(std::move(e));
  }
  ExprPtr parse_or() { return parse_logical(ExprKind::or_, "or"); }

  ExprPtr parse_not() {
    if (name("not")) {
      Nest nest(*this, cur());
      auto e = node(ExprKind::not_, cur().offset);
      advance();
      e->a = parse_not();
      return seal(std::move(e));
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const size_t offset = cur().offset;
    ExprPtr first = parse_math1();
    ExprPtr e;
    for (;;) {
      CompareOp cmp;
      if (op("==")) cmp = CompareOp::eq;
      else if (op("!=")) cmp = CompareOp::ne;
      else if (op("<")) cmp = CompareOp::lt;
      else if (op("<=")) cmp = CompareOp::le;
      else if (op(">")) cmp = CompareOp::gt;
      else if (op(">=")) cmp = CompareOp::ge;
      else if (name("in")) cmp = CompareOp::in;
      else if (name("not") && is_name(peek(), "in")) {
        cmp = CompareOp::not_in;
        advance();
      } else break;
      advance();
      if (!e) {
        e = node(ExprKind::compare, offset);
        e->args.push_back(std::move(first));
      }
      e->ops.push_back(static_cast<uint8_t>(cmp));
      e->args.push_back(parse_math1());
    }
    return e ? seal(std::move(e)) : std::move(first);
  }

  // One left-associative level of arithmetic: operands from `next`, operators from `ops`.
  template <typename Next>
  ExprPtr parse_arith(Next next, std::initializer_list<std::pair<std::string_view, ArithOp>> ops) {
    const size_t offset = cur().offset;
    ExprPtr first = (this->*next)();
    ExprPtr e;
    for (;;) {
      const auto it = std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return op(o.first); });
      if (it == ops.end()) break;
      advance();
      if (!e) {
        e = node(ExprKind::arith, offset);
        e->args.push_back(std::move(first));
      }
      e->ops.push_back(static_cast<uint8_t>(it->second));
      e->args.push_back((this->*next)());
    }
    return e ? seal(std::move(e)) : std::move(first);
  }
  ExprPtr parse_math1() { return parse_arith(&Parser::parse_concat, {{"+", ArithOp::add}, {"-", ArithOp::sub}}); }
  ExprPtr parse_concat() { return parse_arith(&Parser::parse_math2, {{"~", ArithOp::concat}}); }
  ExprPtr parse_math2() {
    return parse_arith(&Parser::parse_pow, {{"*", ArithOp::mul}, {"/", ArithOp::div}, {"//", ArithOp::floordiv},
                                            {"%", ArithOp::mod}});
  }
  ExprPtr parse_pow() { return parse_arith(&Parser::parse_unary_filtered, {{"**", ArithOp::pow}}); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr e;
    if (op("-") || op("+")) {
      Nest nest(*this, cur());
      e = node(op("-") ? ExprKind::negate : ExprKind::plus, cur().offset);
      advance();
      e->a = parse_unary(false);
      e = seal(std::move(e));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
  }

  ExprPtr parse_primary() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::name: {
        auto e = node(ExprKind::literal, t.offset);
        if (t.text == "true" || t.text == "True") e->literal = Value::boolean(true);
        else if (t.text == "false" || t.text == "False") e->literal = Value::boolean(false);
        else if (t.text == "none" || t.text == "None") e->literal = Value::none();
        else {
          e->kind = ExprKind::name;
          e->name = t.text;
          note_reference(t.text);
        }
        advance();
        return e;
      }
      case Tok::string: {
        auto e = node(ExprKind::literal, t.offset);
        std::string s;
        while (cur().kind == Tok::string) {  // adjacent literals join, as in Python
          s += cur().text;
          advance();
        }
        e->literal = Value::string(std::move(s));
        return e;
      }
      case Tok::integer:
      case Tok::floating: {
        auto e = node(ExprKind::literal, t.offset);
        e->literal = t.kind == Tok::integer ? Value::integer(t.int_value) : Value::floating(t.float_value);
        advance();
        return e;
      }
      case Tok::op:
        if (t.text == "(") {
          advance();
          ExprPtr e = parse_tuple(true, true, {});
          expect_op(")");
          return e;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default: break;
    }
    fail(t, "unexpected " + describe(t));
  }

  // Jinja2 lets a macro take varargs/kwargs/caller only when its body mentions them, counting
  // mentions inside nested macros and call blocks too.
  void note_reference(const std::string& n) {
    for (Stmt* m : macros_) {
      if (n == "varargs") m->uses_varargs = true;
      else if (n == "kwargs") m->uses_kwargs = true;
      else if (n == "caller") m->uses_caller = true;
    }
  }

  bool tuple_end(std::initializer_list<std::string_view> extra_ends) const {
    if (cur().kind == Tok::var_end || cur().kind == Tok::block_end || op(")")) return true;
    return cur().kind == Tok::name &&
           std::find(extra_ends.begin(), extra_ends.end(), cur().text) != extra_ends.end();
  }

  // An expression, or a tuple if there are commas: `a, b`, `(a, b)`, `(a,)`, `()`.
  ExprPtr parse_tuple(bool with_condexpr, bool explicit_parens, std::initializer_list<std::string_view> extra_ends) {
    const Token& start = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    for (;;) {
      if (!items.empty()) expect_op(",");
      if (tuple_end(extra_ends)) break;
      items.push_back(parse_expression(with_condexpr));
      if (op(",")) is_tuple = true;
      else break;
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) fail(start, "expected an expression, got " + describe(start));
    }
    auto e = node(ExprKind::tuple, start.offset);
    e->args = std::move(items);
    return seal(std::move(e));
  }

  ExprPtr parse_list() {
    auto e = node(ExprKind::list, cur().offset);
    expect_op("[");
    while (!op("]")) {
      if (!e->args.empty()) expect_op(",");
      if (op("]")) break;
      e->args.push_back(parse_expression(true));
    }
    advance();
    return seal(std::move(e));
  }

  ExprPtr parse_dict() {
    auto e = node(ExprKind::dict, cur().offset);
    expect_op("{");
    while (!op("}")) {
      if (!e->args.empty()) expect_op(",");
      if (op("}")) break;
      e->args.push_back(parse_expression(true));
      expect_op(":");
      e->args.push_back(parse_expression(true));
    }
    advance();
    return seal(std::move(e));
  }

  ExprPtr parse_postfix(ExprPtr e) {
    for (;;) {
      if (op(".") || op("[")) e = parse_subscript(std::move(e));
      else if (op("(")) e = parse_call(std::move(e));
      else return e;
    }
  }

  ExprPtr parse_filter_expr(ExprPtr e) {
    for (;;) {
      if (op("|")) e = parse_filter(std::move(e), false);
      else if (name("is")) e = parse_test(std::move(e));
      else if (op("(")) e = parse_call(std::move(e));
      else return e;
    }
  }

  ExprPtr parse_subscript(ExprPtr obj) {
    const Token& t = cur();
    advance();
    if (t.text == ".") {
      const Token& attr = cur();
      if (attr.kind == Tok::name) {
        auto e = node(ExprKind::getattr, attr.offset);
        e->name = attr.text;
        e->a = std::move(obj);
        advance();
        return seal(std::move(e));
      }
      if (attr.kind != Tok::integer) fail(attr, "expected a name or a number after '.', got " + describe(attr));
      auto e = node(ExprKind::getitem, attr.offset);
      e->a = std::move(obj);
      e->b = node(ExprKind::literal, attr.offset);
      e->b->literal = Value::integer(attr.int_value);
      advance();
      return seal(std::move(e));
    }
    auto e = node(ExprKind::getitem, t.offset);
    std::vector<ExprPtr> keys;
    while (!op("]")) {
      if (!keys.empty()) expect_op(",");
      keys.push_back(parse_subscribed());
    }
    advance();
    if (keys.empty()) fail(t, "expected an index or a slice inside '[]'");
    if (keys.size() == 1) {
      e->b = std::move(keys[0]);
    } else {
      e->b = node(ExprKind::tuple, t.offset);
      e->b->args = std::move(keys);
      e->b = seal(std::move(e->b));
    }
    e->a = std::move(obj);
    return seal(std::move(e));
  }

  // An index, or a slice start:stop:step with any part left out.
  ExprPtr parse_subscribed() {
    const size_t offset = cur().offset;
    std::vector<ExprPtr> parts;
    if (op(":")) {
      advance();
      parts.push_back(nullptr);
    } else {
      ExprPtr index = parse_expression(true);
      if (!op(":")) return index;
      advance();
      parts.push_back(std::move(index));
    }
    const auto part_ends = [&] { return op("]") || op(","); };
    if (op(":")) parts.push_back(nullptr);
    else if (!part_ends()) parts.push_back(parse_expression(true));
    else parts.push_back(nullptr);
    if (op(":")) {
      advance();
      parts.push_back(part_ends() ? nullptr : parse_expression(true));
    } else {
      parts.push_back(nullptr);
    }
    auto e = node(ExprKind::slice, offset);
    e->args = std::move(parts);
    return seal(std::move(e));
  }

  void parse_call_args(Expr& e) {
    expect_op("(");
    bool need_comma = false;
    while (!op(")")) {
      if (need_comma) {
        expect_op(",");
        if (op(")")) break;
      }
      if (op("*") || op("**")) fail(cur(), "*args and **kwargs in calls are not supported");
      if (cur().kind == Tok::name && is_op(peek(), "=")) {
        std::string key = cur().text;
        advance();
        advance();
        e.kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e.kwargs.empty()) fail(cur(), "positional argument after a keyword argument");
        e.args.push_back(parse_expression(true));
      }
      need_comma = true;
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = node(ExprKind::call, cur().offset);
    e->a = std::move(callee);
    parse_call_args(*e);
    return seal(std::move(e));
  }

  std::string dotted_name() {
    std::string n = expect_name();
    while (op(".")) {
      advance();
      n += "." + expect_name();
    }
    return n;
  }

  // `| f | g(x)`; `start_inline` (in {% filter f %}) means the first filter has no '|'.
  ExprPtr parse_filter(ExprPtr input, bool start_inline) {
    while (op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      const Token& t = cur();
      auto e = node(ExprKind::filter, t.offset);
      e->name = dotted_name();
      e->builtin = find_filter(e->name);
      if (e->builtin < 0)
        fail(t, filter_unsupported(e->name) ? "the filter '" + e->name + "' is not supported"
                                            : "no filter named '" + e->name + "'");
      if (op("(")) parse_call_args(*e);
      e->a = std::move(input);
      input = seal(std::move(e));
    }
    return input;
  }

  ExprPtr parse_test(ExprPtr input) {
    advance();  // 'is'
    auto e = node(ExprKind::test, cur().offset);
    if (name("not")) {
      e->negated = true;
      advance();
    }
    const Token& t = cur();
    e->name = dotted_name();
    e->builtin = find_test(e->name);
    if (e->builtin < 0) fail(t, "no test named '" + e->name + "'");
    const Token& n = cur();
    if (op("(")) {
      parse_call_args(*e);
    } else if ((n.kind == Tok::name || n.kind == Tok::string || n.kind == Tok::integer || n.kind == Tok::floating ||
                op("[") || op("{")) &&
               !name("else") && !name("or") && !name("and")) {
      // One argument without parentheses: `x is divisibleby 3`, `x is sameas none`.
      if (name("is")) fail(n, "tests cannot be chained with 'is'");
      Nest nest(*this, n);
      e->args.push_back(parse_postfix(parse_primary()));
    }
    e->a = std::move(input);
    return seal(std::move(e));
  }

  const std::string& src_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  int max_depth_;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::vector<Stmt*> macros_;  // macros and call blocks being parsed, innermost last
};

}  // namespace

Program parse_program(const std::string& source, int max_depth) {
  Program program;
  program.source = normalize_source(source);
  Parser parser(program.source, lex(program.source), max_depth);
  program.body = parser.parse_template();
  analyze_scopes(program);
  return program;
}

}  // namespace dsinfer::jinja
