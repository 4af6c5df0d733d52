#pragma once
// Test helper: a program run as a child process for the length of a test.
// Its output may go to a log file; it is stopped with SIGTERM (then SIGKILL
// if it does not exit within 10 s) when its owner goes away.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ipipe::testing {

/// How to start a child_process.
struct child_options {
  std::string log;          ///< where its output goes ("": inherited)
  bool stderr_only = false; ///< only stderr goes to `log`
  bool truncate = false;    ///< start `log` empty instead of appending
  /// Environment variables set in the child, then those unset.
  std::vector<std::pair<std::string, std::string>> setenv;
  std::vector<std::string> unsetenv;
};

class child_process {
public:
  /// Starts `argv[0]` with `argv`; a failed exec exits the child with 127.
  explicit child_process(std::vector<std::string> argv, const child_options& o = {}) {
    pid_ = ::fork();
    if (pid_ != 0)
      return;
    if (!o.log.empty()) {
      const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o.truncate ? O_TRUNC : O_APPEND);
      const int fd = ::open(o.log.c_str(), flags, 0644);
      if (fd >= 0) {
        if (!o.stderr_only)
          ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    for (const auto& [k, v] : o.setenv)
      ::setenv(k.c_str(), v.c_str(), 1);
    for (const auto& k : o.unsetenv)
      ::unsetenv(k.c_str());
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ~child_process() {
    if (pid_ <= 0 || exited_)
      return;
    ::kill(pid_, SIGTERM);
    if (wait(std::chrono::seconds(10)) < 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Returns the child's pid.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Returns true while the child has not exited.
  [[nodiscard]] bool running() {
    reap(WNOHANG);
    return pid_ > 0 && !exited_;
  }

  /// Sends `sig` to the child.
  void signal(int sig) const {
    if (pid_ > 0 && !exited_)
      ::kill(pid_, sig);
  }

  /// Waits up to `limit` for the child to exit. Returns its exit status
  /// (128 + the signal that ended it), or -1 if it still runs.
  int wait(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!exited_ && !reap(WNOHANG) && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return exited_ ? status_ : -1;
  }

private:
  bool reap(int flags) {
    int status = 0;
    if (exited_ || pid_ <= 0 || ::waitpid(pid_, &status, flags) != pid_)
      return exited_;
    exited_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
};

/// Runs `argv` to its end (at most `limit`, then it is killed) and returns
/// its exit status, or -1 if it had to be killed.
inline int run_to_exit(std::vector<std::string> argv, const child_options& o = {},
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  child_process c{std::move(argv), o};
  const int st = c.wait(limit);
  if (st < 0)
    c.signal(SIGKILL);
  return st;
}

/// Polls `done` every 20 ms until it holds, `alive` fails or `limit`
/// passes; returns `done()`.
inline bool wait_until(const std::function<bool()>& done, const std::function<bool()>& alive,
                       std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && alive() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

} // namespace ipipe::testing
