// Each ISA variant of a kernel against its portable definition, on this CPU when it can
// run them.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dsinfer/cpu_features.hpp"
#include "kernels/dot.hpp"
#include "kernels/matvec.hpp"

using namespace dsinfer;

TEST_CASE("dot_f32: AVX2 agrees with the portable kernel at every length", "[kernels]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(1000), b(1000);
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  const bool avx2 = cpu_features().avx2_fma();
  for (int64_t n = 0; n <= 300; ++n) {
    double exact = 0;
    for (int64_t i = 0; i < n; ++i) exact += static_cast<double>(a[i]) * b[i];
    INFO("n = " << n);
    CHECK(std::fabs(kernels::dot_f32_portable(a.data(), b.data(), n) - exact) < 1e-4);
    if (avx2) CHECK(std::fabs(kernels::dot_f32_avx2(a.data(), b.data(), n) - exact) < 1e-4);
    CHECK(std::fabs(kernels::dot_f32()(a.data(), b.data(), n) - exact) < 1e-4);
  }
  if (!avx2) WARN("this CPU has no AVX2+FMA: only the portable kernel was checked");
}

// ---- quantized weights x quantized activations ---------------------------------------

#include <cstring>

#include "dsinfer/dequantize.hpp"
#include "dsinfer/half.hpp"
#include "dsinfer/quantize.hpp"
#include "dsinfer/thread_pool.hpp"
#include "kernels/activations.hpp"
#include "tensor/iq_blocks.hpp"
#include "kernels/matmul.hpp"
#include "kernels/row_dot.hpp"
#include "kernels/row_groups.hpp"

namespace {

const DType kKernelTypes[] = {DType::q8_0, DType::q4_0, DType::q5_0, DType::q4_1, DType::q5_1,
                              DType::q2_k, DType::q3_k, DType::q4_k, DType::q5_k, DType::q6_k,
                              DType::iq4_nl, DType::iq4_xs, DType::f16, DType::bf16, DType::f32};

std::vector<float> normal_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

// The activations a kernel sees, decoded back to floats.
std::vector<double> dequantized_acts(kernels::ActFormat f, const std::byte* row, int64_t cols) {
  std::vector<double> v(static_cast<size_t>(cols));
  if (f == kernels::ActFormat::f32) {
    for (int64_t i = 0; i < cols; ++i) v[i] = reinterpret_cast<const float*>(row)[i];
  } else if (f == kernels::ActFormat::q8_32) {
    const auto* b = reinterpret_cast<const kernels::ActBlock32*>(row);
    for (int64_t i = 0; i < cols; ++i) v[i] = static_cast<double>(b[i / 32].d) * b[i / 32].q[i % 32];
  } else {
    const auto* b = reinterpret_cast<const kernels::ActBlock256*>(row);
    for (int64_t i = 0; i < cols; ++i) v[i] = static_cast<double>(b[i / 256].d) * b[i / 256].q[i % 256];
  }
  return v;
}

}  // namespace

TEST_CASE("quantizers round-trip through the independent decoders within each type's error", "[kernels][quantize]") {
  const std::pair<DType, double> bounds[] = {{DType::q8_0, 0.01}, {DType::q4_0, 0.15}, {DType::q5_0, 0.075},
                                             {DType::q4_1, 0.15}, {DType::q5_1, 0.075},
                                             {DType::q2_k, 0.35}, {DType::q3_k, 0.18},
                                             {DType::iq4_nl, 0.09}, {DType::iq4_xs, 0.09},
                                             {DType::q4_k, 0.15}, {DType::q5_k, 0.075}, {DType::q6_k, 0.035}};
  const auto x = normal_values(4096, 5);
  for (auto [type, bound] : bounds) {
    const auto bytes = quantize(type, x);
    std::vector<float> back(x.size());
    dequantize_row(type, bytes.data(), back.data(), static_cast<int64_t>(x.size()));
    double err = 0, ref = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      err += (back[i] - x[i]) * (back[i] - x[i]);
      ref += x[i] * x[i];
    }
    INFO(dtype_name(type) << ": relative RMS error " << std::sqrt(err / ref));
    CHECK(std::sqrt(err / ref) < bound);
    CHECK(std::sqrt(err / ref) > 0.0);
  }
}

TEST_CASE("activation quantization: AVX2 writes the portable bytes exactly", "[kernels][quantize]") {
  if (!cpu_features().avx2) {
    WARN("this CPU has no AVX2: nothing to compare");
    return;
  }
  const int64_t cols = 1024;
  std::vector<std::vector<float>> rows;
  rows.push_back(normal_values(cols, 5));
  rows.push_back(normal_values(cols, 6));
  for (float& v : rows.back()) v *= 1e-30f;  // tiny scales
  // Blocks whose largest value is 127: the scale is 1 and every x.5 is a tie (to even).
  std::vector<float> ties(cols);
  for (int64_t i = 0; i < cols; ++i) ties[i] = i % 32 == 0 ? 127.0f : static_cast<float>((i % 7) - 3) + 0.5f;
  rows.push_back(ties);
  // An all-zero block, a block with one huge value, and the rest ordinary.
  std::vector<float> odd = normal_values(cols, 7);
  std::fill(odd.begin(), odd.begin() + 256, 0.0f);
  odd[300] = -3e37f;
  rows.push_back(odd);
  for (kernels::ActFormat f : {kernels::ActFormat::q8_32, kernels::ActFormat::q8_256}) {
    for (size_t r = 0; r < rows.size(); ++r) {
      std::vector<std::byte> a(kernels::act_row_bytes(f, cols)), b(a.size());
      kernels::quantize_act_row_portable(f, rows[r].data(), cols, a.data());
      kernels::quantize_act_row_avx2(f, rows[r].data(), cols, b.data());
      INFO("format " << static_cast<int>(f) << " row " << r);
      CHECK(std::memcmp(a.data(), b.data(), a.size()) == 0);
    }
  }
}

TEST_CASE("row kernels: portable = decoded weights . decoded activations; AVX2 = portable", "[kernels][row_dot]") {
  const bool avx2 = cpu_features().avx2 && cpu_features().fma && cpu_features().f16c;
  for (DType type : kKernelTypes) {
    for (int64_t cols : {256, 512, 1536}) {
      const auto wv = normal_values(static_cast<size_t>(cols), 17 + static_cast<uint32_t>(cols));
      const auto w = quantize(type, wv);
      std::vector<float> wd(static_cast<size_t>(cols));
      dequantize_row(type, w.data(), wd.data(), cols);
      const kernels::ActFormat f = kernels::act_format(type);
      std::vector<std::vector<std::byte>> acts;
      std::vector<std::vector<float>> xs;
      for (int j = 0; j < 4; ++j) {
        xs.push_back(normal_values(static_cast<size_t>(cols), 100 + j));
        acts.emplace_back(kernels::act_row_bytes(f, cols));
        kernels::quantize_act_row(f, xs.back().data(), cols, acts.back().data());
      }
      for (int n = 1; n <= 4; ++n) {
        const std::byte* ap[4] = {acts[0].data(), acts[1].data(), acts[2].data(), acts[3].data()};
        float port[4], fast[4];
        kernels::row_dot_portable(type)(w.data(), ap, n, cols, port);
        if (avx2) kernels::row_dot_avx2(type)(w.data(), ap, n, cols, fast);
        for (int j = 0; j < n; ++j) {
          const auto a = dequantized_acts(f, acts[j].data(), cols);
          double exact = 0, magnitude = 0, vs_f32 = 0;
          for (int64_t i = 0; i < cols; ++i) {
            exact += static_cast<double>(wd[i]) * a[i];
            magnitude += std::fabs(static_cast<double>(wd[i]) * a[i]);
            vs_f32 += static_cast<double>(wd[i]) * xs[j][i];
          }
          INFO(dtype_name(type) << " cols " << cols << " n " << n << " j " << j);
          CHECK(std::fabs(port[j] - exact) <= 1e-5 * magnitude);
          if (avx2) CHECK(std::fabs(fast[j] - port[j]) <= 1e-5 * magnitude);
          // Quantizing the activations costs well under 1% of the dot's scale.
          CHECK(std::fabs(port[j] - vs_f32) <= 0.01 * magnitude);
        }
      }
    }
  }
  if (!avx2) WARN("this CPU has no AVX2+FMA+F16C: only the portable kernels were checked");
}

TEST_CASE("row tiles: eight rows at once equal the portable row kernel on each row", "[kernels][row_dot]") {
  const bool avx2 = cpu_features().avx2 && cpu_features().fma && cpu_features().f16c;
  if (!avx2) {
    WARN("this CPU has no AVX2+FMA+F16C: no tile to check");
    return;
  }
  CHECK(kernels::row_tile_avx2(DType::q8_k) == nullptr);
  for (DType type : kKernelTypes) {
    const kernels::RowTile tile = kernels::row_tile_avx2(type);
    REQUIRE(tile != nullptr);
    const kernels::ActFormat f = kernels::act_format(type);
    // 1004: float rows whose length is no multiple of the vector width.
    for (int64_t cols : {256, 1536, 1004}) {
      if (cols % dtype_info(type).block_size != 0) continue;
      // Two data sets: normal values, and values at the extremes of every code range (the
      // largest integer products, where a saturating step would show).
      for (int extremes = 0; extremes < 2; ++extremes) {
        // Rows 1..8 of a 10-row matrix: the tile must follow the stride, not assume row 0.
        auto wv = normal_values(static_cast<size_t>(10 * cols), 29 + static_cast<uint32_t>(cols));
        if (extremes)
          for (size_t i = 0; i < wv.size(); ++i) wv[i] = (i / 3) % 2 ? 1.0f : -1.0f;
        const auto w = quantize(type, wv);
        const size_t stride = w.size() / 10;
        // Every token count a tile takes: the k-quants run eight at once, the others four
        // and then the rest.
        constexpr int kActs = kernels::kMaxTileActs;
        std::vector<std::vector<std::byte>> acts;
        const std::byte* ap[kActs];
        for (int j = 0; j < kActs; ++j) {
          auto x = normal_values(static_cast<size_t>(cols), 200 + j);
          if (extremes)
            for (size_t i = 0; i < x.size(); ++i) x[i] = (i / 5 + j) % 2 ? 2.0f : -2.0f;
          acts.emplace_back(kernels::act_row_bytes(f, cols));
          kernels::quantize_act_row(f, x.data(), cols, acts.back().data());
        }
        for (int j = 0; j < kActs; ++j) ap[j] = acts[j].data();
        for (int n = 1; n <= kActs; ++n) {
          float out[kActs * kernels::kTileRows];
          // Alternately with and without the next tile's hint (row 9 on: past the matrix's
          // end, as a hint may be); it must change no result.
          tile(w.data() + stride, stride, n % 2 ? w.data() + 9 * stride : nullptr, ap, n, cols, out);
          for (int r = 0; r < kernels::kTileRows; ++r) {
            for (int j = 0; j < n; ++j) {
              float port;
              kernels::row_dot_portable(type)(w.data() + (r + 1) * stride, ap + j, 1, cols, &port);
              const auto a = dequantized_acts(f, acts[j].data(), cols);
              double magnitude = 0;
              for (int64_t i = 0; i < cols; ++i) magnitude += std::fabs(wv[(r + 1) * cols + i] * a[i]);
              INFO(dtype_name(type) << " cols " << cols << " extremes " << extremes << " n " << n << " row " << r
                                    << " act " << j);
              CHECK(std::fabs(out[j * kernels::kTileRows + r] - port) <= 2e-5 * magnitude + 1e-6);
            }
          }
        }
      }
    }
  }
}

namespace {

// Rows of random codebook-type blocks (no dsinfer quantizer writes these types): every
// index, sign, shift and scale pattern, under a small d of either sign.
std::vector<std::byte> random_codebook_rows(DType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> w(*dtype_bytes(type, static_cast<uint64_t>(rows * cols)));
  for (auto& b : w) b = static_cast<std::byte>(rng() & 0xff);
  const size_t bb = dtype_info(type).block_bytes;
  for (size_t at = 0; at < w.size(); at += bb) {
    const uint16_t d = f32_to_f16((rng() % 2 ? -1.0f : 1.0f) * (0.002f + 0.001f * static_cast<float>(rng() % 16)));
    iq::set_codebook_d_bits(type, reinterpret_cast<uint8_t*>(&w[at]), d);
  }
  return w;
}

}  // namespace

TEST_CASE("codebook types: portable = decoded weights . decoded activations; AVX2 rows and tiles = portable",
          "[kernels][row_dot]") {
  const bool avx2 = cpu_features().avx2 && cpu_features().fma && cpu_features().f16c;
  const int64_t rows = 10, cols = 768;
  for (DType type : {DType::iq2_xxs, DType::iq2_xs, DType::iq2_s, DType::iq3_xxs, DType::iq3_s, DType::iq1_s,
                     DType::iq1_m}) {
    REQUIRE(kernels::act_format(type) == kernels::ActFormat::q8_256);
    const auto w = random_codebook_rows(type, rows, cols, 7 + static_cast<uint32_t>(type));
    const size_t stride = w.size() / rows;
    constexpr int kActs = kernels::kMaxTileActs;
    std::vector<std::vector<std::byte>> acts;
    const std::byte* ap[kActs];
    for (int j = 0; j < kActs; ++j) {
      auto x = normal_values(static_cast<size_t>(cols), 300 + j);
      if (j == kActs - 1)  // the largest activation codes everywhere: the int16 pair sums' worst case
        for (size_t i = 0; i < x.size(); ++i) x[i] = i % 3 ? 1.0f : -1.0f;
      acts.emplace_back(kernels::act_row_bytes(kernels::ActFormat::q8_256, cols));
      kernels::quantize_act_row(kernels::ActFormat::q8_256, x.data(), cols, acts.back().data());
      ap[j] = acts.back().data();
    }
    std::vector<float> port(static_cast<size_t>(rows * kActs));
    std::vector<double> magnitude(port.size());
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<float> wd(static_cast<size_t>(cols));
      dequantize_row(type, w.data() + r * stride, wd.data(), cols);
      for (int j = 0; j < kActs; ++j) {
        const auto a = dequantized_acts(kernels::ActFormat::q8_256, acts[j].data(), cols);
        double exact = 0, mag = 0;
        for (int64_t i = 0; i < cols; ++i) {
          exact += static_cast<double>(wd[i]) * a[i];
          mag += std::fabs(static_cast<double>(wd[i]) * a[i]);
        }
        float p;
        kernels::row_dot_portable(type)(w.data() + r * stride, ap + j, 1, cols, &p);
        INFO(dtype_name(type) << " row " << r << " act " << j);
        REQUIRE(mag > 0);
        CHECK(std::fabs(p - exact) <= 1e-5 * mag);
        port[r * kActs + j] = p;
        magnitude[r * kActs + j] = mag;
      }
    }
    if (!avx2) continue;
    for (int64_t r = 0; r < rows; ++r)
      for (int n = 1; n <= 4; ++n) {
        float fast[4];
        kernels::row_dot_avx2(type)(w.data() + r * stride, ap, n, cols, fast);
        for (int j = 0; j < n; ++j) {
          INFO(dtype_name(type) << " AVX2 row " << r << " n " << n << " act " << j);
          CHECK(std::fabs(fast[j] - port[r * kActs + j]) <= 1e-5 * magnitude[r * kActs + j]);
        }
      }
    const kernels::RowTile tile = kernels::row_tile_avx2(type);
    REQUIRE(tile != nullptr);
    for (int n = 1; n <= kActs; ++n) {
      float out[kActs * kernels::kTileRows];
      tile(w.data() + stride, stride, n % 2 ? w.data() + 9 * stride : nullptr, ap, n, cols, out);
      for (int r = 0; r < kernels::kTileRows; ++r)
        for (int j = 0; j < n; ++j) {
          INFO(dtype_name(type) << " tile n " << n << " row " << r + 1 << " act " << j);
          CHECK(std::fabs(out[j * kernels::kTileRows + r] - port[(r + 1) * kActs + j]) <=
                2e-5 * magnitude[(r + 1) * kActs + j] + 1e-6);
        }
    }
    // Prefill's passes of more tokens than a tile takes unpack eight rows once and tile the
    // expanded form: directly, and through matmul with 20 tokens (rows 0-7 expanded, 8-9 by row).
    const kernels::RowExpand expand = kernels::row_expand(type);
    REQUIRE(expand != nullptr);
    struct alignas(32) Line {
      std::byte b[32];
    };
    const size_t expanded_row = static_cast<size_t>(cols / 256) * kernels::kExpandedBlockBytes;
    std::vector<Line> expanded(kernels::kTileRows * expanded_row / sizeof(Line));
    expand(w.data() + stride, stride, cols, expanded.data()->b);
    for (int n = 1; n <= kActs; ++n) {
      float out[kActs * kernels::kTileRows];
      kernels::expanded_tile()(expanded.data()->b, expanded_row, nullptr, ap, n, cols, out);
      for (int r = 0; r < kernels::kTileRows; ++r)
        for (int j = 0; j < n; ++j) {
          INFO(dtype_name(type) << " expanded tile n " << n << " row " << r + 1 << " act " << j);
          CHECK(std::fabs(out[j * kernels::kTileRows + r] - port[(r + 1) * kActs + j]) <=
                2e-5 * magnitude[(r + 1) * kActs + j] + 1e-6);
        }
    }
    const int64_t tokens = 20;
    const auto x = normal_values(static_cast<size_t>(tokens * cols), 41);
    Matrix m;
    m.dtype = type;
    m.rows = rows;
    m.cols = cols;
    m.data = w.data();
    m.row_bytes = stride;
    std::vector<float> y(static_cast<size_t>(tokens * rows));
    ThreadPool pool(2);
    kernels::matmul(m, x.data(), tokens, cols, y.data(), rows, &pool);
    std::vector<std::byte> a(kernels::act_row_bytes(kernels::ActFormat::q8_256, cols));
    for (int64_t t = 0; t < tokens; ++t) {
      kernels::quantize_act_row(kernels::ActFormat::q8_256, x.data() + t * cols, cols, a.data());
      const std::byte* at = a.data();
      const auto ad = dequantized_acts(kernels::ActFormat::q8_256, a.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        float p;
        kernels::row_dot_portable(type)(w.data() + r * stride, &at, 1, cols, &p);
        std::vector<float> wd(static_cast<size_t>(cols));
        dequantize_row(type, w.data() + r * stride, wd.data(), cols);
        double mag = 0;
        for (int64_t i = 0; i < cols; ++i) mag += std::fabs(static_cast<double>(wd[i]) * ad[i]);
        INFO(dtype_name(type) << " matmul token " << t << " row " << r);
        CHECK(std::fabs(y[t * rows + r] - p) <= 2e-5 * mag + 1e-6);
      }
    }
  }
  if (!avx2) WARN("this CPU has no AVX2+FMA+F16C: only the portable kernels were checked");
}

TEST_CASE("matmul: batched tasks with gathered rows equal row-by-row products, for any thread count", "[kernels][matmul]") {
  // f8_e4m3 has no integer kernel: its rows are decoded to f32 and multiplied there.
  for (DType type : {DType::q4_k, DType::q8_0, DType::q6_k, DType::q3_k, DType::iq1_m, DType::f16, DType::f8_e4m3}) {
    const int64_t rows = 300, cols = 512, n = 7;
    std::vector<std::byte> w;
    if (type == DType::q3_k) {  // random bytes: every mask bit and scale pattern, a small d
      std::mt19937 rng(3);
      w.resize(*dtype_bytes(type, rows * cols));
      for (auto& b : w) b = static_cast<std::byte>(rng() & 0xff);
      for (size_t blk = 0; blk < w.size() / 110; ++blk) { w[blk * 110 + 108] = std::byte{0}; w[blk * 110 + 109] = std::byte{0x20}; }
    } else if (type == DType::iq1_m) {
      w = random_codebook_rows(type, rows, cols, 3);
    } else {
      w = quantize(type, normal_values(static_cast<size_t>(rows * cols), 9));
    }
    Matrix m;
    m.dtype = type;
    m.rows = rows;
    m.cols = cols;
    m.data = w.data();
    m.row_bytes = *dtype_bytes(type, cols);
    const auto x = normal_values(static_cast<size_t>(10 * cols), 4);
    const int32_t pick[n] = {9, 0, 3, 3, 7, 1, 5};
    std::vector<float> expected(static_cast<size_t>(n * rows)), magnitude(expected.size());
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        kernels::decode_row(m, r, row.data());
        double s = 0, mag = 0;
        for (int64_t c = 0; c < cols; ++c) {
          s += static_cast<double>(row[c]) * x[pick[i] * cols + c];
          mag += std::fabs(static_cast<double>(row[c]) * x[pick[i] * cols + c]);
        }
        expected[i * rows + r] = static_cast<float>(s);
        magnitude[i * rows + r] = static_cast<float>(mag);
      }
    }
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      kernels::Activations acts(x.data(), 10, cols, cols);
      std::vector<float> y(static_cast<size_t>(n * rows), -1.0f), y2(static_cast<size_t>(2 * rows), -1.0f);
      const kernels::MatmulTask tasks[2] = {{&m, &acts, pick, n, y.data(), rows},
                                            {&m, &acts, nullptr, 2, y2.data(), rows}};
      kernels::matmul(tasks, &pool);
      for (int64_t i = 0; i < n * rows; ++i) {
        INFO(dtype_name(type) << " threads " << threads << " output " << i);
        REQUIRE(std::fabs(y[i] - expected[i]) <= 0.01 * magnitude[i]);
      }
      for (int64_t r = 0; r < rows; ++r) REQUIRE(y2[r] == y[1 * rows + r]);  // x row 0 is pick[1]
      results.push_back(y);
    }
    CHECK(results[0] == results[1]);
    CHECK(results[0] == results[2]);
  }
}

TEST_CASE("interleaved row groups: the same products as the rows they were made from", "[kernels][row_groups]") {
  const int64_t rows = 48, cols = 1536;
  for (DType type : {DType::q8_0, DType::q5_0, DType::q4_0, DType::q4_1, DType::q5_1, DType::iq4_nl, DType::q4_k, DType::q5_k,
                     DType::iq4_xs}) {
    // Quantized normal values, then raw code bytes: every bit pattern, q8_0's -128 included,
    // which no quantizer writes but a file may hold (the kernel's sign trick must take it).
    for (int raw = 0; raw < 2; ++raw) {
      std::vector<std::byte> w = quantize(type, normal_values(static_cast<size_t>(rows * cols), 31));
      const size_t bb = dtype_info(type).block_bytes,
                   header = type == DType::q4_k || type == DType::q5_k || type == DType::q4_1 || type == DType::q5_1 ||
                                    type == DType::iq4_xs
                                ? 4
                                : 2;
      if (raw) {
        std::mt19937 rng(5);
        for (size_t i = 0; i < w.size(); ++i)
          if (i % bb >= header) w[i] = static_cast<std::byte>(rng() & 0xff);
      }
      const uint64_t row_bytes = w.size() / rows;
      std::vector<std::byte> g(w.size());
      kernels::interleave_rows(type, w.data(), row_bytes, rows, g.data());
      Matrix m{type, rows, cols, w.data(), row_bytes};
      Matrix mg = m;
      mg.data = g.data();
      mg.interleaved = true;
      // Back to rows, byte for byte; decoded rows (the fallback paths) equal too.
      std::vector<std::byte> back(row_bytes);
      std::vector<float> a(static_cast<size_t>(cols)), b(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        kernels::deinterleave_row(mg, r, back.data());
        REQUIRE(std::memcmp(back.data(), m.row(r), row_bytes) == 0);
        kernels::decode_row(m, r, a.data());
        kernels::decode_row(mg, r, b.data());
        REQUIRE(a == b);
      }
      // Every variant this CPU runs, not only the one group_dot() picks: the AVX2 kernels
      // must stay right on a machine that would pick AVX-512.
      std::vector<std::pair<const char*, kernels::GroupDot>> variants;
      if (cpu_features().avx2_fma() && cpu_features().f16c) variants.emplace_back("avx2", kernels::group_dot_avx2(type));
      if (cpu_features().avx512_vnni())
        if (kernels::GroupDot k = kernels::group_dot_avx512(type)) variants.emplace_back("avx512-vnni", k);
      if (variants.empty()) {
        WARN("this CPU has no group kernel: only the layout was checked");
        continue;
      }
      // The kernel against the portable row kernel on every row, for each token count.
      const kernels::ActFormat f = kernels::act_format(type);
      constexpr int kActs = kernels::kMaxGroupActs;
      std::vector<std::vector<std::byte>> acts;
      const std::byte* ap[kActs];
      for (int j = 0; j < kActs; ++j) {
        auto x = normal_values(static_cast<size_t>(cols), 300 + j);
        acts.emplace_back(kernels::act_row_bytes(f, cols));
        kernels::quantize_act_row(f, x.data(), cols, acts.back().data());
        ap[j] = acts.back().data();
      }
      for (const auto& [isa, group] : variants)
      for (int n = 1; n <= kActs; ++n) {
        for (int64_t r0 = 0; r0 < rows; r0 += kernels::kGroupRows) {
          float out[kActs * kernels::kGroupRows], first[kActs * kernels::kGroupRows];
          group(mg.row(r0), ap, n, cols, out);
          // The same integer sums and float steps in every variant: the same bits.
          variants.front().second(mg.row(r0), ap, n, cols, first);
          INFO(isa << " against " << variants.front().first << " " << dtype_name(type) << " n " << n);
          REQUIRE(std::memcmp(out, first, sizeof(float) * n * kernels::kGroupRows) == 0);
          for (int j = 0; j < n; ++j)
            for (int r = 0; r < kernels::kGroupRows; ++r) {
              float port;
              kernels::row_dot_portable(type)(m.row(r0 + r), ap + j, 1, cols, &port);
              const auto av = dequantized_acts(f, acts[j].data(), cols);
              kernels::decode_row(m, r0 + r, a.data());
              double magnitude = 0;
              for (int64_t i = 0; i < cols; ++i) magnitude += std::fabs(a[i] * av[i]);
              INFO(isa << " " << dtype_name(type) << " raw " << raw << " n " << n << " row " << r0 + r << " act " << j);
              CHECK(std::fabs(out[j * kernels::kGroupRows + r] - port) <= 2e-5 * magnitude + 1e-6);
            }
        }
      }
      // Two groups at once (AVX-512): each half is the AVX2 group kernel's result, bit for bit.
      if (const kernels::GroupPairDot pair = kernels::group_pair_dot(type))
        for (int n = 1; n <= kActs; ++n)
          for (int64_t r0 = 0; r0 + 2 * kernels::kGroupRows <= rows; r0 += 2 * kernels::kGroupRows) {
            float both[kActs * 2 * kernels::kGroupRows], one[kActs * kernels::kGroupRows];
            pair(mg.row(r0), kernels::kGroupRows * row_bytes, ap, n, cols, both);
            for (int half = 0; half < 2; ++half) {
              variants.front().second(mg.row(r0 + half * kernels::kGroupRows), ap, n, cols, one);
              for (int j = 0; j < n; ++j) {
                INFO("pair " << dtype_name(type) << " raw " << raw << " n " << n << " rows " << r0 << " half " << half);
                REQUIRE(std::memcmp(both + j * 2 * kernels::kGroupRows + half * kernels::kGroupRows,
                                    one + j * kernels::kGroupRows, sizeof(float) * kernels::kGroupRows) == 0);
              }
            }
          }
      // Through matmul, with one token and with several, on any thread count: the groups'
      // results are the row tiles' (the same integer sums, the same float order).
      const auto x = normal_values(static_cast<size_t>(7 * cols), 8);
      for (int64_t n : {1, 7}) {
        std::vector<float> y_rows(static_cast<size_t>(n * rows)), y_groups(y_rows.size());
        ThreadPool one(1);
        kernels::matmul(m, x.data(), n, cols, y_rows.data(), rows, &one);
        for (int threads : {1, 2, 3}) {
          ThreadPool pool(threads);
          kernels::matmul(mg, x.data(), n, cols, y_groups.data(), rows, &pool);
          for (size_t i = 0; i < y_rows.size(); ++i) {
            INFO(dtype_name(type) << " raw " << raw << " tokens " << n << " threads " << threads << " output " << i);
            if (n > 1)
              REQUIRE(y_groups[i] == y_rows[i]);
            else
              REQUIRE(std::fabs(y_groups[i] - y_rows[i]) <= 1e-4f * (1.0f + std::fabs(y_rows[i])));
          }
        }
      }
    }
  }
}

#include "kernels/float_gemm.hpp"

TEST_CASE("float weights with many tokens: the GEMM path against double-precision products", "[kernels][gemm]") {
  // 300 rows: two full units and a short one; tokens past the threshold, read in place with
  // a stride and gathered through rows_of_x.
  const int64_t rows = 300, cols = 200, n = kernels::kGemmMinTokens + 9, ldx = cols + 3;
  const auto x = normal_values(static_cast<size_t>(2 * n * ldx), 41);
  std::vector<int32_t> picked(static_cast<size_t>(n));
  for (int64_t t = 0; t < n; ++t) picked[static_cast<size_t>(t)] = static_cast<int32_t>((7 * t + 3) % (2 * n));
  for (DType type : {DType::f32, DType::f16, DType::bf16}) {
    const auto w = quantize(type, normal_values(static_cast<size_t>(rows * cols), 42));
    const Matrix m{type, rows, cols, w.data(), w.size() / rows};
    std::vector<float> wd(static_cast<size_t>(rows * cols));
    dequantize_row(type, w.data(), wd.data(), rows * cols);
    const int32_t* gathers[] = {nullptr, picked.data()};
    for (const int32_t* rows_of_x : gathers) {
      kernels::Activations acts(x.data(), 2 * n, cols, ldx);
      const kernels::MatmulTask probe{&m, &acts, rows_of_x, n, nullptr, rows};
      if (!kernels::uses_float_gemm(probe)) {
        WARN("this CPU has no AVX2+FMA+F16C: the GEMM path is not taken");
        return;
      }
      std::vector<std::vector<float>> results;
      for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        std::vector<float> y(static_cast<size_t>(n * rows), -1.0f);
        kernels::MatmulTask task = probe;
        task.y = y.data();
        kernels::matmul(std::span<const kernels::MatmulTask>(&task, 1), &pool);
        results.push_back(y);
      }
      for (int64_t t = 0; t < n; ++t) {
        const float* xt = x.data() + (rows_of_x ? rows_of_x[t] : t) * ldx;
        for (int64_t r = 0; r < rows; ++r) {
          double ref = 0, magnitude = 0;
          for (int64_t k = 0; k < cols; ++k) {
            ref += static_cast<double>(wd[r * cols + k]) * xt[k];
            magnitude += std::fabs(static_cast<double>(wd[r * cols + k]) * xt[k]);
          }
          INFO(dtype_name(type) << " gathered " << (rows_of_x != nullptr) << " token " << t << " row " << r);
          REQUIRE(std::fabs(results[0][t * rows + r] - ref) <= 1e-5 * magnitude + 1e-6);
        }
      }
      // Units have a fixed shape, so the float order does not follow the thread count.
      CHECK(results[0] == results[1]);
      CHECK(results[0] == results[2]);
    }
  }
}

#include "dsinfer/half.hpp"
#include "kernels/attention.hpp"

TEST_CASE("attention products: AVX2 and AVX-512 tiles agree with the portable definition", "[kernels][attention]") {
  const bool avx2 = cpu_features().avx2_fma() && cpu_features().f16c;
  // The variant attention_scores() picks, and every other one this CPU runs.
  struct Variant {
    const char* name;
    decltype(&kernels::attention_scores) scores;
    decltype(&kernels::attention_mix) mix;
  };
  std::vector<Variant> variants{{"best", kernels::attention_scores, kernels::attention_mix}};
  if (avx2) variants.push_back({"avx2", kernels::attention_scores_avx2, kernels::attention_mix_avx2});
  if (avx2 && cpu_features().avx512f)
    variants.push_back({"avx512", kernels::attention_scores_avx512, kernels::attention_mix_avx512});
  const auto q = normal_values(140 * 600, 1), kf = normal_values(140 * 600, 2);
  std::vector<uint16_t> k(kf.size());  // cached rows are halves
  for (size_t i = 0; i < k.size(); ++i) k[i] = f32_to_f16(kf[i]);
  for (int g : {1, 3, 4, 8, 11})
    for (int64_t n : {1, 4, 5, 37, 139})  // 139: more than one of the mix's 64-row blocks
      for (int64_t dim : {64, 512, 520, 12}) {
        INFO("g " << g << " n " << n << " dim " << dim);
        // One term, and two as MLA has them (the second from other rows with their own
        // strides: the rope key beside the latent).
        const kernels::ScoreTerm terms[2] = {{q.data(), 600, k.data(), 600, dim}, {q.data() + 520, 600, k.data() + 7, 72, 64}};
        for (const Variant& variant : variants)
        for (int n_terms : {1, 2}) {
          INFO(variant.name << " terms " << n_terms);
          std::vector<float> a(static_cast<size_t>(g * 140), 0.5f), b = a;
          kernels::attention_scores_portable(terms, n_terms, g, n, a.data(), 140);
          variant.scores(terms, n_terms, g, n, b.data(), 140);
          for (size_t i = 0; i < a.size(); ++i) REQUIRE(std::fabs(a[i] - b[i]) <= 1e-4f * (1.0f + std::fabs(a[i])));
          // The definition itself, in double, for one head and row.
          double want = 0.0;
          for (int t = 0; t < n_terms; ++t)
            for (int64_t i = 0; i < terms[t].dim; ++i)
              want += double(terms[t].q[(g - 1) * 600 + i]) * double(f16_to_f32(terms[t].k[(n - 1) * terms[t].ldk + i]));
          CHECK(std::fabs(b[(g - 1) * 140 + n - 1] - want) <= 1e-4 * (1.0 + std::fabs(want)));
          CHECK(b[(g - 1) * 140 + n] == 0.5f);  // nothing past the n rows written
        }
        for (const Variant& variant : variants)
        for (bool accumulate : {false, true}) {
          INFO(variant.name << " accumulate " << accumulate);
          std::vector<float> c(static_cast<size_t>(g * 600), 0.25f), d(c.size(), 0.25f);
          kernels::attention_mix_portable(q.data(), 600, g, k.data(), 600, n, dim, c.data(), 600, accumulate);
          variant.mix(q.data(), 600, g, k.data(), 600, n, dim, d.data(), 600, accumulate);
          for (int j = 0; j < g; ++j)
            for (int64_t i = 0; i < dim; ++i)
              REQUIRE(std::fabs(c[j * 600 + i] - d[j * 600 + i]) <= 1e-4f * (1.0f + std::fabs(c[j * 600 + i])));
          // The definition, in double, for the last head and value.
          double want = accumulate ? 0.25 : 0.0;
          for (int64_t p = 0; p < n; ++p) want += double(q[(g - 1) * 600 + p]) * double(f16_to_f32(k[p * 600 + dim - 1]));
          CHECK(std::fabs(d[(g - 1) * 600 + dim - 1] - want) <= 1e-4 * (1.0 + std::fabs(want)));
        }
      }
  if (!avx2) WARN("this CPU has no AVX2+FMA+F16C: only the portable kernels were compared with themselves");
}

#include <limits>

#include "kernels/ops.hpp"

TEST_CASE("vector exponentials: AVX2 SwiGLU and softmax numerators follow std::exp", "[kernels][ops]") {
  if (!cpu_features().avx2_fma()) {
    WARN("this CPU has no AVX2+FMA: nothing to compare");
    return;
  }
  // Every exponent range a float has, the clamps' edges, and a tail that is no multiple of 8.
  std::vector<float> x;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> wide(-95.0f, 95.0f), narrow(-3.0f, 3.0f);
  for (int i = 0; i < 4000; ++i) x.push_back(i % 2 ? wide(rng) : narrow(rng));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -87.0f, 88.37f, -88.37f, 0.5f * std::log(2.0f)}) x.push_back(v);
  x.push_back(3.0f);
  x.push_back(-3.0f);
  x.push_back(0.25f);
  const std::vector<float> up = normal_values(x.size(), 12);

  // Softmax numerators: e^(x - shift) for x - shift <= 0, as attention uses them.
  for (float shift : {0.0f, 95.0f, 3.0f}) {
    std::vector<float> a(x), b(x);
    for (float& v : a) v = std::min(v, shift);
    b = a;
    const float sa = kernels::exp_shifted_sum_portable(a.data(), static_cast<int64_t>(a.size()), shift);
    const float sb = kernels::exp_shifted_sum_avx2(b.data(), static_cast<int64_t>(b.size()), shift);
    for (size_t i = 0; i < a.size(); ++i) {
      INFO("shift " << shift << " x " << x[i]);
      if (a[i] < 1e-37f) CHECK(b[i] <= 1e-37f);  // where expf goes denormal, 0 is as good
      else CHECK(std::fabs(b[i] - a[i]) <= 3e-7f * a[i]);
    }
    CHECK(std::fabs(sb - sa) <= 1e-5f * sa);
  }

  std::vector<float> ga(x), gb(x);
  kernels::swiglu_portable(ga.data(), up.data(), static_cast<int64_t>(ga.size()));
  kernels::swiglu_avx2(gb.data(), up.data(), static_cast<int64_t>(gb.size()));
  for (size_t i = 0; i < ga.size(); ++i) {
    INFO("x " << x[i]);
    // Below -88 silu is under 1e-36 either way (std::exp overflows to give -0, the
    // vector exp's clamp a few 1e-37).
    CHECK(std::fabs(gb[i] - ga[i]) <= 5e-7f * std::fabs(ga[i]) + 1e-35f);
  }

  // NaN stays NaN; -inf gives a 0 numerator; +inf in SwiGLU is +inf * up.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> odd(8, 1.0f);
  odd[1] = nan;
  odd[2] = -inf;
  const float s = kernels::exp_shifted_sum_avx2(odd.data(), 8, 0.0f);
  CHECK(std::isnan(odd[1]));
  CHECK(odd[2] == 0.0f);
  CHECK(std::isnan(s));
  std::vector<float> g(8, 1.0f), u(8, 2.0f);
  g[3] = nan;
  g[4] = inf;
  kernels::swiglu_avx2(g.data(), u.data(), 8);
  CHECK(std::isnan(g[3]));
  CHECK(g[4] == inf);
}
