#include "kernels/activations.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "dsinfer/cpu_features.hpp"

namespace dsinfer::kernels {

ActFormat act_format(DType t) {
  switch (t) {
    case DType::q8_0:
    case DType::q4_0:
    case DType::q5_0:
    case DType::q4_1:
    case DType::q5_1:
    case DType::iq4_nl: return ActFormat::q8_32;
    case DType::q2_k:
    case DType::q3_k:
    case DType::q4_k:
    case DType::q5_k:
    case DType::q6_k:
    case DType::iq4_xs:
    case DType::iq2_xxs:
    case DType::iq2_xs:
    case DType::iq2_s:
    case DType::iq3_xxs:
    case DType::iq3_s:
    case DType::iq1_s:
    case DType::iq1_m: return ActFormat::q8_256;
    default: return ActFormat::f32;
  }
}

size_t act_row_bytes(ActFormat f, int64_t cols) {
  switch (f) {
    case ActFormat::q8_32: return static_cast<size_t>(cols / 32) * sizeof(ActBlock32);
    case ActFormat::q8_256: return static_cast<size_t>(cols / 256) * sizeof(ActBlock256);
    default: return static_cast<size_t>(cols) * sizeof(float);
  }
}

namespace {

// Scale so the largest magnitude maps to 127; returns 1/scale (0 for an all-zero block).
float block_scale(const float* x, int n, float* d) {
  float amax = 0.0f;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  *d = amax / 127.0f;
  return amax > 0.0f ? 127.0f / amax : 0.0f;
}

}  // namespace

void quantize_act_row(ActFormat f, const float* x, int64_t cols, std::byte* out) {
  static const bool avx2 = cpu_features().avx2;
  if (f != ActFormat::f32 && avx2) quantize_act_row_avx2(f, x, cols, out);
  else quantize_act_row_portable(f, x, cols, out);
}

void quantize_act_row_portable(ActFormat f, const float* x, int64_t cols, std::byte* out) {
  if (f == ActFormat::f32) {
    std::memcpy(out, x, static_cast<size_t>(cols) * sizeof(float));
    return;
  }
  if (f == ActFormat::q8_32) {
    auto* b = reinterpret_cast<ActBlock32*>(out);
    for (int64_t i = 0; i < cols / 32; ++i, x += 32) {
      const float inv = block_scale(x, 32, &b[i].d);
      int sum = 0;
      for (int j = 0; j < 32; ++j) {
        b[i].q[j] = static_cast<int8_t>(std::nearbyint(x[j] * inv));
        sum += b[i].q[j];
      }
      b[i].s = b[i].d * static_cast<float>(sum);
    }
    return;
  }
  auto* b = reinterpret_cast<ActBlock256*>(out);
  for (int64_t i = 0; i < cols / 256; ++i, x += 256) {
    const float inv = block_scale(x, 256, &b[i].d);
    for (int j = 0; j < 256; ++j) b[i].q[j] = static_cast<int8_t>(std::nearbyint(x[j] * inv));
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int j = 0; j < 16; ++j) s += b[i].q[g * 16 + j];
      b[i].bsums[g] = static_cast<int16_t>(s);
    }
  }
}

void Activations::prepare(ActFormat f) {
  if (f == ActFormat::f32) return;  // read in place
  std::vector<std::byte>& buf = f == ActFormat::q8_32 ? q32_ : q256_;
  if (!buf.empty()) return;
  const size_t rb = act_row_bytes(f, cols_);
  buf.resize(rb * static_cast<size_t>(n_));
  for (int64_t t = 0; t < n_; ++t) quantize_act_row(f, x_ + t * ldx_, cols_, buf.data() + rb * static_cast<size_t>(t));
}

const std::byte* Activations::row(ActFormat f, int64_t t) const {
  if (f == ActFormat::f32) return reinterpret_cast<const std::byte*>(x_ + t * ldx_);
  const std::vector<std::byte>& buf = f == ActFormat::q8_32 ? q32_ : q256_;
  return buf.data() + act_row_bytes(f, cols_) * static_cast<size_t>(t);
}

}  // namespace dsinfer::kernels
