#include "dsinfer/mla_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "dsinfer/error.hpp"
#include "util/checked_math.hpp"

namespace dsinfer {
namespace {

// Per-token width bounds that no model comes near; they keep every size product in range.
constexpr int64_t kMaxLayers = 1 << 16, kMaxWidth = 1 << 24;

uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : UINT64_MAX;
}

// Checks the dimensions before anything is sized from them (the layer vectors included).
int64_t checked_layers(int64_t n_layers, int64_t kv_lora_rank, int64_t rope_dim, int64_t max_tokens) {
  if (n_layers <= 0 || kv_lora_rank <= 0 || rope_dim <= 0 || max_tokens <= 0)
    throw Error(ErrorCode::invalid_argument, "MlaCache: every dimension must be positive");
  if (n_layers > kMaxLayers || kv_lora_rank > kMaxWidth || rope_dim > kMaxWidth)
    throw Error(ErrorCode::too_large, "MlaCache: " + std::to_string(n_layers) + " layers of width " +
                                          std::to_string(kv_lora_rank) + " + " + std::to_string(rope_dim) + " is too large");
  // Storage grows as tokens arrive, but a context that could never be filled on this machine
  // is refused now, with the size it would need, instead of failing part way through a prompt.
  const uint64_t per_token = static_cast<uint64_t>(kv_lora_rank + rope_dim) * static_cast<uint64_t>(n_layers) * MlaCache::kValueBytes;
  uint64_t total;
  const uint64_t have = physical_memory_bytes();
  if (!checked_mul(per_token, static_cast<uint64_t>(max_tokens), &total) || total > have) {
    char need[64], has[64];
    std::snprintf(need, sizeof need, "%.1f GiB", static_cast<double>(per_token) * static_cast<double>(max_tokens) / (1ull << 30));
    std::snprintf(has, sizeof has, "%.1f GiB", static_cast<double>(have) / (1ull << 30));
    throw Error(ErrorCode::too_large, "a context of " + std::to_string(max_tokens) + " tokens needs " + need +
                                          " for its cache (" + std::to_string(per_token) + " bytes per token); this machine has " + has);
  }
  return n_layers;
}

}  // namespace

MlaCache::MlaCache(int64_t n_layers, int64_t kv_lora_rank, int64_t rope_dim, int64_t max_tokens)
    : n_layers_(checked_layers(n_layers, kv_lora_rank, rope_dim, max_tokens)), kv_lora_rank_(kv_lora_rank),
      rope_dim_(rope_dim), max_tokens_(max_tokens), latent_(static_cast<size_t>(n_layers)),
      rope_key_(static_cast<size_t>(n_layers)) {}

int64_t MlaCache::bytes_per_token() const {
  return (kv_lora_rank_ + rope_dim_) * n_layers_ * kValueBytes;
}

void MlaCache::truncate(int64_t n) {
  if (n < 0 || n > size_)
    throw Error(ErrorCode::invalid_argument, "cache truncate to " + std::to_string(n) + " tokens, but it holds " +
                                                 std::to_string(size_));
  size_ = n;
}

int64_t MlaCache::reserve(int64_t n) {
  if (n < 0 || n > max_tokens_ - size_)
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
  if (n < 0 || n > allocated_ - size_) throw Error(ErrorCode::internal, "MlaCache::commit beyond reserved space");
  size_ += n;
}

std::span<uint16_t> MlaCache::latent(int64_t layer, int64_t pos) {
  return {latent_[layer].data() + pos * kv_lora_rank_, static_cast<size_t>(kv_lora_rank_)};
}
std::span<uint16_t> MlaCache::rope_key(int64_t layer, int64_t pos) {
  return {rope_key_[layer].data() + pos * rope_dim_, static_cast<size_t>(rope_dim_)};
}
std::span<const uint16_t> MlaCache::latent(int64_t layer, int64_t pos) const {
  return {latent_[layer].data() + pos * kv_lora_rank_, static_cast<size_t>(kv_lora_rank_)};
}
std::span<const uint16_t> MlaCache::rope_key(int64_t layer, int64_t pos) const {
  return {rope_key_[layer].data() + pos * rope_dim_, static_cast<size_t>(rope_dim_)};
}

}  // namespace dsinfer
