#include "template/jinja_eval.hpp"

#include <exception>
#include <optional>

#include "dsinfer/error.hpp"
#include "template/jinja_access.hpp"
#include "template/jinja_arith.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_runtime.hpp"
#include "template/jinja_source.hpp"

namespace dsinfer::jinja {

// A scope. Jinja2 gives each for-loop iteration, macro call and with block its own; if and set
// blocks write to the enclosing one. Lookups walk outwards to the template's top level.
struct Frame {
  Frame* parent = nullptr;
  std::vector<std::pair<std::string, Value>> vars;  // few per scope: a linear scan is fastest
  // Made when a macro or caller() captures this frame; expires with the frame, so a macro
  // stored away and called after its scope ended falls back to the top level safely.
  std::shared_ptr<const char> life;
  const DictObj* context = nullptr;  // the outermost frame reads the context through its index

  const Value* find(std::string_view name) const {
    if (context != nullptr) return context->find(name);
    for (const auto& [k, v] : vars)
      if (k == name) return &v;
    return nullptr;
  }
  void set(const std::string& name, Value value) {
    for (auto& [k, v] : vars)
      if (k == name) {
        v = std::move(value);
        return;
      }
    vars.emplace_back(name, std::move(value));
  }
  std::weak_ptr<const char> capture() {
    if (!life) life = std::make_shared<const char>(0);
    return life;
  }
};

namespace {

enum class Flow { normal, break_, continue_ };

class Evaluator {
 public:
  Evaluator(const Program& program, Runtime& rt) : program_(program), rt_(rt) {}

  std::string run(const Value& context) {
    Frame globals;  // the context; the template's own top-level names live in `root`
    globals.context = &context.as_dict();
    Frame root{&globals, {}, {}, nullptr};
    root_ = &root;
    open_scope(root, program_.fresh_locals);
    std::string out;
    out_ = &out;
    try {
      exec_body(program_.body, root);
    } catch (const TemplateRaised&) {
      throw;
    } catch (const Error& e) {
      if (!error_offset_) throw;
      std::string message = e.what();
      for (const char* prefix : {"chat template: ", "chat template "})
        if (message.rfind(prefix, 0) == 0) {
          message = message.substr(std::string(prefix).size());
          break;
        }
      throw Error(e.code(), "chat template " + describe_position(program_.source, *error_offset_) + ": " + message);
    }
    return out;
  }

 private:
  // Enters a nested node: bounds depth, charges a step and, if an error unwinds through it
  // first, records where.
  class Enter {
   public:
    Enter(Evaluator& ev, size_t offset) : ev_(ev), offset_(offset), uncaught_(std::uncaught_exceptions()) {
      if (ev_.depth_ >= ev_.rt_.max_depth()) {
        ev_.note_error(offset);
        ev_.rt_.budget.fail_depth();
      }
      try {
        ev_.rt_.budget.step();
      } catch (...) {
        ev_.note_error(offset);
        throw;
      }
      ++ev_.depth_;
    }
    ~Enter() {
      --ev_.depth_;
      if (std::uncaught_exceptions() > uncaught_) ev_.note_error(offset_);
    }
    Enter(const Enter&) = delete;
    Enter& operator=(const Enter&) = delete;

   private:
    Evaluator& ev_;
    size_t offset_;
    int uncaught_;
  };

  // A new scope starts with its fresh locals undefined (see jinja_scopes.hpp).
  static void open_scope(Frame& frame, const std::vector<std::string>& fresh_locals) {
    for (const std::string& name : fresh_locals) frame.set(name, Value::undefined("'" + name + "' is undefined"));
  }

  void note_error(size_t offset) {
    if (!error_offset_) error_offset_ = offset;
  }

  void emit(const std::string& s) {
    rt_.budget.step(s.size() >> 10);
    out_->append(s);
    rt_.budget.check_size(out_->size());
  }

  // Runs `body` in `frame`, collecting its output rather than emitting it.
  std::string capture(const Body& body, Frame& frame) {
    std::string buffer;
    std::string* saved = out_;
    out_ = &buffer;
    try {
      exec_body(body, frame);
    } catch (...) {
      out_ = saved;
      throw;
    }
    out_ = saved;
    return buffer;
  }

  // ---- statements ----

  Flow exec_body(const Body& body, Frame& frame) {
    for (const StmtPtr& s : body) {
      const Flow flow = exec(*s, frame);
      if (flow != Flow::normal) return flow;
    }
    return Flow::normal;
  }

  Flow exec(const Stmt& s, Frame& frame) {
    switch (s.kind) {
      case StmtKind::text:
        rt_.budget.step();
        emit(s.text);
        return Flow::normal;
      case StmtKind::output: {
        Enter enter(*this, s.offset);
        emit(to_str(eval(*s.expr, frame), rt_));
        return Flow::normal;
      }
      case StmtKind::if_: {
        Enter enter(*this, s.offset);
        for (const IfBranch& branch : s.branches)
          if (truthy(eval(*branch.cond, frame))) return exec_body(branch.body, frame);
        return exec_body(s.else_body, frame);
      }
      case StmtKind::for_: return exec_for(s, frame);
      case StmtKind::set: {
        Enter enter(*this, s.offset);
        assign(s.target, eval(*s.expr, frame), frame);
        return Flow::normal;
      }
      case StmtKind::set_block: {
        Enter enter(*this, s.offset);
        Frame inner{&frame, {}, {}, nullptr};
        open_scope(inner, s.fresh_locals);
        Value v = Value::string(capture(s.body, inner));
        if (s.expr) v = filter_value(*s.expr, v, frame);
        assign(s.target, std::move(v), frame);
        return Flow::normal;
      }
      case StmtKind::macro: {
        rt_.budget.step();
        auto macro = std::make_shared<Callable>();
        macro->type = Callable::Type::macro;
        macro->name = s.text;
        macro->stmt = &s;
        macro->scope = &frame;
        macro->scope_life = frame.capture();
        frame.set(s.text, Value::callable(std::move(macro)));
        return Flow::normal;
      }
      case StmtKind::call_block: {
        Enter enter(*this, s.offset);
        auto caller = std::make_shared<Callable>();
        caller->type = Callable::Type::caller;
        caller->name = "caller";
        caller->stmt = &s;
        caller->scope = &frame;
        caller->scope_life = frame.capture();
        const Value caller_value = Value::callable(std::move(caller));
        emit(to_str(eval_call(*s.expr, frame, &caller_value), rt_));
        return Flow::normal;
      }
      case StmtKind::filter_block: {
        Enter enter(*this, s.offset);
        Frame inner{&frame, {}, {}, nullptr};
        open_scope(inner, s.fresh_locals);
        const Value text = Value::string(capture(s.body, inner));
        emit(to_str(filter_value(*s.expr, text, frame), rt_));
        return Flow::normal;
      }
      case StmtKind::with: {
        Enter enter(*this, s.offset);
        Frame inner{&frame, {}, {}, nullptr};
        for (const auto& [name, expr] : s.bindings) inner.set(name, eval(*expr, frame));
        open_scope(inner, s.fresh_locals);
        return exec_body(s.body, inner);
      }
      case StmtKind::break_: rt_.budget.step(); return Flow::break_;
      case StmtKind::continue_: rt_.budget.step(); return Flow::continue_;
    }
    return Flow::normal;
  }

  Flow exec_for(const Stmt& s, Frame& frame) {
    Enter enter(*this, s.offset);
    std::vector<Value> items = iterate(eval(*s.expr, frame), rt_);
    if (s.cond) {
      std::vector<Value> kept;
      for (Value& item : items) {
        Frame probe{&frame, {}, {}, nullptr};
        bind(s.target, item, probe);
        if (truthy(eval(*s.cond, probe))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      Frame otherwise{&frame, {}, {}, nullptr};  // Jinja2 gives the else block a scope of its own
      open_scope(otherwise, s.else_fresh_locals);
      return exec_body(s.else_body, otherwise);
    }
    const Value list = make_list(std::move(items), rt_.max_depth());
    auto loop = std::make_shared<LoopObj>();
    loop->items = list.list_ptr();
    const Value loop_value = Value::loop(loop);
    const auto& all = loop->items->items;
    for (size_t i = 0; i < all.size(); ++i) {
      rt_.budget.step();
      loop->index0 = i;
      Frame iteration{&frame, {}, {}, nullptr};
      open_scope(iteration, s.fresh_locals);
      bind(s.target, all[i], iteration);
      iteration.set("loop", loop_value);
      if (exec_body(s.body, iteration) == Flow::break_) break;
    }
    return Flow::normal;
  }

  void bind(const Target& target, const Value& value, Frame& frame) {
    if (target.names.size() == 1) {
      frame.set(target.names[0], value);
      return;
    }
    const std::vector<Value> parts = iterate(value, rt_);
    if (parts.size() != target.names.size())
      throw Error(ErrorCode::invalid_argument,
                  "chat template: cannot unpack " + std::to_string(parts.size()) + " values into " +
                      std::to_string(target.names.size()) + " names");
    for (size_t i = 0; i < parts.size(); ++i) frame.set(target.names[i], parts[i]);
  }

  void assign(const Target& target, Value value, Frame& frame) {
    if (target.attr.empty()) return bind(target, value, frame);
    const Value obj = lookup(target.names[0], frame);
    if (!obj.is(Kind::ns))
      throw Error(ErrorCode::invalid_argument, "chat template: cannot assign attribute on non-namespace object '" +
                                                   target.names[0] + "'");
    if (value_depth(value) + 1 > rt_.max_depth()) rt_.budget.fail_depth();
    obj.as_ns()->set(target.attr, std::move(value));
  }

  // ---- expressions ----

  Value lookup(const std::string& name, const Frame& frame) const {
    for (const Frame* f = &frame; f != nullptr; f = f->parent)
      if (const Value* v = f->find(name)) return *v;
    if (is_global(name)) {
      auto fn = std::make_shared<Callable>();
      fn->type = Callable::Type::global;
      fn->name = name;
      return Value::callable(std::move(fn));
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  Value eval(const Expr& e, Frame& frame) {
    if (e.kind == ExprKind::literal) {
      rt_.budget.step();
      return e.literal;
    }
    if (e.kind == ExprKind::name) {
      rt_.budget.step();
      return lookup(e.name, frame);
    }
    Enter enter(*this, e.offset);
    switch (e.kind) {
      case ExprKind::list:
      case ExprKind::tuple: {
        std::vector<Value> items;
        items.reserve(e.args.size());
        for (const ExprPtr& item : e.args) items.push_back(eval(*item, frame));
        return make_list(std::move(items), rt_.max_depth(), e.kind == ExprKind::tuple);
      }
      case ExprKind::dict: {
        std::vector<std::pair<Value, Value>> entries;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value key = eval(*e.args[i], frame);
          entries.emplace_back(std::move(key), eval(*e.args[i + 1], frame));
        }
        return make_dict(std::move(entries), rt_.max_depth());
      }
      case ExprKind::negate: return negate(eval(*e.a, frame));
      case ExprKind::plus: {
        const Value v = eval(*e.a, frame);
        if (v.is_undefined()) fail_undefined(v);
        if (v.is(Kind::boolean)) return Value::integer(v.as_bool() ? 1 : 0);
        if (!v.is_number())
          throw Error(ErrorCode::invalid_argument, "chat template: bad operand type for unary +: '" + type_name(v) + "'");
        return v;
      }
      case ExprKind::not_: return Value::boolean(!truthy(eval(*e.a, frame)));
      case ExprKind::arith: {
        Value v = eval(*e.args[0], frame);
        for (size_t i = 1; i < e.args.size(); ++i)
          v = arith(static_cast<ArithOp>(e.ops[i - 1]), v, eval(*e.args[i], frame), rt_);
        return v;
      }
      case ExprKind::and_:
      case ExprKind::or_: {
        // Python returns the deciding operand itself, not a bool.
        Value v = eval(*e.args[0], frame);
        for (size_t i = 1; i < e.args.size(); ++i) {
          if (truthy(v) != (e.kind == ExprKind::and_)) return v;
          v = eval(*e.args[i], frame);
        }
        return v;
      }
      case ExprKind::compare: {
        Value left = eval(*e.args[0], frame);
        for (size_t i = 1; i < e.args.size(); ++i) {
          Value right = eval(*e.args[i], frame);
          if (!compare_op(static_cast<CompareOp>(e.ops[i - 1]), left, right)) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case ExprKind::cond:
        if (truthy(eval(*e.b, frame))) return eval(*e.a, frame);
        if (e.c) return eval(*e.c, frame);
        return Value::undefined("the inline if-expression evaluated to false and has no else section");
      case ExprKind::getattr: return get_attr(eval(*e.a, frame), e.name, rt_);
      case ExprKind::getitem: {
        const Value obj = eval(*e.a, frame);
        if (e.b->kind != ExprKind::slice) return get_item(obj, eval(*e.b, frame), rt_);
        Value parts[3];
        for (size_t i = 0; i < 3; ++i)
          if (e.b->args[i]) parts[i] = eval(*e.b->args[i], frame);
        return get_slice(obj, parts[0], parts[1], parts[2], rt_);
      }
      case ExprKind::call: return eval_call(e, frame, nullptr);
      case ExprKind::filter: {
        Value input = e.a ? eval(*e.a, frame) : *filter_input_;
        return apply_filter(e.builtin, input, eval_args(e, frame), rt_);
      }
      case ExprKind::test: {
        const Value input = eval(*e.a, frame);
        return Value::boolean(apply_test(e.builtin, input, eval_args(e, frame), rt_) != e.negated);
      }
      case ExprKind::slice:
      case ExprKind::literal:
      case ExprKind::name: break;
    }
    throw Error(ErrorCode::internal, "chat template: unexpected expression node");
  }

  bool compare_op(CompareOp op, const Value& a, const Value& b) {
    switch (op) {
      case CompareOp::eq: return equals(a, b, rt_);
      case CompareOp::ne: return !equals(a, b, rt_);
      case CompareOp::lt: return compare(a, b, rt_) < 0;
      case CompareOp::le: return compare(a, b, rt_) <= 0;
      case CompareOp::gt: return compare(a, b, rt_) > 0;
      case CompareOp::ge: return compare(a, b, rt_) >= 0;
      case CompareOp::in: return contains(b, a, rt_);
      case CompareOp::not_in: return !contains(b, a, rt_);
    }
    return false;
  }

  // A filter chain whose innermost input is `input` ({% filter %} and {% set x | f %}).
  Value filter_value(const Expr& chain, const Value& input, Frame& frame) {
    const Value* saved = filter_input_;
    filter_input_ = &input;
    try {
      Value v = eval(chain, frame);
      filter_input_ = saved;
      return v;
    } catch (...) {
      filter_input_ = saved;
      throw;
    }
  }

  CallArgs eval_args(const Expr& e, Frame& frame) {
    CallArgs args;
    args.positional.reserve(e.args.size());
    for (const ExprPtr& a : e.args) args.positional.push_back(eval(*a, frame));
    for (const auto& [key, expr] : e.kwargs) args.keyword.emplace_back(key, eval(*expr, frame));
    return args;
  }

  Value eval_call(const Expr& e, Frame& frame, const Value* caller) {
    const Expr& callee = *e.a;
    std::optional<Enter> enter;  // obj.name(...): errors in the call point at the attribute
    std::optional<Value> receiver;
    Value fn;
    if (callee.kind == ExprKind::getattr) {
      enter.emplace(*this, callee.offset);
      Value obj = eval(*callee.a, frame);
      if (obj.is_undefined()) fail_undefined(obj);
      // A method is called directly rather than through a bound-method value.
      if (has_method(obj, callee.name)) receiver = std::move(obj);
      else fn = get_attr(obj, callee.name, rt_);
    } else {
      fn = eval(callee, frame);
    }
    CallArgs args = eval_args(e, frame);
    if (caller) args.keyword.emplace_back("caller", *caller);
    return receiver ? call_method(*receiver, callee.name, args, rt_) : call_value(fn, args);
  }

  Value call_value(const Value& fn, const CallArgs& args) {
    if (fn.is_undefined()) fail_undefined(fn);
    if (!fn.is(Kind::callable))
      throw Error(ErrorCode::invalid_argument, "chat template: '" + type_name(fn) + "' object is not callable");
    const Callable& c = fn.as_callable();
    switch (c.type) {
      case Callable::Type::global: return call_global(c.name, args, rt_);
      case Callable::Type::method: return call_method(c.self, c.name, args, rt_);
      case Callable::Type::macro:
      case Callable::Type::caller: return call_macro(c, args);
    }
    throw Error(ErrorCode::internal, "chat template: bad callable");
  }

  // Calls a macro, or a call block's body as caller(): binds arguments as Jinja2 does and
  // returns the rendered text.
  Value call_macro(const Callable& c, const CallArgs& args) {
    const Stmt& m = *c.stmt;
    Enter enter(*this, m.offset);
    Frame* parent = c.scope_life.expired() ? nullptr : c.scope;
    if (parent == nullptr) {
      if (c.type == Callable::Type::caller)
        throw Error(ErrorCode::invalid_argument, "chat template: caller() used after its call block ended");
      parent = root_;
    }
    Frame frame{parent, {}, {}, nullptr};
    const std::string what = c.type == Callable::Type::macro ? "macro '" + c.name + "'" : "caller()";
    const size_t n = m.params.size();
    std::vector<bool> bound(n, false);
    std::vector<Value> varargs;
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (i < n) {
        frame.set(m.params[i].name, args.positional[i]);
        bound[i] = true;
      } else if (m.uses_varargs) {
        varargs.push_back(args.positional[i]);
      } else {
        throw Error(ErrorCode::invalid_argument,
                    "chat template: " + what + " takes not more than " + std::to_string(n) + " argument(s)");
      }
    }
    std::vector<std::pair<Value, Value>> kwargs;
    Value caller = Value::undefined("no caller: the macro was not called from a {% call %} block");
    for (const auto& [key, value] : args.keyword) {
      size_t i = 0;
      while (i < n && m.params[i].name != key) ++i;
      if (i < n) {
        if (bound[i])
          throw Error(ErrorCode::invalid_argument, "chat template: " + what + " got multiple values for argument '" + key + "'");
        frame.set(key, value);
        bound[i] = true;
      } else if (key == "caller" && m.uses_caller) {
        caller = value;
      } else if (m.uses_kwargs) {
        kwargs.emplace_back(Value::string(key), value);
      } else {
        throw Error(ErrorCode::invalid_argument, "chat template: " + what + " takes no keyword argument '" + key + "'");
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (bound[i]) continue;
      const Param& p = m.params[i];
      frame.set(p.name, p.default_value ? eval(*p.default_value, frame)
                                        : Value::undefined("parameter '" + p.name + "' was not provided"));
    }
    if (m.uses_varargs) frame.set("varargs", make_list(std::move(varargs), rt_.max_depth(), true));
    if (m.uses_kwargs) frame.set("kwargs", make_dict(std::move(kwargs), rt_.max_depth()));
    if (m.uses_caller) frame.set("caller", caller);
    open_scope(frame, m.fresh_locals);
    return Value::string(capture(m.body, frame));
  }

  const Program& program_;
  Runtime& rt_;
  Frame* root_ = nullptr;
  std::string* out_ = nullptr;
  const Value* filter_input_ = nullptr;
  int depth_ = 0;
  std::optional<size_t> error_offset_;
};

}  // namespace

std::string render_program(const Program& program, const Value& context, const ChatTemplateLimits& limits) {
  Runtime rt(limits);
  return Evaluator(program, rt).run(context);
}

}  // namespace dsinfer::jinja
