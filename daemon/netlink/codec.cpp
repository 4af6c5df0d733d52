#include <ipipe/netlink/codec.hpp>
#include <ipipe/netlink/nl_error.hpp>

#include <linux/genetlink.h>
#include <linux/ipipe.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <array>

namespace ipipe::netlink {

void sock_deleter::operator()(nl_sock* s) const noexcept {
  nl_socket_free(s);
}
void msg_deleter::operator()(nl_msg* m) const noexcept {
  nlmsg_free(m);
}
void cb_deleter::operator()(nl_cb* c) const noexcept {
  nl_cb_put(c);
}

namespace {

constexpr std::uint16_t nested_flag = NLA_F_NESTED;

// -- building ----------------------------------------------------------------

expected<msg_ptr> new_request(int family, std::uint8_t cmd, int flags) {
  msg_ptr m{nlmsg_alloc()};
  if (!m)
    return error{errc::no_space, "nlmsg_alloc"};
  if (!genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, IPIPE_GENL_VERSION))
    return error{errc::no_space, "genlmsg_put"};
  return m;
}

error put_failed(int nle) {
  return libnl_error(nle, "building a netlink request");
}

// -- parsing -----------------------------------------------------------------

// The attribute tables of the family, as libnl policies (type checks only:
// the kernel is trusted for ranges, not for lengths).
using dev_table = std::array<nlattr*, IPIPE_A_MAX + 1>;
using actor_table = std::array<nlattr*, IPIPE_A_ACTOR_MAX + 1>;
using event_table = std::array<nlattr*, IPIPE_A_EVENT_MAX + 1>;

std::array<nla_policy, IPIPE_A_MAX + 1> dev_policy() {
  std::array<nla_policy, IPIPE_A_MAX + 1> p{};
  for (int a : {IPIPE_A_DEV_INDEX, IPIPE_A_FW_VERSION, IPIPE_A_ABI_VERSION, IPIPE_A_NIC_CORES,
                IPIPE_A_ALPHA_PERMILLE, IPIPE_A_DRR_QUANTUM_NS, IPIPE_A_FCFS_CORES,
                IPIPE_A_FCFS_CORES_NOW, IPIPE_A_DRR_CORES_NOW, IPIPE_A_FW_STATE})
    p[a].type = NLA_U32;
  for (int a : {IPIPE_A_NIC_MEM, IPIPE_A_TAIL_THRESH_NS, IPIPE_A_MEAN_THRESH_NS})
    p[a].type = NLA_U64;
  for (int a : {IPIPE_A_DEV_NAME, IPIPE_A_BUS_NAME, IPIPE_A_FW_NAME})
    p[a].type = NLA_STRING;
  p[IPIPE_A_ACTOR].type = NLA_NESTED;
  p[IPIPE_A_EVENT].type = NLA_NESTED;
  p[IPIPE_A_STATS].type = NLA_NESTED;
  return p;
}

std::array<nla_policy, IPIPE_A_STATS_MAX + 1> stats_policy() {
  std::array<nla_policy, IPIPE_A_STATS_MAX + 1> p{};
  for (int a = IPIPE_A_STATS_ADMIN_CMDS; a <= IPIPE_A_STATS_MAX; ++a)
    p[a].type = NLA_U64;
  return p;
}

std::array<nla_policy, IPIPE_A_ACTOR_MAX + 1> actor_policy() {
  std::array<nla_policy, IPIPE_A_ACTOR_MAX + 1> p{};
  for (int a : {IPIPE_A_ACTOR_ID, IPIPE_A_ACTOR_LOCATION, IPIPE_A_ACTOR_GROUP, IPIPE_A_ACTOR_FLAGS,
                IPIPE_A_ACTOR_MAILBOX_LEN})
    p[a].type = NLA_U32;
  for (int a : {IPIPE_A_ACTOR_REQUESTS, IPIPE_A_ACTOR_MIGRATIONS, IPIPE_A_ACTOR_MEAN_NS,
                IPIPE_A_ACTOR_TAIL_NS, IPIPE_A_ACTOR_MEM_USED, IPIPE_A_ACTOR_MEM_QUOTA,
                IPIPE_A_ACTOR_P50_NS, IPIPE_A_ACTOR_P99_NS})
    p[a].type = NLA_U64;
  p[IPIPE_A_ACTOR_TYPE].type = NLA_STRING;
  return p;
}

std::array<nla_policy, IPIPE_A_EVENT_MAX + 1> event_policy() {
  std::array<nla_policy, IPIPE_A_EVENT_MAX + 1> p{};
  p[IPIPE_A_EVENT_TYPE].type = NLA_U32;
  p[IPIPE_A_EVENT_ACTOR_ID].type = NLA_U32;
  for (int a : {IPIPE_A_EVENT_TS_NS, IPIPE_A_EVENT_ARG0, IPIPE_A_EVENT_ARG1})
    p[a].type = NLA_U64;
  return p;
}

expected<dev_table> parse_top(const nlmsghdr* hdr, std::uint8_t cmd) {
  static const auto policy = dev_policy();
  auto* h = const_cast<nlmsghdr*>(hdr); // libnl takes non-const, reads only
  if (!genlmsg_valid_hdr(h, 0))
    return error{errc::protocol_error, "short genetlink message"};
  if (genl_cmd(hdr) != cmd)
    return error{errc::protocol_error, "unexpected genetlink command"};
  dev_table tb{};
  const int r = genlmsg_parse(h, 0, tb.data(), IPIPE_A_MAX, const_cast<nla_policy*>(policy.data()));
  if (r < 0)
    return libnl_error(r, "parsing an ipipe message");
  return tb;
}

template <std::size_t N>
expected<std::array<nlattr*, N>> parse_nest(nlattr* nest, const std::array<nla_policy, N>& pol,
                                            const char* what) {
  std::array<nlattr*, N> tb{};
  if (!nest)
    return error{errc::protocol_error, std::string{what} + " attribute missing"};
  const int r = nla_parse_nested(tb.data(), N - 1, nest, const_cast<nla_policy*>(pol.data()));
  if (r < 0)
    return libnl_error(r, what);
  return tb;
}

template <class T>
void get(nlattr* a, T& out) {
  if (!a)
    return;
  if constexpr (std::is_same_v<T, std::uint32_t>)
    out = nla_get_u32(a);
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    out = nla_get_u64(a);
  else if constexpr (std::is_same_v<T, std::string>)
    out = nla_get_string(a);
  else if constexpr (std::is_same_v<T, std::optional<std::uint32_t>>)
    out = nla_get_u32(a);
  else if constexpr (std::is_same_v<T, std::optional<std::uint64_t>>)
    out = nla_get_u64(a);
}

// The settable parameters: sched_params and params_update share the names.
template <class Params>
void get_params(const dev_table& a, Params& p) {
  get(a[IPIPE_A_TAIL_THRESH_NS], p.tail_thresh_ns);
  get(a[IPIPE_A_MEAN_THRESH_NS], p.mean_thresh_ns);
  get(a[IPIPE_A_ALPHA_PERMILLE], p.alpha_permille);
  get(a[IPIPE_A_DRR_QUANTUM_NS], p.drr_quantum_ns);
  get(a[IPIPE_A_FCFS_CORES], p.fcfs_cores);
}

} // namespace

expected<msg_ptr> build_dev_get(int family, std::optional<std::uint32_t> index, bool stats) {
  auto m = new_request(family, IPIPE_CMD_DEV_GET, index ? 0 : NLM_F_DUMP);
  if (!m)
    return m;
  if (index) {
    if (int r = nla_put_u32(m->get(), IPIPE_A_DEV_INDEX, *index); r < 0)
      return put_failed(r);
  }
  if (stats) {
    if (int r = nla_put_flag(m->get(), IPIPE_A_STATS_REQ); r < 0)
      return put_failed(r);
  }
  return m;
}

expected<msg_ptr> build_params_set(int family, std::uint32_t index, const params_update& p) {
  auto m = new_request(family, IPIPE_CMD_PARAMS_SET, 0);
  if (!m)
    return m;
  nl_msg* msg = m->get();
  int r = nla_put_u32(msg, IPIPE_A_DEV_INDEX, index);
  if (r == 0 && p.tail_thresh_ns)
    r = nla_put_u64(msg, IPIPE_A_TAIL_THRESH_NS, *p.tail_thresh_ns);
  if (r == 0 && p.mean_thresh_ns)
    r = nla_put_u64(msg, IPIPE_A_MEAN_THRESH_NS, *p.mean_thresh_ns);
  if (r == 0 && p.alpha_permille)
    r = nla_put_u32(msg, IPIPE_A_ALPHA_PERMILLE, *p.alpha_permille);
  if (r == 0 && p.drr_quantum_ns)
    r = nla_put_u32(msg, IPIPE_A_DRR_QUANTUM_NS, *p.drr_quantum_ns);
  if (r == 0 && p.fcfs_cores)
    r = nla_put_u32(msg, IPIPE_A_FCFS_CORES, *p.fcfs_cores);
  if (r < 0)
    return put_failed(r);
  return m;
}

expected<msg_ptr> build_actor_dump(int family, std::optional<std::uint32_t> index) {
  auto m = new_request(family, IPIPE_CMD_ACTOR_GET, NLM_F_DUMP);
  if (!m)
    return m;
  if (index) {
    if (int r = nla_put_u32(m->get(), IPIPE_A_DEV_INDEX, *index); r < 0)
      return put_failed(r);
  }
  return m;
}

expected<msg_ptr> build_actor_migrate(int family, std::uint32_t index, std::uint32_t actor_id,
                                      std::uint32_t to) {
  auto m = new_request(family, IPIPE_CMD_ACTOR_MIGRATE, 0);
  if (!m)
    return m;
  nl_msg* msg = m->get();
  if (int r = nla_put_u32(msg, IPIPE_A_DEV_INDEX, index); r < 0)
    return put_failed(r);
  // The kernel validates strictly: the nest must say it is one.
  nlattr* nest = nla_nest_start(msg, IPIPE_A_ACTOR | nested_flag);
  if (!nest)
    return put_failed(-NLE_NOMEM);
  int r = nla_put_u32(msg, IPIPE_A_ACTOR_ID, actor_id);
  if (r == 0)
    r = nla_put_u32(msg, IPIPE_A_ACTOR_LOCATION, to);
  if (r < 0)
    return put_failed(r);
  nla_nest_end(msg, nest);
  return m;
}

std::uint8_t genl_cmd(const nlmsghdr* hdr) noexcept {
  if (hdr->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
    return 0;
  return static_cast<const genlmsghdr*>(NLMSG_DATA(hdr))->cmd;
}

expected<dev_info> parse_dev(const nlmsghdr* hdr) {
  auto tb = parse_top(hdr, IPIPE_CMD_DEV_GET);
  if (!tb)
    return tb.err();
  const dev_table& a = *tb;
  if (!a[IPIPE_A_DEV_INDEX])
    return error{errc::protocol_error, "device message without an index"};
  dev_info d;
  get(a[IPIPE_A_DEV_INDEX], d.index);
  get(a[IPIPE_A_DEV_NAME], d.name);
  get(a[IPIPE_A_BUS_NAME], d.bus_name);
  get(a[IPIPE_A_FW_NAME], d.fw_name);
  get(a[IPIPE_A_FW_VERSION], d.fw_version);
  get(a[IPIPE_A_ABI_VERSION], d.abi_version);
  get(a[IPIPE_A_FW_STATE], d.fw_state);
  get(a[IPIPE_A_NIC_CORES], d.nic_cores);
  get(a[IPIPE_A_NIC_MEM], d.nic_mem);
  get_params(a, d.params);
  get(a[IPIPE_A_FCFS_CORES_NOW], d.params.fcfs_cores_now);
  get(a[IPIPE_A_DRR_CORES_NOW], d.params.drr_cores_now);
  if (a[IPIPE_A_STATS]) {
    static const auto policy = stats_policy();
    auto s = parse_nest(a[IPIPE_A_STATS], policy, "statistics");
    if (!s)
      return s.err();
    // Counters this program does not know (a newer kernel) are skipped.
    for (std::uint32_t i = IPIPE_A_STATS_ADMIN_CMDS; i <= IPIPE_A_STATS_MAX; ++i)
      if ((*s)[i])
        d.stats.emplace_back(stats_name(i), nla_get_u64((*s)[i]));
  }
  return d;
}

expected<actor_info> parse_actor(const nlmsghdr* hdr) {
  static const auto policy = actor_policy();
  auto tb = parse_top(hdr, IPIPE_CMD_ACTOR_GET);
  if (!tb)
    return tb.err();
  auto n = parse_nest((*tb)[IPIPE_A_ACTOR], policy, "actor");
  if (!n)
    return n.err();
  const actor_table& a = *n;
  if (!a[IPIPE_A_ACTOR_ID])
    return error{errc::protocol_error, "actor without an id"};
  actor_info ai;
  get((*tb)[IPIPE_A_DEV_INDEX], ai.dev_index);
  get(a[IPIPE_A_ACTOR_ID], ai.id);
  get(a[IPIPE_A_ACTOR_TYPE], ai.type);
  get(a[IPIPE_A_ACTOR_LOCATION], ai.location);
  get(a[IPIPE_A_ACTOR_GROUP], ai.group);
  get(a[IPIPE_A_ACTOR_FLAGS], ai.flags);
  get(a[IPIPE_A_ACTOR_REQUESTS], ai.requests);
  get(a[IPIPE_A_ACTOR_MIGRATIONS], ai.migrations);
  get(a[IPIPE_A_ACTOR_MEAN_NS], ai.mean_ns);
  get(a[IPIPE_A_ACTOR_TAIL_NS], ai.tail_ns);
  get(a[IPIPE_A_ACTOR_P50_NS], ai.p50_ns);
  get(a[IPIPE_A_ACTOR_P99_NS], ai.p99_ns);
  get(a[IPIPE_A_ACTOR_MAILBOX_LEN], ai.mailbox_len);
  get(a[IPIPE_A_ACTOR_MEM_USED], ai.mem_used);
  get(a[IPIPE_A_ACTOR_MEM_QUOTA], ai.mem_quota);
  return ai;
}

expected<event> parse_event(const nlmsghdr* hdr) {
  static const auto policy = event_policy();
  auto tb = parse_top(hdr, IPIPE_CMD_EVENT);
  if (!tb)
    return tb.err();
  auto n = parse_nest((*tb)[IPIPE_A_EVENT], policy, "event");
  if (!n)
    return n.err();
  const event_table& a = *n;
  event ev;
  get((*tb)[IPIPE_A_DEV_INDEX], ev.dev_index);
  get((*tb)[IPIPE_A_DEV_NAME], ev.dev_name);
  get(a[IPIPE_A_EVENT_TYPE], ev.type);
  get(a[IPIPE_A_EVENT_ACTOR_ID], ev.actor_id);
  get(a[IPIPE_A_EVENT_TS_NS], ev.ts_ns);
  get(a[IPIPE_A_EVENT_ARG0], ev.arg0);
  get(a[IPIPE_A_EVENT_ARG1], ev.arg1);
  return ev;
}

expected<params_update> parse_params_set(const nlmsghdr* hdr) {
  auto tb = parse_top(hdr, IPIPE_CMD_PARAMS_SET);
  if (!tb)
    return tb.err();
  const dev_table& a = *tb;
  params_update p;
  get_params(a, p);
  return p;
}

expected<migrate_request> parse_actor_migrate(const nlmsghdr* hdr) {
  static const auto policy = actor_policy();
  auto tb = parse_top(hdr, IPIPE_CMD_ACTOR_MIGRATE);
  if (!tb)
    return tb.err();
  nlattr* nest = (*tb)[IPIPE_A_ACTOR];
  if (nest && !(nest->nla_type & NLA_F_NESTED))
    return error{errc::protocol_error, "actor attribute without NLA_F_NESTED"};
  auto n = parse_nest(nest, policy, "actor");
  if (!n)
    return n.err();
  migrate_request m;
  get((*tb)[IPIPE_A_DEV_INDEX], m.index);
  get((*n)[IPIPE_A_ACTOR_ID], m.actor_id);
  get((*n)[IPIPE_A_ACTOR_LOCATION], m.to);
  return m;
}

} // namespace ipipe::netlink
