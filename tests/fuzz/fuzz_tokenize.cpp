// Encode and decode on fixed tokenizers (the seed model's GGUF one, and the seed
// tokenizer.json with NFC and a Split rule). The first byte holds flags, the rest is text
// to encode or, with bit 4 set, little-endian int32 ids to decode. Besides "no crash",
// two properties are checked:
//   - the GGUF tokenizer (no normalizer, no clean-up) decodes what it encoded back to the
//     same text, for any valid UTF-8;
//   - StreamingDecoder's pieces join to exactly what decode() returns for the same ids.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dsinfer/gguf.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"
#include "tiny_files.hpp"

using namespace dsinfer;

namespace {

struct Tokenizers {
  std::shared_ptr<const Tokenizer> gguf, hf;
  Tokenizers() {
    gguf = Tokenizer::from_gguf(GgufFile::parse(MappedFile::from_bytes(fuzz::tiny_deepseek_gguf(), "seed.gguf")));
    const std::string dir = fuzz::scratch_dir();
    fuzz::write_file(dir + "/tok.json", fuzz::tiny_tokenizer_json());
    fuzz::write_file(dir + "/tok_config.json", fuzz::tiny_tokenizer_config_json());
    hf = Tokenizer::from_hf_files(dir + "/tok.json", dir + "/tok_config.json");
  }
};

[[noreturn]] void fail(const char* what, std::string_view a, std::string_view b) {
  std::fprintf(stderr, "fuzz_tokenize: %s\n  expected: %.*s\n  got:      %.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

void check_streaming(const Tokenizers& all, const std::shared_ptr<const Tokenizer>& t, std::span<const int32_t> ids,
                     bool skip_special) {
  std::string whole;
  if (fuzz::refused([&] { whole = t->decode(ids, skip_special); })) return;  // an id outside the vocabulary
  StreamingDecoder stream(t, skip_special);
  std::string pieces;
  for (int32_t id : ids) pieces += stream.push(id);
  pieces += stream.flush();
  // The HF seed tokenizer cleans up spaces on decode, which streaming does not do.
  if (t == all.gguf && pieces != whole) fail("streamed text differs from decode()", whole, pieces);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Tokenizers all;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const auto& t = (flags & 1) ? all.hf : all.gguf;
  const bool add_special = flags & 2, parse_special = flags & 4, skip_special = flags & 8;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  if (flags & 16) {
    // Mostly ids inside the vocabulary, some just outside it on either side.
    std::vector<int32_t> ids(rest.size() / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t raw;
      std::memcpy(&raw, rest.data() + 4 * i, 4);
      ids[i] = (flags & 32) ? static_cast<int32_t>(raw)
                            : static_cast<int32_t>(raw % static_cast<uint32_t>(t->vocab_size() + 2)) - 1;
    }
    check_streaming(all, t, ids, skip_special);
    return 0;
  }

  std::vector<int32_t> ids;
  if (fuzz::refused([&] { ids = t->encode(rest, add_special, parse_special); })) return 0;  // not UTF-8
  for (int32_t id : ids) (void)t->token_bytes(id);  // every id it makes must decode
  if (t == all.gguf && !add_special) {
    const std::string back = t->decode(ids, false);
    if (back != rest) fail("decode(encode(text)) is not the text", rest, back);
  }
  check_streaming(all, t, ids, skip_special);
  return 0;
}
