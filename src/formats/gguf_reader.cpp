// GGUF layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata
// count, the metadata key/values, the tensor infos, padding to general.alignment, then
// the data section that tensor offsets are relative to. Strings are a u64 length and
// bytes; arrays a u32 element type, a u64 count and the elements.
#include <algorithm>
#include <cstring>
#include <limits>

#include "dsinfer/error.hpp"
#include "dsinfer/gguf.hpp"
#include "formats/byte_cursor.hpp"
#include "formats/gguf_internal.hpp"
#include "util/checked_math.hpp"
#include "util/strings.hpp"

namespace dsinfer {
namespace {

constexpr uint64_t kMaxKeyBytes = 65535;        // the spec's limit on key length
constexpr uint64_t kMaxTensorNameBytes = 1024;  // ggml uses 64; leave room, but bound it
constexpr int kMaxArrayDepth = 4;               // nested arrays exist only in theory; bound recursion
constexpr uint64_t kMaxAlignment = 1ull << 20;
// Counts far beyond any real model (which carries ~50 keys, ~2000 tensors and a 300k-entry
// merges array), refused before anything is reserved: each entry costs several times its
// bytes once parsed, so "fits in the file" alone would let a large file ask for gigabytes.
constexpr uint64_t kMaxMetadataCount = 1ull << 16;
constexpr uint64_t kMaxTensorCount = 1ull << 20;
constexpr uint64_t kMaxArrayCount = 1ull << 26;
constexpr uint64_t kMaxNestedArrays = 1ull << 16;  // in all arrays of arrays together: no model uses them

[[noreturn]] void too_large(const std::string& msg) { throw Error(ErrorCode::too_large, msg); }

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorCode::invalid_format, msg); }

std::string read_string(ByteCursor& c, const std::string& what, uint64_t max_len) {
  const uint64_t len = c.read<uint64_t>(what + " length");
  if (len > max_len) bad(what + ": length " + std::to_string(len) + " exceeds the limit of " + std::to_string(max_len));
  const std::byte* p = c.take(len, what);
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
}

GgufType read_type(ByteCursor& c, const std::string& what) {
  const uint32_t t = c.read<uint32_t>(what + " type");
  if (t > static_cast<uint32_t>(GgufType::f64)) bad(what + ": unknown value type " + std::to_string(t));
  return static_cast<GgufType>(t);
}

GgufValue read_value(ByteCursor& c, GgufType type, const std::string& what, int depth, uint64_t& nested_left) {
  GgufValue v;
  v.type = type;
  if (type == GgufType::string) {
    v.str = read_string(c, what, std::numeric_limits<uint64_t>::max());
    return v;
  }
  if (type != GgufType::array) {
    const uint32_t sz = gguf::scalar_size(type);
    std::memcpy(&v.bits, c.take(sz, what), sz);
    if (type == GgufType::boolean && v.bits > 1) bad(what + ": bool byte is " + std::to_string(v.bits));
    return v;
  }
  if (depth >= kMaxArrayDepth) bad(what + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
  v.elem_type = read_type(c, what + " element");
  v.count = c.read<uint64_t>(what + " array length");
  // Bound the count by the bytes left before allocating anything for it.
  const uint64_t min_elem = v.elem_type == GgufType::string  ? 8
                            : v.elem_type == GgufType::array ? 12
                                                             : gguf::scalar_size(v.elem_type);
  uint64_t min_bytes;
  if (!checked_mul(v.count, min_elem, &min_bytes) || min_bytes > c.remaining())
    bad(what + ": array of " + std::to_string(v.count) + " " + std::string(gguf_type_name(v.elem_type)) +
        " elements does not fit in the " + std::to_string(c.remaining()) + " bytes left");
  if (v.count > kMaxArrayCount)
    too_large(what + ": array of " + std::to_string(v.count) + " elements exceeds the limit of " + std::to_string(kMaxArrayCount));
  if (v.elem_type == GgufType::array) {
    if (v.count > nested_left)
      too_large(what + ": more than " + std::to_string(kMaxNestedArrays) + " nested arrays in the file");
    nested_left -= v.count;
  }
  if (v.elem_type == GgufType::string) {
    v.strings.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i)
      v.strings.push_back(read_string(c, what + "[" + std::to_string(i) + "]", std::numeric_limits<uint64_t>::max()));
  } else if (v.elem_type == GgufType::array) {
    v.items.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i)
      v.items.push_back(read_value(c, GgufType::array, what + "[" + std::to_string(i) + "]", depth + 1, nested_left));
  } else {
    const std::byte* p = c.take(min_bytes, what);
    v.raw.assign(reinterpret_cast<const uint8_t*>(p), reinterpret_cast<const uint8_t*>(p) + min_bytes);
    if (v.elem_type == GgufType::boolean)
      for (uint64_t i = 0; i < v.count; ++i)
        if (v.raw[i] > 1) bad(what + "[" + std::to_string(i) + "]: bool byte is " + std::to_string(v.raw[i]));
  }
  return v;
}

struct RawTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;  // outermost first
  uint64_t offset;             // relative to the data section
  uint64_t nbytes;
};

RawTensor read_tensor_info(ByteCursor& c, uint64_t index, uint64_t alignment) {
  const std::string where = "tensor info #" + std::to_string(index);
  RawTensor t;
  t.name = read_string(c, where + " name", kMaxTensorNameBytes);
  const std::string what = "tensor " + printable(t.name);
  const uint32_t n_dims = c.read<uint32_t>(what + " dimension count");
  if (n_dims == 0 || n_dims > gguf::kMaxDims)
    bad(what + ": " + std::to_string(n_dims) + " dimensions (expected 1 to " + std::to_string(gguf::kMaxDims) + ")");
  std::vector<uint64_t> ne(n_dims);
  uint64_t numel = 1;
  for (uint32_t i = 0; i < n_dims; ++i) {
    ne[i] = c.read<uint64_t>(what + " dimension");
    if (ne[i] == 0 || ne[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad(what + ": dimension " + std::to_string(i) + " is " + std::to_string(ne[i]));
    if (!checked_mul(numel, ne[i], &numel) || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      bad(what + ": element count overflows");
  }
  const uint32_t ggml_type = c.read<uint32_t>(what + " type");
  const auto dtype = dtype_from_ggml(ggml_type);
  if (!dtype) bad(what + ": unknown ggml type " + std::to_string(ggml_type));
  t.dtype = *dtype;
  const DTypeInfo& info = dtype_info(t.dtype);
  if (ne[0] % info.block_size != 0)
    bad(what + ": row length " + std::to_string(ne[0]) + " is not a multiple of the " + std::string(info.name) +
        " block size " + std::to_string(info.block_size));
  const auto bytes = dtype_bytes(t.dtype, numel);
  if (!bytes) bad(what + ": byte size overflows");
  t.nbytes = *bytes;
  t.offset = c.read<uint64_t>(what + " offset");
  if (t.offset % alignment != 0)
    bad(what + ": data offset " + hex(t.offset) + " is not aligned to " + std::to_string(alignment));
  t.shape.assign(ne.rbegin(), ne.rend());
  for (auto& d : t.shape) d = static_cast<int64_t>(d);
  return t;
}

struct Parsed {
  uint32_t version = 0;
  uint64_t alignment = gguf::kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<std::pair<std::string, GgufValue>> kv;
  std::unordered_map<std::string, size_t> kv_index;
  std::vector<RawTensor> tensors;
};

Parsed parse_bytes(const MappedFile& file) {
  Parsed p;
  auto& [version, alignment, data_offset, kv, kv_index, raw] = p;
  ByteCursor c(file.data(), file.size());
  if (file.size() < 4) bad("file is " + std::to_string(file.size()) + " bytes, too short for a GGUF header");
  const uint32_t magic = c.read<uint32_t>("magic");
  if (magic != gguf::kMagic) bad("not a GGUF file (magic is " + hex(magic) + ", expected \"GGUF\")");
  version = c.read<uint32_t>("version");
  if (version == 1) bad("GGUF version 1 is not supported (re-convert the model with a current llama.cpp)");
  if (version != 2 && version != 3) {
    if ((version & 0xffffu) == 0 && (version >> 16) != 0)
      bad("big-endian GGUF files are not supported");
    bad("unsupported GGUF version " + std::to_string(version));
  }
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  // The smallest metadata entry takes 14 bytes and the smallest tensor info 32; a count
  // the file cannot hold is refused before anything is reserved for it.
  if (n_kv > c.remaining() / 14) bad("metadata count " + std::to_string(n_kv) + " cannot fit in the file");
  if (n_tensors > c.remaining() / 32) bad("tensor count " + std::to_string(n_tensors) + " cannot fit in the file");
  if (n_kv > kMaxMetadataCount)
    too_large("metadata count " + std::to_string(n_kv) + " exceeds the limit of " + std::to_string(kMaxMetadataCount));
  if (n_tensors > kMaxTensorCount)
    too_large("tensor count " + std::to_string(n_tensors) + " exceeds the limit of " + std::to_string(kMaxTensorCount));

  kv.reserve(n_kv);
  uint64_t nested_left = kMaxNestedArrays;
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = read_string(c, "metadata key #" + std::to_string(i), kMaxKeyBytes);
    const std::string what = "metadata " + printable(key);
    if (key.empty()) bad("metadata key #" + std::to_string(i) + " is empty");
    const GgufType type = read_type(c, what);
    GgufValue value = read_value(c, type, what, 0, nested_left);
    if (!kv_index.emplace(key, kv.size()).second) bad(what + ": duplicate key");
    kv.emplace_back(std::move(key), std::move(value));
  }

  if (auto it = kv_index.find("general.alignment"); it != kv_index.end()) {
    const GgufValue& a = kv[it->second].second;
    if (!a.is_integer()) bad("metadata general.alignment: expected an integer, found " + std::string(gguf_type_name(a.type)));
    const uint64_t v = a.as_uint();
    if (v == 0 || (v & (v - 1)) != 0 || v > kMaxAlignment)
      bad("metadata general.alignment: " + std::to_string(v) + " is not a power of two up to " + std::to_string(kMaxAlignment));
    alignment = v;
  }

  raw.reserve(n_tensors);
  std::unordered_map<std::string, size_t> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    raw.push_back(read_tensor_info(c, i, alignment));
    if (!names.emplace(raw.back().name, i).second) bad("tensor " + printable(raw.back().name) + ": duplicate name");
  }

  if (!checked_align_up(c.pos(), alignment, &data_offset)) bad("data offset overflows");
  if (n_tensors > 0 && data_offset > file.size())
    bad("data section starts at " + hex(data_offset) + ", past the end of the file (" + hex(file.size()) + ")");

  const uint64_t data_size = n_tensors > 0 ? file.size() - data_offset : 0;
  for (const RawTensor& t : raw) {
    uint64_t end;
    if (!checked_add(t.offset, t.nbytes, &end) || end > data_size)
      bad("tensor " + printable(t.name) + ": data range " + hex(t.offset) + "+" + hex(t.nbytes) +
          " exceeds the data section (" + hex(data_size) + " bytes, file size " + hex(file.size()) + ")");
  }
  std::vector<const RawTensor*> by_offset;
  for (const RawTensor& t : raw) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const RawTensor* a, const RawTensor* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const RawTensor& a = *by_offset[i - 1];
    const RawTensor& b = *by_offset[i];
    if (a.offset + a.nbytes > b.offset)
      bad("tensors " + printable(a.name) + " and " + printable(b.name) + " overlap (" + hex(a.offset) + "+" +
          hex(a.nbytes) + " and " + hex(b.offset) + ")");
  }
  return p;
}

}  // namespace

GgufFile GgufFile::open(const std::string& path) { return parse(MappedFile::open(path)); }

GgufFile GgufFile::parse(std::shared_ptr<const MappedFile> bytes) {
  if (!bytes) throw Error(ErrorCode::invalid_argument, "GgufFile::parse: no bytes");
  GgufFile g;
  g.file_ = std::move(bytes);
  Parsed p;
  try {
    p = parse_bytes(*g.file_);
  } catch (const Error& e) {
    throw Error(e.code(), g.file_->path() + ": " + e.what());
  }
  g.version_ = p.version;
  g.alignment_ = p.alignment;
  g.data_offset_ = p.data_offset;
  g.kv_ = std::move(p.kv);
  g.kv_index_ = std::move(p.kv_index);
  g.tensors_.reserve(p.tensors.size());
  for (RawTensor& t : p.tensors) {
    TensorView v;
    v.name = std::move(t.name);
    v.dtype = t.dtype;
    v.shape = std::move(t.shape);
    v.data = g.file_->data() + g.data_offset_ + t.offset;
    v.nbytes = t.nbytes;
    g.tensor_index_.emplace(v.name, g.tensors_.size());
    g.tensors_.push_back(std::move(v));
  }
  return g;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorView* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

template <typename F>
auto with_key(std::string_view key, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(e.code(), "metadata " + std::string(key) + ": " + e.what());
  }
}

}  // namespace

const GgufValue& GgufFile::get(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) throw Error(ErrorCode::invalid_format, path() + ": metadata " + std::string(key) + " is missing");
  return *v;
}

uint64_t GgufFile::get_uint(std::string_view key) const {
  const GgufValue& v = get(key);
  return with_key(key, [&] { return v.as_uint(); });
}

uint64_t GgufFile::get_uint_or(std::string_view key, uint64_t def) const {
  const GgufValue* v = find(key);
  return v ? with_key(key, [&] { return v->as_uint(); }) : def;
}

double GgufFile::get_double(std::string_view key) const {
  const GgufValue& v = get(key);
  return with_key(key, [&] { return v.as_double(); });
}

double GgufFile::get_double_or(std::string_view key, double def) const {
  const GgufValue* v = find(key);
  return v ? with_key(key, [&] { return v->as_double(); }) : def;
}

bool GgufFile::get_bool_or(std::string_view key, bool def) const {
  const GgufValue* v = find(key);
  return v ? with_key(key, [&] { return v->as_bool(); }) : def;
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = get(key);
  return with_key(key, [&] { return v.as_string(); });
}

std::string GgufFile::get_string_or(std::string_view key, std::string def) const {
  const GgufValue* v = find(key);
  return v ? with_key(key, [&] { return v->as_string(); }) : def;
}

}  // namespace dsinfer
