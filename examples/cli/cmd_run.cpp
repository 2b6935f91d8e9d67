// dsinfer run: stream a completion, then report prompt and generation speed.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "commands.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/session.hpp"

namespace cli {

// Draws a load progress bar on stderr (only when stderr is a terminal-like stream; CI logs
// get a single final line).
std::function<void(float)> progress_bar(const char* what) {
  return [what, last = -1](float f) mutable {
    const int pct = static_cast<int>(f * 100.0f);
    if (pct == last) return;
    last = pct;
    const int width = 30, fill = pct * width / 100;
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%%", what, fill, "##############################", width - fill, "", pct);
    if (pct >= 100) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

int cmd_run(const std::vector<std::string>& args) {
  std::string model_path, prompt = "Once upon a time";
  dsinfer::GenerateParams gp;
  gp.max_tokens = 64;
  int threads = 0;
  int64_t n_ctx = 4096;
  std::string ids_out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("run: ") + opt + " needs a value");
      return args[++i];
    };
    auto number = [&](const char* opt) {
      const std::string v = value(opt);
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end) throw UsageError(std::string("run: ") + opt + " needs a number, got '" + v + "'");
      return d;
    };
    const std::string& a = args[i];
    if (a == "--model" || a == "-m") model_path = value("--model");
    else if (a == "-p" || a == "--prompt") prompt = value("-p");
    else if (a == "-n" || a == "--max-tokens") gp.max_tokens = static_cast<int32_t>(number("-n"));
    else if (a == "--temp") gp.sampling.temperature = static_cast<float>(number("--temp"));
    else if (a == "--top-p") gp.sampling.top_p = static_cast<float>(number("--top-p"));
    else if (a == "--top-k") gp.sampling.top_k = static_cast<int32_t>(number("--top-k"));
    else if (a == "--min-p") gp.sampling.min_p = static_cast<float>(number("--min-p"));
    else if (a == "--seed") gp.sampling.seed = static_cast<uint64_t>(number("--seed"));
    else if (a == "--threads" || a == "-t") threads = static_cast<int>(number("--threads"));
    else if (a == "--ctx") n_ctx = static_cast<int64_t>(number("--ctx"));
    else if (a == "--stop") gp.stop.push_back(value("--stop"));
    else if (a == "--ids-out") ids_out = value("--ids-out");
    else throw UsageError("run: unknown argument " + a);
  }
  dsinfer::LoadOptions lo;
  lo.threads = threads;
  std::shared_ptr<const dsinfer::Model> model;
  if (model_path.empty()) {
    std::fprintf(stderr,
                 "dsinfer: no --model given, running the built-in default: a small DeepSeek-V2-architecture model\n"
                 "         (MLA + MoE) with random weights. It exercises the whole pipeline, but its output is NOT\n"
                 "         meaningful text. Point it at a real model with --model FILE.gguf or --model HF_DIR.\n");
    model = dsinfer::Model::load_builtin(lo);
  } else {
    lo.progress = progress_bar("loading");
    model = dsinfer::Model::load(model_path, lo);
  }
  dsinfer::SessionParams sp;
  sp.n_ctx = n_ctx;
  dsinfer::Session session(model, sp);
  const auto result = session.generate(prompt, gp, [](const dsinfer::TokenEvent& ev) {
    std::fputs(ev.text.c_str(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputs("\n", stdout);
  if (!ids_out.empty()) {
    // The generated ids as a JSON array: what the bindings' tests compare against.
    std::FILE* f = std::fopen(ids_out.c_str(), "w");
    if (!f) throw dsinfer::Error(dsinfer::ErrorCode::io, "run: cannot write " + ids_out);
    std::fputc('[', f);
    for (size_t i = 0; i < result.tokens.size(); ++i) std::fprintf(f, "%s%d", i ? "," : "", static_cast<int>(result.tokens[i]));
    std::fputs("]\n", f);
    std::fclose(f);
  }
  const double pp = result.prefill_seconds > 0 ? static_cast<double>(result.prompt_tokens) / result.prefill_seconds : 0;
  const double tg = result.decode_seconds > 0 ? static_cast<double>(result.tokens.size()) / result.decode_seconds : 0;
  std::fprintf(stderr, "prompt: %lld tokens, %.1f tokens/s | generation: %zu tokens, %.1f tokens/s | stopped: %s | threads: %d\n",
               static_cast<long long>(result.prompt_tokens), pp, result.tokens.size(), tg,
               dsinfer::stop_reason_name(result.stop), model->pool().size());
  return 0;
}

}  // namespace cli
