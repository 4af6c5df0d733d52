#pragma once
// RTA for the migration study: one node with the filter, two count actors
// and the rank actor on the NIC, and clients that keep tweets of the
// seeded stream outstanding, in stream order.

#include "bed.hpp"
#include <memory>
#include <rta/rta.hpp>
#include <rta/stream.hpp>

namespace ipipe::eval {

class rta_bed final : public bed {
public:
  rta_bed();

  void step(unsigned load) override;
  node_pair& node() override { return *node_; }
  [[nodiscard]] std::vector<migrant> migrants() const override;
  /// Asks the rank actor for the newest closed windows and compares each
  /// with the reference computed from the stream.
  std::string verify() override;

private:
  void answer(const runtime::message& m);

  apps::rta::filter_config cfg_;
  apps::rta::stream stream_;
  std::unique_ptr<node_pair> node_;
  wire wire_;
  std::uint64_t next_ = 0, outstanding_ = 0, newest_window_ = 0;
  std::uint64_t counted_ = 0, filtered_ = 0, errors_ = 0;
};

} // namespace ipipe::eval
