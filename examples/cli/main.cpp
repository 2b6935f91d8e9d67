// dsinfer: the command-line front end of the library.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dsinfer/cpu_features.hpp"
#include "dsinfer/error.hpp"
#include "dsinfer/thread_pool.hpp"
#include "dsinfer/version.hpp"

namespace {

const char* kUsage =
    "usage: dsinfer <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [--model PATH] [-p PROMPT] [-n N] [--temp T] [--top-p P] [--top-k K] [--min-p P]\n"
    "      [--seed S] [--threads N] [--ctx N] [--stop STR] [--ids-out FILE.json]\n"
    "                          stream a completion and report tokens/s (no --model: the built-in\n"
    "                          default, a tiny random-weight DeepSeek-V2-architecture model)\n"
    "  chat [--model PATH] [--system TEXT] [-n N] [--temp T] [--seed S] [--threads N] [--ctx N]\n"
    "                          interactive chat with the model's own chat template; Ctrl-C stops\n"
    "                          the current answer, Ctrl-D quits\n"
    "  template (--model PATH | --tokenizer-dir DIR) --messages FILE.json [--add-generation-prompt]\n"
    "                          print the chat template rendered for a JSON list of messages\n"
    "  info PATH [--tensors]   describe a GGUF file, a .safetensors file or a Hugging Face\n"
    "                          model directory: architecture, metadata, tensors per type\n"
    "  logits --model PATH --tokens 1,2,3 --out FILE.npy [--last] [--threads N]\n"
    "                          run a model on token ids; save float32 logits [tokens, vocab]\n"
    "  tokenize (--model PATH | --tokenizer tokenizer.json) [--add-special] [--no-parse-special]\n"
    "           (TEXT | --jsonl FILE)\n"
    "                          token ids as a JSON array (one array per {\"text\": ...} line)\n"
    "  detokenize (--model PATH | --tokenizer tokenizer.json) [--skip-special] '[ids]'\n"
    "                          the text of token ids\n"
    "  bench --model PATH [-p 512] [-n 64] [--threads N] [--reps R] [--depth D] [--chunk C] [--json]\n"
    "        [--no-repack]     prefill and decode tokens/s beside the read bandwidth and sgemm\n"
    "                          peak measured in the same run (--depth: decode also at a D-token\n"
    "                          context; --no-repack: keep weights in the file's layout)\n"
    "  sample-gguf PATH        write a small synthetic GGUF file (a smoke test for info)\n"
    "  version                 print the library version\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  try {
    if (cmd == "info") return cli::cmd_info(args);
    if (cmd == "run") return cli::cmd_run(args);
    if (cmd == "chat") return cli::cmd_chat(args);
    if (cmd == "template") return cli::cmd_template(args);
    if (cmd == "logits") return cli::cmd_logits(args);
    if (cmd == "tokenize") return cli::cmd_tokenize(args);
    if (cmd == "detokenize") return cli::cmd_detokenize(args);
    if (cmd == "sample-gguf") return cli::cmd_sample_gguf(args);
    if (cmd == "bench") return cli::cmd_bench(args);
    if (cmd == "version") {
      std::printf("dsinfer %s\nkernels: %s\nphysical cores: %d\n", dsinfer::version_string(),
                  dsinfer::cpu_kernel_family(), dsinfer::physical_core_count());
      return 0;
    }
    throw cli::UsageError("unknown command '" + cmd + "'");
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "dsinfer: %s\n\n%s", e.what(), kUsage);
    return 2;
  } catch (const dsinfer::Error& e) {
    std::fprintf(stderr, "dsinfer: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dsinfer: error: %s\n", e.what());
    return 1;
  }
}
