// A chat template, then (after fuzz::kSeparator) a render context as JSON. The template is
// parsed and rendered with the fuzzed context and with a fixed conversation, under limits
// small enough that a hostile template costs milliseconds, not seconds; a render must also
// stay within the output bound it was given.
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "dsinfer/chat_template.hpp"
#include "fuzz_support.hpp"

using namespace dsinfer;

namespace {

void check_size(const std::string& out, const ChatTemplateLimits& limits) {
  if (out.size() > limits.max_output_bytes) {
    std::fprintf(stderr, "fuzz_chat_template: rendered %zu bytes past the %zu limit\n", out.size(), limits.max_output_bytes);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fuzz::split_parts(std::string_view(reinterpret_cast<const char*>(data), size), 2);
  ChatTemplateLimits limits;
  limits.max_steps = 50000;
  limits.max_output_bytes = 64 << 10;
  limits.max_depth = 32;
  limits.now_unix_seconds = 1700000000;

  std::optional<ChatTemplate> t;
  if (fuzz::refused([&] { t = ChatTemplate::parse(std::string(parts[0]), limits); })) return 0;
  if (parts.size() > 1)
    fuzz::refused([&] { check_size(t->render_json(std::string(parts[1]), limits), limits); });
  fuzz::refused([&] {
    check_size(t->render({{"system", "Be brief."}, {"user", "Hi \xe4\xb8\x96"}, {"assistant", "<think>x</think>Hello"}}, true,
                         "<s>", "</s>", R"({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]})",
                         limits),
               limits);
  });
  return 0;
}
