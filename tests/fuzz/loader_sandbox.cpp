// Checks the guarantee that loading never writes a file, starts a program or opens a
// network connection: every loader runs (on the seed files) under a seccomp filter that
// turns any such system call into SIGSYS, and the process then exits with status 97 naming
// the call. Threads (clone with CLONE_THREAD) and read-only opens stay allowed.
// Usage: dsinfer_loader_sandbox WORKDIR
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "dsinfer.h"
#include "dsinfer/chat_template.hpp"
#include "dsinfer/gguf.hpp"
#include "dsinfer/model.hpp"
#include "dsinfer/safetensors.hpp"
#include "dsinfer/session.hpp"
#include "dsinfer/tokenizer.hpp"
#include "fuzz_support.hpp"
#include "tiny_files.hpp"

namespace fs = std::filesystem;
using namespace dsinfer;

namespace {

constexpr int kTrappedExit = 97;

void on_sigsys(int, siginfo_t* info, void*) {
  char msg[96];
  const int n = std::snprintf(msg, sizeof msg, "loader_sandbox: forbidden system call %d\n", info->si_syscall);
  if (n > 0) (void)!::write(2, msg, static_cast<size_t>(n));
  ::_exit(kTrappedExit);
}

sock_filter stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return BPF_JUMP(code, k, jt, jf); }
constexpr uint32_t arg(int i) { return offsetof(seccomp_data, args) + 8 * i; }  // low half, little-endian

void install_filter() {
  constexpr uint32_t trap = SECCOMP_RET_TRAP, allow = SECCOMP_RET_ALLOW;
  const int forbidden[] = {
      __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4, __NR_sendto,
      __NR_sendmsg, __NR_sendmmsg, __NR_execve, __NR_execveat, __NR_fork, __NR_vfork, __NR_ptrace,
      __NR_process_vm_writev, __NR_creat, __NR_rename, __NR_renameat, __NR_renameat2, __NR_unlink, __NR_unlinkat,
      __NR_mkdir, __NR_mkdirat, __NR_rmdir, __NR_truncate, __NR_ftruncate, __NR_link, __NR_linkat, __NR_symlink,
      __NR_symlinkat, __NR_mknod, __NR_mknodat, __NR_chmod, __NR_fchmod, __NR_fchmodat, __NR_chown, __NR_fchown,
      __NR_lchown, __NR_fchownat, __NR_utimensat};
  constexpr uint32_t write_flags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
  std::vector<sock_filter> f = {
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      // clone3 and openat2 pass their flags in memory a filter cannot read: answering
      // "not implemented" makes the C library fall back to clone and openat.
      jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      jump(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  for (int nr : forbidden) {
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1));
    f.push_back(stmt(BPF_RET | BPF_K, trap));
  }
  // open(path, flags) and openat(dir, path, flags): read-only only. clone: threads only.
  for (const auto [nr, a, bit, trap_if_set] : {std::tuple{__NR_open, 1, write_flags, true},
                                               std::tuple{__NR_openat, 2, write_flags, true},
                                               std::tuple{__NR_clone, 0, static_cast<uint32_t>(CLONE_THREAD), false}}) {
    f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 4));
    f.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg(a)));
    f.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, bit, trap_if_set ? 0 : 1, trap_if_set ? 1 : 0));
    f.push_back(stmt(BPF_RET | BPF_K, trap));
    f.push_back(stmt(BPF_RET | BPF_K, allow));
  }
  f.push_back(stmt(BPF_RET | BPF_K, allow));

  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, nullptr);
  const sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
    std::perror("loader_sandbox: cannot install the seccomp filter");
    std::exit(2);
  }
}

// The filter must stop each kind of call it promises to stop: tried in a child each.
bool filter_traps(const char* what, void (*attempt)(const std::string&), const std::string& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    install_filter();
    attempt(dir);
    ::_exit(0);  // the call went through: the filter does not work
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == kTrappedExit;
  std::printf("self-check: %s %s\n", what, ok ? "is trapped" : "WAS NOT TRAPPED");
  return ok;
}

struct Files {
  std::string gguf, hf_dir, sharded_dir, cache;
};

Files prepare(const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir + "/hf");
  fs::create_directories(dir + "/sharded");
  Files f{dir + "/tiny.gguf", dir + "/hf", dir + "/sharded", dir + "/tiny.cache"};
  const auto gguf = fuzz::tiny_deepseek_gguf();
  fuzz::write_file(f.gguf, std::string_view(reinterpret_cast<const char*>(gguf.data()), gguf.size()));
  fuzz::write_file(f.hf_dir + "/config.json", fuzz::tiny_hf_config_json());
  const auto st = fuzz::tiny_hf_safetensors();
  fuzz::write_file(f.hf_dir + "/model.safetensors", std::string_view(reinterpret_cast<const char*>(st.data()), st.size()));
  fuzz::write_file(f.hf_dir + "/tokenizer.json", fuzz::tiny_tokenizer_json());
  fuzz::write_file(f.hf_dir + "/tokenizer_config.json", fuzz::tiny_tokenizer_config_json());
  fuzz::write_file(f.sharded_dir + "/model.safetensors.index.json",
                   R"({"weight_map": {"model.norm.weight": "model.safetensors"}})");
  fs::copy_file(f.hf_dir + "/model.safetensors", f.sharded_dir + "/model.safetensors");
  LoadOptions o;
  o.threads = 2;
  Session s(Model::load(f.gguf, o));
  s.prefill(std::vector<int32_t>{260, 116, 104});
  s.save_cache(f.cache);
  return f;
}

// Everything that reads untrusted input, through the C++ API and the C ABI.
void load_everything(const Files& f) {
  LoadOptions o;
  o.threads = 2;  // a real pool: its threads are started under the filter too
  const auto gguf_model = Model::load(f.gguf, o);
  Session s(gguf_model);
  s.load_cache(f.cache);
  GenerateParams gp;
  gp.max_tokens = 4;
  (void)s.generate("the", gp);
  const auto hf_model = Model::load(f.hf_dir, o);
  (void)SafetensorsSet::open(f.sharded_dir);
  const auto tok = Tokenizer::from_hf_dir(f.hf_dir);
  (void)tok->decode(tok->encode("the 123 <think>", true, true));
  ChatTemplateLimits limits;
  limits.now_unix_seconds = 0;
  (void)ChatTemplate::parse(tok->chat_template()).render({{"user", "hi"}}, true, tok->bos_token(), tok->eos_token(), "{}", limits);

  dsi_model* m = nullptr;
  dsi_tokenizer* t = nullptr;
  dsi_session* ss = nullptr;
  dsi_cache* c = nullptr;
  if (dsi_model_load(f.hf_dir.c_str(), nullptr, &m) != DSI_OK || dsi_tokenizer_load(f.gguf.c_str(), &t) != DSI_OK ||
      dsi_session_create(m, nullptr, &ss) != DSI_OK || dsi_session_get_cache(ss, &c) != DSI_OK)
    throw std::runtime_error(std::string("C ABI: ") + dsi_last_error());
  const dsi_chat_message msg{"user", "hi"};
  char buf[512];
  size_t len = 0;
  if (dsi_chat_template_apply(t, &msg, 1, 1, buf, sizeof buf, &len) != DSI_OK)
    throw std::runtime_error(std::string("C ABI: ") + dsi_last_error());
  dsi_cache_free(c);
  dsi_session_free(ss);
  dsi_tokenizer_free(t);
  dsi_model_free(m);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: dsinfer_loader_sandbox WORKDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  Files files;
  try {
    files = prepare(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loader_sandbox: preparing the files failed: %s\n", e.what());
    return 1;
  }
  std::fflush(stdout);
  bool ok = filter_traps("opening a file for writing", [](const std::string& d) {
    (void)!::open((d + "/written").c_str(), O_WRONLY | O_CREAT, 0600);
  }, dir);
  ok &= filter_traps("a socket", [](const std::string&) { (void)!::socket(AF_INET, SOCK_STREAM, 0); }, dir);
  ok &= filter_traps("starting a program", [](const std::string&) {
    char* const args[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execv("/bin/true", args);
  }, dir);
  ok &= filter_traps("a child process", [](const std::string&) { (void)!::fork(); }, dir);
  if (!ok) return 1;
  std::fflush(stdout);

  install_filter();
  try {
    load_everything(files);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loader_sandbox: a load failed: %s\n", e.what());
    std::fflush(stderr);
    ::_exit(1);
  }
  std::printf("every loader ran with writes, programs, child processes and sockets forbidden\n");
  std::fflush(stdout);
  // Exit without the at-exit work: LeakSanitizer's checker starts a process-like clone the
  // filter would trap. Leaks are the other tests' business.
  ::_exit(0);
}
