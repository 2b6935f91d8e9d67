// dsinfer logits: run a model on token ids and save the logits as a NumPy .npy file, the
// hook for comparing dsinfer with any reference implementation.
#include <cstdio>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "commands.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/model.hpp"

namespace cli {
namespace {

std::vector<int32_t> parse_tokens(const std::string& s) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    const std::string tok = s.substr(i, j - i);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(tok.c_str(), &end, 10);
    if (tok.empty() || *end != '\0' || errno || v < 0 || v > INT32_MAX)
      throw UsageError("logits: '" + tok + "' in --tokens is not a token id");
    out.push_back(static_cast<int32_t>(v));
    i = j + 1;
  }
  if (out.empty()) throw UsageError("logits: --tokens is empty");
  return out;
}

// NumPy format 1.0: magic, version, header length, a Python dict literal padded so the data
// starts on a 64-byte boundary.
void write_npy(const std::string& path, const float* data, int64_t rows, int64_t cols, bool two_d) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     (two_d ? std::to_string(rows) + ", " + std::to_string(cols) : std::to_string(cols) + ",") + "), }";
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw dsinfer::Error(dsinfer::ErrorCode::io, path + ": cannot open for writing");
  const uint16_t hlen = static_cast<uint16_t>(dict.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.write(reinterpret_cast<const char*>(&hlen), 2);
  f.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * 4));
  if (!f) throw dsinfer::Error(dsinfer::ErrorCode::io, path + ": write failed");
}

}  // namespace

int cmd_logits(const std::vector<std::string>& args) {
  std::string model_path, out_path, tokens_arg;
  bool last = false;
  int threads = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("logits: ") + opt + " needs a value");
      return args[++i];
    };
    if (args[i] == "--model") model_path = value("--model");
    else if (args[i] == "--tokens") tokens_arg = value("--tokens");
    else if (args[i] == "--out") out_path = value("--out");
    else if (args[i] == "--threads") threads = std::atoi(value("--threads").c_str());
    else if (args[i] == "--last") last = true;
    else throw UsageError("logits: unknown argument " + args[i]);
  }
  if (model_path.empty() || tokens_arg.empty() || out_path.empty())
    throw UsageError("logits: needs --model PATH --tokens IDS --out FILE.npy");
  const auto tokens = parse_tokens(tokens_arg);
  dsinfer::LoadOptions opts;
  opts.threads = threads;
  const auto model = dsinfer::Model::load(model_path, opts);
  const int64_t V = model->config().vocab_size;
  const int64_t n = static_cast<int64_t>(tokens.size());
  auto cache = model->new_cache(n);
  auto router = model->new_router();
  std::vector<float> logits(static_cast<size_t>(last ? V : n * V));
  model->forward(tokens, cache, router, logits, !last);
  write_npy(out_path, logits.data(), last ? 1 : n, V, !last);
  std::fprintf(stderr, "wrote %s: %s logits for %lld token%s\n", out_path.c_str(), last ? "last-position" : "all-position",
               static_cast<long long>(n), n == 1 ? "" : "s");
  return 0;
}

}  // namespace cli
