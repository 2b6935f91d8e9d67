// Tokenizer speed: loading a tokenizer.json and encoding 1 MB of mixed English and Chinese
// text on one core (targets: load < 0.3 s, encode < 0.5 s), beside a single-core memcpy of
// the same text in the same run, the floor no tokenizer can beat.
//   bench_tokenizer TOKENIZER_DIR [MB]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dsinfer/tokenizer.hpp"

using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_tokenizer TOKENIZER_DIR [MB]\n");
    return 2;
  }
  const double mb = argc > 2 ? std::atof(argv[2]) : 1.0;
  auto t0 = Clock::now();
  const auto tok = dsinfer::Tokenizer::from_hf_dir(argv[1]);
  const double load_s = since(t0);

  const std::string en =
      "The quick brown fox jumps over the lazy dog while the committee reviews 1,234 proposals in 2026. ";
  const std::string zh = "深度求索的模型在本地运行，数据不会离开医院、银行和律师事务所的机器。";
  std::string text;
  const size_t target = static_cast<size_t>(mb * 1e6);
  for (int i = 0; text.size() < target; ++i) text += (i % 3 == 2) ? zh : en;

  std::vector<char> copy(text.size());
  t0 = Clock::now();
  for (int r = 0; r < 10; ++r) std::memcpy(copy.data(), text.data(), text.size());
  const double copy_s = since(t0) / 10;

  t0 = Clock::now();
  const auto ids = tok->encode(text);
  const double enc_s = since(t0);
  std::printf("tokenizer load: %.3f s (target < 0.3 s)\n", load_s);
  std::printf("encode %.2f MB -> %zu tokens: %.3f s, %.2f MB/s (target < 0.5 s for 1 MB: %.0f%% of the budget)\n",
              static_cast<double>(text.size()) / 1e6, ids.size(), enc_s, static_cast<double>(text.size()) / 1e6 / enc_s,
              100.0 * enc_s / (0.5 * static_cast<double>(text.size()) / 1e6));
  std::printf("memcpy of the same text: %.5f s (%.0f MB/s); encode is %.0fx slower than copying\n", copy_s,
              static_cast<double>(text.size()) / 1e6 / copy_s, enc_s / copy_s);
  return 0;
}
