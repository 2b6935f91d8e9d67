#include "tokenizer/bpe.hpp"

#include <queue>

#include "dsinfer/error.hpp"
#include "tokenizer/byte_level.hpp"

namespace dsinfer {

Bpe::Bpe(StringIdMap vocab, const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges)
    : vocab_(std::move(vocab)), ignore_merges_(ignore_merges) {
  const ByteLevelMap& bl = byte_level_map();
  for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(bl.encode(static_cast<uint8_t>(b)));
  merges_.reserve(merges.size());
  std::string ab;
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto& [a, b] = merges[r];
    ab.assign(a).append(b);
    const int32_t ia = vocab_.find(a), ib = vocab_.find(b), ir = vocab_.find(ab);
    if (ia < 0 || ib < 0 || ir < 0)
      throw Error(ErrorCode::invalid_format, "tokenizer merge #" + std::to_string(r) + " '" + a + " " + b +
                                                 "' refers to tokens missing from the vocabulary");
    merges_.emplace(key(ia, ib), Merge{static_cast<int32_t>(r), ir});  // first rank wins
  }
}

void Bpe::encode(std::string_view piece, std::vector<int32_t>& out) const {
  const ByteLevelMap& bl = byte_level_map();
  if (ignore_merges_) {
    std::string word;
    for (char c : piece) word += bl.encode(static_cast<uint8_t>(c));
    if (const int32_t id = vocab_.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  const size_t n = piece.size();
  if (n == 1) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(piece[0])];
    if (id < 0) throw Error(ErrorCode::invalid_format, "tokenizer vocabulary lacks a byte-level token for a byte");
    out.push_back(id);
    return;
  }
  // Symbols in a linked list; candidate merges in a heap ordered by (rank, position).
  std::vector<int32_t> id(n), prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    id[i] = byte_ids_[static_cast<uint8_t>(piece[i])];
    if (id[i] < 0) throw Error(ErrorCode::invalid_format, "tokenizer vocabulary lacks a byte-level token for a byte");
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Cand {
    int32_t rank, pos, left_id, right_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto consider = [&](int32_t l) {
    if (l < 0 || next[l] < 0) return;
    auto it = merges_.find(key(id[l], id[next[l]]));
    if (it != merges_.end()) heap.push({it->second.rank, l, id[l], id[next[l]]});
  };
  for (size_t i = 0; i + 1 < n; ++i) consider(static_cast<int32_t>(i));
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const int32_t r = next[c.pos];
    // Stale if either side changed since the candidate was pushed (or was merged away).
    if (id[c.pos] != c.left_id || r < 0 || id[r] != c.right_id || prev[r] != c.pos) continue;
    id[c.pos] = merges_.at(key(c.left_id, c.right_id)).result;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    id[r] = -1;
    prev[r] = -2;
    consider(prev[c.pos]);
    consider(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(id[i]);
}

}  // namespace dsinfer
