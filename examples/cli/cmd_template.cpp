// dsinfer template: render a model's own chat template for a list of messages.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dsinfer/chat_template.hpp"
#include "dsinfer/error.hpp"
#include "tokenizer_source.hpp"

namespace cli {

int cmd_template(const std::vector<std::string>& args) {
  std::string model, dir, messages_path;
  bool add_generation_prompt = false;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("template: ") + opt + " needs a value");
      return args[++i];
    };
    if (args[i] == "--model") model = value("--model");
    else if (args[i] == "--tokenizer-dir") dir = value("--tokenizer-dir");
    else if (args[i] == "--messages") messages_path = value("--messages");
    else if (args[i] == "--add-generation-prompt") add_generation_prompt = true;
    else throw UsageError("template: unknown argument " + args[i]);
  }
  if (messages_path.empty()) throw UsageError("template: needs --messages FILE.json");
  if (model.empty() == dir.empty()) throw UsageError("template: give --model PATH or --tokenizer-dir DIR");
  const auto tok = dir.empty() ? load_tokenizer(model, "") : dsinfer::Tokenizer::from_hf_dir(dir);
  if (tok->chat_template().empty()) throw dsinfer::Error(dsinfer::ErrorCode::unsupported, "the tokenizer carries no chat template");
  std::ifstream in(messages_path);
  if (!in) throw dsinfer::Error(dsinfer::ErrorCode::io, messages_path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    throw dsinfer::Error(dsinfer::ErrorCode::invalid_format, messages_path + ": expected a JSON list of {\"role\", \"content\"} objects");
  // The messages go to the template as given, so extra fields (reasoning_content, tool_calls) work.
  const nlohmann::json context = {{"messages", j},
                                  {"add_generation_prompt", add_generation_prompt},
                                  {"bos_token", tok->bos_token()},
                                  {"eos_token", tok->eos_token()},
                                  {"tools", nullptr},
                                  {"documents", nullptr}};
  const auto tmpl = dsinfer::ChatTemplate::parse(tok->chat_template());
  std::fputs(tmpl.render_json(context.dump()).c_str(), stdout);
  return 0;
}

}  // namespace cli
