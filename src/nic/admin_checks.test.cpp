// The structural checks of admin commands, one table row per edge case.
#include <ipipe/nic/admin_checks.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

using namespace ipipe::nic;

namespace {

fw_limits limits() {
  fw_limits l;
  l.nic_cores = 4;
  l.max_rings = 8;
  l.max_actors = 16;
  l.nic_data_size = 1 << 20;
  return l;
}

ipipe_admin_cmd cmd(ipipe_admin_opcode op) {
  ipipe_admin_cmd c{};
  c.opcode = static_cast<std::uint16_t>(op);
  return c;
}

ipipe_admin_cmd good_ring() {
  ipipe_admin_cmd c = cmd(IPIPE_ADMIN_RING_CREATE);
  c.ring.addr = 0x10000;
  c.ring.entries = 64;
  c.ring.slot_size = 2048;
  c.ring.size = ring_region_bytes(64, 2048);
  c.ring.ring_id = 7;
  c.ring.type = IPIPE_RING_MSG_N2H;
  return c;
}

ipipe_admin_cmd good_dma() {
  ipipe_admin_cmd c = cmd(IPIPE_ADMIN_DMA);
  c.dma.sgl_addr = 0x1000;
  c.dma.nsegs = 64;
  c.dma.nic_off = 0;
  c.dma.dir = IPIPE_DMA_FROM_NIC;
  return c;
}

ipipe_admin_cmd good_actor() {
  ipipe_admin_cmd c = cmd(IPIPE_ADMIN_ACTOR_CREATE);
  std::strcpy(c.actor.type, "echo");
  c.actor.actor_id = 16;
  c.actor.ring_id = 7;
  c.actor.location = IPIPE_LOC_HOST;
  c.actor.flags = IPIPE_ACTOR_F_PINNED;
  return c;
}

ipipe_admin_cmd good_buf(ipipe_admin_opcode op, std::uint32_t len) {
  ipipe_admin_cmd c = cmd(op);
  c.buf.addr = 0x2000;
  c.buf.len = len;
  return c;
}

struct row {
  const char* name;
  std::function<ipipe_admin_cmd()> make;
  ipipe_status want;
};

ipipe_admin_cmd with(ipipe_admin_cmd c, const std::function<void(ipipe_admin_cmd&)>& f) {
  f(c);
  return c;
}

} // namespace

TEST(admin_checks, every_edge_case_gets_its_documented_status) {
  const row rows[] = {
      {"nop", [] { return cmd(IPIPE_ADMIN_NOP); }, IPIPE_STS_OK},
      {"reset", [] { return cmd(IPIPE_ADMIN_RESET); }, IPIPE_STS_OK},
      {"opcode LAST", [] { return cmd(IPIPE_ADMIN_OP_LAST); }, IPIPE_STS_BAD_OPCODE},
      {"opcode 0xffff",
       [] {
         ipipe_admin_cmd c{};
         c.opcode = 0xffff;
         return c;
       },
       IPIPE_STS_BAD_OPCODE},
      {"flags", [] { return with(cmd(IPIPE_ADMIN_NOP), [](auto& c) { c.flags = 1u << 31; }); },
       IPIPE_STS_BAD_FIELD},
      {"nop with payload",
       [] { return with(cmd(IPIPE_ADMIN_NOP), [](auto& c) { c.raw[13] = 1; }); },
       IPIPE_STS_BAD_FIELD},
      {"identify", [] { return good_buf(IPIPE_ADMIN_IDENTIFY, sizeof(ipipe_identify)); },
       IPIPE_STS_OK},
      {"identify short buffer",
       [] { return good_buf(IPIPE_ADMIN_IDENTIFY, sizeof(ipipe_identify) - 1); },
       IPIPE_STS_BAD_LEN},
      {"identify zero length", [] { return good_buf(IPIPE_ADMIN_IDENTIFY, 0); }, IPIPE_STS_BAD_LEN},
      {"identify wraps",
       [] {
         return with(good_buf(IPIPE_ADMIN_IDENTIFY, 4096),
                     [](auto& c) { c.buf.addr = ~0ull - 10; });
       },
       IPIPE_STS_BAD_LEN},
      {"identify resv",
       [] {
         return with(good_buf(IPIPE_ADMIN_IDENTIFY, 4096), [](auto& c) { c.buf.resv[10] = 1; });
       },
       IPIPE_STS_BAD_FIELD},
      {"stats", [] { return good_buf(IPIPE_ADMIN_GET_STATS, sizeof(ipipe_fw_stats)); },
       IPIPE_STS_OK},
      {"actor list one entry", [] { return good_buf(IPIPE_ADMIN_ACTOR_LIST, 128); }, IPIPE_STS_OK},
      {"actor list too small", [] { return good_buf(IPIPE_ADMIN_ACTOR_LIST, 127); },
       IPIPE_STS_BAD_LEN},
      {"params all",
       [] {
         return with(cmd(IPIPE_ADMIN_SET_PARAMS), [](auto& c) {
           c.params.mask = IPIPE_PARAM_ALL;
           c.params.tail_thresh_ns = 1;
           c.params.mean_thresh_ns = 1;
           c.params.alpha_permille = 1000;
           c.params.drr_quantum_ns = 1;
           c.params.fcfs_cores = 4;
         });
       },
       IPIPE_STS_OK},
      {"params empty mask", [] { return cmd(IPIPE_ADMIN_SET_PARAMS); }, IPIPE_STS_BAD_FIELD},
      {"params unknown mask bit",
       [] { return with(cmd(IPIPE_ADMIN_SET_PARAMS), [](auto& c) { c.params.mask = 1u << 5; }); },
       IPIPE_STS_BAD_FIELD},
      {"params alpha 1001",
       [] {
         return with(cmd(IPIPE_ADMIN_SET_PARAMS), [](auto& c) {
           c.params.mask = IPIPE_PARAM_ALPHA;
           c.params.alpha_permille = 1001;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"params zero threshold",
       [] {
         return with(cmd(IPIPE_ADMIN_SET_PARAMS),
                     [](auto& c) { c.params.mask = IPIPE_PARAM_TAIL_THRESH; });
       },
       IPIPE_STS_BAD_FIELD},
      {"params unselected field set",
       [] {
         return with(cmd(IPIPE_ADMIN_SET_PARAMS), [](auto& c) {
           c.params.mask = IPIPE_PARAM_ALPHA;
           c.params.mean_thresh_ns = 5;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"params too many fcfs cores",
       [] {
         return with(cmd(IPIPE_ADMIN_SET_PARAMS), [](auto& c) {
           c.params.mask = IPIPE_PARAM_FCFS_CORES;
           c.params.fcfs_cores = 5;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"actor", good_actor, IPIPE_STS_OK},
      {"actor id 0 (firmware picks)",
       [] { return with(good_actor(), [](auto& c) { c.actor.actor_id = 0; }); }, IPIPE_STS_OK},
      {"actor id too big",
       [] { return with(good_actor(), [](auto& c) { c.actor.actor_id = 17; }); },
       IPIPE_STS_BAD_INDEX},
      {"actor ring too big",
       [] { return with(good_actor(), [](auto& c) { c.actor.ring_id = 8; }); },
       IPIPE_STS_BAD_INDEX},
      {"actor empty type", [] { return with(good_actor(), [](auto& c) { c.actor.type[0] = 0; }); },
       IPIPE_STS_BAD_FIELD},
      {"actor unterminated type",
       [] { return with(good_actor(), [](auto& c) { std::memset(c.actor.type, 'a', 32); }); },
       IPIPE_STS_BAD_FIELD},
      {"actor junk after type",
       [] { return with(good_actor(), [](auto& c) { c.actor.type[31] = 'x'; }); },
       IPIPE_STS_BAD_FIELD},
      {"actor location", [] { return with(good_actor(), [](auto& c) { c.actor.location = 2; }); },
       IPIPE_STS_BAD_FIELD},
      {"actor flags", [] { return with(good_actor(), [](auto& c) { c.actor.flags = 2; }); },
       IPIPE_STS_BAD_FIELD},
      {"destroy actor 0", [] { return cmd(IPIPE_ADMIN_ACTOR_DESTROY); }, IPIPE_STS_BAD_INDEX},
      {"destroy with ring",
       [] {
         return with(cmd(IPIPE_ADMIN_ACTOR_DESTROY), [](auto& c) {
           c.target.actor_id = 1;
           c.target.ring_id = 1;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"migrate to 2",
       [] {
         return with(cmd(IPIPE_ADMIN_MIGRATE), [](auto& c) {
           c.target.actor_id = 1;
           c.target.to = 2;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"migrate ring too big",
       [] {
         return with(cmd(IPIPE_ADMIN_MIGRATE), [](auto& c) {
           c.target.actor_id = 1;
           c.target.ring_id = 8;
         });
       },
       IPIPE_STS_BAD_INDEX},
      {"ring", good_ring, IPIPE_STS_OK},
      {"ring type", [] { return with(good_ring(), [](auto& c) { c.ring.type = 4; }); },
       IPIPE_STS_BAD_FIELD},
      {"ring id", [] { return with(good_ring(), [](auto& c) { c.ring.ring_id = 8; }); },
       IPIPE_STS_BAD_INDEX},
      {"ring entries not a power of two",
       [] { return with(good_ring(), [](auto& c) { c.ring.entries = 48; }); }, IPIPE_STS_BAD_FIELD},
      {"ring entries too few",
       [] { return with(good_ring(), [](auto& c) { c.ring.entries = 4; }); }, IPIPE_STS_BAD_FIELD},
      {"ring entries too many",
       [] { return with(good_ring(), [](auto& c) { c.ring.entries = 8192; }); },
       IPIPE_STS_BAD_FIELD},
      {"ring slot too small",
       [] { return with(good_ring(), [](auto& c) { c.ring.slot_size = 16; }); }, IPIPE_STS_BAD_LEN},
      {"ring slot too big",
       [] { return with(good_ring(), [](auto& c) { c.ring.slot_size = 131072; }); },
       IPIPE_STS_BAD_LEN},
      {"ring region too small", [] { return with(good_ring(), [](auto& c) { c.ring.size -= 1; }); },
       IPIPE_STS_BAD_LEN},
      {"ring region wraps",
       [] { return with(good_ring(), [](auto& c) { c.ring.addr = ~0ull & ~0xfffull; }); },
       IPIPE_STS_BAD_LEN},
      {"ring misaligned", [] { return with(good_ring(), [](auto& c) { c.ring.addr += 64; }); },
       IPIPE_STS_BAD_ADDR},
      {"ring resv", [] { return with(good_ring(), [](auto& c) { c.ring.resv[4] = 1; }); },
       IPIPE_STS_BAD_FIELD},
      {"ring unknown flag", [] { return with(good_ring(), [](auto& c) { c.ring.flags = 2; }); },
       IPIPE_STS_BAD_FIELD},
      {"ring runtime flag",
       [] {
         return with(good_ring(), [](auto& c) { c.ring.flags = IPIPE_RING_CREATE_F_RUNTIME; });
       },
       IPIPE_STS_OK},
      {"ring destroy",
       [] { return with(cmd(IPIPE_ADMIN_RING_DESTROY), [](auto& c) { c.ring.ring_id = 7; }); },
       IPIPE_STS_OK},
      {"ring destroy with geometry",
       [] { return with(cmd(IPIPE_ADMIN_RING_DESTROY), [](auto& c) { c.ring.entries = 8; }); },
       IPIPE_STS_BAD_FIELD},
      {"dma", good_dma, IPIPE_STS_OK},
      {"dma copy only",
       [] { return with(good_dma(), [](auto& c) { c.flags = IPIPE_DMA_F_NO_CRC; }); },
       IPIPE_STS_OK},
      {"dma unknown flag", [] { return with(good_dma(), [](auto& c) { c.flags = 2; }); },
       IPIPE_STS_BAD_FIELD},
      {"nop with the DMA flag",
       [] { return with(cmd(IPIPE_ADMIN_NOP), [](auto& c) { c.flags = IPIPE_DMA_F_NO_CRC; }); },
       IPIPE_STS_BAD_FIELD},
      {"dma zero segments", [] { return with(good_dma(), [](auto& c) { c.dma.nsegs = 0; }); },
       IPIPE_STS_BAD_FIELD},
      {"dma 65 segments", [] { return with(good_dma(), [](auto& c) { c.dma.nsegs = 65; }); },
       IPIPE_STS_TOO_MANY_SEGS},
      {"dma ~0 segments", [] { return with(good_dma(), [](auto& c) { c.dma.nsegs = ~0u; }); },
       IPIPE_STS_TOO_MANY_SEGS},
      {"dma direction", [] { return with(good_dma(), [](auto& c) { c.dma.dir = 2; }); },
       IPIPE_STS_BAD_FIELD},
      {"dma sgl wraps",
       [] { return with(good_dma(), [](auto& c) { c.dma.sgl_addr = ~0ull - 8; }); },
       IPIPE_STS_BAD_LEN},
      {"dma nic offset outside",
       [] { return with(good_dma(), [](auto& c) { c.dma.nic_off = 1 << 20; }); },
       IPIPE_STS_BAD_ADDR},
      {"dma resv", [] { return with(good_dma(), [](auto& c) { c.dma.resv[0] = 1; }); },
       IPIPE_STS_BAD_FIELD},
      {"fault drop irq",
       [] {
         return with(cmd(IPIPE_ADMIN_FAULT), [](auto& c) {
           c.fault.kind = IPIPE_FAULT_DROP_IRQ;
           c.fault.arg = 1;
         });
       },
       IPIPE_STS_OK},
      {"fault kind", [] { return with(cmd(IPIPE_ADMIN_FAULT), [](auto& c) { c.fault.kind = 5; }); },
       IPIPE_STS_BAD_FIELD},
      {"fault hang with arg",
       [] {
         return with(cmd(IPIPE_ADMIN_FAULT), [](auto& c) {
           c.fault.kind = IPIPE_FAULT_HANG;
           c.fault.arg = 1;
         });
       },
       IPIPE_STS_BAD_FIELD},
      {"fault delay too long",
       [] {
         return with(cmd(IPIPE_ADMIN_FAULT), [](auto& c) {
           c.fault.kind = IPIPE_FAULT_DELAY_CQ;
           c.fault.arg = 10001;
         });
       },
       IPIPE_STS_BAD_FIELD},
  };
  for (const row& r : rows)
    EXPECT_EQ(check_admin_cmd(r.make(), limits()), r.want) << r.name;
}

TEST(admin_checks, ring_regions_put_the_payload_on_a_page_boundary) {
  EXPECT_EQ(ring_payload_off(8), 4096u);
  EXPECT_EQ(ring_payload_off(128), 8192u);
  EXPECT_EQ(ring_payload_off(4096), 33u * 4096);
  EXPECT_EQ(ring_region_bytes(8, 64), 4096u + 512);
}
