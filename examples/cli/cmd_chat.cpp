// dsinfer chat: an interactive conversation rendered with the model's own chat template.
// Each turn feeds only what the cache does not already hold. Ctrl-C stops the answer being
// written, not the program; Ctrl-D (end of input) quits.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>

#include "commands.hpp"
#include "dsinfer/chat_template.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/session.hpp"

namespace cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) { g_interrupted.store(true); }

}  // namespace

std::function<void(float)> progress_bar(const char* what);

int cmd_chat(const std::vector<std::string>& args) {
  std::string model_path, system_prompt;
  dsinfer::GenerateParams gp;
  gp.max_tokens = 1024;
  gp.sampling.temperature = 0.6f;
  int threads = 0;
  int64_t n_ctx = 4096;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("chat: ") + opt + " needs a value");
      return args[++i];
    };
    auto number = [&](const char* opt) {
      const std::string v = value(opt);
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end) throw UsageError(std::string("chat: ") + opt + " needs a number, got '" + v + "'");
      return d;
    };
    const std::string& a = args[i];
    if (a == "--model" || a == "-m") model_path = value("--model");
    else if (a == "--system") system_prompt = value("--system");
    else if (a == "-n" || a == "--max-tokens") gp.max_tokens = static_cast<int32_t>(number("-n"));
    else if (a == "--temp") gp.sampling.temperature = static_cast<float>(number("--temp"));
    else if (a == "--top-p") gp.sampling.top_p = static_cast<float>(number("--top-p"));
    else if (a == "--seed") gp.sampling.seed = static_cast<uint64_t>(number("--seed"));
    else if (a == "--threads" || a == "-t") threads = static_cast<int>(number("--threads"));
    else if (a == "--ctx") n_ctx = static_cast<int64_t>(number("--ctx"));
    else throw UsageError("chat: unknown argument " + a);
  }
  dsinfer::LoadOptions lo;
  lo.threads = threads;
  std::shared_ptr<const dsinfer::Model> model;
  if (model_path.empty()) {
    std::fprintf(stderr, "dsinfer: no --model given: chatting with the built-in default (random weights, its replies are noise)\n");
    model = dsinfer::Model::load_builtin(lo);
  } else {
    lo.progress = progress_bar("loading");
    model = dsinfer::Model::load(model_path, lo);
  }
  const dsinfer::Tokenizer& tok = model->require_tokenizer();
  if (tok.chat_template().empty())
    throw dsinfer::Error(dsinfer::ErrorCode::unsupported, model_path + ": the model carries no chat template");
  const auto tmpl = dsinfer::ChatTemplate::parse(tok.chat_template());
  dsinfer::SessionParams sp;
  sp.n_ctx = n_ctx;
  dsinfer::Session session(model, sp);
  gp.add_special = false;  // the template writes BOS itself

  std::signal(SIGINT, on_sigint);
  std::vector<dsinfer::ChatMessage> messages;
  if (!system_prompt.empty()) messages.push_back({"system", system_prompt});
  const bool interactive = isatty(STDIN_FILENO);
  std::string line;
  for (;;) {
    if (interactive) std::fputs("\n> ", stderr);
    g_interrupted.store(false);
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    messages.push_back({"user", line});
    const std::string rendered = tmpl.render(messages, true, tok.bos_token(), tok.eos_token());
    const auto ids = tok.encode(rendered, false, true);
    // Feed only what the cache does not hold yet.
    const auto& hist = session.history();
    size_t keep = 0;
    while (keep < hist.size() && keep < ids.size() && hist[keep] == ids[keep]) ++keep;
    if (keep == ids.size()) --keep;
    session.truncate(static_cast<int64_t>(keep));
    // Templates that open the reasoning block themselves (R1) would hide it: show it.
    if (rendered.size() >= 8 && rendered.compare(rendered.size() - 8, 8, "<think>\n") == 0) std::fputs("<think>\n", stdout);
    const auto r = session.generate_tokens(std::span(ids).subspan(keep), gp, [](const dsinfer::TokenEvent& ev) {
      std::fputs(ev.text.c_str(), stdout);
      std::fflush(stdout);
      return !g_interrupted.load();
    });
    std::fputs("\n", stdout);
    if (r.stop == dsinfer::StopReason::cancelled) std::fputs("[stopped]\n", stderr);
    if (r.stop == dsinfer::StopReason::context_full) std::fputs("[the context is full]\n", stderr);
    messages.push_back({"assistant", r.text});
  }
  return 0;
}

}  // namespace cli
