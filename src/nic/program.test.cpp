// The ipipe-nic program as scripts use it: start it, wait for the ready
// file, attach, use it, SIGTERM it, expect a clean exit.
#include <ipipe/nic/attach.hpp>
#include <ipipe/nic/crc32c.hpp>
#include <ipipe/nic/guarded_mapping.hpp>
#include <ipipe/testing/child_process.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using namespace ipipe;
using namespace ipipe::nic;
using ipipe::testing::child_process;
using ipipe::testing::run_to_exit;
using namespace std::chrono_literals;

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// ipipe-nic's command line with `args`.
std::vector<std::string> nic_argv(std::vector<std::string> args) {
  args.insert(args.begin(), IPIPE_NIC_BINARY);
  return args;
}

std::string base() {
  return "/tmp/ipipe-nic-prog-" + std::to_string(::getpid());
}

} // namespace

TEST(program, starts_serves_and_stops_cleanly_on_sigterm) {
  const std::string sock = base() + ".sock", ready = base() + ".ready", pidf = base() + ".pid";
  child_process p{
      nic_argv({"--socket", sock, "--host-mem", "memfd:16M", "--nic-mem", "4M", "--cores", "2",
                "--ready-file", ready, "--pidfile", pidf, "--heartbeat-ms", "10"})};
  ASSERT_GT(p.pid(), 0);
  for (int i = 0; i < 1000 && !exists(ready); ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(exists(ready)) << "no ready file";
  std::ifstream pf(pidf);
  pid_t written = 0;
  pf >> written;
  EXPECT_EQ(written, p.pid());
  {
    auto a = attachment::connect(sock);
    ASSERT_TRUE(a.has_value()) << a.err().message();
    EXPECT_EQ((*a)->header()->nic_mem_size, 4u << 20);
    EXPECT_EQ((*a)->header()->nic_cores, 2u);
    EXPECT_EQ((*a)->header()->heartbeat_ms, 10u);
    EXPECT_EQ((*a)->host_memory().size(), 16u << 20);
    ipipe_admin_cmd nop{};
    auto cqe = (*a)->submit(nop, 10s);
    ASSERT_TRUE(cqe.has_value());
    EXPECT_EQ(cqe->status, IPIPE_STS_OK);
  }
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10s), 0);
  EXPECT_FALSE(exists(sock)) << "socket left behind";
  EXPECT_FALSE(exists(pidf)) << "pid file left behind";
  EXPECT_FALSE(exists(ready)) << "ready file left behind";
}

TEST(program, bad_options_fail_with_a_usage_error) {
  EXPECT_NE(run_to_exit(nic_argv({"--socket", base() + ".x.sock"})), 0) << "--host-mem is required";
  EXPECT_EQ(run_to_exit(nic_argv({"--socket", base() + ".x.sock", "--host-mem", "memfd:0"})), 2);
  EXPECT_EQ(run_to_exit(nic_argv(
                {"--socket", base() + ".x.sock", "--host-mem", "memfd:1M", "--nic-mem", "12K"})),
            1);
  // Out of range or not a number: refused by CLI11 before anything starts.
  for (const char* bad : {"0", "60001", "ten"})
    EXPECT_NE(run_to_exit(nic_argv({"--socket", base() + ".x.sock", "--host-mem", "memfd:1M",
                                    "--handler-budget-ms", bad})),
              0)
        << "--handler-budget-ms " << bad;
  EXPECT_EQ(run_to_exit(nic_argv({"--socket", base() + ".x.sock", "--host-mem", "memfd:1M",
                                  "--recovery-log-size", "lots"})),
            2);
}

TEST(program, sigint_also_stops_it_with_a_guest_ram_file_that_appears_later) {
  const std::string sock = base() + ".i.sock", ready = base() + ".i.ready";
  const std::string ram = base() + ".ram";
  ::unlink(ram.c_str());
  child_process p{nic_argv({"--socket", sock, "--host-mem", "file:" + ram, "--ready-file", ready})};
  for (int i = 0; i < 1000 && !exists(ready); ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(exists(ready));
  {
    // What QEMU does after the NIC is up: create and size guest RAM.
    unique_fd fd{::open(ram.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::ftruncate(fd.get(), 8 << 20), 0);
    auto guest = guarded_mapping::map(fd.get(), 8 << 20);
    ASSERT_TRUE(guest.has_value());
    auto a = attachment::connect(sock);
    ASSERT_TRUE(a.has_value()) << a.err().message();
    EXPECT_TRUE((*a)->host_memory().empty()) << "no -2 message in file mode";
    // A DMA from "guest RAM" at bus address 0x10000 into NIC memory.
    for (int i = 0; i < 4096; ++i)
      guest->data()[0x10000 + i] = std::byte(i * 13);
    ipipe_dma_seg seg{0x10000, 4096, 0};
    std::memcpy(guest->data() + 0x1000, &seg, sizeof(seg));
    ipipe_admin_cmd c{};
    c.opcode = IPIPE_ADMIN_DMA;
    c.dma.sgl_addr = 0x1000;
    c.dma.nsegs = 1;
    c.dma.nic_off = 8192;
    auto cqe = (*a)->submit(c, 10s);
    ASSERT_TRUE(cqe.has_value());
    EXPECT_EQ(cqe->status, IPIPE_STS_OK);
    EXPECT_EQ(cqe->result, crc32c(guest->data() + 0x10000, 4096));
    EXPECT_EQ(std::memcmp((*a)->nic_data().data() + 8192, guest->data() + 0x10000, 4096), 0);
    seg.addr = 8 << 20;
    std::memcpy(guest->data() + 0x1000, &seg, sizeof(seg));
    cqe = (*a)->submit(c, 10s);
    ASSERT_TRUE(cqe.has_value());
    EXPECT_EQ(cqe->status, IPIPE_STS_BAD_ADDR) << "beyond the end of guest RAM";
  }
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(10s), 0);
  ::unlink(ram.c_str());
}
