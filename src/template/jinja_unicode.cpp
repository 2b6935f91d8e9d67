#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

uint32_t decode_utf8(std::string_view s, size_t& pos) {
  const unsigned char b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  size_t extra = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) extra = 1;
  else if (b0 >= 0xE0 && b0 <= 0xEF) extra = 2;
  else if (b0 >= 0xF0 && b0 <= 0xF4) extra = 3;
  if (extra == 0 || s.size() - pos <= extra) {
    ++pos;
    return 0xFFFD;
  }
  uint32_t cp = b0 & (0x3F >> extra);
  for (size_t i = 1; i <= extra; ++i) {
    const unsigned char b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms, encoded surrogates and values past U+10FFFF are malformed too.
  const bool overlong = (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
  if (overlong || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF) {
    ++pos;
    return 0xFFFD;
  }
  pos += extra + 1;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::vector<size_t> code_point_starts(std::string_view s) {
  std::vector<size_t> starts;
  starts.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    starts.push_back(pos);
    decode_utf8(s, pos);
  }
  starts.push_back(s.size());
  return starts;
}

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (size_t pos = 0; pos < s.size(); ++n) decode_utf8(s, pos);
  return n;
}

bool is_py_space(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

namespace {

bool strips(std::string_view s, size_t begin, size_t end, const std::string* chars) {
  if (chars == nullptr) {
    size_t pos = begin;
    return is_py_space(decode_utf8(s, pos));
  }
  // The code point must equal a whole code point of chars, not the middle of one.
  const std::string_view piece = s.substr(begin, end - begin);
  for (size_t pos = 0; pos < chars->size();) {
    const size_t start = pos;
    decode_utf8(*chars, pos);
    if (std::string_view(*chars).substr(start, pos - start) == piece) return true;
  }
  return false;
}

}  // namespace

std::string_view py_strip(std::string_view s, bool left, bool right, const std::string* chars) {
  std::vector<size_t> starts = code_point_starts(s);
  size_t first = 0, last = starts.size() - 1;  // code point range [first, last)
  if (left)
    while (first < last && strips(s, starts[first], starts[first + 1], chars)) ++first;
  if (right)
    while (last > first && strips(s, starts[last - 1], starts[last], chars)) --last;
  return s.substr(starts[first], starts[last] - starts[first]);
}

namespace {

// Simple (one-to-one) case mappings for the scripts prompts commonly mix in: Latin, Greek,
// Cyrillic, Armenian and fullwidth Latin. Other code points have no case here.
struct Offset {
  uint32_t upper_first, upper_last;
  uint32_t delta;  // lower = upper + delta
};
constexpr Offset kOffsets[] = {{'A', 'Z', 32},      {0xC0, 0xD6, 32},    {0xD8, 0xDE, 32},   {0x391, 0x3A1, 32},
                               {0x3A3, 0x3AB, 32},  {0x388, 0x38A, 37},  {0x410, 0x42F, 32}, {0x400, 0x40F, 80},
                               {0x531, 0x556, 48},  {0xFF21, 0xFF3A, 32}};
// Ranges alternating upper, lower, upper, ... starting with an upper-case letter at `first`.
struct Alternating {
  uint32_t first, last;
};
constexpr Alternating kAlternating[] = {{0x100, 0x12F}, {0x132, 0x137}, {0x139, 0x148}, {0x14A, 0x177},
                                        {0x179, 0x17E}, {0x460, 0x481}, {0x48A, 0x4BF}, {0x1E00, 0x1E95},
                                        {0x1EA0, 0x1EFF}};
struct Pair {
  uint32_t upper, lower;
};
constexpr Pair kPairs[] = {{0x178, 0xFF}, {0x386, 0x3AC}, {0x38C, 0x3CC}, {0x38E, 0x3CD}, {0x38F, 0x3CE}};
// Lower-case letters whose upper case is shared with another letter (so no reverse mapping).
constexpr Pair kUpperOnly[] = {{0x3A3, 0x3C2}, {'S', 0x17F}, {0x39C, 0xB5}, {'I', 0x131}};

uint32_t simple_upper(uint32_t c) {
  for (const Offset& r : kOffsets)
    if (c >= r.upper_first + r.delta && c <= r.upper_last + r.delta) return c - r.delta;
  for (const Alternating& r : kAlternating)
    if (c >= r.first && c <= r.last) return (c - r.first) % 2 == 1 ? c - 1 : c;
  for (const Pair& p : kPairs)
    if (c == p.lower) return p.upper;
  for (const Pair& p : kUpperOnly)
    if (c == p.lower) return p.upper;
  return c;
}

uint32_t simple_lower(uint32_t c) {
  for (const Offset& r : kOffsets)
    if (c >= r.upper_first && c <= r.upper_last) return c + r.delta;
  for (const Alternating& r : kAlternating)
    if (c >= r.first && c <= r.last) return (c - r.first) % 2 == 0 ? c + 1 : c;
  for (const Pair& p : kPairs)
    if (c == p.upper) return p.lower;
  if (c == 0x130) return 'i';
  return c;
}

constexpr uint32_t kSharpS = 0xDF;  // ß: lower case, upper-cases to "SS"

// Maps each code point with `f`; malformed bytes pass through untouched.
template <typename F>
std::string map_code_points(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = decode_utf8(s, pos);
    if (cp == 0xFFFD && pos - start == 1 && static_cast<unsigned char>(s[start]) >= 0x80) {
      out += s[start];
      continue;
    }
    f(cp, out);
  }
  return out;
}

void put_upper(uint32_t cp, std::string& out) {
  if (cp == kSharpS) out += "SS";
  else append_utf8(out, simple_upper(cp));
}

void put_title(uint32_t cp, std::string& out) {
  if (cp == kSharpS) out += "Ss";
  else append_utf8(out, simple_upper(cp));
}

}  // namespace

bool is_py_upper(uint32_t cp) { return simple_lower(cp) != cp; }
bool is_py_lower(uint32_t cp) { return simple_upper(cp) != cp || cp == kSharpS || cp == 0x138 || cp == 0x149; }

std::string py_upper(std::string_view s) { return map_code_points(s, put_upper); }

std::string py_lower(std::string_view s) {
  return map_code_points(s, [](uint32_t cp, std::string& out) { append_utf8(out, simple_lower(cp)); });
}

std::string py_title(std::string_view s) {
  bool previous_cased = false;
  return map_code_points(s, [&](uint32_t cp, std::string& out) {
    if (previous_cased) append_utf8(out, simple_lower(cp));
    else put_title(cp, out);
    previous_cased = is_py_upper(cp) || is_py_lower(cp);
  });
}

std::string py_capitalize(std::string_view s) {
  bool first = true;
  return map_code_points(s, [&](uint32_t cp, std::string& out) {
    if (first) put_title(cp, out);
    else append_utf8(out, simple_lower(cp));
    first = false;
  });
}

}  // namespace dsinfer::jinja
