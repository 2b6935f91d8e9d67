// The Multi-head Latent Attention cache: for each layer and position, the normed latent
// c_kv (kv_lora_rank values) and the roped key k_pe shared by all heads (qk_rope_head_dim
// values). Nothing else: keys and values per head are never expanded and kept. Attention
// reads the latent directly, with W_UK absorbed into the query and W_UV applied afterwards.
// Values are stored as IEEE half floats (f16 bits), as llama.cpp's default cache does: half
// the memory of a long context, and half the bytes each decoded token reads from it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dsinfer {

class MlaCache {
 public:
  static constexpr int64_t kValueBytes = sizeof(uint16_t);  // one cached value (f16)

  MlaCache(int64_t n_layers, int64_t kv_lora_rank, int64_t rope_dim, int64_t max_tokens);

  int64_t n_layers() const { return n_layers_; }
  int64_t kv_lora_rank() const { return kv_lora_rank_; }
  int64_t rope_dim() const { return rope_dim_; }
  int64_t max_tokens() const { return max_tokens_; }
  int64_t size() const { return size_; }  // positions filled

  // (kv_lora_rank + rope_dim) * n_layers * kValueBytes
  int64_t bytes_per_token() const;

  // Drops every position >= n (rollback; n <= size()).
  void truncate(int64_t n);

  // Makes room for positions [size(), size() + n) and returns where they start; the caller
  // fills every layer and then commit()s them.
  int64_t reserve(int64_t n);
  void commit(int64_t n);

  // f16 bits (dsinfer/half.hpp converts).
  std::span<uint16_t> latent(int64_t layer, int64_t pos);    // kv_lora_rank values
  std::span<uint16_t> rope_key(int64_t layer, int64_t pos);  // rope_dim values
  std::span<const uint16_t> latent(int64_t layer, int64_t pos) const;
  std::span<const uint16_t> rope_key(int64_t layer, int64_t pos) const;

 private:
  int64_t n_layers_, kv_lora_rank_, rope_dim_, max_tokens_;
  int64_t size_ = 0;
  int64_t allocated_ = 0;  // positions with storage; grows geometrically up to max_tokens
  std::vector<std::vector<uint16_t>> latent_;    // per layer: (allocated, kv_lora_rank)
  std::vector<std::vector<uint16_t>> rope_key_;  // per layer: (allocated, rope_dim)
};

}  // namespace dsinfer
