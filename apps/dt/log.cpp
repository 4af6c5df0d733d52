// "dt_log": the participants' append-only logs, one file per participant
// actor, on the host's disk.
//
// Host only: init() refuses the NIC. The runtime ignores restore()'s
// result, so a migration to the NIC cannot be refused; there the actor
// drops everything but STATS and counts it (st_misplaced) until it is
// moved back, and the participants' resends cover the gap. Its DMO holds
// the configuration and the counters; the open files are members,
// reopened whenever the C++ object is new (creation, a restarted ipiped).
#include <ipipe/runtime/actor.hpp>

#include <sys/stat.h>

#include "internal.hpp"
#include "log_file.hpp"
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace ipipe::apps::dt::internal {
namespace {

using runtime::message;

struct log_state {
  counters stats;
  std::uint32_t configured;
  std::uint32_t flags;
  std::uint32_t dir_len;
  char dir[244];
};

// Records per k_replay message: the longest record plus its u16 length.
constexpr std::size_t replay_budget = IPIPE_MSG_MAX_PAYLOAD - 5;

class dt_log final : public framed_actor<log_state> {
public:
  // An fsync of the log may take a disk's worth of time.
  std::uint64_t budget_ns() const noexcept override { return 2'000'000'000; }
  expected<void> init(actor_context& ctx) override {
    if (ctx.side() != IPIPE_LOC_HOST)
      return errc::permission_denied; // its files are on the host
    return alloc_state(ctx);
  }

private:
  void on_message(actor_context& ctx, const message& msg, log_state& s, std::uint8_t k,
                  reader& rd) override {
    if (ctx.side() != IPIPE_LOC_HOST) {
      ++s.stats[st_misplaced];
      return;
    }
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, rd, s);
      return;
    }
    // Everything else comes from actors of this node only.
    if (msg.hdr.client != 0 || msg.src() == 0) {
      ++s.stats[st_foreign];
      return;
    }
    if (!s.configured) {
      ++s.stats[st_malformed];
      return;
    }
    switch (k) {
    case k_append:
      append(ctx, msg.src(), rd, s);
      break;
    case k_replay_q:
      if (rd.done())
        replay(ctx, msg.src(), s);
      else
        ++s.stats[st_malformed];
      break;
    default:
      ++s.stats[st_malformed];
    }
  }

  void configure(actor_context& ctx, reader& rd, log_state& s) {
    const auto ver = rd.get<std::uint8_t>();
    const auto len = rd.get<std::uint16_t>();
    const auto flags = rd.get<std::uint32_t>();
    const auto dir = rd.str(len);
    if (!rd.done() || ver != protocol_version || len == 0 || len >= sizeof(s.dir) ||
        (s.configured && (std::string_view(s.dir, s.dir_len) != dir || s.flags != flags))) {
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    std::error_code ec;
    std::filesystem::create_directories(std::string(dir), ec);
    if (ec) {
      ++s.stats[st_refused];
      reply_status(ctx, kind::configure, status::error, detail::bad_config);
      return;
    }
    std::memcpy(s.dir, dir.data(), len);
    s.dir_len = len;
    s.flags = flags;
    s.configured = 1;
    reply_status(ctx, kind::configure, status::ok);
  }

  std::string path(const log_state& s, actor_id id) const {
    return std::string(s.dir, s.dir_len) + "/dt-part-" + std::to_string(id) + ".log";
  }

  // Returns the open log of participant `id`, opening it (and cutting a
  // torn tail off) on first use.
  log_file* file(const log_state& s, actor_id id, log_contents& read) {
    auto it = files_.find(id);
    if (it != files_.end())
      return &it->second;
    auto f = log_file::open(path(s, id), (s.flags & log_no_sync) == 0, read);
    if (!f)
      return nullptr;
    return &files_.emplace(id, std::move(*f)).first->second;
  }

  void append(actor_context& ctx, actor_id from, reader& rd, log_state& s) {
    const auto body = rd.bytes(rd.left());
    reader peek(body);
    const auto type = peek.get<std::uint8_t>();
    const auto txid = peek.get<std::uint64_t>();
    if (!peek.ok() || type < r_prepare || type > r_abort || body.size() > max_record) {
      ++s.stats[st_malformed];
      return;
    }
    log_contents read;
    auto* f = file(s, from, read);
    s.stats[st_damaged] += read.damaged_bytes;
    const bool ok = f != nullptr && f->append(body);
    if (!ok)
      files_.erase(from); // reopen (and re-check the tail) next time
    else
      ++s.stats[st_appends];
    writer w;
    w.put(k_appended).put(type).put(txid).put<std::uint8_t>(ok ? 1 : 0);
    (void)ctx.send(from, w.data());
  }

  void replay(actor_context& ctx, actor_id to, log_state& s) {
    files_.erase(to); // read it afresh
    log_contents read;
    auto* f = file(s, to, read);
    s.stats[st_damaged] += read.damaged_bytes;
    std::size_t i = 0;
    while (f != nullptr && i < read.records.size()) {
      writer w;
      w.put(k_replay).put<std::uint32_t>(0);
      std::uint32_t n = 0;
      while (i < read.records.size() && w.size() + 2 + read.records[i].size() <= replay_budget) {
        w.put(static_cast<std::uint16_t>(read.records[i].size())).bytes(read.records[i]);
        ++n, ++i;
      }
      w.patch(1, n);
      (void)ctx.send(to, w.data());
    }
    s.stats[st_recovered] += f != nullptr ? read.records.size() : 0;
    writer w;
    w.put(k_replay_end).put<std::uint8_t>(f != nullptr ? 1 : 0);
    w.put(static_cast<std::uint64_t>(read.records.size())).put(read.damaged_bytes);
    (void)ctx.send(to, w.data());
  }

  std::map<actor_id, log_file> files_;
};

} // namespace

std::unique_ptr<runtime::actor> make_log() {
  return std::make_unique<dt_log>();
}

} // namespace ipipe::apps::dt::internal
