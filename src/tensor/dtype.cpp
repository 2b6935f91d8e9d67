#include "dsinfer/dtype.hpp"

#include <array>

#include "dsinfer/error.hpp"
#include "util/checked_math.hpp"

namespace dsinfer {
namespace {

constexpr size_t kCount = static_cast<size_t>(DType::count_);

// Block layouts are those of ggml (ggml-common.h); safetensors types are plain.
constexpr std::array<DTypeInfo, kCount> kInfo = {{
    {"f32", 1, 4, true},       {"f16", 1, 2, true},        {"bf16", 1, 2, true},
    {"f64", 1, 8, false},      {"i8", 1, 1, false},        {"i16", 1, 2, false},
    {"i32", 1, 4, false},      {"i64", 1, 8, false},       {"u8", 1, 1, false},
    {"u16", 1, 2, false},      {"u32", 1, 4, false},       {"u64", 1, 8, false},
    {"bool", 1, 1, false},     {"f8_e4m3", 1, 1, true},    {"f8_e5m2", 1, 1, false},
    {"q4_0", 32, 18, true},    {"q4_1", 32, 20, true},     {"q5_0", 32, 22, true},
    {"q5_1", 32, 24, true},    {"q8_0", 32, 34, true},     {"q8_1", 32, 36, false},
    {"q2_k", 256, 84, true},   {"q3_k", 256, 110, true},   {"q4_k", 256, 144, true},
    {"q5_k", 256, 176, true},  {"q6_k", 256, 210, true},   {"q8_k", 256, 292, false},
    {"iq2_xxs", 256, 66, true}, {"iq2_xs", 256, 74, true}, {"iq3_xxs", 256, 98, true},
    {"iq1_s", 256, 50, true}, {"iq4_nl", 32, 18, true},  {"iq3_s", 256, 110, true},
    {"iq2_s", 256, 82, true}, {"iq4_xs", 256, 136, true}, {"iq1_m", 256, 56, true},
    {"tq1_0", 256, 54, false}, {"tq2_0", 256, 66, false},  {"mxfp4", 32, 17, false},
}};

struct GgmlId {
  uint32_t id;
  DType type;
};

// ggml type ids as GGUF stores them. Ids 4 and 5 (old Q4_2/Q4_3) and 31-33 (removed
// repacked Q4_0 variants) are retired and deliberately absent.
constexpr GgmlId kGgml[] = {
    {0, DType::f32},      {1, DType::f16},      {2, DType::q4_0},    {3, DType::q4_1},
    {6, DType::q5_0},     {7, DType::q5_1},     {8, DType::q8_0},    {9, DType::q8_1},
    {10, DType::q2_k},    {11, DType::q3_k},    {12, DType::q4_k},   {13, DType::q5_k},
    {14, DType::q6_k},    {15, DType::q8_k},    {16, DType::iq2_xxs}, {17, DType::iq2_xs},
    {18, DType::iq3_xxs}, {19, DType::iq1_s},   {20, DType::iq4_nl}, {21, DType::iq3_s},
    {22, DType::iq2_s},   {23, DType::iq4_xs},  {24, DType::i8},     {25, DType::i16},
    {26, DType::i32},     {27, DType::i64},     {28, DType::f64},    {29, DType::iq1_m},
    {30, DType::bf16},    {34, DType::tq1_0},   {35, DType::tq2_0},  {39, DType::mxfp4},
};

struct StName {
  std::string_view name;
  DType type;
};

constexpr StName kSafetensors[] = {
    {"F32", DType::f32},   {"F16", DType::f16},   {"BF16", DType::bf16}, {"F64", DType::f64},
    {"I8", DType::i8},     {"I16", DType::i16},   {"I32", DType::i32},   {"I64", DType::i64},
    {"U8", DType::u8},     {"U16", DType::u16},   {"U32", DType::u32},   {"U64", DType::u64},
    {"BOOL", DType::boolean}, {"F8_E4M3", DType::f8_e4m3}, {"F8_E5M2", DType::f8_e5m2},
};

}  // namespace

const DTypeInfo& dtype_info(DType t) {
  size_t i = static_cast<size_t>(t);
  if (i >= kCount) throw Error(ErrorCode::internal, "dtype_info: bad dtype");
  return kInfo[i];
}

std::optional<uint64_t> dtype_bytes(DType t, uint64_t n) {
  const DTypeInfo& info = dtype_info(t);
  if (n % info.block_size != 0) return std::nullopt;
  uint64_t bytes;
  if (!checked_mul(n / info.block_size, info.block_bytes, &bytes)) return std::nullopt;
  return bytes;
}

std::optional<DType> dtype_from_ggml(uint32_t ggml_type) {
  for (const GgmlId& g : kGgml)
    if (g.id == ggml_type) return g.type;
  return std::nullopt;
}

uint32_t dtype_to_ggml(DType t) {
  for (const GgmlId& g : kGgml)
    if (g.type == t) return g.id;
  throw Error(ErrorCode::unsupported, "dtype " + std::string(dtype_name(t)) + " has no GGUF type id");
}

std::optional<DType> dtype_from_safetensors(std::string_view name) {
  for (const StName& s : kSafetensors)
    if (s.name == name) return s.type;
  return std::nullopt;
}

std::string_view dtype_to_safetensors(DType t) {
  for (const StName& s : kSafetensors)
    if (s.type == t) return s.name;
  throw Error(ErrorCode::unsupported, "dtype " + std::string(dtype_name(t)) + " has no safetensors name");
}

}  // namespace dsinfer
