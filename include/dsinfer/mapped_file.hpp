// Read-only bytes of a model file. Files are mmap'd (pages come in on first touch and
// untouched experts never cost RAM); tests and fuzzers can wrap an in-memory buffer
// instead. The object owns the mapping; views into it live as long as it does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dsinfer {

class MappedFile {
 public:
  // Maps `path` read-only. Throws Error(io) naming the path and the OS reason.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  // Wraps bytes already in memory (the object keeps them).
  static std::shared_ptr<const MappedFile> from_bytes(std::vector<std::byte> bytes, std::string name);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Says bytes [p, p + n) will not be read again (their content moved elsewhere): the whole
  // pages among them leave this process's resident memory. Read anyway, they come back
  // from the file unchanged; bytes held in memory (from_bytes) are kept as they are.
  void release(const std::byte* p, uint64_t n) const;

 private:
  MappedFile() = default;
  const std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
  void* map_ = nullptr;              // non-null when mmap'd
  std::vector<std::byte> owned_;     // used when wrapping memory
};

}  // namespace dsinfer
