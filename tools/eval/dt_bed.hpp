#pragma once
// DT for the migration study: one node with the coordinator and two
// participants on the NIC and their log on the host, and clients that
// keep transfers between random accounts outstanding.

#include "bed.hpp"
#include <dt/dt.hpp>
#include <filesystem>
#include <memory>

namespace ipipe::eval {

class dt_bed final : public bed {
public:
  /// `accounts` accounts of `initial` each; the log files go to `dir`.
  dt_bed(const std::filesystem::path& dir, std::uint32_t accounts, std::int64_t initial);

  void step(unsigned load) override;
  node_pair& node() override { return *node_; }
  [[nodiscard]] std::vector<migrant> migrants() const override;
  /// Asks the coordinator for an AUDIT once no transaction is in doubt:
  /// the total must be what it was.
  std::string verify() override;

private:
  struct client {
    std::uint64_t seq = 0;
    bool busy = false;
    std::uint64_t retry_step = 0;
    apps::dt::request req;
  };

  void send(std::size_t c);
  void answer(std::uint32_t ep, const runtime::message& m);

  std::uint32_t accounts_;
  std::unique_ptr<node_pair> node_;
  wire wire_;
  std::vector<client> clients_;
  std::uint64_t now_ = 0, committed_ = 0, aborted_ = 0, errors_ = 0;
  std::uint64_t rng_ = 0x2545f4914f6cdd1dULL;
};

} // namespace ipipe::eval
