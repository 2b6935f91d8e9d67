#include "template/jinja_text.hpp"

#include <algorithm>

#include "dsinfer/error.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

namespace {

std::vector<std::string> split_whitespace(const std::string& s, int64_t maxsplit, bool from_right) {
  const std::vector<size_t> starts = code_point_starts(s);
  const size_t n = starts.size() - 1;
  const auto space = [&](size_t i) {
    size_t pos = starts[i];
    return is_py_space(decode_utf8(s, pos));
  };
  std::vector<std::string> parts;
  if (!from_right) {
    size_t i = 0;
    for (;;) {
      while (i < n && space(i)) ++i;
      if (i == n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(s.substr(starts[i]));  // the rest, leading whitespace dropped
        break;
      }
      const size_t begin = i;
      while (i < n && !space(i)) ++i;
      parts.push_back(s.substr(starts[begin], starts[i] - starts[begin]));
    }
    return parts;
  }
  size_t i = n;  // one past the code point being looked at
  for (;;) {
    while (i > 0 && space(i - 1)) --i;
    if (i == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(s.substr(0, starts[i]));
      break;
    }
    const size_t end = i;
    while (i > 0 && !space(i - 1)) --i;
    parts.push_back(s.substr(starts[i], starts[end] - starts[i]));
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

}  // namespace

std::vector<std::string> py_split(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right) {
  if (sep == nullptr) return split_whitespace(s, maxsplit, from_right);
  if (sep->empty()) throw Error(ErrorCode::invalid_argument, "chat template: split() separator is empty");
  std::vector<std::string> parts;
  if (!from_right) {
    size_t begin = 0;
    for (size_t at = s.find(*sep); at != std::string::npos; at = s.find(*sep, begin)) {
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) break;
      parts.push_back(s.substr(begin, at - begin));
      begin = at + sep->size();
    }
    parts.push_back(s.substr(begin));
    return parts;
  }
  size_t end = s.size();  // the unsplit text is s[0, end)
  while (end >= sep->size()) {
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) break;
    const size_t at = s.rfind(*sep, end - sep->size());
    if (at == std::string::npos) break;
    parts.push_back(s.substr(at + sep->size(), end - at - sep->size()));
    end = at;
  }
  parts.push_back(s.substr(0, end));
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> py_splitlines(const std::string& s, bool keepends) {
  std::vector<std::string> lines;
  size_t begin = 0;
  for (size_t pos = 0; pos < s.size();) {
    const size_t at = pos;
    const uint32_t cp = decode_utf8(s, pos);
    const bool is_break = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
                          cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!is_break) continue;
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    lines.push_back(s.substr(begin, (keepends ? pos : at) - begin));
    begin = pos;
  }
  if (begin < s.size()) lines.push_back(s.substr(begin));
  return lines;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& with, int64_t count,
                       Budget& budget) {
  std::string out;
  int64_t done = 0;
  const auto limited = [&] { return count >= 0 && done >= count; };
  if (old.empty()) {
    // Python inserts `with` before every code point and at the end.
    for (size_t pos = 0; pos <= s.size();) {
      if (!limited()) {
        out += with;
        ++done;
      }
      if (pos == s.size()) break;
      const size_t start = pos;
      decode_utf8(s, pos);
      out.append(s, start, pos - start);
      budget.check_size(out.size());
    }
    budget.bytes(out.size());
    return out;
  }
  size_t begin = 0;
  for (size_t at = s.find(old); at != std::string::npos && !limited(); at = s.find(old, begin)) {
    out.append(s, begin, at - begin);
    out += with;
    begin = at + old.size();
    ++done;
    budget.check_size(out.size());
  }
  out.append(s, begin, std::string::npos);
  budget.bytes(out.size());
  return out;
}

}  // namespace dsinfer::jinja
