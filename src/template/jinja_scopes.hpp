// Jinja2 decides at compile time which scope a name belongs to. A name that a scope assigns
// before that scope, or any scope around it, has mentioned is a fresh local: it is undefined
// from the scope's start, so a loop or macro body that reads it before the assignment runs sees
// Undefined, not the value from the context. (`{% for m in messages %}{{ x }}{% endfor %}
// {% set x = 1 %}` prints nothing even when the context has x.) This pass finds those names.
#pragma once

#include "template/jinja_ast.hpp"

namespace dsinfer::jinja {

// Fills Program::fresh_locals and Stmt::fresh_locals / else_fresh_locals.
void analyze_scopes(Program& program);

}  // namespace dsinfer::jinja
