#include "rta_bed.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace ipipe::eval {

namespace rt = runtime;
namespace rta = apps::rta;

namespace {

constexpr rt::actor_id filter_id = 11, rank_id = 12, count_a = 13, count_b = 14;
constexpr std::uint32_t node_ep = 20, client_ep = 100;

rta::filter_config pipeline() {
  rta::filter_config c;
  c.window_us = 100'000; // 1000 tweets a window
  c.rank = rank_id;
  c.counts = {count_a, count_b};
  return c;
}

} // namespace

rta_bed::rta_bed()
    : cfg_(pipeline()),
      stream_(rta::stream_params{.seed = 1, .base_us = 5'000'000, .gap_us = 100}) {
  node_ = std::make_unique<node_pair>(
      node_ep, [this](std::uint32_t from, rt::message&& m) { wire_.send(from, std::move(m)); });
  node_->create(IPIPE_LOC_NIC, rta::filter_type, filter_id, 1 << 16);
  node_->create(IPIPE_LOC_NIC, rta::rank_type, rank_id, 8 << 20);
  for (auto c : cfg_.counts)
    node_->create(IPIPE_LOC_NIC, rta::count_type, c, 8 << 20);
  auto st = rta::decode_configure_reply(node_->call(filter_id, rta::encode(cfg_)));
  if (!st || *st != rta::status::ok)
    throw std::runtime_error("RTA: CONFIGURE of the filter refused");
}

void rta_bed::step(unsigned load) {
  for (auto& e : wire_.take())
    if (e.to == client_ep)
      answer(e.m);
  node_->run();
  // The stream in order, `load` tweets outstanding.
  for (; outstanding_ < load; ++outstanding_, ++next_) {
    const auto t = stream_.at(next_);
    newest_window_ = rta::window_of(t.time_us, cfg_.window_us);
    auto m = rt::message::make(IPIPE_MSG_REQUEST, filter_id, 0, next_ + 1, rta::encode(t));
    m.hdr.client = client_ep;
    node_->deliver(std::move(m));
  }
}

void rta_bed::answer(const rt::message& m) {
  auto r = rta::decode_tweet_reply(m.payload);
  --outstanding_;
  if (r && r->st == rta::status::ok)
    ++counted_;
  else if (r && r->st == rta::status::filtered)
    ++filtered_;
  else
    ++errors_; // late cannot happen: the tweets arrive in order
}

std::vector<migrant> rta_bed::migrants() const {
  return {{count_a, rta::count_type}, {rank_id, rta::rank_type}, {filter_id, rta::filter_type}};
}

std::string rta_bed::verify() {
  for (int i = 0; i < 1000 && outstanding_ != 0; ++i)
    step(0);
  if (errors_ != 0 || outstanding_ != 0)
    throw std::runtime_error(
        fmt::format("RTA: {} wrong tweet answers, {} unanswered", errors_, outstanding_));
  // Every closed window still kept, exactly (a window closes once a tweet
  // lateness + 1 windows newer arrived).
  const std::uint64_t first = rta::window_of(stream_.params().base_us, cfg_.window_us);
  std::uint64_t checked = 0;
  for (std::uint64_t w = newest_window_ - cfg_.lateness - 1; w >= first && checked < 8; --w) {
    auto a = rta::decode_window_answer(node_->call(rank_id, rta::query_request(w)));
    rta::window_counts want;
    for (auto i = stream_.first_at(w * cfg_.window_us);
         i < stream_.first_at((w + 1) * cfg_.window_us) && i < next_; ++i)
      want.add(stream_.at(i), cfg_.lang_mask, cfg_.flags);
    if (!a || a->st != rta::status::ok || a->tokens != want.tokens ||
        a->distinct != want.counts.size() || a->top != want.top(cfg_.k))
      throw std::runtime_error(fmt::format("RTA: window {} differs from the reference", w));
    ++checked;
  }
  if (checked == 0)
    throw std::runtime_error("RTA: no closed window to check");
  return fmt::format("RTA: {} tweets counted, {} filtered, {} closed windows exact", counted_,
                     filtered_, checked);
}

} // namespace ipipe::eval
