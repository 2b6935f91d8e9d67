#include <cmath>
#include <cstring>
#include <limits>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "formats/gguf_internal.hpp"

namespace dsinfer {

uint32_t gguf::scalar_size(GgufType t) {
  switch (t) {
    case GgufType::u8: case GgufType::i8: case GgufType::boolean: return 1;
    case GgufType::u16: case GgufType::i16: return 2;
    case GgufType::u32: case GgufType::i32: case GgufType::f32: return 4;
    case GgufType::u64: case GgufType::i64: case GgufType::f64: return 8;
    default: return 0;
  }
}

namespace {

using gguf::scalar_size;

bool is_signed(GgufType t) {
  return t == GgufType::i8 || t == GgufType::i16 || t == GgufType::i32 || t == GgufType::i64;
}

bool is_integer_type(GgufType t) { return scalar_size(t) != 0 && t != GgufType::f32 && t != GgufType::f64 && t != GgufType::boolean; }

[[noreturn]] void wrong_type(GgufType have, const char* want) {
  throw Error(ErrorCode::invalid_format,
              "value is " + std::string(gguf_type_name(have)) + ", expected " + want);
}

// Sign-extends a stored integer of type t held in the low bytes of `bits`.
int64_t signed_value(GgufType t, uint64_t bits) {
  switch (t) {
    case GgufType::i8: return static_cast<int8_t>(bits);
    case GgufType::i16: return static_cast<int16_t>(bits);
    case GgufType::i32: return static_cast<int32_t>(bits);
    default: return static_cast<int64_t>(bits);
  }
}

double float_value(GgufType t, uint64_t bits) {
  if (t == GgufType::f32) {
    uint32_t b = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

uint64_t element_bits(const GgufValue& v, uint64_t i) {
  const uint32_t sz = scalar_size(v.elem_type);
  uint64_t bits = 0;
  std::memcpy(&bits, v.raw.data() + i * sz, sz);
  return bits;
}

}  // namespace

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::u8: return "u8";
    case GgufType::i8: return "i8";
    case GgufType::u16: return "u16";
    case GgufType::i16: return "i16";
    case GgufType::u32: return "u32";
    case GgufType::i32: return "i32";
    case GgufType::f32: return "f32";
    case GgufType::boolean: return "bool";
    case GgufType::string: return "string";
    case GgufType::array: return "array";
    case GgufType::u64: return "u64";
    case GgufType::i64: return "i64";
    case GgufType::f64: return "f64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const { return is_integer_type(type); }
bool GgufValue::is_float() const { return type == GgufType::f32 || type == GgufType::f64; }

int64_t GgufValue::as_int() const {
  if (!is_integer()) wrong_type(type, "an integer");
  if (!is_signed(type) && bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw Error(ErrorCode::invalid_format, "value " + std::to_string(bits) + " does not fit in int64");
  return signed_value(type, bits);
}

uint64_t GgufValue::as_uint() const {
  if (!is_integer()) wrong_type(type, "an integer");
  if (is_signed(type)) {
    int64_t v = signed_value(type, bits);
    if (v < 0) throw Error(ErrorCode::invalid_format, "value " + std::to_string(v) + " is negative");
    return static_cast<uint64_t>(v);
  }
  return bits;
}

double GgufValue::as_double() const {
  if (is_float()) return float_value(type, bits);
  if (is_integer()) return is_signed(type) ? static_cast<double>(signed_value(type, bits)) : static_cast<double>(bits);
  wrong_type(type, "a number");
}

bool GgufValue::as_bool() const {
  if (type != GgufType::boolean) wrong_type(type, "bool");
  return bits != 0;
}

const std::string& GgufValue::as_string() const {
  if (type != GgufType::string) wrong_type(type, "string");
  return str;
}

std::vector<int64_t> GgufValue::as_int_array() const {
  if (type != GgufType::array || !is_integer_type(elem_type)) wrong_type(type, "an array of integers");
  std::vector<int64_t> out(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t b = element_bits(*this, i);
    if (!is_signed(elem_type) && b > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(ErrorCode::invalid_format, "array element " + std::to_string(i) + " does not fit in int64");
    out[i] = signed_value(elem_type, b);
  }
  return out;
}

std::vector<double> GgufValue::as_double_array() const {
  if (type != GgufType::array || scalar_size(elem_type) == 0 || elem_type == GgufType::boolean)
    wrong_type(type, "an array of numbers");
  std::vector<double> out(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t b = element_bits(*this, i);
    if (elem_type == GgufType::f32 || elem_type == GgufType::f64)
      out[i] = float_value(elem_type, b);
    else
      out[i] = is_signed(elem_type) ? static_cast<double>(signed_value(elem_type, b)) : static_cast<double>(b);
  }
  return out;
}

const std::vector<std::string>& GgufValue::as_string_array() const {
  if (type != GgufType::array || elem_type != GgufType::string) wrong_type(type, "an array of strings");
  return strings;
}

std::string GgufValue::summary(size_t max_chars) const {
  std::string s;
  switch (type) {
    case GgufType::string: {
      s = "\"";
      for (char c : str) {
        if (c == '\n') s += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20) s += ' ';
        else s += c;
        if (s.size() > max_chars) break;
      }
      s += "\"";
      break;
    }
    case GgufType::boolean: s = bits ? "true" : "false"; break;
    case GgufType::f32: case GgufType::f64: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", as_double());
      s = buf;
      break;
    }
    case GgufType::array: {
      s = "[" + std::string(gguf_type_name(elem_type)) + " x " + std::to_string(count) + "]";
      break;
    }
    default:
      s = is_signed(type) ? std::to_string(signed_value(type, bits)) : std::to_string(bits);
  }
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

GgufValue GgufValue::of_u32(uint32_t v) { GgufValue g; g.type = GgufType::u32; g.bits = v; return g; }
GgufValue GgufValue::of_i32(int32_t v) { GgufValue g; g.type = GgufType::i32; g.bits = static_cast<uint32_t>(v); return g; }
GgufValue GgufValue::of_u64(uint64_t v) { GgufValue g; g.type = GgufType::u64; g.bits = v; return g; }
GgufValue GgufValue::of_bool(bool v) { GgufValue g; g.type = GgufType::boolean; g.bits = v ? 1 : 0; return g; }

GgufValue GgufValue::of_f32(float v) {
  GgufValue g;
  g.type = GgufType::f32;
  uint32_t b;
  std::memcpy(&b, &v, 4);
  g.bits = b;
  return g;
}

GgufValue GgufValue::of_string(std::string v) {
  GgufValue g;
  g.type = GgufType::string;
  g.str = std::move(v);
  return g;
}

GgufValue GgufValue::of_strings(std::vector<std::string> v) {
  GgufValue g;
  g.type = GgufType::array;
  g.elem_type = GgufType::string;
  g.count = v.size();
  g.strings = std::move(v);
  return g;
}

GgufValue GgufValue::of_i32s(std::span<const int32_t> v) {
  GgufValue g;
  g.type = GgufType::array;
  g.elem_type = GgufType::i32;
  g.count = v.size();
  g.raw.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(g.raw.data(), v.data(), v.size() * 4);
  return g;
}

GgufValue GgufValue::of_f32s(std::span<const float> v) {
  GgufValue g;
  g.type = GgufType::array;
  g.elem_type = GgufType::f32;
  g.count = v.size();
  g.raw.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(g.raw.data(), v.data(), v.size() * 4);
  return g;
}

}  // namespace dsinfer
