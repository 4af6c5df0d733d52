#include <ipipe/nic/admin_checks.hpp>
#include <ipipe/nic/event_queue.hpp>
#include <ipipe/nic/ring_table.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>

namespace ipipe::nic {

struct ring_table::host_ring {
  host_ring(std::span<std::byte> region, std::uint32_t entries, std::uint32_t slot)
      : view(region.data(), entries), slot_size(slot),
        payload(region.data() + ring_payload_off(entries)),
        payload_bytes(std::uint64_t{entries} * slot) {
    view.format();
    cons = ring_consumer<ipipe_ring_desc>{view};
    prod = ring_producer<ipipe_ring_desc>{view};
  }

  ring_view<ipipe_ring_desc> view;
  std::uint32_t slot_size;
  std::byte* payload;
  std::uint64_t payload_bytes;
  ring_consumer<ipipe_ring_desc> cons; // H2N rings
  ring_producer<ipipe_ring_desc> prod; // N2H rings
  std::mutex tx_lock;                  // N2H: replies come from the core and the runtime's threads
  bool broken = false;
  std::span<std::byte> region_span;
};

namespace {

// Writes one message into an N2H ring; the caller holds r.tx_lock.
template <class Ring>
bool post_to_host(Ring& r, const ipipe_msg_hdr& in, std::span<const std::byte> payload,
                  std::uint64_t user_data, fw_counters& counters) {
  const std::uint64_t total = sizeof(in) + payload.size();
  if (total > r.slot_size) {
    fw_counters::add(counters.host_backlog_dropped);
    return false;
  }
  if (r.prod.free_slots() == 0) {
    r.prod.count_drop();
    fw_counters::add(counters.host_backlog_dropped);
    return false;
  }
  ipipe_msg_hdr hdr = in;
  hdr.client = 0; // endpoint handles are the NIC's business: 0 on rings
  hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
  // The slot that goes with the descriptor index is free: the host
  // released that descriptor, and with it the payload slot.
  const std::uint64_t off =
      std::uint64_t{r.prod.next_index() & (r.view.entries() - 1)} * r.slot_size;
  std::memcpy(r.payload + off, &hdr, sizeof(hdr));
  if (!payload.empty())
    std::memcpy(r.payload + off + sizeof(hdr), payload.data(), payload.size());
  ipipe_ring_desc d{};
  d.off = off;
  d.len = static_cast<std::uint32_t>(total);
  d.user_data = user_data;
  if (!r.prod.push(d))
    return false;
  r.prod.publish();
  fw_counters::add(counters.ring_tx_msgs);
  return true;
}

} // namespace

// Replies of one request go to the N2H message ring of the same context.
class ring_table::reply_sink final : public message_sink {
public:
  reply_sink(host_ring* n2h, std::uint64_t user_data, fw_counters& c) noexcept
      : ring_(n2h), user_data_(user_data), counters_(c) {}

  bool send(const ipipe_msg_hdr& hdr, std::span<const std::byte> payload) override {
    if (ring_ == nullptr) {
      fw_counters::add(counters_.host_backlog_dropped);
      return false;
    }
    std::lock_guard g{ring_->tx_lock};
    if (!post_to_host(*ring_, hdr, payload, user_data_, counters_))
      return false;
    sent_ = true;
    return true;
  }

  [[nodiscard]] bool sent() const noexcept { return sent_; }

private:
  host_ring* ring_;
  std::uint64_t user_data_;
  fw_counters& counters_;
  bool sent_ = false;
};

ring_table::ring_table(std::uint32_t max_rings) : ctx_(max_rings) {}
ring_table::~ring_table() = default;

ipipe_status ring_table::create(const ipipe_admin_cmd& cmd, std::span<std::byte> region) {
  const auto& r = cmd.ring;
  std::unique_lock g{lock_};
  if (r.ring_id >= ctx_.size() || r.type >= IPIPE_RING_TYPE_LAST)
    return IPIPE_STS_BAD_INDEX;
  context& c = ctx_[r.ring_id];
  auto& slot = c.rings[r.type];
  if (slot)
    return IPIPE_STS_EXISTS;
  const bool runtime = (r.flags & IPIPE_RING_CREATE_F_RUNTIME) != 0;
  const bool empty =
      std::none_of(c.rings.begin(), c.rings.end(), [](const auto& x) { return !!x; });
  if (!empty && c.runtime != runtime)
    return IPIPE_STS_BAD_FIELD;
  if (runtime && empty)
    for (std::uint32_t id = 0; id < ctx_.size(); ++id)
      if (id != r.ring_id && ctx_[id].runtime)
        return IPIPE_STS_BUSY; // one host runtime per NIC
  slot = std::make_unique<host_ring>(region, r.entries, r.slot_size);
  slot->region_span = region;
  c.runtime = runtime;
  return IPIPE_STS_OK;
}

ipipe_status ring_table::destroy(std::uint32_t ring_id, std::uint32_t type) {
  std::unique_lock g{lock_};
  if (ring_id >= ctx_.size() || type >= IPIPE_RING_TYPE_LAST || !ctx_[ring_id].rings[type])
    return IPIPE_STS_NOT_FOUND;
  context& c = ctx_[ring_id];
  c.rings[type].reset();
  if (std::none_of(c.rings.begin(), c.rings.end(), [](const auto& x) { return !!x; }))
    c.runtime = false;
  return IPIPE_STS_OK;
}

bool ring_table::is_runtime(std::uint32_t ring_id) const {
  std::shared_lock g{lock_};
  return ring_id < ctx_.size() && ctx_[ring_id].runtime;
}

std::optional<host_runtime_rings> ring_table::runtime_rings() const {
  std::shared_lock g{lock_};
  for (const auto& c : ctx_) {
    if (!c.runtime)
      continue;
    host_runtime_rings out;
    for (unsigned t = 0; t < IPIPE_RING_TYPE_LAST; ++t) {
      if (!c.rings[t])
        return std::nullopt;
      out.region[t] = c.rings[t]->region_span;
      out.entries[t] = c.rings[t]->view.entries();
      out.slot_size[t] = c.rings[t]->slot_size;
    }
    return out;
  }
  return std::nullopt;
}

bool ring_table::send_to_ring(std::uint32_t ring_id, const ipipe_msg_hdr& hdr,
                              std::span<const std::byte> payload, fw_counters& counters,
                              const std::function<void(unsigned)>& raise) {
  std::shared_lock g{lock_};
  host_ring* r = ring_id < ctx_.size() && !ctx_[ring_id].runtime
                     ? ctx_[ring_id].rings[IPIPE_RING_MSG_N2H].get()
                     : nullptr;
  if (r == nullptr) {
    fw_counters::add(counters.host_backlog_dropped);
    return false;
  }
  bool ok;
  {
    std::lock_guard t{r->tx_lock};
    ok = post_to_host(*r, hdr, payload, hdr.req_id, counters);
  }
  if (ok && raise)
    raise(IPIPE_VEC_RING);
  return ok;
}

bool ring_table::has(std::uint32_t ring_id, std::uint32_t type) const {
  std::shared_lock g{lock_};
  return ring_id < ctx_.size() && type < IPIPE_RING_TYPE_LAST && ctx_[ring_id].rings[type];
}

void ring_table::clear() {
  std::unique_lock g{lock_};
  for (auto& c : ctx_) {
    for (auto& r : c.rings)
      r.reset();
    c.runtime = false;
  }
}

std::size_t ring_table::serve(unsigned core, unsigned cores, const env& e, std::size_t budget) {
  std::shared_lock g{lock_};
  std::size_t n = 0;
  for (std::uint32_t id = core; id < ctx_.size(); id += cores)
    if (ctx_[id].rings[IPIPE_RING_MSG_H2N] && !ctx_[id].runtime)
      n += serve_ring(id, ctx_[id], e, budget);
  return n;
}

std::size_t ring_table::serve_ring(std::uint32_t id, context& ctx, const env& e,
                                   std::size_t budget) {
  host_ring& in = *ctx.rings[IPIPE_RING_MSG_H2N];
  if (in.broken)
    return 0;
  // The message is copied out of host memory before it is checked or
  // used: the host may rewrite the slot at any time.
  alignas(8) std::array<std::byte, sizeof(ipipe_msg_hdr) + IPIPE_MSG_MAX_PAYLOAD> buf;
  std::size_t n = 0;
  bool replied = false;
  ipipe_ring_desc d;
  while (n < budget && in.cons.pop(d)) {
    ++n;
    const bool desc_ok = d.flags == 0 && d.resv0 == 0 && d.resv1 == 0 &&
                         d.len >= sizeof(ipipe_msg_hdr) && d.len <= buf.size() &&
                         d.off <= in.payload_bytes && d.len <= in.payload_bytes - d.off;
    if (!desc_ok) {
      fw_counters::add(e.counters->ring_bad_desc);
      continue;
    }
    std::memcpy(buf.data(), in.payload + d.off, d.len);
    ipipe_msg_hdr hdr;
    std::memcpy(&hdr, buf.data(), sizeof(hdr));
    if (check_msg_hdr(hdr, d.len - sizeof(hdr)) != IPIPE_STS_OK) {
      fw_counters::add(e.counters->ring_bad_desc);
      continue;
    }
    fw_counters::add(e.counters->ring_rx_msgs);
    // Answers produced later (by the runtime) find their way back by this.
    hdr.client = ring_client_base | id;
    hdr.flags &= static_cast<std::uint16_t>(~IPIPE_MSG_F_WIRE);
    reply_sink sink{ctx.rings[IPIPE_RING_MSG_N2H].get(), d.user_data, *e.counters};
    e.dispatch->deliver(hdr, std::span<const std::byte>(buf.data() + sizeof(hdr), hdr.len), sink);
    replied |= sink.sent();
  }
  if (n != 0)
    in.cons.release();
  if (in.cons.broken()) {
    // An impossible producer index: stop consuming this ring until the
    // host destroys it or resets the NIC, and say so once.
    in.broken = true;
    auto& flags = in.view.header()->flags;
    std::atomic_ref<std::uint32_t>(flags).fetch_or(IPIPE_RING_F_BROKEN);
    fw_counters::add(e.counters->ring_bad_desc);
    if (e.events != nullptr)
      e.events->post(IPIPE_EV_FW_ERROR, 0, IPIPE_STS_BAD_INDEX, id);
  }
  if (replied && e.raise)
    e.raise(IPIPE_VEC_RING);
  return n;
}

} // namespace ipipe::nic
