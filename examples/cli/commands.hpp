// Subcommands of the dsinfer CLI. Each returns the process exit code; usage mistakes
// throw UsageError (exit 2), bad input throws dsinfer::Error (exit 1).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int cmd_info(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_chat(const std::vector<std::string>& args);
int cmd_template(const std::vector<std::string>& args);
int cmd_sample_gguf(const std::vector<std::string>& args);
int cmd_logits(const std::vector<std::string>& args);
int cmd_tokenize(const std::vector<std::string>& args);
int cmd_detokenize(const std::vector<std::string>& args);
int cmd_bench(const std::vector<std::string>& args);

}  // namespace cli
