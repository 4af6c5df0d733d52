#pragma once
// Test helper: a program run as a child process for the length of a test,
// its stdout and stderr appended to a log file, stopped with SIGTERM (and
// SIGKILL if it does not exit within 10 s) when the owner goes away.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace ipipe::bench::testing {

class child_process {
public:
  /// Starts `argv[0]` with `argv`; a failed exec exits the child with 127.
  child_process(std::vector<std::string> argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ != 0)
      return;
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
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
    int status = 0;
    for (int i = 0; i < 1000; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Returns true while the child has not exited.
  [[nodiscard]] bool running() {
    int status = 0;
    if (!exited_ && pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_)
      exited_ = true;
    return pid_ > 0 && !exited_;
  }

private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

/// Polls `done` every 20 ms until it holds, `alive` fails or `limit`
/// passes; returns `done()`.
inline bool wait_until(const std::function<bool()>& done, const std::function<bool()>& alive,
                       std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && alive() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return done();
}

} // namespace ipipe::bench::testing
