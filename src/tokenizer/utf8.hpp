// UTF-8 facts the tokenizer needs: validation, lossy decoding the way Rust's
// String::from_utf8_lossy does it (one U+FFFD per maximal invalid subpart), and where a
// byte string stops being a complete sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dsinfer::utf8 {

// Length of the valid sequence starting at s[i], or 0 when s[i] starts no valid sequence
// (writes the length of the maximal invalid subpart to *bad, at least 1).
size_t valid_sequence_length(std::string_view s, size_t i, size_t* bad);

// Offset of the first invalid byte, or npos when all of s is valid UTF-8.
size_t first_invalid(std::string_view s);

// Invalid subparts replaced by U+FFFD.
std::string lossy(std::string_view s);

// Number of trailing bytes that begin a sequence which more bytes could still complete.
size_t incomplete_tail(std::string_view s);

// Appends the UTF-8 encoding of a code point.
void append(std::string& out, uint32_t cp);

}  // namespace dsinfer::utf8
