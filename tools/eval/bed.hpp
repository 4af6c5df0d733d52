#pragma once
// An application deployed in this process, with clients that keep it
// loaded while its actors migrate: what ipipe-migration-phases measures.

#include "node_pair.hpp"
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace ipipe::eval {

/// The network between the nodes and the clients of one bed: what a node
/// sends is delivered at the next step.
class wire {
public:
  struct envelope {
    std::uint32_t to;
    runtime::message m;
  };
  /// Takes a message leaving node `from` for hdr.client; the receiver sees
  /// `from` as its client.
  void send(std::uint32_t from, runtime::message&& m) {
    const std::uint32_t to = m.hdr.client;
    m.hdr.client = from;
    m.hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
    q_.push_back({to, std::move(m)});
  }
  /// Queues a request from a client.
  void post(std::uint32_t to, runtime::message&& m) { q_.push_back({to, std::move(m)}); }
  /// Returns (and forgets) everything queued.
  std::deque<envelope> take() { return std::exchange(q_, {}); }

private:
  std::deque<envelope> q_;
};

/// One actor to migrate.
struct migrant {
  runtime::actor_id id;
  std::string type;
};

class bed {
public:
  virtual ~bed() = default;

  /// One step of simulated time: deliver, tick, run every node once, and
  /// keep `load` client requests outstanding.
  virtual void step(unsigned load) = 0;
  /// Returns the node whose actors migrate.
  virtual node_pair& node() = 0;
  /// Returns its actors that may migrate, in the order to measure them.
  [[nodiscard]] virtual std::vector<migrant> migrants() const = 0;
  /// Checks the application's answers after the migrations and returns a
  /// one-line summary; throws if they were wrong.
  virtual std::string verify() = 0;
};

} // namespace ipipe::eval
