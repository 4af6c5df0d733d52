// The bad-input test of issue 2: random and hostile admin commands, DMA
// descriptors, queue indices, ring descriptors and wire frames. Each must
// complete with an error status (the exact one where it is deterministic),
// the emulator must keep serving, the statistics must count the errors, and
// nothing outside the named window may be touched. Both the emulator's and
// the client's mappings of host memory and BAR2 sit between PROT_NONE guard
// pages (guarded_mapping), so a stray access crashes the test.
#include <ipipe/common/ring.hpp>
#include <ipipe/nic/admin_checks.hpp>
#include <ipipe/nic/crc32c.hpp>
#include <ipipe/nic/memfd_host_memory.hpp>
#include <ipipe/nic/wire.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "test_nic.hpp"
#include <cstring>
#include <random>

using namespace ipipe;
using namespace ipipe::nic;
using namespace ipipe::nic::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t host_size = 32 << 20; // running_nic::default_config()
constexpr std::size_t scratch_size = 1 << 20; // SG lists and reply buffers

ipipe_admin_cqe must_submit(attachment& a, const ipipe_admin_cmd& c) {
  auto r = a.submit(c, 10s);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.err().message());
  return r ? *r : ipipe_admin_cqe{0xffff, 0xffff, 0, 0};
}

ipipe_fw_stats stats(attachment& a) {
  auto b = a.alloc(sizeof(ipipe_fw_stats));
  EXPECT_TRUE(b.has_value());
  ipipe_admin_cmd c = command(IPIPE_ADMIN_GET_STATS);
  c.buf.addr = b->bus;
  c.buf.len = sizeof(ipipe_fw_stats);
  EXPECT_EQ(must_submit(a, c).status, IPIPE_STS_OK);
  ipipe_fw_stats s;
  std::memcpy(&s, b->ptr, sizeof(s));
  a.free(*b);
  return s;
}

void expect_nop_works(attachment& a) {
  EXPECT_EQ(must_submit(a, command(IPIPE_ADMIN_NOP)).status, IPIPE_STS_OK)
      << "the emulator stopped serving";
}

// Fills `b` with a pattern derived from the offset, and checks it.
void fill_canary(std::span<std::byte> b) {
  for (std::size_t i = 0; i < b.size(); i += 8) {
    std::uint64_t v = (i * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a5a5a5a5aull;
    std::memcpy(b.data() + i, &v, std::min<std::size_t>(8, b.size() - i));
  }
}
std::size_t canary_damage(std::span<const std::byte> b) {
  std::vector<std::byte> want(b.size());
  fill_canary(want);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    bad += b[i] != want[i];
  return bad;
}

// Pops every pending event from the event ring in BAR2.
std::vector<ipipe_event> drain_events(ring_consumer<ipipe_event>& c) {
  std::vector<ipipe_event> out;
  ipipe_event e;
  while (c.pop(e))
    out.push_back(e);
  c.release();
  return out;
}

ring_view<ipipe_event> event_ring(attachment& a) {
  return {a.bar2().data() + a.header()->eventq_off, a.header()->eventq_entries};
}

// A DMA command whose SG list lives in a fresh host buffer.
ipipe_admin_cmd dma_cmd(attachment& a, std::initializer_list<ipipe_dma_seg> segs,
                        std::uint64_t nic_off = 0, std::uint32_t dir = IPIPE_DMA_TO_NIC) {
  auto sgl = a.alloc(IPIPE_DMA_MAX_SEGS * sizeof(ipipe_dma_seg));
  EXPECT_TRUE(sgl.has_value());
  std::memcpy(sgl->ptr, std::data(segs), segs.size() * sizeof(ipipe_dma_seg));
  ipipe_admin_cmd c = command(IPIPE_ADMIN_DMA);
  c.dma.sgl_addr = sgl->bus;
  c.dma.nsegs = static_cast<std::uint32_t>(segs.size());
  c.dma.nic_off = nic_off;
  c.dma.dir = dir;
  return c;
}

} // namespace

TEST(bad_input, hostile_dma_descriptors_get_exact_statuses_and_move_nothing) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  const std::uint64_t nic_size = a->header()->nic_data_size;
  const std::uint64_t top = host_size;
  auto data = a->alloc(1 << 20, 4096);
  ASSERT_TRUE(data.has_value());
  fill_canary(a->nic_data());

  struct row {
    const char* name;
    ipipe_admin_cmd cmd;
    ipipe_status want;
  };
  std::vector<row> rows;
  auto seg = [](std::uint64_t addr, std::uint32_t len) { return ipipe_dma_seg{addr, len, 0}; };
  rows.push_back({"segment beyond host memory", dma_cmd(*a, {seg(top, 4096)}), IPIPE_STS_BAD_ADDR});
  rows.push_back(
      {"segment straddles the end", dma_cmd(*a, {seg(top - 100, 4096)}), IPIPE_STS_BAD_ADDR});
  rows.push_back({"segment far away", dma_cmd(*a, {seg(1ull << 50, 1)}), IPIPE_STS_BAD_ADDR});
  rows.push_back({"segment wraps", dma_cmd(*a, {seg(~0ull - 10, 4096)}), IPIPE_STS_BAD_LEN});
  rows.push_back({"segment of zero bytes", dma_cmd(*a, {seg(data->bus, 0)}), IPIPE_STS_BAD_LEN});
  rows.push_back(
      {"second segment bad", dma_cmd(*a, {seg(data->bus, 8), seg(top, 8)}), IPIPE_STS_BAD_ADDR});
  rows.push_back(
      {"segment resv", dma_cmd(*a, {ipipe_dma_seg{data->bus, 8, 1}}), IPIPE_STS_BAD_FIELD});
  rows.push_back({"total beyond max_dma_len", dma_cmd(*a, {seg(0, 10 << 20), seg(0, 10 << 20)}),
                  IPIPE_STS_BAD_LEN});
  rows.push_back({"NIC range runs off the data area",
                  dma_cmd(*a, {seg(data->bus, 8192)}, nic_size - 4096), IPIPE_STS_BAD_ADDR});
  rows.push_back(
      {"NIC offset outside", dma_cmd(*a, {seg(data->bus, 8)}, nic_size), IPIPE_STS_BAD_ADDR});
  rows.push_back(
      {"NIC offset huge", dma_cmd(*a, {seg(data->bus, 8)}, ~0ull - 3), IPIPE_STS_BAD_ADDR});
  rows.push_back({"bad direction", dma_cmd(*a, {seg(data->bus, 8)}, 0, 2), IPIPE_STS_BAD_FIELD});
  {
    ipipe_admin_cmd c = dma_cmd(*a, {seg(data->bus, 8)});
    c.dma.nsegs = IPIPE_DMA_MAX_SEGS + 1;
    rows.push_back({"too many segments", c, IPIPE_STS_TOO_MANY_SEGS});
    c.dma.nsegs = ~0u;
    rows.push_back({"~0 segments", c, IPIPE_STS_TOO_MANY_SEGS});
    c.dma.nsegs = 0;
    rows.push_back({"no segments", c, IPIPE_STS_BAD_FIELD});
    c.dma.nsegs = 1;
    c.dma.sgl_addr = top - 8;
    rows.push_back({"SG list straddles the end", c, IPIPE_STS_BAD_ADDR});
    c.dma.sgl_addr = top;
    rows.push_back({"SG list outside", c, IPIPE_STS_BAD_ADDR});
    c.dma.sgl_addr = ~0ull - 7;
    rows.push_back({"SG list wraps", c, IPIPE_STS_BAD_LEN});
    c.dma.sgl_addr = rows.front().cmd.dma.sgl_addr;
    c.dma.resv[7] = 1;
    rows.push_back({"command resv", c, IPIPE_STS_BAD_FIELD});
  }
  for (const row& r : rows)
    EXPECT_EQ(must_submit(*a, r.cmd).status, r.want) << r.name;
  EXPECT_EQ(canary_damage(a->nic_data()), 0u) << "a failed DMA wrote NIC memory";
  ipipe_fw_stats s = stats(*a);
  EXPECT_EQ(s.dma_errors, rows.size());
  EXPECT_EQ(s.dma_cmds, 0u);
  EXPECT_GE(s.admin_errors, rows.size());
  expect_nop_works(*a);
}

TEST(bad_input, hostile_indices_types_and_reserved_fields_get_exact_statuses) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  const ipipe_hw_header* h = a->header();
  auto buf = a->alloc(1 << 16, 4096);
  ASSERT_TRUE(buf.has_value());

  auto actor = [](const char* type, std::uint32_t id) {
    ipipe_admin_cmd c = command(IPIPE_ADMIN_ACTOR_CREATE);
    std::strncpy(c.actor.type, type, sizeof(c.actor.type) - 1);
    c.actor.actor_id = id;
    return c;
  };
  EXPECT_EQ(must_submit(*a, actor("echo", h->max_actors + 1)).status, IPIPE_STS_BAD_INDEX);
  EXPECT_EQ(must_submit(*a, actor("no-such-type", 1)).status, IPIPE_STS_NOT_FOUND);
  ipipe_admin_cmd quota = actor("echo", 1);
  quota.actor.mem_quota = h->nic_data_size + 1;
  EXPECT_EQ(must_submit(*a, quota).status, IPIPE_STS_NO_SPACE);
  for (std::uint32_t i = 0; i < h->max_actors; ++i)
    ASSERT_EQ(must_submit(*a, actor("echo", 0)).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, actor("echo", 0)).status, IPIPE_STS_NO_SPACE) << "table full";
  EXPECT_EQ(must_submit(*a, actor("echo", 3)).status, IPIPE_STS_EXISTS);

  ipipe_admin_cmd destroy = command(IPIPE_ADMIN_ACTOR_DESTROY);
  destroy.target.actor_id = h->max_actors + 1;
  EXPECT_EQ(must_submit(*a, destroy).status, IPIPE_STS_BAD_INDEX);
  destroy.target.actor_id = 0;
  EXPECT_EQ(must_submit(*a, destroy).status, IPIPE_STS_BAD_INDEX);
  destroy.target.actor_id = 3;
  EXPECT_EQ(must_submit(*a, destroy).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, destroy).status, IPIPE_STS_NOT_FOUND);

  ipipe_admin_cmd mig = command(IPIPE_ADMIN_MIGRATE);
  mig.target.actor_id = 4;
  mig.target.to = IPIPE_LOC_HOST;
  mig.target.ring_id = 0;
  EXPECT_EQ(must_submit(*a, mig).status, IPIPE_STS_NOT_FOUND) << "no migration ring";
  mig.target.ring_id = h->max_rings;
  EXPECT_EQ(must_submit(*a, mig).status, IPIPE_STS_BAD_INDEX);

  ipipe_admin_cmd ring = command(IPIPE_ADMIN_RING_CREATE);
  ring.ring.addr = buf->bus;
  ring.ring.entries = 8;
  ring.ring.slot_size = 64;
  ring.ring.size = ring_region_bytes(8, 64);
  ring.ring.ring_id = h->max_rings;
  EXPECT_EQ(must_submit(*a, ring).status, IPIPE_STS_BAD_INDEX);
  ring.ring.ring_id = 0;
  ring.ring.addr = host_size;
  EXPECT_EQ(must_submit(*a, ring).status, IPIPE_STS_BAD_ADDR);
  ring.ring.addr = host_size - 4096;
  EXPECT_EQ(must_submit(*a, ring).status, IPIPE_STS_BAD_ADDR) << "region straddles the end";
  ring.ring.addr = buf->bus;
  ring.ring.type = IPIPE_RING_TYPE_LAST;
  EXPECT_EQ(must_submit(*a, ring).status, IPIPE_STS_BAD_FIELD);
  ring.ring.type = IPIPE_RING_MSG_H2N;
  ring.ring.entries = 0;
  EXPECT_EQ(must_submit(*a, ring).status, IPIPE_STS_BAD_FIELD);

  ipipe_admin_cmd id = command(IPIPE_ADMIN_IDENTIFY);
  id.buf.addr = host_size;
  id.buf.len = sizeof(ipipe_identify);
  EXPECT_EQ(must_submit(*a, id).status, IPIPE_STS_BAD_ADDR);
  id.buf.addr = ~0ull - 100;
  EXPECT_EQ(must_submit(*a, id).status, IPIPE_STS_BAD_LEN);

  for (std::uint16_t op = IPIPE_ADMIN_OP_LAST; op < IPIPE_ADMIN_OP_LAST + 50; ++op) {
    ipipe_admin_cmd c{};
    c.opcode = op;
    EXPECT_EQ(must_submit(*a, c).status, IPIPE_STS_BAD_OPCODE) << op;
  }
  // A reserved word set, for every opcode: each member's last word is resv.
  for (std::uint16_t op = 0; op < IPIPE_ADMIN_OP_LAST; ++op) {
    ipipe_admin_cmd c{};
    c.opcode = op;
    c.flags = 1;
    EXPECT_EQ(must_submit(*a, c).status, IPIPE_STS_BAD_FIELD) << "flags, opcode " << op;
    if (op == IPIPE_ADMIN_ACTOR_CREATE || op == IPIPE_ADMIN_SET_PARAMS)
      continue; // their last word is a real field, covered in admin_checks.test
    c.flags = 0;
    c.raw[13] = 0x100;
    EXPECT_EQ(must_submit(*a, c).status, IPIPE_STS_BAD_FIELD) << "resv, opcode " << op;
  }
  expect_nop_works(*a);
}

TEST(bad_input, thousands_of_random_commands_fail_cleanly_and_touch_nothing) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto scratch = a->alloc(scratch_size, 4096);
  ASSERT_TRUE(scratch.has_value());
  ASSERT_EQ(scratch->bus, 0u);
  std::span<std::byte> outside = a->host_memory().subspan(scratch_size);
  fill_canary(outside);
  fill_canary(a->nic_data());
  fill_canary({scratch->ptr, scratch->size});

  std::mt19937_64 rng{20261125};
  // Addresses that are never valid, near and far: every command built
  // from them must fail, so none may write memory.
  auto rnd_addr = [&]() -> std::uint64_t {
    switch (rng() % 4) {
    case 0:
      return rng() | (1ull << 40);
    case 1:
      return host_size + (rng() % 64);
    case 2:
      return host_size + rng() % host_size;
    default:
      return ~0ull - (rng() % 4096);
    }
  };
  constexpr int total = 20000;
  int errors = 0;
  int sent = 0;
  while (sent < total) {
    // Batches of up to 32 commands per doorbell, like a busy driver.
    const int batch = 1 + static_cast<int>(rng() % 32);
    int posted = 0;
    for (int i = 0; i < batch && sent < total; ++i, ++sent) {
      ipipe_admin_cmd c{};
      auto* words = reinterpret_cast<std::uint64_t*>(&c);
      switch (rng() % 3) {
      case 0: // pure noise
        for (int w = 0; w < 8; ++w)
          words[w] = rng();
        break;
      case 1: // a real opcode, noise in every field
        for (int w = 0; w < 8; ++w)
          words[w] = rng();
        c.opcode = static_cast<std::uint16_t>(rng() % IPIPE_ADMIN_OP_LAST);
        c.flags = rng() % 4 == 0 ? 0 : static_cast<std::uint32_t>(rng());
        break;
      default: { // plausible commands with one hostile field
        c.opcode = static_cast<std::uint16_t>(rng() % IPIPE_ADMIN_OP_LAST);
        switch (c.opcode) {
        case IPIPE_ADMIN_DMA: {
          // A list in scratch memory of garbage segments.
          const std::uint32_t n = 1 + static_cast<std::uint32_t>(rng() % 70);
          const std::uint64_t off = (rng() % 512) * 2048;
          auto* segs = reinterpret_cast<ipipe_dma_seg*>(scratch->ptr + off);
          for (std::uint32_t s = 0; s < std::min<std::uint32_t>(n, 64); ++s)
            segs[s] = ipipe_dma_seg{rnd_addr(), static_cast<std::uint32_t>(rng()), 0};
          c.dma.sgl_addr = rng() % 8 == 0 ? rnd_addr() : scratch->bus + off;
          c.dma.nsegs = n;
          c.dma.dir = static_cast<std::uint32_t>(rng() % 2);
          c.dma.nic_off = rng() % 2 ? rng() : rng() % 4096;
          break;
        }
        case IPIPE_ADMIN_RING_CREATE:
          c.ring.addr = rnd_addr() & ~0xfffull;
          c.ring.size = rng() % 2 ? rng() : host_size;
          c.ring.ring_id = static_cast<std::uint32_t>(rng() % 200);
          c.ring.type = static_cast<std::uint32_t>(rng() % 6);
          c.ring.entries = 1u << (rng() % 16);
          c.ring.slot_size = static_cast<std::uint32_t>(rng() % 100000);
          break;
        default:
          c.buf.addr = rnd_addr();
          c.buf.len = static_cast<std::uint32_t>(rng());
          break;
        }
        // Make sure it cannot be valid: an out-of-range twist per opcode.
        c.raw[13] |= (c.opcode == IPIPE_ADMIN_DMA || c.opcode == IPIPE_ADMIN_RING_CREATE ||
                      c.opcode == IPIPE_ADMIN_ACTOR_CREATE || c.opcode == IPIPE_ADMIN_SET_PARAMS)
                         ? 0
                         : 1;
        if (c.opcode == IPIPE_ADMIN_ACTOR_CREATE)
          c.actor.type[31] = 'x';
        if (c.opcode == IPIPE_ADMIN_SET_PARAMS)
          c.params.mask |= 1u << 31;
        break;
      }
      }
      auto id = a->post(c);
      ASSERT_TRUE(id.has_value());
      ++posted;
    }
    ASSERT_TRUE(a->doorbell(IPIPE_VEC_ADMIN).has_value());
    for (int i = 0; i < posted; ++i) {
      auto cqe = a->reap(10s);
      ASSERT_TRUE(cqe.has_value()) << "completion lost after " << sent << " commands";
      EXPECT_NE(cqe->status, IPIPE_STS_OK);
      EXPECT_LT(cqe->status, IPIPE_STS_LAST);
      errors += cqe->status != IPIPE_STS_OK;
    }
  }
  EXPECT_EQ(errors, total);
  EXPECT_EQ(canary_damage(outside), 0u) << "host memory outside the scratch area was written";
  EXPECT_EQ(canary_damage(a->nic_data()), 0u) << "NIC memory was written";
  ipipe_fw_stats s = stats(*a);
  EXPECT_EQ(s.admin_cmds, static_cast<std::uint64_t>(total) + 1);
  EXPECT_EQ(s.admin_errors, static_cast<std::uint64_t>(total));
  EXPECT_EQ(s.dma_cmds, 0u);
  expect_nop_works(*a);
}

TEST(bad_input, a_hostile_sq_producer_index_breaks_the_queue_until_reset) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  ring_consumer<ipipe_event> events{event_ring(*a)};
  auto* sq = reinterpret_cast<ipipe_ring_hdr*>(a->bar2().data() + a->header()->adminq_off);
  std::atomic_ref<std::uint32_t>(sq->producer).store(sq->consumer + 100000);
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_ADMIN).has_value());
  ASSERT_TRUE(a->wait_irq(IPIPE_VEC_EVENT, 10s).has_value());
  auto ev = drain_events(events);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, IPIPE_EV_FW_ERROR);
  EXPECT_EQ(ev[0].arg0, IPIPE_STS_BAD_INDEX);
  EXPECT_NE(std::atomic_ref<std::uint32_t>(sq->flags).load() & IPIPE_RING_F_BROKEN, 0u);

  ASSERT_TRUE(a->reset().has_value());
  EXPECT_EQ(std::atomic_ref<std::uint32_t>(sq->flags).load() & IPIPE_RING_F_BROKEN, 0u);
  expect_nop_works(*a);
}

TEST(bad_input, garbage_on_a_message_ring_is_counted_and_skipped) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  constexpr std::uint32_t entries = 64, slot = 128;
  ipipe_admin_cmd create = command(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(create.actor.type, "echo");
  create.actor.actor_id = 1;
  ASSERT_EQ(must_submit(*a, create).status, IPIPE_STS_OK);
  host_buffer mem[2];
  for (std::uint32_t t = 0; t < 2; ++t) {
    auto m = a->alloc(ring_region_bytes(entries, slot), 4096);
    ASSERT_TRUE(m.has_value());
    mem[t] = *m;
    ipipe_admin_cmd c = command(IPIPE_ADMIN_RING_CREATE);
    c.ring.addr = m->bus;
    c.ring.size = m->size;
    c.ring.ring_id = 5;
    c.ring.type = t;
    c.ring.entries = entries;
    c.ring.slot_size = slot;
    ASSERT_EQ(must_submit(*a, c).status, IPIPE_STS_OK);
  }
  ring_view<ipipe_ring_desc> h2n{mem[0].ptr, entries}, n2h{mem[1].ptr, entries};
  ring_producer<ipipe_ring_desc> prod{h2n};
  ring_consumer<ipipe_ring_desc> cons{n2h};
  std::byte* payload = mem[0].ptr + ring_payload_off(entries);
  const std::uint64_t area = std::uint64_t{entries} * slot;

  std::mt19937_64 rng{99};
  std::uint64_t bad = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 32; ++i) {
      ipipe_ring_desc d{};
      switch (rng() % 5) {
      case 0:
        d.off = rng();
        d.len = static_cast<std::uint32_t>(rng());
        break;
      case 1:
        d.off = area - 8;
        d.len = 64;
        break; // runs off the area
      case 2:
        d.off = 0;
        d.len = 16;
        break; // shorter than a header
      case 3:
        d.off = 0;
        d.len = 64;
        d.flags = 1;
        break;   // unsupported flag
      default: { // garbage header
        d.off = (rng() % entries) * slot;
        d.len = slot;
        for (std::uint32_t b = 0; b < slot; ++b)
          payload[d.off + b] = std::byte(rng());
        break;
      }
      }
      ASSERT_TRUE(prod.push(d));
      ++bad;
    }
    prod.publish();
    ASSERT_TRUE(a->doorbell(IPIPE_VEC_RING).has_value());
    while (std::atomic_ref<std::uint32_t>(h2n.header()->consumer).load() != prod.next_index())
      std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(stats(*a).ring_bad_desc, bad);
  ipipe_ring_desc junk;
  EXPECT_FALSE(cons.pop(junk)) << "garbage produced a reply";

  // A good request still gets its echo.
  ipipe_msg_hdr h{};
  h.dst_actor = 1;
  h.req_id = 42;
  h.len = 3;
  std::memcpy(payload, &h, sizeof(h));
  std::memcpy(payload + sizeof(h), "abc", 3);
  ipipe_ring_desc d{};
  d.len = sizeof(h) + 3;
  ASSERT_TRUE(prod.push(d));
  prod.publish();
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_RING).has_value());
  bool got = false;
  for (int i = 0; i < 1000 && !got; ++i) {
    got = cons.pop(d);
    if (!got)
      (void)a->wait_irq(IPIPE_VEC_RING, 10ms);
  }
  ASSERT_TRUE(got);
  ipipe_msg_hdr r;
  std::memcpy(&r, mem[1].ptr + ring_payload_off(entries) + d.off, sizeof(r));
  EXPECT_EQ(r.req_id, 42u);
  EXPECT_EQ(r.type, IPIPE_MSG_REPLY);

  // A hostile producer index breaks only this ring, and says so.
  ring_consumer<ipipe_event> events{event_ring(*a)};
  std::atomic_ref<std::uint32_t>(h2n.header()->producer).store(prod.next_index() + 5000);
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_RING).has_value());
  for (int i = 0; i < 1000; ++i) {
    if (std::atomic_ref<std::uint32_t>(h2n.header()->flags).load() & IPIPE_RING_F_BROKEN)
      break;
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_NE(std::atomic_ref<std::uint32_t>(h2n.header()->flags).load() & IPIPE_RING_F_BROKEN, 0u);
  ASSERT_TRUE(a->wait_irq(IPIPE_VEC_EVENT, 10s).has_value());
  auto ev = drain_events(events);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().type, IPIPE_EV_FW_ERROR);
  EXPECT_EQ(ev.back().arg1, 5u) << "the event names the ring context";
  expect_nop_works(*a);
}

TEST(bad_input, garbage_wire_frames_are_counted_and_dropped) {
  emulator_config cfg = running_nic::default_config();
  cfg.wire = endpoint{0x7f000001, 0};
  cfg.fw.wire = true;
  running_nic nic{cfg};
  ASSERT_TRUE(nic.ok());
  auto a = nic.attach();
  ASSERT_TRUE(a);
  EXPECT_NE(a->header()->caps & IPIPE_CAP_WIRE, 0u);
  ipipe_admin_cmd create = command(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(create.actor.type, "echo");
  create.actor.actor_id = 2;
  ASSERT_EQ(must_submit(*a, create).status, IPIPE_STS_OK);

  unique_fd s{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(0x7f000001);
  to.sin_port = htons(nic.emu().wire_port_number());
  ASSERT_NE(to.sin_port, 0);
  auto send = [&](std::span<const std::byte> f) {
    ASSERT_EQ(
        ::sendto(s.get(), f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
        static_cast<ssize_t>(f.size()));
  };

  wire::addresses ad;
  ad.src_ip = 0x0a000001;
  ad.dst_ip = 0x0a000002;
  ad.src_port = 5555;
  ipipe_msg_hdr h{};
  h.dst_actor = 2;
  h.req_id = 7;
  h.len = 5;
  const std::byte body[5] = {std::byte{'h'}, std::byte{'e'}, std::byte{'l'}, std::byte{'l'},
                             std::byte{'o'}};
  auto good = wire::build(ad, h, body);
  ASSERT_TRUE(good.has_value());

  std::mt19937 rng{3};
  constexpr int garbage = 500;
  for (int i = 0; i < garbage; ++i) {
    std::vector<std::byte> f = *good;
    if (i % 2 == 0) {
      f.resize(rng() % 200);
      for (auto& b : f)
        b = std::byte(rng());
    } else {
      f[12 + rng() % (f.size() - 12)] ^= std::byte(1u << (rng() % 8));
    }
    send(f);
    // Pace the burst: a full socket buffer would drop datagrams before the
    // NIC sees them, and the counts below would be off.
    if (i % 50 == 49) {
      auto& rx = nic.emu().fw().counters().wire_rx_packets;
      for (int w = 0; w < 10000 && rx.load() < static_cast<std::uint64_t>(i + 1); ++w)
        std::this_thread::sleep_for(1ms);
    }
  }
  send(*good);
  std::array<std::byte, 2048> reply;
  pollfd p{s.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "no echo over the wire";
  ssize_t n = ::recv(s.get(), reply.data(), reply.size(), 0);
  ASSERT_GT(n, 0);
  auto parsed = wire::parse({reply.data(), static_cast<std::size_t>(n)}, wire::direction::from_nic);
  ASSERT_TRUE(parsed.has_value()) << parsed.err().message();
  EXPECT_EQ(parsed->hdr.type, IPIPE_MSG_REPLY);
  EXPECT_EQ(parsed->hdr.req_id, 7u);
  EXPECT_EQ(parsed->addr.dst_ip, 0x0a000001u);
  EXPECT_EQ(parsed->addr.dst_port, 5555);
  ASSERT_EQ(parsed->payload.size(), 5u);
  EXPECT_EQ(std::memcmp(parsed->payload.data(), body, 5), 0);

  ipipe_fw_stats st = stats(*a);
  EXPECT_EQ(st.wire_rx_packets, garbage + 1u);
  EXPECT_EQ(st.wire_rx_dropped, static_cast<std::uint64_t>(garbage));
  EXPECT_EQ(st.wire_tx_packets, 1u);
}

TEST(bad_input, injected_faults_fail_dma_and_drop_interrupts_until_cleared) {
  running_nic nic;
  auto a = nic.attach();
  ASSERT_TRUE(a);
  auto data = a->alloc(4096);
  ASSERT_TRUE(data.has_value());
  const ipipe_admin_cmd dma = dma_cmd(*a, {ipipe_dma_seg{data->bus, 4096, 0}});
  ipipe_admin_cmd f = command(IPIPE_ADMIN_FAULT);
  f.fault.kind = IPIPE_FAULT_FAIL_DMA;
  f.fault.arg = 2;
  ASSERT_EQ(must_submit(*a, f).status, IPIPE_STS_OK);
  EXPECT_EQ(must_submit(*a, dma).status, IPIPE_STS_DMA_ERROR);
  EXPECT_EQ(must_submit(*a, dma).status, IPIPE_STS_DMA_ERROR);
  EXPECT_EQ(must_submit(*a, dma).status, IPIPE_STS_OK);

  f.fault.kind = IPIPE_FAULT_DROP_IRQ;
  f.fault.arg = 1000;
  ASSERT_EQ(must_submit(*a, f).status, IPIPE_STS_OK);
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_TEST).has_value());
  EXPECT_FALSE(a->wait_irq(IPIPE_VEC_TEST, 100ms).has_value()) << "interrupt not dropped";
  f.fault.kind = IPIPE_FAULT_NONE;
  f.fault.arg = 0;
  ASSERT_EQ(must_submit(*a, f).status, IPIPE_STS_OK) << "completions are polled too";
  ASSERT_TRUE(a->doorbell(IPIPE_VEC_TEST).has_value());
  EXPECT_TRUE(a->wait_irq(IPIPE_VEC_TEST, 10s).has_value());

  f.fault.kind = IPIPE_FAULT_HANG;
  ASSERT_EQ(must_submit(*a, f).status, IPIPE_STS_OK);
  EXPECT_FALSE(a->submit(command(IPIPE_ADMIN_NOP), 100ms).has_value()) << "a hung NIC answered";
  ASSERT_TRUE(a->reset().has_value());
  expect_nop_works(*a);
}

TEST(guarded_mapping, an_access_just_outside_the_window_crashes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto host = memfd_host_memory::create(1 << 20);
  ASSERT_TRUE(host.has_value());
  auto span = (*host)->translate(0, 1 << 20);
  ASSERT_TRUE(span.has_value());
  volatile std::byte* before = span->data() - 1;
  volatile std::byte* after = span->data() + span->size();
  EXPECT_DEATH((void)*before, "");
  EXPECT_DEATH((void)*after, "");
  span->data()[0] = std::byte{1}; // the window itself is fine
}
