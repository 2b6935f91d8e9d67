// The global functions a template may call: Jinja2's range, namespace and dict, and the two
// transformers adds, raise_exception and strftime_now.
#include <ctime>
#include <vector>

#include "dsinfer/error.hpp"
#include "template/jinja_access.hpp"
#include "template/jinja_builtins.hpp"
#include "template/jinja_python.hpp"

namespace dsinfer::jinja {

namespace {

constexpr std::string_view kGlobals[] = {"range", "namespace", "dict", "raise_exception", "strftime_now"};

int64_t int_arg(const Value& v, const char* what) {
  if (const auto i = index_key(v)) return *i;
  throw Error(ErrorCode::invalid_argument, std::string("chat template: ") + what + " needs integer arguments, not '" +
                                               type_name(v) + "'");
}

Value range(const CallArgs& args, Runtime& rt) {
  if (!args.keyword.empty() || args.positional.empty() || args.positional.size() > 3)
    throw Error(ErrorCode::invalid_argument, "chat template: range() takes 1 to 3 integer arguments");
  const auto& p = args.positional;
  int64_t start = 0, stop = 0, step = 1;
  if (p.size() == 1) {
    stop = int_arg(p[0], "range()");
  } else {
    start = int_arg(p[0], "range()");
    stop = int_arg(p[1], "range()");
    if (p.size() == 3) step = int_arg(p[2], "range()");
  }
  if (step == 0) throw Error(ErrorCode::invalid_argument, "chat template: range() step must not be zero");
  // Count in unsigned 128-bit so extreme bounds cannot overflow; the count is charged before
  // anything is allocated, so range(10**9) fails on the step bound at once.
  __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  const __int128 abs_step = step > 0 ? step : -static_cast<__int128>(step);
  const __int128 count = span <= 0 ? 0 : (span + abs_step - 1) / abs_step;
  if (count > static_cast<__int128>(rt.budget.limits().max_steps)) rt.budget.fail_steps();
  rt.budget.step(static_cast<uint64_t>(count));
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (__int128 i = 0; i < count; ++i) items.push_back(Value::integer(static_cast<int64_t>(start + i * step)));
  return make_list(std::move(items), rt.max_depth());
}

// The (key, value) pairs of dict(...) or namespace(...): an optional mapping, then keywords.
std::vector<std::pair<Value, Value>> mapping_args(const CallArgs& args, const char* what, Runtime& rt) {
  if (args.positional.size() > 1)
    throw Error(ErrorCode::invalid_argument, std::string("chat template: ") + what + " takes at most one positional argument");
  std::vector<std::pair<Value, Value>> entries;
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is(Kind::dict)) {
      entries = src.as_dict().entries;
    } else {
      for (const Value& pair : iterate(src, rt)) {
        if (!pair.is(Kind::list) || pair.as_list().items.size() != 2)
          throw Error(ErrorCode::invalid_argument, std::string("chat template: ") + what + " needs (key, value) pairs");
        entries.emplace_back(pair.as_list().items[0], pair.as_list().items[1]);
      }
    }
  }
  for (const auto& [key, value] : args.keyword) entries.emplace_back(Value::string(key), value);
  rt.budget.step(entries.size());
  return entries;
}

Value make_namespace(const CallArgs& args, Runtime& rt) {
  auto ns = std::make_shared<NamespaceObj>();
  for (auto& [key, value] : mapping_args(args, "namespace()", rt)) {
    if (!key.is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: namespace() keys must be strings");
    ns->set(key.as_string(), std::move(value));
  }
  rt.namespaces.push_back(ns);
  return Value::ns(std::move(ns));
}

Value strftime_now(const CallArgs& args, Runtime& rt) {
  const auto a = bind_args(args, {"format"}, 1, "strftime_now()");
  if (!a[0]->is(Kind::string)) throw Error(ErrorCode::invalid_argument, "chat template: strftime_now() needs a format string");
  const std::string& format = a[0]->as_string();
  std::tm tm{};
  const int64_t fixed = rt.budget.limits().now_unix_seconds;
  if (fixed >= 0) {
    const std::time_t t = static_cast<std::time_t>(fixed);
    gmtime_r(&t, &tm);
  } else {
    const std::time_t t = std::time(nullptr);
    localtime_r(&t, &tm);
  }
  if (format.empty()) return Value::string("");
  // strftime reports a short buffer as 0; grow a few times, within the output bound.
  for (size_t cap = format.size() * 8 + 64;; cap *= 4) {
    rt.budget.check_size(cap / 4);
    std::vector<char> buf(cap);
    const size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &tm);
    if (n > 0 || cap > (format.size() + 64) * 256) return Value::string(std::string(buf.data(), n));
  }
}

}  // namespace

bool is_global(std::string_view name) {
  for (std::string_view g : kGlobals)
    if (g == name) return true;
  return false;
}

Value call_global(const std::string& name, const CallArgs& args, Runtime& rt) {
  if (name == "range") return range(args, rt);
  if (name == "namespace") return make_namespace(args, rt);
  if (name == "dict") return make_dict(mapping_args(args, "dict()", rt), rt.max_depth());
  if (name == "raise_exception") {
    const auto a = bind_args(args, {"message"}, 1, "raise_exception()");
    throw TemplateRaised(to_str(*a[0], rt));
  }
  if (name == "strftime_now") return strftime_now(args, rt);
  throw Error(ErrorCode::internal, "chat template: unknown global " + name);
}

}  // namespace dsinfer::jinja
