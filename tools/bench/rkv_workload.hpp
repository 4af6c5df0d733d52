#pragma once

#include "rkv_checker.hpp"
#include "rng.hpp"
#include "workload.hpp"
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

namespace ipipe::bench {

/// Parameters of the RKV workload.
struct rkv_params {
  unsigned get = 80, put = 18, del = 2;            ///< the mix, as weights
  std::uint32_t keys = 1000;                       ///< keyspace: k000000 ..
  std::size_t value_size = 64;                     ///< PUT value bytes (16..4000)
  std::size_t targets = 1;                         ///< replicas, by target index
  std::map<std::uint32_t, std::size_t> replica_of; ///< leader_hint handle -> target
  std::uint64_t seed = 1;
};

/// The RKV workload: GET/PUT/DEL over apps/rkv's client protocol to the
/// consensus actors of the replicas. Every request takes a client id of its
/// own for its lifetime (ids are reused once free, more are made when all
/// are busy), so no client id ever has two requests outstanding. Ids carry
/// 32 random high bits, so concurrent runs do not share them; seq starts
/// at the wall clock in ns so that a later run's writes are never taken for
/// duplicates of an earlier run's by the replicas' session tables.
///
/// A PUT's value is its write id (u64 LE), the key index (u32 LE) and a
/// pattern derived from the id, so every value read back names the write
/// that produced it and is checked byte for byte; rkv_checker decides if
/// that write may be the key's content.
class rkv_workload final : public workload {
public:
  explicit rkv_workload(const rkv_params& p);

  outgoing next(std::uint64_t token, std::uint64_t n) override;
  verdict on_answer(std::uint64_t token, const ipipe_msg_hdr& hdr,
                    std::span<const std::byte> body) override;
  void on_timeout(std::uint64_t token) override;
  [[nodiscard]] std::map<std::string, std::uint64_t> counters() const override;

  /// Returns the value of write `id` of key `key`, `size` bytes.
  static std::vector<std::byte> make_value(std::uint64_t id, std::uint32_t key, std::size_t size);

private:
  struct client {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
  };
  struct pending {
    std::uint8_t op = 0; // rkv::kind
    std::uint32_t key = 0;
    std::size_t client = 0;
    std::size_t target = 0;
    std::uint64_t seq = 0;
    std::uint64_t write = 0; // checker id (PUT/DEL)
    rkv_checker::read read;  // GET
  };

  verdict judge(pending& p, const ipipe_msg_hdr& hdr, std::span<const std::byte> body);
  void release(std::uint64_t token);

  rkv_params p_;
  rng rng_;
  rkv_checker checker_;
  std::vector<client> clients_;
  std::deque<std::size_t> free_;
  std::unordered_map<std::uint64_t, pending> pending_;
  std::uint64_t seq_base_;
  std::uint64_t client_base_; // random high bits: concurrent runs never share an id
  std::size_t leader_ = 0;    // where requests go: the last known leader
  std::map<std::string, std::uint64_t> c_;
};

} // namespace ipipe::bench
