// The server protocol exactly as a client (QEMU) sees it.
#include <ipipe/nic/ivshmem_proto.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "test_nic.hpp"
#include <cstring>

using namespace ipipe;
using namespace ipipe::nic;
using namespace ipipe::nic::testing;
using namespace std::chrono_literals;

namespace {

unique_fd raw_connect(const std::string& path) {
  unique_fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  return s;
}

ivshmem::message next(int sock) {
  auto m = ivshmem::receive(sock, 10000ms);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.err().message());
  return m ? std::move(*m) : ivshmem::message{-99, {}};
}

std::uint64_t fd_size(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return static_cast<std::uint64_t>(st.st_size);
}

// Reads the handshake of client `id` when `others` are connected.
std::vector<unique_fd> expect_handshake(int sock, std::int64_t id,
                                        const std::vector<std::int64_t>& others) {
  EXPECT_EQ(next(sock).value, 0) << "version";
  auto idm = next(sock);
  EXPECT_EQ(idm.value, id);
  EXPECT_FALSE(idm.fd.valid());
  auto shm = next(sock);
  EXPECT_EQ(shm.value, -1);
  EXPECT_TRUE(shm.fd.valid());
  if (shm.fd) {
    EXPECT_EQ(fd_size(shm.fd.get()), 8u << 20);
  }
  auto host = next(sock);
  EXPECT_EQ(host.value, -2) << "direct-attach extension";
  if (host.fd) {
    EXPECT_EQ(fd_size(host.fd.get()), 32u << 20);
  }
  std::vector<unique_fd> fw;
  for (int v = 0; v < IPIPE_NUM_VECTORS; ++v) {
    auto m = next(sock);
    EXPECT_EQ(m.value, 0) << "firmware peer first";
    EXPECT_TRUE(m.fd.valid());
    fw.push_back(std::move(m.fd));
  }
  for (std::int64_t o : others)
    for (int v = 0; v < IPIPE_NUM_VECTORS; ++v) {
      auto m = next(sock);
      EXPECT_EQ(m.value, o);
      EXPECT_TRUE(m.fd.valid());
    }
  std::vector<unique_fd> own;
  for (int v = 0; v < IPIPE_NUM_VECTORS; ++v) {
    auto m = next(sock);
    EXPECT_EQ(m.value, id) << "own vectors last";
    EXPECT_TRUE(m.fd.valid());
    own.push_back(std::move(m.fd));
  }
  // Firmware eventfds first, own eventfds after.
  for (auto& f : own)
    fw.push_back(std::move(f));
  return fw;
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

} // namespace

TEST(ivshmem_server, a_client_sees_version_id_memory_and_every_peer_vector) {
  running_nic nic;
  ASSERT_TRUE(nic.ok());
  unique_fd c1 = raw_connect(nic.socket());
  auto fds1 = expect_handshake(c1.get(), 1, {});
  ASSERT_EQ(fds1.size(), 2u * IPIPE_NUM_VECTORS);

  // The loopback vector: ring the firmware's TEST doorbell, get our TEST irq.
  const std::uint64_t one = 1;
  ASSERT_EQ(::write(fds1[IPIPE_VEC_TEST].get(), &one, 8), 8);
  EXPECT_TRUE(readable(fds1[IPIPE_NUM_VECTORS + IPIPE_VEC_TEST].get(), 10000));

  unique_fd c2 = raw_connect(nic.socket());
  expect_handshake(c2.get(), 2, {1});
  for (int v = 0; v < IPIPE_NUM_VECTORS; ++v) {
    auto m = next(c1.get());
    EXPECT_EQ(m.value, 2) << "existing clients learn about the new peer";
    EXPECT_TRUE(m.fd.valid());
  }

  c1.reset();
  auto gone = next(c2.get());
  EXPECT_EQ(gone.value, 1) << "a disconnect is the id without an fd";
  EXPECT_FALSE(gone.fd.valid());
}

TEST(ivshmem_server, interrupts_follow_the_host_peer_the_driver_names) {
  running_nic nic;
  auto a = nic.attach(); // claims the host role
  ASSERT_TRUE(a);
  attach_options o;
  o.claim_host = false;
  auto b = attachment::connect(nic.socket(), o);
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_TEST).has_value());
  EXPECT_TRUE(a->wait_irq(IPIPE_VEC_TEST, 10s).has_value());
  EXPECT_FALSE((*b)->wait_irq(IPIPE_VEC_TEST, 50ms).has_value());
}
