// The values a template computes with: Python's None, bool, int, float, str, list, dict plus
// Jinja2's Undefined, namespace(), the loop object and callables (macros, globals, bound methods).
// Lists and dicts are immutable once built, as in transformers' ImmutableSandboxedEnvironment, so
// they are shared freely; only namespaces and the loop object change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace dsinfer::jinja {

struct Stmt;
struct Frame;
class Value;

struct None {};

// Jinja2's default Undefined: prints as "", is falsy, iterates as empty; most other uses fail
// with `hint` as the message ("'x' is undefined", "access to attribute 'pop' is unsafe").
struct Undefined {
  std::string hint;
};

struct ListObj;
struct DictObj;
struct NamespaceObj;
struct LoopObj;
struct Callable;
using ListPtr = std::shared_ptr<const ListObj>;
using DictPtr = std::shared_ptr<const DictObj>;
using NamespacePtr = std::shared_ptr<NamespaceObj>;
using LoopPtr = std::shared_ptr<LoopObj>;
using CallablePtr = std::shared_ptr<const Callable>;

// The order matches Value::Storage's alternatives.
enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, ns, loop, callable };

class Value {
 public:
  using Storage = std::variant<Undefined, None, bool, int64_t, double, std::string, ListPtr, DictPtr,
                               NamespacePtr, LoopPtr, CallablePtr>;

  Value() = default;
  static Value undefined(std::string hint) { return Value(Tag{}, Undefined{std::move(hint)}); }
  static Value none() { return Value(Tag{}, None{}); }
  static Value boolean(bool b) { return Value(Tag{}, b); }
  static Value integer(int64_t i) { return Value(Tag{}, i); }
  static Value floating(double d) { return Value(Tag{}, d); }
  static Value string(std::string s) { return Value(Tag{}, std::move(s)); }
  static Value list(ListPtr l) { return Value(Tag{}, std::move(l)); }
  static Value dict(DictPtr d) { return Value(Tag{}, std::move(d)); }
  static Value ns(NamespacePtr n) { return Value(Tag{}, std::move(n)); }
  static Value loop(LoopPtr l) { return Value(Tag{}, std::move(l)); }
  static Value callable(CallablePtr c) { return Value(Tag{}, std::move(c)); }

  Kind kind() const { return static_cast<Kind>(storage_.index()); }
  bool is(Kind k) const { return kind() == k; }
  bool is_undefined() const { return is(Kind::undefined); }
  // Python's bool is an int subclass: True + 1 == 2.
  bool is_number() const { return is(Kind::integer) || is(Kind::floating) || is(Kind::boolean); }

  const std::string& undefined_hint() const { return std::get<Undefined>(storage_).hint; }
  bool as_bool() const { return std::get<bool>(storage_); }
  int64_t as_int() const { return std::get<int64_t>(storage_); }
  double as_float() const { return std::get<double>(storage_); }
  const std::string& as_string() const { return std::get<std::string>(storage_); }
  const ListObj& as_list() const { return *std::get<ListPtr>(storage_); }
  const ListPtr& list_ptr() const { return std::get<ListPtr>(storage_); }
  const DictObj& as_dict() const { return *std::get<DictPtr>(storage_); }
  const NamespacePtr& as_ns() const { return std::get<NamespacePtr>(storage_); }
  const LoopPtr& as_loop() const { return std::get<LoopPtr>(storage_); }
  const Callable& as_callable() const { return *std::get<CallablePtr>(storage_); }

  // An int, a bool taken as 0/1, or a float, as a double.
  double number() const;

 private:
  struct Tag {};  // keeps this constructor from competing with copy construction
  template <typename T>
  Value(Tag, T&& v) : storage_(std::forward<T>(v)) {}
  Storage storage_;
};

struct ListObj {
  std::vector<Value> items;
  int depth = 1;       // nesting of lists, dicts and callables inside, bounded at construction
  bool tuple = false;  // only changes how it prints: (1, 2) rather than [1, 2]
};

// A dict keeps insertion order, as Python's does, which tojson and iteration expose.
struct DictObj {
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<std::string, size_t> string_keys;  // index into entries for string keys
  std::unordered_map<std::string, size_t> other_keys;   // numbers and None, by other_key_text()
  int depth = 1;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  // A number's or None's index text. Python hashes 1, 1.0 and True alike, so they share one.
  static std::string other_key_text(const Value& key);
};

// namespace(): the one object a template may change (`{% set ns.x = ... %}`).
struct NamespaceObj {
  std::vector<std::pair<std::string, Value>> attrs;
  const Value* find(std::string_view name) const;
  void set(const std::string& name, Value value);
};

// `loop` inside a for block.
struct LoopObj {
  ListPtr items;  // the filtered items being iterated
  size_t index0 = 0;
};

struct Callable {
  enum class Type { macro, caller, global, method };
  Type type;
  std::string name;                    // macro, global function or method name
  Value self;                          // method: the receiver
  const Stmt* stmt = nullptr;          // macro: its definition; caller: the call block
  Frame* scope = nullptr;              // macro or caller: the frame it was defined in ...
  std::weak_ptr<const char> scope_life;  // ... valid while this has not expired
  int depth = 1;
};

// Builders that enforce the nesting bound, so no value is too deep to print or to free.
Value make_list(std::vector<Value> items, int max_depth, bool tuple = false);
Value make_dict(std::vector<std::pair<Value, Value>> entries, int max_depth);
int value_depth(const Value& v);

}  // namespace dsinfer::jinja
