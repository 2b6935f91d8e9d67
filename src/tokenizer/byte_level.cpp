#include "tokenizer/byte_level.hpp"

#include "tokenizer/utf8.hpp"

namespace dsinfer {

ByteLevelMap::ByteLevelMap() {
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool keeps_itself = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const uint32_t cp = keeps_itself ? b : next++;
    utf8::append(to_char_[b], cp);
    from_cp_[cp] = static_cast<uint8_t>(b);
  }
}

bool ByteLevelMap::decode(std::string_view token, std::string* out) const {
  std::string bytes;
  for (size_t i = 0; i < token.size();) {
    const auto c = static_cast<uint8_t>(token[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c & 0xe0) == 0xc0 && i + 1 < token.size()) { cp = ((c & 0x1fu) << 6) | (static_cast<uint8_t>(token[i + 1]) & 0x3fu); n = 2; }
    else return false;  // byte-level characters are all below U+0800
    auto it = from_cp_.find(cp);
    if (it == from_cp_.end()) return false;
    bytes += static_cast<char>(it->second);
    i += n;
  }
  out->append(bytes);
  return true;
}

const ByteLevelMap& byte_level_map() {
  static const ByteLevelMap map;
  return map;
}

}  // namespace dsinfer
