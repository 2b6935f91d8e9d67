// safetensors: u64 little-endian header length N, N bytes of JSON mapping each tensor
// name to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the byte buffer
// after the header) plus an optional "__metadata__" string map. The tensors must tile
// the buffer exactly: no gaps, no overlaps, nothing past the end.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"
#include "dsinfer/safetensors.hpp"
#include "formats/safetensors_header.hpp"
#include "util/checked_math.hpp"
#include "util/strings.hpp"

namespace dsinfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the format's own limit
constexpr uint64_t kMaxIndexBytes = 64ull << 20;

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorCode::invalid_format, msg); }

json parse_json(const char* begin, const char* end, const std::string& what) {
  try {
    return json::parse(begin, end);
  } catch (const json::exception& e) {
    bad(what + " is not valid JSON: " + e.what());
  }
}

TensorView read_entry(const safetensors::HeaderEntry& e, uint64_t buffer_size, uint64_t* begin_out) {
  const std::string what = "tensor " + printable(e.name);
  if (!e.dtype) bad(what + ": missing \"dtype\"");
  if (!e.shape) bad(what + ": missing \"shape\"");
  if (!e.offsets || e.offsets->size() != 2) bad(what + ": \"data_offsets\" must be [begin, end]");

  TensorView v;
  v.name = e.name;
  const auto dtype = dtype_from_safetensors(*e.dtype);
  if (!dtype) bad(what + ": unknown dtype " + printable(*e.dtype));
  v.dtype = *dtype;

  uint64_t numel = 1;
  for (const uint64_t n : *e.shape) {
    if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) || !checked_mul(numel, n, &numel) ||
        numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad(what + ": element count overflows");
    v.shape.push_back(static_cast<int64_t>(n));
  }
  const uint64_t begin = (*e.offsets)[0];
  const uint64_t end = (*e.offsets)[1];
  if (begin > end) bad(what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] run backwards");
  if (end > buffer_size)
    bad(what + ": data range [" + hex(begin) + ", " + hex(end) + ") exceeds the data buffer (" + hex(buffer_size) + " bytes)");
  const auto need = dtype_bytes(v.dtype, numel);
  if (!need || *need != end - begin)
    bad(what + ": " + std::to_string(end - begin) + " bytes do not match shape " + shape_string(v.shape) + " of " +
        std::string(dtype_name(v.dtype)));
  v.nbytes = end - begin;
  *begin_out = begin;
  return v;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) { return parse(MappedFile::open(path)); }

SafetensorsFile SafetensorsFile::parse(std::shared_ptr<const MappedFile> bytes) {
  if (!bytes) throw Error(ErrorCode::invalid_argument, "SafetensorsFile::parse: no bytes");
  SafetensorsFile f;
  f.file_ = std::move(bytes);
  const MappedFile& m = *f.file_;
  try {
    if (m.size() < 8) bad("file is " + std::to_string(m.size()) + " bytes, too short for a safetensors header");
    uint64_t n;
    std::memcpy(&n, m.data(), 8);
    if (n > kMaxHeaderBytes) bad("header length " + std::to_string(n) + " exceeds the 100 MiB limit");
    if (n > m.size() - 8) bad("header length " + std::to_string(n) + " runs past the end of the file");
    const char* h = reinterpret_cast<const char*>(m.data() + 8);
    if (n == 0 || h[0] != '{') bad("header does not start with '{'");
    safetensors::Header header = safetensors::HeaderReader::read(h, h + n);
    const uint64_t buffer_size = m.size() - 8 - n;
    const std::byte* buffer = m.data() + 8 + n;
    f.metadata_ = std::move(header.metadata);

    // Name order, as the tensors have always been listed.
    auto& entries = header.entries;
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::vector<std::pair<uint64_t, size_t>> starts;  // (begin, tensor index)
    f.tensors_.reserve(entries.size());
    for (const auto& e : entries) {
      uint64_t begin = 0;
      TensorView v = read_entry(e, buffer_size, &begin);
      v.data = buffer + begin;
      starts.emplace_back(begin, f.tensors_.size());
      f.index_.emplace(v.name, f.tensors_.size());
      f.tensors_.push_back(std::move(v));
    }
    std::sort(starts.begin(), starts.end());
    uint64_t expect = 0;
    for (const auto& [begin, i] : starts) {
      const TensorView& t = f.tensors_[i];
      if (begin < expect) bad("tensor " + printable(t.name) + " overlaps the tensor before it at " + hex(begin));
      if (begin > expect) bad("bytes [" + hex(expect) + ", " + hex(begin) + ") of the data buffer belong to no tensor");
      expect = begin + t.nbytes;
    }
    if (expect != buffer_size)
      bad("bytes [" + hex(expect) + ", " + hex(buffer_size) + ") at the end of the data buffer belong to no tensor");
  } catch (const Error& e) {
    throw Error(e.code(), m.path() + ": " + e.what());
  }
  return f;
}

const TensorView* SafetensorsFile::find_tensor(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

SafetensorsSet SafetensorsSet::open(const std::string& path) {
  SafetensorsSet s;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::io, path + ": no such file or directory");
  std::vector<std::string> files;
  std::map<std::string, std::string> weight_map;  // tensor -> shard file name (when indexed)
  if (!fs::is_directory(path, ec)) {
    files.push_back(path);
  } else {
    const fs::path dir(path);
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(index, ec)) {
      const auto bytes = MappedFile::open(index.string());
      if (bytes->size() > kMaxIndexBytes) throw Error(ErrorCode::too_large, index.string() + ": index file is too large");
      const char* b = reinterpret_cast<const char*>(bytes->data());
      json j;
      try {
        j = parse_json(b, b + bytes->size(), "index");
        if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
          bad("index has no \"weight_map\" object");
        std::set<std::string> shard_names;
        for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
          if (!it->is_string()) bad("weight_map entry " + printable(it.key()) + " is not a string");
          const std::string shard = it->get<std::string>();
          // Shards must sit beside the index: a name like "../x" or "/etc/x" is refused.
          if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
            bad("weight_map entry " + printable(it.key()) + " names shard " + printable(shard) +
                ", which is not a plain file name");
          weight_map[it.key()] = shard;
          shard_names.insert(shard);
        }
        for (const auto& name : shard_names) files.push_back((dir / name).string());
      } catch (const Error& e) {
        throw Error(e.code(), index.string() + ": " + e.what());
      }
    } else if (fs::exists(dir / "model.safetensors", ec)) {
      files.push_back((dir / "model.safetensors").string());
    } else {
      for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) throw Error(ErrorCode::io, path + ": no .safetensors files in this directory");
    }
  }

  s.shards_.reserve(files.size());
  for (const auto& file : files) s.shards_.push_back(SafetensorsFile::open(file));
  for (const auto& shard : s.shards_) {
    const std::string shard_name = fs::path(shard.path()).filename().string();
    for (const TensorView& t : shard.tensors()) {
      if (!weight_map.empty()) {
        auto it = weight_map.find(t.name);
        if (it == weight_map.end() || it->second != shard_name) continue;  // the index decides where a tensor lives
      }
      if (!s.index_.emplace(t.name, &t).second)
        throw Error(ErrorCode::invalid_format, shard.path() + ": tensor " + printable(t.name) + " also appears in another shard");
      s.tensors_.push_back(&t);
    }
  }
  for (const auto& [name, shard] : weight_map)
    if (!s.index_.count(name))
      throw Error(ErrorCode::invalid_format, path + ": the index places tensor " + printable(name) + " in " +
                                                 printable(shard) + ", which does not contain it");
  return s;
}

const TensorView* SafetensorsSet::find_tensor(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::byte> safetensors_bytes(const std::vector<SafetensorsEntry>& tensors,
                                         const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    const auto need = dtype_bytes(t.dtype, n);
    if (!need || *need != t.data.size())
      throw Error(ErrorCode::invalid_argument, "safetensors writer: tensor " + t.name + " data does not match its shape");
    header[t.name] = {{"dtype", std::string(dtype_to_safetensors(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h += ' ';  // keep the buffer 8-byte aligned, as the reference writer does
  std::vector<std::byte> out(8 + h.size());
  const uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, h.data(), h.size());
  for (const auto& t : tensors) out.insert(out.end(), t.data.begin(), t.data.end());
  return out;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const auto bytes = safetensors_bytes(tensors, metadata);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(ErrorCode::io, path + ": cannot open for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error(ErrorCode::io, path + ": write failed");
}

}  // namespace dsinfer
