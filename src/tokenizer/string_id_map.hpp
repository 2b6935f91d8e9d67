// Token string -> id, as a flat open-addressing table over one byte arena. Loading a
// 128k-token vocabulary does ~400k lookups (three per merge); node-based maps spend most
// of that time chasing pointers, this keeps a probe to one cache line plus the key bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer {

class StringIdMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }

  // Inserts key -> id unless key is present; returns false when it was.
  bool insert(std::string_view key, int32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const uint64_t h = hash(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s = {h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id};
        arena_.append(key);
        ++size_;
        return true;
      }
      if (s.hash == h && equal(s, key)) return false;
    }
  }

  // The id of key, or -1.
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && equal(s, key)) return s.id;
    }
  }

  size_t size() const { return size_; }

  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.id >= 0) f(std::string_view(arena_.data() + s.offset, s.len), s.id);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t len = 0;
    int32_t id = -1;
  };
  static uint64_t hash(std::string_view k) { return std::hash<std::string_view>{}(k); }
  bool equal(const Slot& s, std::string_view k) const {
    return s.len == k.size() && std::memcmp(arena_.data() + s.offset, k.data(), k.size()) == 0;
  }
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      for (size_t i = s.hash & (cap - 1);; i = (i + 1) & (cap - 1))
        if (slots_[i].id < 0) {
          slots_[i] = s;
          break;
        }
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

}  // namespace dsinfer
