#include <ipipe/netlink/codec.hpp>

#include <linux/genetlink.h>
#include <linux/ipipe.h>

#include <gtest/gtest.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

namespace ipipe::netlink {
namespace {

constexpr int family = 0x1d;

// -- what the kernel would send, built the way kmod/genl.c builds it --------

msg_ptr reply(std::uint8_t cmd, int flags = 0) {
  msg_ptr m{nlmsg_alloc()};
  genlmsg_put(m.get(), 0, 0, family, 0, flags, cmd, IPIPE_GENL_VERSION);
  return m;
}

dev_info sample_dev() {
  dev_info d;
  d.index = 3;
  d.name = "ipipe3";
  d.bus_name = "0000:00:04.0";
  d.fw_name = "ipipe-nic";
  d.fw_version = 0x010203;
  d.abi_version = IPIPE_ABI_VERSION;
  d.fw_state = IPIPE_FW_STATE_READY;
  d.nic_cores = 8;
  d.nic_mem = 64ull << 20;
  d.params = {50000, 20000, 200, 10000, 0, 6, 2};
  return d;
}

msg_ptr encode(const dev_info& d) {
  auto m = reply(IPIPE_CMD_DEV_GET);
  nl_msg* msg = m.get();
  nla_put_u32(msg, IPIPE_A_DEV_INDEX, d.index);
  nla_put_string(msg, IPIPE_A_DEV_NAME, d.name.c_str());
  nla_put_string(msg, IPIPE_A_BUS_NAME, d.bus_name.c_str());
  nla_put_string(msg, IPIPE_A_FW_NAME, d.fw_name.c_str());
  nla_put_u32(msg, IPIPE_A_FW_VERSION, d.fw_version);
  nla_put_u32(msg, IPIPE_A_ABI_VERSION, d.abi_version);
  if (d.fw_state)
    nla_put_u32(msg, IPIPE_A_FW_STATE, *d.fw_state);
  nla_put_u32(msg, IPIPE_A_NIC_CORES, d.nic_cores);
  nla_put_u64(msg, IPIPE_A_NIC_MEM, d.nic_mem);
  nla_put_u64(msg, IPIPE_A_TAIL_THRESH_NS, d.params.tail_thresh_ns);
  nla_put_u64(msg, IPIPE_A_MEAN_THRESH_NS, d.params.mean_thresh_ns);
  nla_put_u32(msg, IPIPE_A_ALPHA_PERMILLE, d.params.alpha_permille);
  nla_put_u32(msg, IPIPE_A_DRR_QUANTUM_NS, d.params.drr_quantum_ns);
  nla_put_u32(msg, IPIPE_A_FCFS_CORES, d.params.fcfs_cores);
  nla_put_u32(msg, IPIPE_A_FCFS_CORES_NOW, d.params.fcfs_cores_now);
  nla_put_u32(msg, IPIPE_A_DRR_CORES_NOW, d.params.drr_cores_now);
  if (!d.stats.empty()) {
    nlattr* nest = nla_nest_start(msg, IPIPE_A_STATS);
    for (std::uint32_t a = IPIPE_A_STATS_ADMIN_CMDS; a <= IPIPE_A_STATS_MAX; ++a)
      for (const auto& [name, value] : d.stats)
        if (name == stats_name(a))
          nla_put_u64(msg, static_cast<int>(a), value);
    nla_nest_end(msg, nest);
  }
  return m;
}

actor_info sample_actor() {
  actor_info a;
  a.dev_index = 1;
  a.id = 42;
  a.type = "kv";
  a.location = IPIPE_LOC_HOST;
  a.group = IPIPE_GROUP_DRR;
  a.flags = IPIPE_ACTOR_F_PINNED | IPIPE_ACTOR_S_MIGRATING;
  a.requests = 123456789012ull;
  a.migrations = 7;
  a.mean_ns = 1500;
  a.tail_ns = 9000;
  a.mailbox_len = 12;
  a.mem_used = 4096;
  a.mem_quota = 1 << 20;
  a.p50_ns = 1200;
  a.p99_ns = 8800;
  return a;
}

msg_ptr encode(const actor_info& a) {
  auto m = reply(IPIPE_CMD_ACTOR_GET, NLM_F_MULTI);
  nl_msg* msg = m.get();
  nla_put_u32(msg, IPIPE_A_DEV_INDEX, a.dev_index);
  nlattr* nest = nla_nest_start(msg, IPIPE_A_ACTOR);
  nla_put_u32(msg, IPIPE_A_ACTOR_ID, a.id);
  nla_put_string(msg, IPIPE_A_ACTOR_TYPE, a.type.c_str());
  nla_put_u32(msg, IPIPE_A_ACTOR_LOCATION, a.location);
  nla_put_u32(msg, IPIPE_A_ACTOR_GROUP, a.group);
  nla_put_u32(msg, IPIPE_A_ACTOR_FLAGS, a.flags);
  nla_put_u64(msg, IPIPE_A_ACTOR_REQUESTS, a.requests);
  nla_put_u64(msg, IPIPE_A_ACTOR_MIGRATIONS, a.migrations);
  nla_put_u64(msg, IPIPE_A_ACTOR_MEAN_NS, a.mean_ns);
  nla_put_u64(msg, IPIPE_A_ACTOR_TAIL_NS, a.tail_ns);
  nla_put_u32(msg, IPIPE_A_ACTOR_MAILBOX_LEN, a.mailbox_len);
  nla_put_u64(msg, IPIPE_A_ACTOR_MEM_USED, a.mem_used);
  nla_put_u64(msg, IPIPE_A_ACTOR_MEM_QUOTA, a.mem_quota);
  if (a.p50_ns)
    nla_put_u64(msg, IPIPE_A_ACTOR_P50_NS, *a.p50_ns);
  if (a.p99_ns)
    nla_put_u64(msg, IPIPE_A_ACTOR_P99_NS, *a.p99_ns);
  nla_nest_end(msg, nest);
  return m;
}

TEST(netlink_codec, a_device_reply_parses_into_every_field) {
  const dev_info d = sample_dev();
  auto m = encode(d);
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got) << got.err().message();
  EXPECT_EQ(d, *got);
}

TEST(netlink_codec, a_device_reply_with_statistics_names_each_counter_in_order) {
  dev_info d = sample_dev();
  d.stats = {{"admin_cmds", 9}, {"dma_bytes", 1ull << 40}, {"actors_recovered", 2}, {"events", 5}};
  auto m = encode(d);
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got) << got.err().message();
  EXPECT_EQ(d, *got);
}

TEST(netlink_codec, a_statistics_nest_with_a_counter_of_the_wrong_size_is_refused) {
  auto m = encode(sample_dev());
  nlattr* nest = nla_nest_start(m.get(), IPIPE_A_STATS);
  nla_put_u32(m.get(), IPIPE_A_STATS_ADMIN_CMDS, 1); // u64 expected
  nla_nest_end(m.get(), nest);
  EXPECT_FALSE(parse_dev(nlmsg_hdr(m.get())));
}

TEST(netlink_codec, an_actor_of_an_older_kernel_has_no_percentiles) {
  actor_info a = sample_actor();
  a.p50_ns.reset();
  a.p99_ns.reset();
  auto m = encode(a);
  auto got = parse_actor(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->p50_ns.has_value());
  EXPECT_FALSE(got->p99_ns.has_value());
}

TEST(netlink_codec, a_device_reply_of_an_older_kernel_has_no_fw_state) {
  dev_info d = sample_dev();
  d.fw_state.reset();
  auto m = encode(d);
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->fw_state.has_value());
}

TEST(netlink_codec, attributes_of_a_newer_kernel_are_ignored) {
  auto m = encode(sample_dev());
  nla_put_u32(m.get(), IPIPE_A_MAX + 7, 99);
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got) << got.err().message();
  EXPECT_EQ(sample_dev(), *got);
}

TEST(netlink_codec, a_device_reply_without_index_is_a_protocol_error) {
  auto m = reply(IPIPE_CMD_DEV_GET);
  nla_put_string(m.get(), IPIPE_A_DEV_NAME, "ipipe0");
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_FALSE(got);
  EXPECT_EQ(errc::protocol_error, got.err().code());
}

TEST(netlink_codec, a_reply_of_another_command_is_refused) {
  auto m = encode(sample_actor());
  auto got = parse_dev(nlmsg_hdr(m.get()));
  ASSERT_FALSE(got);
  EXPECT_EQ(errc::protocol_error, got.err().code());
}

TEST(netlink_codec, an_attribute_of_the_wrong_size_is_refused) {
  auto m = reply(IPIPE_CMD_DEV_GET);
  nla_put_u32(m.get(), IPIPE_A_DEV_INDEX, 0);
  nla_put_u32(m.get(), IPIPE_A_NIC_MEM, 1); // u64 expected
  EXPECT_FALSE(parse_dev(nlmsg_hdr(m.get())));
}

TEST(netlink_codec, a_string_without_its_nul_is_refused) {
  auto m = reply(IPIPE_CMD_DEV_GET);
  nla_put_u32(m.get(), IPIPE_A_DEV_INDEX, 0);
  nla_put(m.get(), IPIPE_A_DEV_NAME, 3, "abc");
  EXPECT_FALSE(parse_dev(nlmsg_hdr(m.get())));
}

TEST(netlink_codec, a_message_shorter_than_its_genl_header_is_refused) {
  msg_ptr m{nlmsg_alloc()};
  nlmsg_put(m.get(), 0, 0, family, 0, 0);
  EXPECT_EQ(0, genl_cmd(nlmsg_hdr(m.get())));
  EXPECT_FALSE(parse_dev(nlmsg_hdr(m.get())));
}

TEST(netlink_codec, an_actor_dump_entry_parses_into_every_field) {
  const actor_info a = sample_actor();
  auto m = encode(a);
  auto got = parse_actor(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got) << got.err().message();
  EXPECT_EQ(a, *got);
}

TEST(netlink_codec, an_actor_entry_without_its_nest_or_id_is_refused) {
  auto m = reply(IPIPE_CMD_ACTOR_GET);
  nla_put_u32(m.get(), IPIPE_A_DEV_INDEX, 0);
  EXPECT_FALSE(parse_actor(nlmsg_hdr(m.get())));
  nlattr* nest = nla_nest_start(m.get(), IPIPE_A_ACTOR);
  nla_put_string(m.get(), IPIPE_A_ACTOR_TYPE, "echo");
  nla_nest_end(m.get(), nest);
  EXPECT_FALSE(parse_actor(nlmsg_hdr(m.get())));
}

TEST(netlink_codec, an_event_parses_into_every_field) {
  auto m = reply(IPIPE_CMD_EVENT);
  nla_put_u32(m.get(), IPIPE_A_DEV_INDEX, 2);
  nla_put_string(m.get(), IPIPE_A_DEV_NAME, "ipipe2");
  nlattr* nest = nla_nest_start(m.get(), IPIPE_A_EVENT);
  nla_put_u32(m.get(), IPIPE_A_EVENT_TYPE, IPIPE_EV_ACTOR_MIGRATED);
  nla_put_u32(m.get(), IPIPE_A_EVENT_ACTOR_ID, 5);
  nla_put_u64(m.get(), IPIPE_A_EVENT_TS_NS, 1000000);
  nla_put_u64(m.get(), IPIPE_A_EVENT_ARG0, IPIPE_LOC_HOST);
  nla_put_u64(m.get(), IPIPE_A_EVENT_ARG1, 777);
  nla_nest_end(m.get(), nest);
  auto got = parse_event(nlmsg_hdr(m.get()));
  ASSERT_TRUE(got) << got.err().message();
  const event want{2, "ipipe2", IPIPE_EV_ACTOR_MIGRATED, 5, 1000000, IPIPE_LOC_HOST, 777};
  EXPECT_EQ(want, *got);
  EXPECT_EQ("actor-migrated", event_name(got->type));
}

TEST(netlink_codec, params_set_carries_only_the_fields_given) {
  for (const params_update& p : {
           params_update{.tail_thresh_ns = 45000},
           params_update{.mean_thresh_ns = 33000, .fcfs_cores = 0},
           params_update{.alpha_permille = 1000, .drr_quantum_ns = 100},
           params_update{50000, 20000, 200, 10000, 4},
       }) {
    auto m = build_params_set(family, 7, p);
    ASSERT_TRUE(m);
    const nlmsghdr* h = nlmsg_hdr(m->get());
    EXPECT_EQ(family, h->nlmsg_type);
    EXPECT_EQ(0, h->nlmsg_flags & NLM_F_DUMP);
    auto back = parse_params_set(h);
    ASSERT_TRUE(back) << back.err().message();
    EXPECT_EQ(p, *back);
    nlattr* idx = nlmsg_find_attr(const_cast<nlmsghdr*>(h), GENL_HDRLEN, IPIPE_A_DEV_INDEX);
    ASSERT_NE(nullptr, idx);
    EXPECT_EQ(7u, nla_get_u32(idx));
  }
}

TEST(netlink_codec, actor_migrate_sends_a_flagged_nest) {
  auto m = build_actor_migrate(family, 1, 9, IPIPE_LOC_HOST);
  ASSERT_TRUE(m);
  const nlmsghdr* h = nlmsg_hdr(m->get());
  EXPECT_EQ(IPIPE_CMD_ACTOR_MIGRATE, genl_cmd(h));
  nlattr* nest = nlmsg_find_attr(const_cast<nlmsghdr*>(h), GENL_HDRLEN, IPIPE_A_ACTOR);
  ASSERT_NE(nullptr, nest);
  EXPECT_NE(0, nest->nla_type & NLA_F_NESTED);
  auto back = parse_actor_migrate(h);
  ASSERT_TRUE(back) << back.err().message();
  EXPECT_EQ(1u, back->index);
  EXPECT_EQ(9u, back->actor_id);
  EXPECT_EQ(static_cast<std::uint32_t>(IPIPE_LOC_HOST), back->to);
}

TEST(netlink_codec, get_requests_are_a_do_with_an_index_and_a_dump_without) {
  auto one = build_dev_get(family, 4);
  ASSERT_TRUE(one);
  EXPECT_EQ(0, nlmsg_hdr(one->get())->nlmsg_flags & NLM_F_DUMP);
  EXPECT_NE(nullptr, nlmsg_find_attr(nlmsg_hdr(one->get()), GENL_HDRLEN, IPIPE_A_DEV_INDEX));
  auto all = build_dev_get(family, std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(NLM_F_DUMP, nlmsg_hdr(all->get())->nlmsg_flags & NLM_F_DUMP);
  EXPECT_EQ(nullptr, nlmsg_find_attr(nlmsg_hdr(all->get()), GENL_HDRLEN, IPIPE_A_DEV_INDEX));
  EXPECT_EQ(nullptr, nlmsg_find_attr(nlmsg_hdr(all->get()), GENL_HDRLEN, IPIPE_A_STATS_REQ));
  auto with_stats = build_dev_get(family, std::nullopt, true);
  ASSERT_TRUE(with_stats);
  EXPECT_NE(nullptr, nlmsg_find_attr(nlmsg_hdr(with_stats->get()), GENL_HDRLEN, IPIPE_A_STATS_REQ));
  auto actors = build_actor_dump(family, 2);
  ASSERT_TRUE(actors);
  EXPECT_EQ(IPIPE_CMD_ACTOR_GET, genl_cmd(nlmsg_hdr(actors->get())));
  EXPECT_EQ(NLM_F_DUMP, nlmsg_hdr(actors->get())->nlmsg_flags & NLM_F_DUMP);
}

TEST(netlink_codec, names_follow_the_spec) {
  EXPECT_EQ("nic", location_name(IPIPE_LOC_NIC));
  EXPECT_EQ("host", location_name(IPIPE_LOC_HOST));
  EXPECT_EQ("?", location_name(9));
  EXPECT_EQ("drr", group_name(IPIPE_GROUP_DRR));
  EXPECT_EQ("ready", fw_state_name(IPIPE_FW_STATE_READY));
  EXPECT_EQ("migrate-request", event_name(IPIPE_EV_MIGRATE_REQUEST));
  EXPECT_EQ("admin_cmds", stats_name(IPIPE_A_STATS_ADMIN_CMDS));
  EXPECT_EQ("recovery_checkpoints", stats_name(IPIPE_A_STATS_RECOVERY_CHECKPOINTS));
  EXPECT_EQ("events", stats_name(IPIPE_A_STATS_EVENTS));
  EXPECT_EQ("?", stats_name(IPIPE_A_STATS_PAD));
  EXPECT_EQ("?", stats_name(IPIPE_A_STATS_MAX + 1));
  EXPECT_EQ(std::optional<std::uint32_t>{IPIPE_LOC_HOST}, parse_location("host"));
  EXPECT_FALSE(parse_location("disk"));
}

} // namespace
} // namespace ipipe::netlink
