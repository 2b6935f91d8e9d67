// Byte-level BPE tokenization as Hugging Face `tokenizers` does it, from a tokenizer.json
// (+ tokenizer_config.json) or from GGUF metadata. The pipeline, in order:
//   added/special tokens matched in the raw text, longest first
//   -> normalizer (e.g. NFC) on the text between them
//   -> pre-tokenizer: Split rules (PCRE2, Unicode-aware) and ByteLevel, as the file describes
//   -> BPE merges by rank inside each piece
// Decoding maps byte-level symbols back to bytes; invalid UTF-8 becomes U+FFFD.
// A Tokenizer is immutable after loading and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer {

class GgufFile;

class Tokenizer {
 public:
  // tokenizer.json and, when present beside it, tokenizer_config.json (BOS/EOS, add_bos,
  // chat template).
  static std::shared_ptr<const Tokenizer> from_hf_dir(const std::string& dir);
  // config_path may be empty.
  static std::shared_ptr<const Tokenizer> from_hf_files(const std::string& tokenizer_json_path,
                                                        const std::string& config_path);
  // tokenizer.ggml.* metadata; the pre-tokenizer comes from tokenizer.ggml.pre.
  static std::shared_ptr<const Tokenizer> from_gguf(const GgufFile& gguf);

  ~Tokenizer();

  int32_t vocab_size() const;

  // Like Hugging Face's encode: with parse_special, added/special token strings in the text
  // become their ids; add_special prepends BOS / appends EOS as the tokenizer's config says.
  // Throws Error(invalid_argument) for text that is not valid UTF-8.
  std::vector<int32_t> encode(std::string_view text, bool add_special = false, bool parse_special = true) const;

  // Text of the ids; skip_special drops special tokens. Throws for an id outside the vocab.
  // Like transformers, applies clean_up_tokenization_spaces when the config sets it (Llama 3).
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // The bytes one token stands for (special tokens: their text).
  std::string token_bytes(int32_t id) const;
  // The token's string as the vocabulary spells it ("Ġthe"), or nullopt.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::string id_to_token(int32_t id) const;
  bool is_special(int32_t id) const;

  int32_t bos_id() const;  // -1 when none
  int32_t eos_id() const;  // -1 when none
  bool add_bos() const;
  bool add_eos() const;
  std::string bos_token() const;
  std::string eos_token() const;
  // The Jinja chat template the files carry, or "".
  const std::string& chat_template() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of ids into text without ever emitting part of a UTF-8 character: bytes
// of a character split across tokens are held until it is complete, then emitted once.
class StreamingDecoder {
 public:
  explicit StreamingDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special = false);
  // Text that became complete with this token (possibly empty).
  std::string push(int32_t id);
  // Whatever is still held, invalid bytes as U+FFFD; the decoder is then empty.
  std::string flush();

 private:
  std::shared_ptr<const Tokenizer> tok_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace dsinfer
