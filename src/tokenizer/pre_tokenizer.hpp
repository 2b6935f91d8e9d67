// Splitting text into the pieces BPE runs inside, as a tokenizer file's pre_tokenizer
// describes: Split rules (a regex, what happens to its matches, optionally inverted)
// applied one after another to the pieces of the rule before, and the ByteLevel step
// (optional prefix space, optional GPT-2 regex). Pieces are raw UTF-8 bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/regex.hpp"

namespace dsinfer {

class PreTokenizer {
 public:
  enum class Behavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

  // From tokenizer.json's "pre_tokenizer" (null allowed). Sets *byte_level when a ByteLevel
  // step is present.
  static PreTokenizer from_json(const nlohmann::json& j, bool* byte_level);
  // Split rules (each Isolated, not inverted) followed by a plain ByteLevel step: how GGUF
  // files describe their pre-tokenizer by name.
  static PreTokenizer from_patterns(const std::vector<std::string>& patterns);

  // Appends the pieces of `text` to out.
  void split(std::string_view text, std::vector<std::string>& out) const;

 private:
  struct Step {
    enum Kind { split_rule, byte_level } kind = split_rule;
    std::shared_ptr<Regex> regex;  // split_rule, or byte_level with use_regex
    Behavior behavior = Behavior::isolated;
    bool invert = false;
    bool add_prefix_space = false;  // byte_level
  };
  static void add_from_json(const nlohmann::json& j, std::vector<Step>& steps, bool* byte_level);
  std::vector<Step> steps_;
};

}  // namespace dsinfer
