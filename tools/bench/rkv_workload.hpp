#pragma once

#include "rkv_checker.hpp"
#include "rng.hpp"
#include "workload.hpp"
#include <cstdint>
#include <deque>
#include <map>
#include <string>
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

  /// Keeps the history of every request from now on (for write_history).
  void record_history() { record_ = true; }
  /// Writes the recorded history to `path`, one operation a line:
  /// `KEY put|del|get VALUE INVOKE_NS ANSWER_NS`, where VALUE is the id of
  /// the write a PUT wrote or a GET read, `-` for absent (DEL, NOT_FOUND)
  /// or `?` for a value this run did not write, and the times are
  /// CLOCK_MONOTONIC nanoseconds of the first send and of the answer, `-`
  /// for a write whose outcome is unknown. Unanswered GETs are left out.
  [[nodiscard]] expected<void> write_history(const std::string& path) const;

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
    std::uint64_t invoke_ns = 0;
    std::uint64_t got = 0; // GET: the write id read, 0 absent, foreign_value
    bool answered = false; // GET: a value or NOT_FOUND came back
  };
  struct history_entry {
    std::uint32_t key = 0;
    std::uint8_t op = 0;
    std::uint64_t value = 0; // write id; 0 absent; foreign_value
    std::uint64_t invoke_ns = 0;
    std::uint64_t answer_ns = 0; // 0: unknown outcome
  };
  static constexpr std::uint64_t foreign_value = ~std::uint64_t{0};

  verdict judge(pending& p, const ipipe_msg_hdr& hdr, std::span<const std::byte> body);
  void release(std::uint64_t token);
  void record(const pending& p, bool acked);

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
  bool record_ = false;
  std::vector<history_entry> history_;
};

} // namespace ipipe::bench
