// Text normalization before pre-tokenization (Qwen's tokenizers ask for NFC), through
// utf8proc rather than hand-written Unicode tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dsinfer {

class Normalizer {
 public:
  enum class Kind { nfc, nfd, nfkc, nfkd, lowercase };
  // From tokenizer.json's "normalizer" (null or an empty Sequence: nothing to do).
  static Normalizer from_json(const nlohmann::json& j);
  static Normalizer nfc();

  bool empty() const { return steps_.empty(); }
  std::string apply(std::string_view text) const;

 private:
  static void add(const nlohmann::json& j, std::vector<Kind>& steps);
  std::vector<Kind> steps_;
};

}  // namespace dsinfer
