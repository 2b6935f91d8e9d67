// GPT-2's byte-to-character map: every byte gets a printable Unicode character (printable
// ASCII and Latin-1 map to themselves, the rest to U+0100 and up), so BPE works on text
// while covering arbitrary bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dsinfer {

class ByteLevelMap {
 public:
  ByteLevelMap();
  // The UTF-8 of the character standing for byte b.
  const std::string& encode(uint8_t b) const { return to_char_[b]; }
  // Bytes of a token written in byte-level characters; false when some character is not
  // one of the 256 (the token is then taken as literal text, as Hugging Face does).
  bool decode(std::string_view token, std::string* out) const;

 private:
  std::array<std::string, 256> to_char_;
  std::unordered_map<uint32_t, uint8_t> from_cp_;
};

const ByteLevelMap& byte_level_map();

}  // namespace dsinfer
