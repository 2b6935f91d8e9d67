#include "dsinfer/mla_cache.hpp"

#include <algorithm>
#include <string>

#include "dsinfer/error.hpp"

namespace dsinfer {

MlaCache::MlaCache(int64_t n_layers, int64_t kv_lora_rank, int64_t rope_dim, int64_t max_tokens)
    : n_layers_(n_layers), kv_lora_rank_(kv_lora_rank), rope_dim_(rope_dim), max_tokens_(max_tokens),
      latent_(static_cast<size_t>(n_layers)), rope_key_(static_cast<size_t>(n_layers)) {
  if (n_layers <= 0 || kv_lora_rank <= 0 || rope_dim <= 0 || max_tokens <= 0)
    throw Error(ErrorCode::invalid_argument, "MlaCache: every dimension must be positive");
}

int64_t MlaCache::bytes_per_token() const {
  return (kv_lora_rank_ + rope_dim_) * n_layers_ * static_cast<int64_t>(sizeof(float));
}

void MlaCache::truncate(int64_t n) {
  if (n < 0 || n > size_)
    throw Error(ErrorCode::invalid_argument, "cache truncate to " + std::to_string(n) + " tokens, but it holds " +
                                                 std::to_string(size_));
  size_ = n;
}

int64_t MlaCache::reserve(int64_t n) {
  if (n < 0 || size_ + n > max_tokens_)
    throw Error(ErrorCode::invalid_argument, "context is full: " + std::to_string(size_) + " + " + std::to_string(n) +
                                                 " tokens exceed the cache's " + std::to_string(max_tokens_));
  if (size_ + n > allocated_) {
    const int64_t want = std::min(max_tokens_, std::max(size_ + n, std::max<int64_t>(64, allocated_ * 2)));
    for (int64_t l = 0; l < n_layers_; ++l) {
      latent_[l].resize(static_cast<size_t>(want * kv_lora_rank_));
      rope_key_[l].resize(static_cast<size_t>(want * rope_dim_));
    }
    allocated_ = want;
  }
  return size_;
}

void MlaCache::commit(int64_t n) {
  if (n < 0 || size_ + n > allocated_) throw Error(ErrorCode::internal, "MlaCache::commit beyond reserved space");
  size_ += n;
}

std::span<float> MlaCache::latent(int64_t layer, int64_t pos) {
  return {latent_[layer].data() + pos * kv_lora_rank_, static_cast<size_t>(kv_lora_rank_)};
}
std::span<float> MlaCache::rope_key(int64_t layer, int64_t pos) {
  return {rope_key_[layer].data() + pos * rope_dim_, static_cast<size_t>(rope_dim_)};
}
std::span<const float> MlaCache::latent(int64_t layer, int64_t pos) const {
  return {latent_[layer].data() + pos * kv_lora_rank_, static_cast<size_t>(kv_lora_rank_)};
}
std::span<const float> MlaCache::rope_key(int64_t layer, int64_t pos) const {
  return {rope_key_[layer].data() + pos * rope_dim_, static_cast<size_t>(rope_dim_)};
}

}  // namespace dsinfer
