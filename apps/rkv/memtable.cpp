// "rkv_memtable": the LSM memtable, a skiplist whose nodes are DMOs.
//
// Every node is one object: a fixed header (level, tombstone, lengths and
// the ids of the next node on each level), then the key and the value.
// Nothing but object ids links the nodes, so the whole list migrates with
// the actor and restore() only needs the state object (the first one).
#include <ipipe/runtime/actor.hpp>

#include "internal.hpp"
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace ipipe::apps::rkv::internal {
namespace {

using runtime::message;

constexpr unsigned max_level = 12;

struct mt_state {
  counters stats;
  std::uint32_t configured;
  actor_id consensus;
  actor_id sstable;
  std::uint32_t flush_bytes;
  object_id active; // head node of the list taking writes
  std::uint64_t active_bytes;
  std::uint64_t active_count;
  std::uint64_t active_index; // highest log index applied to it
  object_id frozen;           // head node of the list being flushed, 0 if none
  std::uint64_t frozen_index;
  std::uint64_t flush_id; // the flush in flight, 0 if none
  std::uint64_t next_flush_id;
  std::uint64_t rng;
  object_id sessions;              // session_slots x struct session
  object_id frozen_sessions;       // the sessions when the flush in flight began
  std::uint64_t ticks, flush_sent; // ticks seen; tick of the last (re)send
};

constexpr std::uint64_t tick_ns = 100'000'000; // 100 ms
// A flush not acknowledged after this many ticks is sent again: the
// sstable lost it (ipiped restarted under a running NIC).
constexpr std::uint64_t flush_resend_ticks = 50;

struct node_hdr {
  std::uint8_t level;
  std::uint8_t tomb;
  std::uint16_t klen;
  std::uint32_t vlen;
  std::array<object_id, max_level> next;
};
constexpr std::uint64_t next_off(unsigned lvl) {
  return 8 + 8 * lvl;
}

struct found {
  bool hit = false;
  bool tomb = false;
  std::string value;
};

class memtable final : public state_actor<mt_state> {
public:
  expected<void> init(actor_context& ctx) override {
    if (auto st = alloc_state(ctx); !st)
      return st;
    auto head = new_head(ctx);
    if (!head)
      return head.err();
    auto sess = ctx.dmo_malloc(session_slots * sizeof(session));
    if (!sess)
      return sess.err();
    mt_state s{};
    s.sessions = *sess;
    s.active = *head;
    s.next_flush_id = 1;
    s.rng = 0x9e3779b97f4a7c15ull;
    return ctx.store(st_, 0, s);
  }

  std::uint64_t tick_period_ns() const noexcept override { return tick_ns; }

private:
  void on_tick(actor_context& ctx, mt_state& s) override {
    ++s.ticks;
    if (s.flush_id != 0 && s.ticks - s.flush_sent > flush_resend_ticks)
      send_flush(ctx, s);
  }

  void on_message(actor_context& ctx, const message& msg, mt_state& s, std::uint8_t k,
                  reader& rd) override {
    if (k == static_cast<std::uint8_t>(kind::configure)) {
      configure(ctx, rd, s);
      return;
    }
    if (!s.configured) {
      ++s.stats[st_malformed];
      return;
    }
    const bool cons = from_local(msg, s.consensus);
    const bool sst = from_local(msg, s.sstable);
    if (k == k_apply && cons) {
      apply(ctx, rd, s);
    } else if (k == k_flush && cons) {
      maybe_flush(ctx, s, true);
    } else if (k == k_recover && cons) {
      writer w;
      w.put(k_recover_q);
      (void)ctx.send(s.sstable, w.data());
    } else if (k == k_flushed && sst) {
      flushed(ctx, rd, s);
    } else if (k == k_sessions && sst) {
      (void)rd.get<std::uint64_t>();
      const auto n = rd.get<std::uint32_t>();
      for (std::uint32_t i = 0; i < n && rd.ok(); ++i) {
        const auto c = rd.get<std::uint64_t>();
        const auto q = rd.get<std::uint64_t>();
        if (rd.ok() && c != 0)
          (void)seen(ctx, s, c, q);
      }
      if (!rd.done())
        ++s.stats[st_malformed];
    } else if (k == k_recovered && sst) {
      const auto index = rd.get<std::uint64_t>();
      writer w;
      w.put(k_durable).put(index).put<std::uint8_t>(1);
      if (rd.done())
        (void)ctx.send(s.consensus, w.data());
      else
        ++s.stats[st_malformed];
    } else if (k == k_apply || k == k_flush || k == k_recover || k == k_flushed ||
               k == k_sessions || k == k_recovered) {
      ++s.stats[st_foreign];
    } else {
      ++s.stats[st_malformed];
    }
  }

  // Records that `client` wrote `seq`; returns false if it had already
  // (a retry that reached the log twice). Deterministic on every replica:
  // a full probe window evicts the client in the home slot.
  bool seen(actor_context& ctx, mt_state& s, std::uint64_t client, std::uint64_t seq) {
    constexpr unsigned probe = 8;
    const std::uint64_t home = (client * 0x9e3779b97f4a7c15ull) >> 54; // 10 bits
    std::uint64_t pick = home;
    for (unsigned i = 0; i < probe; ++i) {
      const std::uint64_t at = (home + i) % session_slots;
      auto e = ctx.load<session>(s.sessions, at * sizeof(session));
      if (!e)
        return true;
      if (e->client_id == client) {
        if (seq <= e->last_seq)
          return false;
        pick = at;
        break;
      }
      if (e->client_id == 0) {
        pick = at;
        break;
      }
    }
    (void)ctx.store(s.sessions, pick * sizeof(session), session{client, seq});
    return true;
  }

  void configure(actor_context& ctx, reader& rd, mt_state& s) {
    (void)rd.get<std::uint8_t>();
    (void)rd.get<std::uint16_t>();
    const auto cons = rd.get<std::uint32_t>();
    const auto sst = rd.get<std::uint32_t>();
    const auto bytes = rd.get<std::uint32_t>();
    if (!rd.done() || cons == 0 || sst == 0 || bytes == 0 ||
        (s.configured && (cons != s.consensus || sst != s.sstable))) {
      ++s.stats[st_malformed];
      reply_error(ctx, kind::configure, detail::bad_config);
      return;
    }
    s.configured = 1;
    s.consensus = cons;
    s.sstable = sst;
    s.flush_bytes = bytes;
    reply_ok(ctx, kind::configure);
  }

  void apply(actor_context& ctx, reader& rd, mt_state& s) {
    const bool answer_client = rd.get<std::uint8_t>() != 0;
    const auto index = rd.get<std::uint64_t>();
    auto c = get_command(rd);
    if (!c || !rd.done()) {
      ++s.stats[st_malformed];
      return;
    }
    response r;
    r.op = static_cast<kind>(c->op);
    r.client_id = c->client_id;
    r.seq = c->seq;
    if (c->op == static_cast<std::uint8_t>(kind::get)) {
      found f = lookup(ctx, s.active, c->key);
      if (!f.hit && s.frozen != 0)
        f = lookup(ctx, s.frozen, c->key);
      if (!answer_client)
        return;
      if (!f.hit) {
        // Older versions are on disk: the sstable answers the client.
        writer w;
        w.put(k_ss_get).put(c->to.endpoint).put(c->to.actor).put(c->to.req_id);
        w.put(c->client_id).put(c->seq).put(static_cast<std::uint16_t>(c->key.size()));
        w.str(c->key);
        (void)ctx.send(s.sstable, w.data());
        return;
      }
      r.st = f.tomb ? status::not_found : status::ok;
      r.value = std::move(f.value);
      answer(ctx, c->to, r);
      return;
    }
    if (c->op == static_cast<std::uint8_t>(kind::put) ||
        c->op == static_cast<std::uint8_t>(kind::del)) {
      const bool tomb = c->op == static_cast<std::uint8_t>(kind::del);
      if (!seen(ctx, s, c->client_id, c->seq)) {
        // Applied before: answer as then (writes always succeed).
        if (answer_client)
          answer(ctx, c->to, r);
        return;
      }
      if (!insert(ctx, s, c->key, tomb ? std::string_view{} : c->value, tomb))
        r.st = status::error, r.why = detail::internal;
    }
    s.active_index = std::max(s.active_index, index);
    if (answer_client && c->op != 0)
      answer(ctx, c->to, r);
    maybe_flush(ctx, s, false);
  }

  // -- the skiplist ------------------------------------------------------------

  expected<object_id> new_head(actor_context& ctx) {
    auto h = ctx.dmo_malloc(sizeof(node_hdr));
    if (!h)
      return h;
    if (auto w = ctx.store<std::uint8_t>(*h, 0, max_level); !w)
      return w.err();
    return h;
  }

  std::string key_of(actor_context& ctx, object_id n, const node_hdr& h) {
    std::string k(h.klen, '\0');
    (void)ctx.dmo_read(n, sizeof(node_hdr), std::as_writable_bytes(std::span{k.data(), k.size()}));
    return k;
  }

  // Walks down from `head`; update[l] is the last node before `key` on
  // level l. Returns the first node not before `key` (0 at the end).
  object_id seek(actor_context& ctx, object_id head, std::string_view key,
                 std::array<object_id, max_level>& update) {
    object_id x = head;
    auto hx = ctx.load<node_hdr>(x);
    if (!hx)
      return 0;
    node_hdr cur = *hx;
    object_id cand = 0;
    for (int l = max_level - 1; l >= 0; --l) {
      for (;;) {
        const object_id nx = cur.next[l];
        if (nx == 0)
          break;
        auto hn = ctx.load<node_hdr>(nx);
        if (!hn)
          break;
        if (key_of(ctx, nx, *hn) >= key)
          break;
        x = nx;
        cur = *hn;
      }
      update[l] = x;
      cand = cur.next[l];
    }
    return cand;
  }

  found lookup(actor_context& ctx, object_id head, std::string_view key) {
    std::array<object_id, max_level> update{};
    const object_id n = seek(ctx, head, key, update);
    found f;
    if (n == 0)
      return f;
    auto h = ctx.load<node_hdr>(n);
    if (!h || key_of(ctx, n, *h) != key)
      return f;
    f.hit = true;
    f.tomb = h->tomb != 0;
    f.value.assign(h->vlen, '\0');
    (void)ctx.dmo_read(n, sizeof(node_hdr) + h->klen,
                       std::as_writable_bytes(std::span{f.value.data(), f.value.size()}));
    return f;
  }

  unsigned random_level(mt_state& s) {
    unsigned lvl = 1;
    while (lvl < max_level) {
      s.rng ^= s.rng << 13;
      s.rng ^= s.rng >> 7;
      s.rng ^= s.rng << 17;
      if ((s.rng & 3) != 0)
        break;
      ++lvl;
    }
    return lvl;
  }

  bool insert(actor_context& ctx, mt_state& s, std::string_view key, std::string_view value,
              bool tomb) {
    std::array<object_id, max_level> update{};
    const object_id old = seek(ctx, s.active, key, update);
    node_hdr h{};
    bool replace = false;
    if (old != 0) {
      auto ho = ctx.load<node_hdr>(old);
      if (!ho)
        return false;
      if (key_of(ctx, old, *ho) == key) {
        replace = true;
        h = *ho;
        s.active_bytes -= ho->klen + ho->vlen + sizeof(node_hdr);
        --s.active_count;
      }
    }
    if (!replace) {
      h.level = static_cast<std::uint8_t>(random_level(s));
      for (unsigned l = 0; l < h.level; ++l) {
        auto hp = ctx.load<node_hdr>(update[l]);
        if (!hp)
          return false;
        h.next[l] = hp->next[l];
      }
    }
    h.tomb = tomb ? 1 : 0;
    h.klen = static_cast<std::uint16_t>(key.size());
    h.vlen = static_cast<std::uint32_t>(value.size());
    auto n = ctx.dmo_malloc(sizeof(node_hdr) + key.size() + value.size());
    if (!n)
      return false;
    // (No zero-length writes: the runtime would memcpy from a null pointer.)
    if (!ctx.store(*n, 0, h) || !ctx.dmo_write(*n, sizeof(node_hdr), as_byte_span(key)) ||
        (!value.empty() &&
         !ctx.dmo_write(*n, sizeof(node_hdr) + key.size(), as_byte_span(value)))) {
      (void)ctx.dmo_free(*n);
      return false;
    }
    for (unsigned l = 0; l < h.level; ++l)
      (void)ctx.store(update[l], next_off(l), *n);
    if (replace)
      (void)ctx.dmo_free(old);
    s.active_bytes += sizeof(node_hdr) + key.size() + value.size();
    ++s.active_count;
    return true;
  }

  // -- flushing ------------------------------------------------------------------

  void maybe_flush(actor_context& ctx, mt_state& s, bool force) {
    if (s.flush_id != 0 || s.active_count == 0 || (!force && s.active_bytes < s.flush_bytes))
      return;
    auto head = new_head(ctx);
    if (!head)
      return;
    auto sess = ctx.dmo_malloc(session_slots * sizeof(session));
    if (!sess || !ctx.dmo_memcpy(*sess, 0, s.sessions, 0, session_slots * sizeof(session))) {
      (void)ctx.dmo_free(*head);
      if (sess)
        (void)ctx.dmo_free(*sess);
      return;
    }
    s.frozen_sessions = *sess;
    s.frozen = s.active;
    s.frozen_index = s.active_index;
    s.active = *head;
    s.active_bytes = 0;
    s.active_count = 0;
    s.flush_id = s.next_flush_id++;
    send_flush(ctx, s);
  }

  // Streams the frozen list: chunks in key order (the first one tells the
  // sstable to start afresh), the sessions as of the freeze, FLUSH_END.
  void send_flush(actor_context& ctx, mt_state& s) {
    s.flush_sent = s.ticks;
    std::uint8_t first = 1;
    auto start = [&] {
      writer w;
      w.put(k_chunk).put(s.flush_id).put(std::exchange(first, 0)).put<std::uint32_t>(0);
      return w;
    };
    writer w = start();
    std::uint32_t n = 0;
    std::uint64_t total = 0;
    auto h = ctx.load<node_hdr>(s.frozen);
    object_id x = h ? h->next[0] : 0;
    while (x != 0) {
      auto hx = ctx.load<node_hdr>(x);
      if (!hx)
        break;
      std::vector<std::byte> kv(hx->klen + hx->vlen);
      (void)ctx.dmo_read(x, sizeof(node_hdr), kv);
      const std::size_t need = 7 + kv.size();
      if (!w.fits(need)) {
        w.patch<std::uint32_t>(10, n);
        (void)ctx.send(s.sstable, w.data());
        w = start();
        n = 0;
      }
      w.put(hx->tomb).put(hx->klen).put(hx->vlen).bytes(kv);
      ++n;
      ++total;
      x = hx->next[0];
    }
    w.patch<std::uint32_t>(10, n);
    (void)ctx.send(s.sstable, w.data());
    std::vector<session> all(session_slots);
    (void)ctx.dmo_read(s.frozen_sessions, 0, std::as_writable_bytes(std::span{all}));
    std::erase_if(all, [](const session& e) { return e.client_id == 0; });
    internal::send_sessions(ctx, s.sstable, s.flush_id, all);
    writer end;
    end.put(k_flush_end).put(s.flush_id).put(total).put(s.frozen_index);
    (void)ctx.send(s.sstable, end.data());
  }

  void flushed(actor_context& ctx, reader& rd, mt_state& s) {
    const auto id = rd.get<std::uint64_t>();
    const auto index = rd.get<std::uint64_t>();
    if (!rd.done() || id != s.flush_id || s.frozen == 0) {
      ++s.stats[st_malformed];
      return;
    }
    object_id x = s.frozen;
    while (x != 0) {
      auto hx = ctx.load<node_hdr>(x);
      const object_id nx = hx ? hx->next[0] : 0;
      (void)ctx.dmo_free(x);
      x = nx;
    }
    (void)ctx.dmo_free(s.frozen_sessions);
    s.frozen = 0;
    s.frozen_sessions = 0;
    s.flush_id = 0;
    ++s.stats[st_flushes];
    writer w;
    w.put(k_durable).put(index).put<std::uint8_t>(0);
    (void)ctx.send(s.consensus, w.data());
    maybe_flush(ctx, s, false);
  }
};

} // namespace

std::unique_ptr<runtime::actor> make_memtable() {
  return std::make_unique<memtable>();
}

} // namespace ipipe::apps::rkv::internal
