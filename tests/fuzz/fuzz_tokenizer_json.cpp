// tokenizer.json, then (after fuzz::kSeparator, optional) tokenizer_config.json: the
// Hugging Face tokenizer loader, then a round of encode / decode and the chat template the
// config carries, as dsi_tokenizer_load and dsi_chat_template_apply would use them.
#include "dsinfer/chat_template.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"

using namespace dsinfer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = fuzz::split_parts(std::string_view(reinterpret_cast<const char*>(data), size), 2);
  const std::string dir = fuzz::scratch_dir();
  fuzz::write_file(dir + "/tokenizer.json", parts[0]);
  const std::string config = parts.size() > 1 ? dir + "/tokenizer_config.json" : "";
  if (!config.empty()) fuzz::write_file(config, parts[1]);

  std::shared_ptr<const Tokenizer> t;
  if (fuzz::refused([&] { t = Tokenizer::from_hf_files(dir + "/tokenizer.json", config); })) return 0;
  fuzz::refused([&] {
    const auto ids = t->encode("the 12345 <think> theinin\xc3\xa9 \xf0\x9f\x98\x80", true, true);
    (void)t->decode(ids, true);
    (void)t->decode(ids, false);
  });
  for (int32_t id : {t->bos_id(), t->eos_id(), t->vocab_size() - 1})
    fuzz::refused([&] { (void)t->id_to_token(id), (void)t->token_bytes(id); });
  if (!t->chat_template().empty()) {
    ChatTemplateLimits limits;
    limits.max_steps = 100000;
    limits.max_output_bytes = 64 << 10;
    limits.now_unix_seconds = 0;
    fuzz::refused([&] {
      ChatTemplate::parse(t->chat_template(), limits)
          .render({{"system", "s"}, {"user", "u"}, {"assistant", "a"}}, true, t->bos_token(), t->eos_token(), "{}", limits);
    });
  }
  return 0;
}
