#pragma once
// Test helper: an in-process emulator on its own thread with memfd host
// memory, and a direct attachment to it.

#include <ipipe/nic/attach.hpp>
#include <ipipe/nic/emulator.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

namespace ipipe::nic::testing {

/// Returns a fresh socket path under /tmp for this process.
inline std::string temp_socket_path(const char* what) {
  static std::atomic<int> n{0};
  return "/tmp/ipipe-nic-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(n++) + ".sock";
}

/// An emulator running on a background thread.
class running_nic {
public:
  explicit running_nic(emulator_config cfg = default_config()) {
    if (cfg.socket_path.empty())
      cfg.socket_path = temp_socket_path("t");
    auto e = emulator::create(cfg);
    if (!e) {
      ADD_FAILURE() << "emulator::create: " << e.err().message();
      return;
    }
    emu_ = std::move(*e);
    socket_ = cfg.socket_path;
    thread_ = std::thread([this] {
      auto r = emu_->run();
      if (!r)
        ADD_FAILURE() << "emulator::run: " << r.err().message();
    });
  }
  running_nic(const running_nic&) = delete;
  running_nic& operator=(const running_nic&) = delete;
  ~running_nic() {
    if (emu_) {
      emu_->request_stop();
      thread_.join();
    }
  }

  /// Returns a config with 16 MiB of memfd host memory, 8 MiB BAR2, 2 cores.
  static emulator_config default_config() {
    emulator_config c;
    c.host_mem.type = host_mem_spec::kind::memfd;
    c.host_mem.size = 32 << 20;
    c.nic_mem_size = 8 << 20;
    c.fw.cores = 2;
    c.fw.heartbeat_ms = 20;
    return c;
  }

  [[nodiscard]] bool ok() const noexcept { return emu_ != nullptr; }
  [[nodiscard]] emulator& emu() noexcept { return *emu_; }
  [[nodiscard]] const std::string& socket() const noexcept { return socket_; }

  /// Attaches a client, failing the test if that does not work.
  std::unique_ptr<attachment> attach() {
    auto a = attachment::connect(socket_);
    if (!a) {
      ADD_FAILURE() << "attach: " << a.err().message();
      return nullptr;
    }
    return std::move(*a);
  }

private:
  std::unique_ptr<emulator> emu_;
  std::string socket_;
  std::thread thread_;
};

/// Returns a command with only the opcode set.
inline ipipe_admin_cmd command(ipipe_admin_opcode op) {
  ipipe_admin_cmd c{};
  c.opcode = static_cast<std::uint16_t>(op);
  return c;
}

} // namespace ipipe::nic::testing
