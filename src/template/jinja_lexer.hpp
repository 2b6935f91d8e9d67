// Splits template source into text and the tokens inside {{ }} and {% %} tags, applying
// whitespace control the way transformers configures Jinja2: trim_blocks (drop the newline after
// a block or comment tag), lstrip_blocks (drop the indentation before one), `-` to strip all
// whitespace on that side, `+` to opt out. Comments and {% raw %} are resolved here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer::jinja {

enum class Tok { text, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };

struct Token {
  Tok kind;
  std::string text;  // text, name, operator, or a string literal with its escapes decoded
  int64_t int_value = 0;
  double float_value = 0;
  size_t offset = 0;  // into the normalised source, for "line:column" in errors
};

// Jinja2 reads "\r\n" and "\r" as "\n" everywhere and drops one trailing newline.
std::string normalize_source(const std::string& source);

// `source` must already be normalised. Throws Error(invalid_format) with the position.
std::vector<Token> lex(const std::string& source);

}  // namespace dsinfer::jinja
