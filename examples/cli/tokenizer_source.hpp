// The tokenizer a CLI command works with: --model (a GGUF file or a Hugging Face directory)
// or --tokenizer (a tokenizer.json, with tokenizer_config.json beside it when present).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/tokenizer.hpp"

namespace cli {

inline std::shared_ptr<const dsinfer::Tokenizer> load_tokenizer(const std::string& model, const std::string& tokenizer_json) {
  namespace fs = std::filesystem;
  if (!model.empty() && !tokenizer_json.empty()) throw UsageError("give --model or --tokenizer, not both");
  if (!tokenizer_json.empty()) {
    const fs::path cfg = fs::path(tokenizer_json).parent_path() / "tokenizer_config.json";
    std::error_code ec;
    return dsinfer::Tokenizer::from_hf_files(tokenizer_json, fs::exists(cfg, ec) ? cfg.string() : "");
  }
  if (model.empty()) throw UsageError("needs --model PATH or --tokenizer tokenizer.json");
  std::error_code ec;
  if (fs::is_directory(model, ec)) return dsinfer::Tokenizer::from_hf_dir(model);
  return dsinfer::Tokenizer::from_gguf(dsinfer::GgufFile::open(model));
}

}  // namespace cli
