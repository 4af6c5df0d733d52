#include <ipipe/common/sys.hpp>
#include <ipipe/nic/ivshmem_proto.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <cstring>

namespace ipipe::nic::ivshmem {
namespace {

// Little endian on the wire; the hosts we run on are little endian too, but
// say it explicitly so the code stays right elsewhere.
void to_le(std::int64_t v, unsigned char out[8]) noexcept {
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<unsigned char>(u >> (8 * i));
}

std::int64_t from_le(const unsigned char in[8]) noexcept {
  std::uint64_t u = 0;
  for (int i = 0; i < 8; ++i)
    u |= std::uint64_t{in[i]} << (8 * i);
  return static_cast<std::int64_t>(u);
}

} // namespace

expected<void> send(int sock, std::int64_t value, int fd) {
  unsigned char buf[8];
  to_le(value, buf);
  iovec iov{buf, sizeof(buf)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return sys::last_error("ivshmem sendmsg");
  if (n != static_cast<ssize_t>(sizeof(buf)))
    return error{errc::protocol_error, "ivshmem short send"};
  return {};
}

expected<message> receive(int sock, std::chrono::milliseconds timeout) {
  pollfd p{sock, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
  } while (r < 0 && errno == EINTR);
  if (r < 0)
    return sys::last_error("ivshmem poll");
  if (r == 0)
    return error{errc::timed_out, "ivshmem receive"};

  unsigned char buf[8];
  iovec iov{buf, sizeof(buf)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)]{};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return sys::last_error("ivshmem recvmsg");

  message out;
  int fds = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      // Own every received fd at once so none leaks on the error paths.
      unique_fd owned{fd};
      if (fds++ == 0)
        out.fd = std::move(owned);
    }
  }
  if (n == 0)
    return error{errc::closed, "ivshmem server closed the connection"};
  if (n != static_cast<ssize_t>(sizeof(buf)) || (msg.msg_flags & MSG_CTRUNC) != 0 || fds > 1)
    return error{errc::protocol_error, "ivshmem malformed message"};
  out.value = from_le(buf);
  return out;
}

} // namespace ipipe::nic::ivshmem
