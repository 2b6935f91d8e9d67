#include "template/jinja_scopes.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace dsinfer::jinja {

namespace {

// One scope's own statements, walked in the order Jinja2's symbol visitor uses: names a
// statement reads before the name it assigns, child scopes' headers (a for loop's iterable, a
// call block's call) but not their bodies.
class ScopeWalk {
 public:
  explicit ScopeWalk(const std::vector<std::string>& parameters) {
    for (const std::string& p : parameters) mentioned_.insert(p);
  }

  void body(const Body& stmts, bool in_if) {
    for (const StmtPtr& s : stmts) stmt(*s, in_if);
  }

  // Every name this scope mentions, which its child scopes see as already known.
  const std::set<std::string>& mentioned() const { return mentioned_; }
  // Names first mentioned by an assignment outside any if block. Jinja2 resolves a name first
  // assigned inside an if branch from the enclosing scope (unless every branch assigns it; that
  // rare case is treated the same way here).
  const std::vector<std::string>& stored_first() const { return stored_first_; }

 private:
  void load(const std::string& name) { mentioned_.insert(name); }
  void store(const std::string& name, bool in_if) {
    if (mentioned_.insert(name).second && !in_if) stored_first_.push_back(name);
  }

  void expr(const Expr* e) {
    if (e == nullptr) return;
    if (e->kind == ExprKind::name) load(e->name);
    expr(e->a.get());
    expr(e->b.get());
    expr(e->c.get());
    for (const ExprPtr& arg : e->args) expr(arg.get());
    for (const auto& kw : e->kwargs) expr(kw.second.get());
  }

  void stmt(const Stmt& s, bool in_if) {
    switch (s.kind) {
      case StmtKind::output: expr(s.expr.get()); return;
      case StmtKind::if_:
        for (const IfBranch& b : s.branches) {
          expr(b.cond.get());
          body(b.body, true);
        }
        body(s.else_body, true);
        return;
      case StmtKind::for_: expr(s.expr.get()); return;
      case StmtKind::set:
        expr(s.expr.get());
        if (!s.target.attr.empty()) return load(s.target.names[0]);  // ns.attr reads ns
        for (const std::string& n : s.target.names) store(n, in_if);
        return;
      case StmtKind::set_block:
        if (!s.target.attr.empty()) return load(s.target.names[0]);
        return store(s.target.names[0], in_if);
      case StmtKind::macro: return store(s.text, in_if);
      case StmtKind::call_block:
      case StmtKind::filter_block: expr(s.expr.get()); return;
      case StmtKind::with:
        for (const auto& binding : s.bindings) expr(binding.second.get());
        return;
      default: return;
    }
  }

  std::set<std::string> mentioned_;
  std::vector<std::string> stored_first_;
};

using Outer = std::vector<const std::set<std::string>*>;  // mentioned names of enclosing scopes

std::vector<std::string> analyze(const Body& body, const std::vector<std::string>& parameters, Outer& outer);

// Child scopes opened by the statements of `stmts` (looking through if blocks).
void analyze_children(const Body& stmts, Outer& outer) {
  for (const StmtPtr& sp : stmts) {
    Stmt& s = *sp;
    std::vector<std::string> params;
    switch (s.kind) {
      case StmtKind::if_:
        for (IfBranch& b : s.branches) analyze_children(b.body, outer);
        analyze_children(s.else_body, outer);
        break;
      case StmtKind::for_:
        params = s.target.names;
        params.push_back("loop");
        s.fresh_locals = analyze(s.body, params, outer);
        s.else_fresh_locals = analyze(s.else_body, {}, outer);
        break;
      case StmtKind::macro:
      case StmtKind::call_block:
        for (const Param& p : s.params) params.push_back(p.name);
        params.insert(params.end(), {"varargs", "kwargs", "caller"});
        s.fresh_locals = analyze(s.body, params, outer);
        break;
      case StmtKind::with:
        for (const auto& binding : s.bindings) params.push_back(binding.first);
        s.fresh_locals = analyze(s.body, params, outer);
        break;
      case StmtKind::set_block:
      case StmtKind::filter_block: s.fresh_locals = analyze(s.body, {}, outer); break;
      default: break;
    }
  }
}

std::vector<std::string> analyze(const Body& body, const std::vector<std::string>& parameters, Outer& outer) {
  ScopeWalk walk(parameters);
  walk.body(body, false);
  std::vector<std::string> fresh;
  for (const std::string& name : walk.stored_first()) {
    const bool known_outside =
        std::any_of(outer.begin(), outer.end(), [&](const std::set<std::string>* m) { return m->count(name) > 0; });
    if (!known_outside) fresh.push_back(name);
  }
  outer.push_back(&walk.mentioned());
  analyze_children(body, outer);
  outer.pop_back();
  return fresh;
}

}  // namespace

void analyze_scopes(Program& program) {
  Outer outer;
  program.fresh_locals = analyze(program.body, {}, outer);
}

}  // namespace dsinfer::jinja
