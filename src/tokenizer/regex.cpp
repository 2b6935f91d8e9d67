#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.hpp"

#include <pcre2.h>

#include <memory>

#include "dsinfer/error.hpp"

namespace dsinfer {
namespace {

struct MatchData {
  pcre2_match_data* md;
  ~MatchData() { pcre2_match_data_free(md); }
};

// JIT matching recurses on a machine stack of its own; give each thread a generous one.
pcre2_jit_stack* thread_jit_stack() {
  struct Holder {
    pcre2_jit_stack* s = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr);
    ~Holder() { pcre2_jit_stack_free(s); }
  };
  thread_local Holder h;
  return h.s;
}

}  // namespace

Regex::Regex(const std::string& pattern) : pattern_(pattern) {
  int err = 0;
  PCRE2_SIZE offset = 0;
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP, &err,
                             &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error(ErrorCode::invalid_format, "pre-tokenizer regex does not compile at offset " + std::to_string(offset) +
                                               ": " + reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  code_ = code;
}

Regex::~Regex() {
  if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

Regex::Regex(Regex&& o) noexcept : pattern_(std::move(o.pattern_)), code_(o.code_) { o.code_ = nullptr; }

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
  auto* code = static_cast<pcre2_code*>(code_);
  MatchData m{pcre2_match_data_create_from_pattern(code, nullptr)};
  std::unique_ptr<pcre2_match_context, decltype(&pcre2_match_context_free)> ctx(pcre2_match_context_create(nullptr),
                                                                                 pcre2_match_context_free);
  pcre2_jit_stack_assign(ctx.get(), nullptr, thread_jit_stack());
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = 0;
  // The text was validated as UTF-8 once; no need for PCRE2 to check it at every offset.
  uint32_t options = PCRE2_NO_UTF_CHECK;
  while (start <= text.size()) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start, options, m.md, ctx.get());
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      throw Error(ErrorCode::invalid_argument, std::string("pre-tokenizer regex failed: ") + reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(m.md);
    const size_t b = ov[0], e = ov[1];
    if (e > b) {
      out.emplace_back(b, e);
      start = e;
    } else {
      // Empty match: step over one whole character.
      if (b >= text.size()) break;
      size_t next = b + 1;
      while (next < text.size() && (static_cast<uint8_t>(text[next]) & 0xc0) == 0x80) ++next;
      start = next;
    }
  }
  return out;
}

}  // namespace dsinfer
