// MLA cache files (Session::save_cache's format) loaded into a session of the seed model.
// A file that loads must leave a session that works: it decodes one more token. A file
// that is refused must leave the session as it was.
#include <cstdio>
#include <cstdlib>

#include "dsinfer/gguf.hpp"
#include "dsinfer/session.hpp"
#include "fuzz_support.hpp"
#include "tiny_files.hpp"

using namespace dsinfer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const Model> model = [] {
    LoadOptions o;
    o.threads = 1;
    return Model::load_gguf(GgufFile::parse(MappedFile::from_bytes(fuzz::tiny_deepseek_gguf(), "seed.gguf")), o);
  }();
  const std::string path = fuzz::scratch_dir() + "/fuzz.cache";
  fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));

  SessionParams params;
  params.n_ctx = 16;
  Session s(model, params);
  const int32_t before[] = {5, 6, 7};
  s.prefill(before);
  if (fuzz::refused([&] { s.load_cache(path); })) {
    if (s.n_past() != 3 || s.history().size() != 3 || s.logits().empty()) {
      std::fprintf(stderr, "fuzz_cache_file: a refused cache file changed the session\n");
      std::abort();
    }
    return 0;
  }
  if (static_cast<int64_t>(s.history().size()) != s.n_past()) {
    std::fprintf(stderr, "fuzz_cache_file: history and cache disagree after a load\n");
    std::abort();
  }
  fuzz::refused([&] { (void)s.logits(); });
  fuzz::refused([&] { s.decode(1); });  // refused only when the loaded context is full
  return 0;
}
