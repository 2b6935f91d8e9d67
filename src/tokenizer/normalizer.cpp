#include "tokenizer/normalizer.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "dsinfer/error.hpp"

namespace dsinfer {

void Normalizer::add(const nlohmann::json& j, std::vector<Kind>& steps) {
  if (j.is_null()) return;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw Error(ErrorCode::invalid_format, "tokenizer normalizer: entry without a type");
  const std::string type = j["type"];
  if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array())
      throw Error(ErrorCode::invalid_format, "tokenizer normalizer: Sequence without normalizers");
    for (const auto& n : j["normalizers"]) add(n, steps);
  } else if (type == "NFC") steps.push_back(Kind::nfc);
  else if (type == "NFD") steps.push_back(Kind::nfd);
  else if (type == "NFKC") steps.push_back(Kind::nfkc);
  else if (type == "NFKD") steps.push_back(Kind::nfkd);
  else if (type == "Lowercase") steps.push_back(Kind::lowercase);
  else throw Error(ErrorCode::unsupported, "tokenizer normalizer type '" + type + "' is not supported");
}

Normalizer Normalizer::from_json(const nlohmann::json& j) {
  Normalizer n;
  add(j, n.steps_);
  return n;
}

Normalizer Normalizer::nfc() {
  Normalizer n;
  n.steps_.push_back(Kind::nfc);
  return n;
}

std::string Normalizer::apply(std::string_view text) const {
  std::string s(text);
  for (Kind k : steps_) {
    int options = UTF8PROC_STABLE;
    switch (k) {
      case Kind::nfc: options |= UTF8PROC_COMPOSE; break;
      case Kind::nfd: options |= UTF8PROC_DECOMPOSE; break;
      case Kind::nfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
      case Kind::nfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
      case Kind::lowercase: options |= UTF8PROC_CASEFOLD; break;
    }
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                            static_cast<utf8proc_ssize_t>(s.size()), &out,
                                            static_cast<utf8proc_option_t>(options));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> hold(out, std::free);
    if (n < 0) throw Error(ErrorCode::invalid_argument, std::string("text normalization failed: ") + utf8proc_errmsg(n));
    s.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  }
  return s;
}

}  // namespace dsinfer
