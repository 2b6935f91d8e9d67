// Each ISA variant of a kernel against its portable definition, on this CPU when it can
// run them.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dsinfer/cpu_features.hpp"
#include "kernels/dot.hpp"

using namespace dsinfer;

TEST_CASE("dot_f32: AVX2 agrees with the portable kernel at every length", "[kernels]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(1000), b(1000);
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  const bool avx2 = cpu_features().avx2 && cpu_features().fma;
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
