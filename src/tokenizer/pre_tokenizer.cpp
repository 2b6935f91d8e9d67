#include "tokenizer/pre_tokenizer.hpp"

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"

namespace dsinfer {
namespace {

// GPT-2's own pattern, used by ByteLevel when use_regex is set.
const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

[[noreturn]] void bad(const std::string& m) { throw Error(ErrorCode::invalid_format, "tokenizer pre_tokenizer: " + m); }

std::string escape_literal(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

PreTokenizer::Behavior behavior_from(const std::string& s) {
  using B = PreTokenizer::Behavior;
  if (s == "Removed") return B::removed;
  if (s == "Isolated") return B::isolated;
  if (s == "MergedWithPrevious") return B::merged_with_previous;
  if (s == "MergedWithNext") return B::merged_with_next;
  if (s == "Contiguous") return B::contiguous;
  bad("unknown Split behavior '" + s + "'");
}

// Cuts `piece` at the delimiter spans according to behavior.
void apply_behavior(std::string_view piece, const std::vector<std::pair<size_t, size_t>>& delims,
                    PreTokenizer::Behavior behavior, std::vector<std::string>& out) {
  using B = PreTokenizer::Behavior;
  std::vector<std::pair<std::string_view, bool>> parts;  // (text, is_delimiter)
  size_t pos = 0;
  for (const auto& [b, e] : delims) {
    if (b > pos) parts.emplace_back(piece.substr(pos, b - pos), false);
    parts.emplace_back(piece.substr(b, e - b), true);
    pos = e;
  }
  if (pos < piece.size()) parts.emplace_back(piece.substr(pos), false);

  switch (behavior) {
    case B::removed:
      for (const auto& [t, d] : parts)
        if (!d) out.emplace_back(t);
      break;
    case B::isolated:
      for (const auto& [t, d] : parts) out.emplace_back(t);
      break;
    case B::contiguous: {
      bool last_delim = false;
      for (const auto& [t, d] : parts) {
        if (d && last_delim) out.back() += t;
        else out.emplace_back(t);
        last_delim = d;
      }
      break;
    }
    case B::merged_with_previous: {
      bool have_prev = false;
      for (const auto& [t, d] : parts) {
        if (d && have_prev) out.back() += t;
        else out.emplace_back(t);
        have_prev = true;
      }
      break;
    }
    case B::merged_with_next: {
      std::string carry;
      for (const auto& [t, d] : parts) {
        if (d) {
          carry += t;
        } else {
          out.push_back(carry + std::string(t));
          carry.clear();
        }
      }
      if (!carry.empty()) out.push_back(carry);
      break;
    }
  }
}

}  // namespace

void PreTokenizer::add_from_json(const nlohmann::json& j, std::vector<Step>& steps, bool* byte_level) {
  if (j.is_null()) return;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) bad("entry without a type");
  const std::string type = j["type"];
  if (type == "Sequence") {
    if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) bad("Sequence without pretokenizers");
    for (const auto& p : j["pretokenizers"]) add_from_json(p, steps, byte_level);
  } else if (type == "Split") {
    Step s;
    const auto& pat = j.value("pattern", nlohmann::json());
    std::string re;
    if (pat.is_object() && pat.contains("Regex") && pat["Regex"].is_string()) re = pat["Regex"];
    else if (pat.is_object() && pat.contains("String") && pat["String"].is_string()) re = escape_literal(pat["String"]);
    else bad("Split without a Regex or String pattern");
    s.regex = std::make_shared<Regex>(re);
    s.behavior = behavior_from(j.value("behavior", std::string("Isolated")));
    s.invert = j.value("invert", false);
    steps.push_back(std::move(s));
  } else if (type == "ByteLevel") {
    Step s;
    s.kind = Step::byte_level;
    s.add_prefix_space = j.value("add_prefix_space", false);
    if (j.value("use_regex", true)) s.regex = std::make_shared<Regex>(kGpt2Pattern);
    steps.push_back(std::move(s));
    *byte_level = true;
  } else if (type == "Digits") {
    Step s;
    s.regex = std::make_shared<Regex>(j.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
    steps.push_back(std::move(s));
  } else {
    throw Error(ErrorCode::unsupported, "tokenizer pre_tokenizer type '" + type + "' is not supported");
  }
}

PreTokenizer PreTokenizer::from_json(const nlohmann::json& j, bool* byte_level) {
  PreTokenizer p;
  *byte_level = false;
  add_from_json(j, p.steps_, byte_level);
  return p;
}

PreTokenizer PreTokenizer::from_patterns(const std::vector<std::string>& patterns) {
  PreTokenizer p;
  for (const auto& re : patterns) {
    Step s;
    s.regex = std::make_shared<Regex>(re);
    p.steps_.push_back(std::move(s));
  }
  Step bl;
  bl.kind = Step::byte_level;
  p.steps_.push_back(std::move(bl));
  return p;
}

void PreTokenizer::split(std::string_view text, std::vector<std::string>& out) const {
  std::vector<std::string> pieces{std::string(text)};
  std::vector<std::string> next;
  for (const Step& s : steps_) {
    next.clear();
    for (std::string& piece : pieces) {
      if (s.kind == Step::byte_level) {
        if (s.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece.insert(piece.begin(), ' ');
        if (!s.regex) {
          next.push_back(std::move(piece));
          continue;
        }
        apply_behavior(piece, s.regex->find_all(piece), Behavior::isolated, next);
        continue;
      }
      auto spans = s.regex->find_all(piece);
      if (s.invert) {
        std::vector<std::pair<size_t, size_t>> gaps;
        size_t pos = 0;
        for (const auto& [b, e] : spans) {
          if (b > pos) gaps.emplace_back(pos, b);
          pos = e;
        }
        if (pos < piece.size()) gaps.emplace_back(pos, piece.size());
        spans = std::move(gaps);
      }
      apply_behavior(piece, spans, s.behavior, next);
    }
    pieces.swap(next);
  }
  for (auto& p : pieces)
    if (!p.empty()) out.push_back(std::move(p));
}

}  // namespace dsinfer
