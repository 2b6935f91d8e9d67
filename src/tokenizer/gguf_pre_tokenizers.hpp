// llama.cpp names a BPE pre-tokenizer in tokenizer.ggml.pre instead of storing its rules;
// these are the rules each name stands for (the Split regexes of the model's original
// tokenizer.json), plus whether the original normalizes to NFC first.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dsinfer {

struct GgufPreTokenizer {
  std::vector<std::string> patterns;
  bool nfc = false;
  bool ignore_merges = false;
};

std::optional<GgufPreTokenizer> gguf_pre_tokenizer(const std::string& name);

}  // namespace dsinfer
