// Byte-pair encoding of one pre-tokenized piece: start from one symbol per byte (in
// byte-level characters) and keep merging the adjacent pair of lowest merge rank, leftmost
// first, until no known pair is left, as Hugging Face's BPE model does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/string_id_map.hpp"

namespace dsinfer {

class Bpe {
 public:
  // vocab: token string (byte-level characters) -> id. merges: pairs of token strings in
  // rank order. A merge whose parts or result are not in the vocab is an Error.
  Bpe(StringIdMap vocab, const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges);

  // Ids for one piece of raw bytes.
  void encode(std::string_view piece, std::vector<int32_t>& out) const;

  const StringIdMap& vocab() const { return vocab_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t key(int32_t a, int32_t b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

  StringIdMap vocab_;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256];
  bool ignore_merges_;
};

}  // namespace dsinfer
