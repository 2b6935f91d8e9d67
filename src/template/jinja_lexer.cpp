#include "template/jinja_lexer.hpp"

#include <cerrno>
#include <cstdlib>

#include "template/jinja_source.hpp"
#include "template/jinja_unicode.hpp"

namespace dsinfer::jinja {

std::string normalize_source(const std::string& source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

class Lexer {
 public:
  explicit Lexer(const std::string& src) : src_(src) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      const size_t tag = find_tag(pos_);
      if (tag == std::string::npos) {
        emit_text(std::string_view(src_).substr(pos_), pos_);
        break;
      }
      const char kind = src_[tag + 1];
      size_t p = tag + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      std::string_view before = std::string_view(src_).substr(pos_, tag - pos_);
      size_t raw_body = 0;
      const bool raw = kind == '%' && match_raw_begin(p, raw_body);
      emit_text(strip_before(before, sign, kind != '{'), pos_);
      if (kind == '#') lex_comment(tag, p);
      else if (raw) lex_raw(tag, raw_body);
      else lex_tag(kind, tag, p);
    }
    out_.push_back(Token{Tok::eof, "", 0, 0, src_.size()});
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& message) const { syntax_error(src_, at, message); }

  size_t find_tag(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1))
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    return std::string::npos;
  }

  // Text before a tag: `-` strips all trailing whitespace; otherwise lstrip_blocks removes the
  // indentation of a block or comment tag that starts its line.
  std::string_view strip_before(std::string_view text, char sign, bool block_or_comment) const {
    if (sign == '-') return py_strip(text, false, true);
    if (sign == '+' || !block_or_comment) return text;
    const size_t nl = text.rfind('\n');
    const size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
    if (line_start == 0 && !line_starting_) return text;
    std::string_view tail = text.substr(line_start);
    if (!tail.empty() && py_strip(tail, true, false).empty()) return text.substr(0, line_start);
    return text;
  }

  void emit_text(std::string_view text, size_t offset) {
    if (!text.empty()) out_.push_back(Token{Tok::text, std::string(text), 0, 0, offset});
  }

  size_t skip_space(size_t p) const {
    while (p < src_.size()) {
      size_t next = p;
      if (!is_py_space(decode_utf8(src_, next))) break;
      p = next;
    }
    return p;
  }

  bool starts(size_t p, std::string_view s) const { return std::string_view(src_).substr(p, s.size()) == s; }

  // Where the text after a closing tag resumes. `-` swallows all whitespace; a plain block or
  // comment end swallows one newline (trim_blocks); `+` and variable ends keep everything.
  void close_tag(size_t after, char sign, bool trims_newline) {
    size_t p = after;
    if (sign == '-') p = skip_space(p);
    else if (sign == 0 && trims_newline && p < src_.size() && src_[p] == '\n') ++p;
    line_starting_ = p > 0 && src_[p - 1] == '\n';
    pos_ = p;
  }

  void lex_comment(size_t tag, size_t body) {
    const size_t end = src_.find("#}", body);
    if (end == std::string::npos) fail(tag, "missing end of comment tag");
    char sign = 0;
    if (end > body && (src_[end - 1] == '-' || src_[end - 1] == '+')) sign = src_[end - 1];
    close_tag(end + 2, sign, true);
  }

  // {% raw %} (with optional - or + and spaces) opens a raw block; `raw_body` gets where it starts.
  bool match_raw_begin(size_t p, size_t& raw_body) const {
    p = skip_space(p);
    if (!starts(p, "raw")) return false;
    p = skip_space(p + 3);
    if (starts(p, "-%}")) {
      raw_body = skip_space(p + 3);
      return true;
    }
    if (starts(p, "%}")) {
      raw_body = p + 2;
      return true;
    }
    return false;
  }

  void lex_raw(size_t tag, size_t body) {
    line_starting_ = body > 0 && src_[body - 1] == '\n';
    for (size_t at = src_.find("{%", body); at != std::string::npos; at = src_.find("{%", at + 2)) {
      size_t p = at + 2;
      char sign = 0;
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
      p = skip_space(p);
      if (!starts(p, "endraw")) continue;
      p = skip_space(p + 6);
      char end_sign = 0;
      if (starts(p, "-%}") || starts(p, "+%}")) end_sign = src_[p++];
      if (!starts(p, "%}")) continue;
      emit_text(strip_before(std::string_view(src_).substr(body, at - body), sign, true), body);
      close_tag(p + 2, end_sign, true);
      return;
    }
    fail(tag, "missing end of raw directive");
  }

  void lex_tag(char kind, size_t tag, size_t p) {
    out_.push_back(Token{kind == '%' ? Tok::block_begin : Tok::var_begin, "", 0, 0, tag});
    std::vector<char> open;  // brackets not yet closed: a `}}` inside {{ {'a': {}} }} is not the end
    for (;;) {
      p = skip_space(p);
      if (p >= src_.size()) fail(tag, kind == '%' ? "missing end of block tag '%}'" : "missing end of variable tag '}}'");
      if (open.empty()) {
        const char* end = kind == '%' ? "%}" : "}}";
        char sign = 0;
        size_t q = p;
        if ((src_[q] == '-' || (kind == '%' && src_[q] == '+')) && starts(q + 1, end)) sign = src_[q++];
        if (starts(q, end)) {
          out_.push_back(Token{kind == '%' ? Tok::block_end : Tok::var_end, "", 0, 0, p});
          close_tag(q + 2, sign, kind == '%');
          return;
        }
      }
      p = lex_token(p, open);
    }
  }

  size_t lex_token(size_t p, std::vector<char>& open) {
    const char c = src_[p];
    if (is_digit(c)) return lex_number(p);
    if (is_name_start(c)) {
      size_t e = p;
      while (e < src_.size() && is_name_char(src_[e])) ++e;
      out_.push_back(Token{Tok::name, src_.substr(p, e - p), 0, 0, p});
      return e;
    }
    if (c == '\'' || c == '"') return lex_string(p);
    static constexpr std::string_view two_char_ops[] = {"//", "**", "==", "!=", ">=", "<="};
    for (std::string_view op : two_char_ops)
      if (starts(p, op)) {
        out_.push_back(Token{Tok::op, std::string(op), 0, 0, p});
        return p + 2;
      }
    if (std::string_view("+-/*%~[](){}><=.:|,;").find(c) == std::string_view::npos)
      fail(p, std::string("unexpected character '") + c + "'");
    if (c == '(' || c == '[' || c == '{') {
      open.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (open.empty()) fail(p, std::string("unexpected '") + c + "'");
      if (open.back() != c) fail(p, std::string("unexpected '") + c + "', expected '" + open.back() + "'");
      open.pop_back();
    }
    out_.push_back(Token{Tok::op, std::string(1, c), 0, 0, p});
    return p + 1;
  }

  // Digits with optional `_` separators, as Jinja2's integer and float rules allow.
  size_t digits(size_t p, bool hex = false) const {
    const auto ok = [&](char ch) {
      return is_digit(ch) || (hex && ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')));
    };
    if (p >= src_.size() || !ok(src_[p])) return p;
    ++p;
    while (p < src_.size() && (ok(src_[p]) || (src_[p] == '_' && p + 1 < src_.size() && ok(src_[p + 1])))) ++p;
    return p;
  }

  size_t lex_number(size_t p) {
    size_t e = digits(p);
    bool is_float = false;
    // Not a float right after '.', so `x.0.1` stays two item accesses.
    const bool after_dot = p > 0 && src_[p - 1] == '.';
    if (!after_dot && e + 1 < src_.size() && src_[e] == '.' && is_digit(src_[e + 1])) {
      e = digits(e + 1);
      is_float = true;
    }
    if (!after_dot && e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t q = e + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      const size_t exp_end = digits(q);
      if (exp_end > q) {
        e = exp_end;
        is_float = true;
      }
    }
    std::string text;
    if (!is_float && src_[p] == '0' && e == p + 1 && p + 2 < src_.size()) {
      const char base_char = static_cast<char>(src_[p + 1] | 0x20);
      const int base = base_char == 'x' ? 16 : base_char == 'o' ? 8 : base_char == 'b' ? 2 : 0;
      if (base != 0) {
        const size_t end = digits(p + 2, base == 16);
        if (end > p + 2) {
          for (size_t i = p + 2; i < end; ++i)
            if (src_[i] != '_') text += src_[i];
          return push_integer(p, end, text, base);
        }
      }
    }
    for (size_t i = p; i < e; ++i)
      if (src_[i] != '_') text += src_[i];
    if (is_float) {
      out_.push_back(Token{Tok::floating, text, 0, std::strtod(text.c_str(), nullptr), p});
      return e;
    }
    return push_integer(p, e, text, 10);
  }

  size_t push_integer(size_t p, size_t end, const std::string& text, int base) {
    errno = 0;
    char* stop = nullptr;
    const long long v = std::strtoll(text.c_str(), &stop, base);
    if (errno == ERANGE || *stop != '\0') fail(p, "integer literal out of range");
    out_.push_back(Token{Tok::integer, text, v, 0, p});
    return end;
  }

  // A quoted string with Python's escapes (\n, \t, \xNN, \uNNNN, ...) decoded; an unknown escape
  // keeps its backslash, as Python's unicode-escape codec does.
  size_t lex_string(size_t p) {
    const char quote = src_[p];
    std::string value;
    size_t i = p + 1;
    for (;;) {
      if (i >= src_.size()) fail(p, "unterminated string literal");
      const char c = src_[i];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        ++i;
        continue;
      }
      if (i + 1 >= src_.size()) fail(p, "unterminated string literal");
      const char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n': break;  // line continuation
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case 'x': i = hex_escape(p, i, 2, value); break;
        case 'u': i = hex_escape(p, i, 4, value); break;
        case 'U': i = hex_escape(p, i, 8, value); break;
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k, ++i)
              cp = cp * 8 + static_cast<uint32_t>(src_[i] - '0');
            append_utf8(value, cp);
          } else if (e == 'N') {
            fail(i - 2, "\\N{...} escapes are not supported");
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    out_.push_back(Token{Tok::string, std::move(value), 0, 0, p});
    return i + 1;
  }

  size_t hex_escape(size_t literal, size_t i, int count, std::string& value) const {
    uint32_t cp = 0;
    for (int k = 0; k < count; ++k, ++i) {
      const char h = i < src_.size() ? src_[i] : 0;
      int d = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
      if (d < 0) fail(literal, "truncated \\x, \\u or \\U escape in string literal");
      cp = cp * 16 + static_cast<uint32_t>(d);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) fail(literal, "escape is not a Unicode scalar value");
    append_utf8(value, cp);
    return i;
  }

  const std::string& src_;
  std::vector<Token> out_;
  size_t pos_ = 0;
  bool line_starting_ = true;
};

}  // namespace

std::vector<Token> lex(const std::string& source) { return Lexer(source).run(); }

}  // namespace dsinfer::jinja
