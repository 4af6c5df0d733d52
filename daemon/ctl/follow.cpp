#include "follow.hpp"

#include <ipipe/netlink/event_socket.hpp>

#include <poll.h>

#include "output.hpp"
#include "render.hpp"
#include <chrono>
#include <map>
#include <utility>

namespace ipipe::ctl {

namespace {

using clock = std::chrono::steady_clock;

// Sleeps until `until`, waking early when `stop` is set (a signal
// interrupts poll()).
void sleep_until(clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
    if (left.count() <= 0)
      return;
    poll(nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 200)));
  }
}

bool done(const invocation& inv, std::uint64_t n) {
  return inv.count && n >= *inv.count;
}

} // namespace

expected<void> run_events(const invocation& inv, const emit_fn& emit,
                          const std::atomic<bool>& stop) {
  auto sock = netlink::event_socket::open();
  if (!sock)
    return sock.err();
  std::uint64_t n = 0;
  while (!stop && !done(inv, n)) {
    pollfd pfd{sock->fd(), POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0)
      continue; // timeout, or EINTR: look at stop
    auto events = sock->receive();
    if (!events)
      return events.err();
    for (const netlink::event& ev : *events) {
      output out{inv.json};
      render_event(out, ev);
      emit(out.str());
      if (done(inv, ++n))
        break;
    }
  }
  return {};
}

expected<void> run_top(const invocation& inv, control& ctl, const emit_fn& emit,
                       const std::atomic<bool>& stop, bool clear_screen) {
  using key = std::pair<std::uint32_t, std::uint32_t>; // device, actor
  std::map<key, std::uint64_t> before;
  auto sample = [&]() -> expected<std::vector<netlink::actor_info>> {
    return ctl.actor_dump(inv.dev);
  };
  auto first = sample();
  if (!first)
    return first.err();
  for (const auto& a : *first)
    before[{a.dev_index, a.id}] = a.requests;
  auto last = clock::now();
  const auto period = std::chrono::duration<double>(inv.interval_s);
  for (std::uint64_t frame = 0; !stop && !done(inv, frame); ++frame) {
    sleep_until(last + std::chrono::duration_cast<clock::duration>(period), stop);
    if (stop)
      break;
    auto now_actors = sample();
    if (!now_actors)
      return now_actors.err();
    const auto now = clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    std::vector<top_row> rows;
    std::map<key, std::uint64_t> after;
    for (const auto& a : *now_actors) {
      std::optional<double> rate;
      // A new actor, or one re-created with a lower count, has no rate yet.
      if (auto it = before.find({a.dev_index, a.id});
          it != before.end() && a.requests >= it->second)
        rate = static_cast<double>(a.requests - it->second) / dt;
      rows.push_back({a, rate});
      after[{a.dev_index, a.id}] = a.requests;
    }
    before = std::move(after);
    output out{inv.json};
    render_top(out, inv.interval_s, std::move(rows), inv.stats);
    emit((clear_screen && !inv.json ? std::string{"\x1b[H\x1b[2J"} : std::string{}) + out.str());
  }
  return {};
}

} // namespace ipipe::ctl
