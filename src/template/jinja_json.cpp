#include "template/jinja_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "dsinfer/error.hpp"
#include "template/jinja_python.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

Value from_json(const nlohmann::ordered_json& json, int max_depth) {
  using Type = nlohmann::ordered_json::value_t;
  switch (json.type()) {
    case Type::null: return Value::none();
    case Type::boolean: return Value::boolean(json.get<bool>());
    case Type::number_integer: return Value::integer(json.get<int64_t>());
    case Type::number_unsigned: {
      const uint64_t u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Value::floating(static_cast<double>(u));
      return Value::integer(static_cast<int64_t>(u));
    }
    case Type::number_float: return Value::floating(json.get<double>());
    case Type::string: return Value::string(json.get<std::string>());
    case Type::array:
    case Type::object: {
      if (max_depth <= 0)
        throw Error(ErrorCode::too_large, "chat template context nests deeper than max_depth");
      if (json.is_array()) {
        std::vector<Value> items;
        items.reserve(json.size());
        for (const auto& item : json) items.push_back(from_json(item, max_depth - 1));
        return make_list(std::move(items), max_depth);
      }
      std::vector<std::pair<Value, Value>> entries;
      entries.reserve(json.size());
      for (const auto& [key, value] : json.items())
        entries.emplace_back(Value::string(key), from_json(value, max_depth - 1));
      return make_dict(std::move(entries), max_depth);
    }
    default: throw Error(ErrorCode::invalid_argument, "chat template context holds a value JSON text cannot express");
  }
}

namespace {

class JsonWriter {
 public:
  JsonWriter(const JsonStyle& style, Runtime& rt) : style_(style), rt_(rt), depth_left_(rt.max_depth()) {}

  void write(const Value& v, int level) {
    rt_.budget.step();
    rt_.budget.check_size(out.size());
    switch (v.kind()) {
      case Kind::none: out += "null"; return;
      case Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
      case Kind::integer: out += std::to_string(v.as_int()); return;
      case Kind::floating: out += float_text(v.as_float()); return;
      case Kind::string: write_string(v.as_string()); return;
      case Kind::list: {
        const auto& items = v.as_list().items;
        if (items.empty()) {
          out += "[]";
          return;
        }
        enter();
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += style_.item_separator;
          newline(level + 1);
          write(items[i], level + 1);
        }
        newline(level);
        out += ']';
        ++depth_left_;
        return;
      }
      case Kind::dict: write_dict(v.as_dict(), level); return;
      default:
        throw Error(ErrorCode::invalid_argument,
                    "chat template: object of type " + type_name(v) + " is not JSON serializable");
    }
  }

  std::string out;

 private:
  void enter() {
    if (--depth_left_ < 0) throw Error(ErrorCode::too_large, "chat template: value nested too deep for tojson");
  }

  void newline(int level) {
    if (!style_.pretty) return;
    out += '\n';
    for (int i = 0; i < level; ++i) out += style_.indent;
  }

  static std::string float_text(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
    return format_float(d);
  }

  // json.dumps turns non-string keys into strings rather than failing.
  static std::string key_text(const Value& key) {
    switch (key.kind()) {
      case Kind::string: return key.as_string();
      case Kind::none: return "null";
      case Kind::boolean: return key.as_bool() ? "true" : "false";
      case Kind::integer: return std::to_string(key.as_int());
      default: return float_text(key.as_float());
    }
  }

  void write_dict(const DictObj& dict, int level) {
    if (dict.entries.empty()) {
      out += "{}";
      return;
    }
    enter();
    std::vector<std::pair<std::string, const Value*>> entries;
    entries.reserve(dict.entries.size());
    for (const auto& [key, value] : dict.entries) entries.emplace_back(key_text(key), &value);
    if (style_.sort_keys)
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out += style_.item_separator;
      newline(level + 1);
      write_string(entries[i].first);
      out += style_.key_separator;
      write(*entries[i].second, level + 1);
    }
    newline(level);
    out += '}';
    ++depth_left_;
  }

  void write_string(const std::string& s) {
    out += '"';
    for (size_t pos = 0; pos < s.size();) {
      const size_t start = pos;
      const uint32_t cp = decode_utf8(s, pos);
      switch (cp) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        default: break;
      }
      if (cp < 0x20 || (style_.ensure_ascii && cp >= 0x7F)) {
        char buf[16];
        if (cp >= 0x10000) {
          const uint32_t v = cp - 0x10000;
          std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
        } else {
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
        }
        out += buf;
      } else {
        out.append(s, start, pos - start);
      }
    }
    out += '"';
  }

  const JsonStyle& style_;
  Runtime& rt_;
  int depth_left_;
};

}  // namespace

std::string to_json(const Value& v, const JsonStyle& style, Runtime& rt) {
  JsonWriter writer(style, rt);
  writer.write(v, 0);
  rt.budget.bytes(writer.out.size());
  return std::move(writer.out);
}

}  // namespace dsinfer::jinja
