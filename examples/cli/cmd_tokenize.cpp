// dsinfer tokenize / detokenize: token ids of text and text of token ids, for checking a
// tokenizer against another implementation.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dsinfer/error.hpp"
#include "tokenizer_source.hpp"

namespace cli {
namespace {

std::string ids_json(const std::vector<int32_t>& ids) { return nlohmann::json(ids).dump(); }

}  // namespace

int cmd_tokenize(const std::vector<std::string>& args) {
  std::string model, tokenizer, jsonl, text;
  bool add_special = false, parse_special = true, have_text = false;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("tokenize: ") + opt + " needs a value");
      return args[++i];
    };
    if (args[i] == "--model") model = value("--model");
    else if (args[i] == "--tokenizer") tokenizer = value("--tokenizer");
    else if (args[i] == "--jsonl") jsonl = value("--jsonl");
    else if (args[i] == "--add-special") add_special = true;
    else if (args[i] == "--no-parse-special") parse_special = false;
    else if (args[i].rfind("--", 0) == 0) throw UsageError("tokenize: unknown option " + args[i]);
    else if (!have_text) { text = args[i]; have_text = true; }
    else throw UsageError("tokenize: more than one TEXT (quote it)");
  }
  if (have_text == !jsonl.empty()) throw UsageError("tokenize: give TEXT or --jsonl FILE");
  const auto tok = load_tokenizer(model, tokenizer);
  if (have_text) {
    std::printf("%s\n", ids_json(tok->encode(text, add_special, parse_special)).c_str());
    return 0;
  }
  std::ifstream in(jsonl);
  if (!in) throw dsinfer::Error(dsinfer::ErrorCode::io, jsonl + ": cannot open");
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
      throw dsinfer::Error(dsinfer::ErrorCode::invalid_format, jsonl + ":" + std::to_string(n) + ": not a {\"text\": ...} object");
    std::printf("%s\n", ids_json(tok->encode(j["text"].get<std::string>(), add_special, parse_special)).c_str());
  }
  return 0;
}

int cmd_detokenize(const std::vector<std::string>& args) {
  std::string model, tokenizer, ids_arg;
  bool skip_special = false;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* opt) {
      if (i + 1 >= args.size()) throw UsageError(std::string("detokenize: ") + opt + " needs a value");
      return args[++i];
    };
    if (args[i] == "--model") model = value("--model");
    else if (args[i] == "--tokenizer") tokenizer = value("--tokenizer");
    else if (args[i] == "--skip-special") skip_special = true;
    else if (args[i].rfind("--", 0) == 0) throw UsageError("detokenize: unknown option " + args[i]);
    else if (ids_arg.empty()) ids_arg = args[i];
    else throw UsageError("detokenize: more than one IDS argument");
  }
  if (ids_arg.empty()) throw UsageError("detokenize: needs IDS, a JSON array like [1,2,3]");
  const auto j = nlohmann::json::parse(ids_arg, nullptr, false);
  if (j.is_discarded() || !j.is_array()) throw UsageError("detokenize: IDS must be a JSON array of integers");
  std::vector<int32_t> ids;
  for (const auto& e : j) {
    if (!e.is_number_integer()) throw UsageError("detokenize: IDS must be a JSON array of integers");
    const int64_t v = e.get<int64_t>();
    if (v < INT32_MIN || v > INT32_MAX) throw UsageError("detokenize: id " + std::to_string(v) + " is out of range");
    ids.push_back(static_cast<int32_t>(v));
  }
  const auto tok = load_tokenizer(model, tokenizer);
  std::fputs(tok->decode(ids, skip_special).c_str(), stdout);
  std::fputs("\n", stdout);
  return 0;
}

}  // namespace cli
