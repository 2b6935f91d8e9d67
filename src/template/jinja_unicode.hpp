// Python strings are sequences of code points; dsinfer keeps them as UTF-8 bytes and decodes only
// where Jinja2's behaviour depends on code points (length, indexing, slicing, strip, iteration).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer::jinja {

// Decodes the code point starting at s[pos] and advances pos past it. A malformed byte counts as
// one code point of its own (returned as 0xFFFD), so any byte string round-trips unchanged.
uint32_t decode_utf8(std::string_view s, size_t& pos);

void append_utf8(std::string& out, uint32_t cp);

// Byte offset where each code point starts, followed by s.size().
std::vector<size_t> code_point_starts(std::string_view s);

size_t count_code_points(std::string_view s);

// str.isspace() for one code point, which is also what Python's regex \s matches.
bool is_py_space(uint32_t cp);

// str.strip / lstrip / rstrip. With chars == nullptr, strips whitespace; otherwise strips any
// code point that occurs in *chars.
std::string_view py_strip(std::string_view s, bool left, bool right, const std::string* chars = nullptr);

// str.upper / lower / title / capitalize with simple case mappings for Latin, Greek, Cyrillic,
// Armenian and fullwidth Latin letters (plus ß -> SS); other code points have no case.
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_title(std::string_view s);
std::string py_capitalize(std::string_view s);
bool is_py_upper(uint32_t cp);
bool is_py_lower(uint32_t cp);

}  // namespace dsinfer::jinja
