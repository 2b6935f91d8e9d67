#include "dsinfer/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dsinfer/error.hpp"

namespace dsinfer {
namespace {

[[noreturn]] void fail_errno(const std::string& path, const char* what) {
  throw Error(ErrorCode::io, path + ": " + what + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out; the mapping outlives it.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail_errno(path, "cannot open");
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail_errno(path, "cannot stat");
  if (S_ISDIR(st.st_mode)) throw Error(ErrorCode::io, path + ": is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::io, path + ": not a regular file");

  std::shared_ptr<MappedFile> m(new MappedFile());  // private constructor: make_shared cannot reach it
  m->path_ = path;
  m->size_ = static_cast<uint64_t>(st.st_size);
  if (m->size_ > 0) {
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) fail_errno(path, "cannot map");
    m->map_ = p;
    m->data_ = static_cast<const std::byte*>(p);
  }
  return m;
}

std::shared_ptr<const MappedFile> MappedFile::from_bytes(std::vector<std::byte> bytes, std::string name) {
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->owned_ = std::move(bytes);
  m->data_ = m->owned_.data();
  m->size_ = m->owned_.size();
  m->path_ = std::move(name);
  return m;
}

void MappedFile::release(const std::byte* p, uint64_t n) const {
  if (!map_ || p < data_ || n > size_ || static_cast<uint64_t>(p - data_) > size_ - n) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  // A private read-only mapping has no modified pages to lose: dropped pages are re-read
  // from the file if touched. Failure only means the pages stay resident.
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (map_) ::munmap(map_, size_);
}

}  // namespace dsinfer
