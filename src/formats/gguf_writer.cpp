#include <algorithm>
#include <cstring>
#include <fstream>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "formats/gguf_internal.hpp"

namespace dsinfer {
namespace {

class ByteSink {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out.insert(out.end(), p, p + s.size());
  }
  void pad_to(uint64_t align) {
    while (out.size() % align) out.push_back(std::byte{0});
  }
  std::vector<std::byte> out;
};

void put_value(ByteSink& s, const GgufValue& v) {
  switch (v.type) {
    case GgufType::string: s.put_string(v.str); return;
    case GgufType::array: {
      s.put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      s.put<uint64_t>(v.count);
      if (v.elem_type == GgufType::string) {
        for (const auto& str : v.strings) s.put_string(str);
      } else if (v.elem_type == GgufType::array) {
        for (const auto& item : v.items) put_value(s, item);  // each item is itself an array
      } else {
        const auto* p = reinterpret_cast<const std::byte*>(v.raw.data());
        s.out.insert(s.out.end(), p, p + v.raw.size());
      }
      return;
    }
    default: {
      const uint32_t sz = gguf::scalar_size(v.type);
      const auto* p = reinterpret_cast<const std::byte*>(&v.bits);
      s.out.insert(s.out.end(), p, p + sz);
    }
  }
}

}  // namespace

void GgufWriter::set(std::string key, GgufValue value) {
  for (auto& [k, v] : kv_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::add_tensor(std::string name, DType dtype, std::vector<int64_t> shape, std::vector<std::byte> data) {
  if (shape.empty() || shape.size() > gguf::kMaxDims)
    throw Error(ErrorCode::invalid_argument, "GgufWriter: tensor " + name + " needs 1 to 4 dimensions");
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0) throw Error(ErrorCode::invalid_argument, "GgufWriter: tensor " + name + " has a non-positive dimension");
    n *= static_cast<uint64_t>(d);
  }
  const auto bytes = dtype_bytes(dtype, n);
  if (!bytes || shape.back() % dtype_info(dtype).block_size != 0 || *bytes != data.size())
    throw Error(ErrorCode::invalid_argument, "GgufWriter: tensor " + name + " data does not match its shape and type");
  dtype_to_ggml(dtype);  // throws for types GGUF cannot hold
  tensors_.push_back({std::move(name), dtype, std::move(shape), std::move(data)});
}

std::vector<std::byte> GgufWriter::header_bytes() const {
  auto kv = kv_;
  if (alignment_ != gguf::kDefaultAlignment) {
    bool present = false;
    for (auto& [k, v] : kv) present |= (k == "general.alignment");
    if (!present) kv.emplace_back("general.alignment", GgufValue::of_u32(static_cast<uint32_t>(alignment_)));
  }
  ByteSink s;
  s.put<uint32_t>(gguf::kMagic);
  s.put<uint32_t>(3);
  s.put<uint64_t>(tensors_.size());
  s.put<uint64_t>(kv.size());
  for (const auto& [k, v] : kv) {
    s.put_string(k);
    s.put<uint32_t>(static_cast<uint32_t>(v.type));
    put_value(s, v);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    s.put_string(t.name);
    s.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) s.put<uint64_t>(static_cast<uint64_t>(*it));
    s.put<uint32_t>(dtype_to_ggml(t.dtype));
    s.put<uint64_t>(offset);
    offset += t.data.size();
    offset = (offset + alignment_ - 1) / alignment_ * alignment_;
  }
  s.pad_to(alignment_);
  return std::move(s.out);
}

std::vector<std::byte> GgufWriter::to_bytes() const {
  ByteSink s;
  s.out = header_bytes();
  for (const Tensor& t : tensors_) {
    s.out.insert(s.out.end(), t.data.begin(), t.data.end());
    s.pad_to(alignment_);
  }
  return std::move(s.out);
}

// Streams the tensors after the header, so a multi-gigabyte file is not copied in memory.
void GgufWriter::write(const std::string& path) const {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(ErrorCode::io, path + ": cannot open for writing");
  const auto header = header_bytes();
  f.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  uint64_t pos = header.size();
  const char zeros[256] = {};
  for (const Tensor& t : tensors_) {
    f.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
    pos += t.data.size();
    const uint64_t pad = (alignment_ - pos % alignment_) % alignment_;
    for (uint64_t left = pad; left > 0;) {
      const uint64_t n = std::min<uint64_t>(left, sizeof zeros);
      f.write(zeros, static_cast<std::streamsize>(n));
      left -= n;
    }
    pos += pad;
  }
  if (!f) throw Error(ErrorCode::io, path + ": write failed");
}

}  // namespace dsinfer
