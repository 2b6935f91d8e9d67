// GGUF (v2 and v3, little-endian): the metadata key/value store and the tensor table of
// a llama.cpp model file. Reading validates every count, length, dimension, offset and
// size against the file before using it; a file that breaks a rule is an Error naming
// the key or tensor and what is wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dsinfer/mapped_file.hpp"
#include "dsinfer/tensor_view.hpp"

namespace dsinfer {

// Metadata value types, numbered as in the file.
enum class GgufType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
std::string_view gguf_type_name(GgufType t);

// One metadata value. Scalars keep their stored bits; arrays of numbers keep their raw
// little-endian elements (a 150k-entry token-type array stays one allocation).
struct GgufValue {
  GgufType type = GgufType::u8;
  uint64_t bits = 0;                  // scalar: integer / bool value, or the IEEE bits of f32 / f64
  std::string str;                    // type == string
  GgufType elem_type = GgufType::u8;  // type == array
  uint64_t count = 0;                 // type == array: number of elements
  std::vector<uint8_t> raw;           // array of numbers or bools, as stored
  std::vector<std::string> strings;   // array of strings
  std::vector<GgufValue> items;       // array of arrays

  bool is_integer() const;  // any integer type (bool is not an integer)
  bool is_float() const;    // f32 or f64
  // Numeric reads; each throws Error(invalid_format) when the type does not fit the ask.
  int64_t as_int() const;    // integers, range-checked
  uint64_t as_uint() const;  // non-negative integers
  double as_double() const;  // floats and integers
  bool as_bool() const;
  const std::string& as_string() const;
  std::vector<int64_t> as_int_array() const;
  std::vector<double> as_double_array() const;
  const std::vector<std::string>& as_string_array() const;

  // Short human-readable rendering for `dsinfer info` (long arrays elided).
  std::string summary(size_t max_chars = 80) const;

  static GgufValue of_u32(uint32_t v);
  static GgufValue of_i32(int32_t v);
  static GgufValue of_u64(uint64_t v);
  static GgufValue of_f32(float v);
  static GgufValue of_bool(bool v);
  static GgufValue of_string(std::string v);
  static GgufValue of_strings(std::vector<std::string> v);
  static GgufValue of_i32s(std::span<const int32_t> v);
  static GgufValue of_f32s(std::span<const float> v);
};

class GgufFile {
 public:
  // Maps and validates `path`.
  static GgufFile open(const std::string& path);
  // Validates bytes already mapped or in memory.
  static GgufFile parse(std::shared_ptr<const MappedFile> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::string& path() const { return file_->path(); }
  uint64_t file_size() const { return file_->size(); }
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  // Typed reads naming the key in their errors; the *_or forms return the default when
  // the key is absent (but still throw on a wrong type).
  const GgufValue& get(std::string_view key) const;
  uint64_t get_uint(std::string_view key) const;
  uint64_t get_uint_or(std::string_view key, uint64_t def) const;
  double get_double(std::string_view key) const;
  double get_double_or(std::string_view key, double def) const;
  bool get_bool_or(std::string_view key, bool def) const;
  std::string get_string(std::string_view key) const;
  std::string get_string_or(std::string_view key, std::string def) const;

  // general.architecture, or "" when absent.
  std::string architecture() const { return get_string_or("general.architecture", ""); }

  // Tensors in file order; shapes outermost first.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find_tensor(std::string_view name) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

// Writes GGUF v3 files: test checkpoints, the benchmark generator and the built-in demo
// model all go through this one writer.
class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = 32) : alignment_(alignment) {}
  void set(std::string key, GgufValue value);
  // `shape` outermost first; `data` must hold exactly dtype_bytes(dtype, numel) bytes.
  void add_tensor(std::string name, DType dtype, std::vector<int64_t> shape,
                  std::vector<std::byte> data);
  std::vector<std::byte> to_bytes() const;
  void write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<std::byte> data;
  };
  std::vector<std::byte> header_bytes() const;  // header + tensor infos + padding

  uint64_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

}  // namespace dsinfer
