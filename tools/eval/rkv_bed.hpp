#pragma once
// RKV for the migration study: three replicas (consensus and memtable on
// the NIC, sstable on the host) and clients that fill the store until the
// leader's memtable holds the state asked for, then keep loading it with
// GETs and PUTs over the same keys (the state stays what it is). The
// leader's node also runs the built-in echo and counter actors, the
// smallest migrants, under a stream of requests of their own.

#include "bed.hpp"
#include <filesystem>
#include <memory>
#include <rkv/rkv.hpp>

namespace ipipe::eval {

class rkv_bed final : public bed {
public:
  /// `value_size`-byte PUTs; `dir` holds the replicas' sstables.
  rkv_bed(const std::filesystem::path& dir, std::uint32_t value_size);

  /// Elects a leader and fills its memtable to `bytes` with `clients`
  /// requests outstanding; returns the requests answered.
  std::uint64_t fill(std::uint64_t bytes, unsigned clients);

  void step(unsigned load) override;
  node_pair& node() override { return *nodes_[leader_]; }
  [[nodiscard]] std::vector<migrant> migrants() const override;
  std::string verify() override;

private:
  struct client {
    std::uint64_t id = 0;
    std::uint32_t endpoint = 0;
    std::uint64_t seq = 0;
    bool busy = false;
    std::uint64_t sent_step = 0;
    std::uint64_t retry_step = 0;
    apps::rkv::request req;
  };

  void issue(client& c);
  void send(client& c);
  void answer(std::uint32_t ep, const runtime::message& m);
  std::uint64_t next_rand();

  std::uint32_t value_size_;
  std::vector<std::unique_ptr<node_pair>> nodes_;
  wire wire_;
  std::vector<client> clients_;
  std::uint32_t target_ = 0, leader_ = 0;
  bool overwrite_ = false;
  std::uint64_t now_ = 0, answered_ = 0, errors_ = 0, keys_ = 0, pokes_ = 0;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

} // namespace ipipe::eval
