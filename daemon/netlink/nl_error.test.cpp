#include <ipipe/netlink/codec.hpp>
#include <ipipe/netlink/nl_error.hpp>

#include <linux/genetlink.h>
#include <linux/ipipe.h>
#include <linux/netlink.h>

#include <gtest/gtest.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ipipe::netlink {
namespace {

// An NLMSG_ERROR as the kernel builds it in netlink_ack(): the error, the
// request's header (all of the request without NETLINK_CAP_ACK), then TLVs.
std::vector<char> nlmsgerr_msg(int err, const char* text, bool capped, std::size_t echoed = 0,
                               std::uint32_t bad_offset = 0) {
  std::vector<char> b(NLMSG_HDRLEN + sizeof(nlmsgerr));
  auto* e = reinterpret_cast<nlmsgerr*>(b.data() + NLMSG_HDRLEN);
  e->error = err;
  e->msg.nlmsg_len = NLMSG_HDRLEN + echoed;
  if (!capped)
    b.resize(b.size() + NLMSG_ALIGN(echoed), 'x');
  std::uint16_t flags = capped ? NLM_F_CAPPED : 0;
  if (text) {
    flags |= NLM_F_ACK_TLVS;
    const std::size_t len = NLA_HDRLEN + std::strlen(text) + 1;
    const std::size_t off = b.size();
    b.resize(off + NLA_ALIGN(len));
    nlattr a{static_cast<std::uint16_t>(len), NLMSGERR_ATTR_MSG};
    std::memcpy(b.data() + off, &a, sizeof(a));
    std::memcpy(b.data() + off + NLA_HDRLEN, text, std::strlen(text) + 1);
  }
  // an offset attribute after the text, as for a policy rejection
  const std::size_t off = b.size();
  b.resize(off + NLA_HDRLEN + 4);
  nlattr offs{NLA_HDRLEN + 4, NLMSGERR_ATTR_OFFS};
  std::memcpy(b.data() + off, &offs, sizeof(offs));
  std::memcpy(b.data() + off + NLA_HDRLEN, &bad_offset, sizeof(bad_offset));
  auto* h = reinterpret_cast<nlmsghdr*>(b.data());
  h->nlmsg_len = static_cast<std::uint32_t>(b.size());
  h->nlmsg_type = NLMSG_ERROR;
  h->nlmsg_flags = flags;
  return b;
}

const nlmsghdr* hdr(const std::vector<char>& b) {
  return reinterpret_cast<const nlmsghdr*>(b.data());
}

TEST(netlink_error, a_capped_error_keeps_errno_and_extack_text) {
  auto b = nlmsgerr_msg(-ERANGE, "integer out of range", true);
  error e = error_from_nlmsgerr(hdr(b));
  EXPECT_EQ(errc::system_error, e.code());
  EXPECT_EQ(ERANGE, e.sys_errno());
  EXPECT_EQ("integer out of range", e.context());
  EXPECT_EQ("integer out of range (Numerical result out of range)", describe(e));
}

TEST(netlink_error, an_uncapped_error_skips_the_echoed_request) {
  for (std::size_t echoed : {0, 4, 20, 37}) {
    auto b = nlmsgerr_msg(-EINVAL, "no parameter given", false, echoed);
    error e = error_from_nlmsgerr(hdr(b));
    EXPECT_EQ(EINVAL, e.sys_errno());
    EXPECT_EQ("no parameter given", e.context()) << "echoed " << echoed;
  }
}

TEST(netlink_error, an_error_without_text_describes_the_errno) {
  auto b = nlmsgerr_msg(-EPERM, nullptr, true);
  error e = error_from_nlmsgerr(hdr(b));
  EXPECT_EQ(EPERM, e.sys_errno());
  EXPECT_TRUE(e.context().empty());
  EXPECT_EQ(std::strerror(EPERM), describe(e));
}

TEST(netlink_error, a_truncated_error_is_a_protocol_error) {
  auto b = nlmsgerr_msg(-EINVAL, nullptr, true);
  reinterpret_cast<nlmsghdr*>(b.data())->nlmsg_len = NLMSG_HDRLEN + 2;
  EXPECT_EQ(errc::protocol_error, error_from_nlmsgerr(hdr(b)).code());
}

TEST(netlink_error, a_text_attribute_running_past_the_message_is_ignored) {
  auto b = nlmsgerr_msg(-EINVAL, "a reason", true);
  auto* h = reinterpret_cast<nlmsghdr*>(b.data());
  h->nlmsg_len = NLMSG_HDRLEN + sizeof(nlmsgerr) + NLA_HDRLEN + 2;
  error e = error_from_nlmsgerr(h);
  EXPECT_EQ(EINVAL, e.sys_errno());
  EXPECT_TRUE(e.context().empty());
}

std::uint32_t offset_of(const nlmsghdr* h, const nlattr* a) {
  return static_cast<std::uint32_t>(reinterpret_cast<const char*>(a) -
                                    reinterpret_cast<const char*>(h));
}

TEST(netlink_error, a_rejected_attribute_is_named_in_the_text) {
  auto req = build_params_set(0x1d, 0, {.tail_thresh_ns = 5, .alpha_permille = 2000});
  ASSERT_TRUE(req);
  nlmsghdr* h = nlmsg_hdr(req->get());
  const nlattr* alpha = nlmsg_find_attr(h, GENL_HDRLEN, IPIPE_A_ALPHA_PERMILLE);
  ASSERT_NE(nullptr, alpha);
  auto b = nlmsgerr_msg(-ERANGE, "integer out of range", true, 0, offset_of(h, alpha));
  EXPECT_EQ("alpha_permille: integer out of range", error_from_nlmsgerr(hdr(b), h).context());
  // without the request, or pointing between attributes: the bare text
  EXPECT_EQ("integer out of range", error_from_nlmsgerr(hdr(b)).context());
  auto mid = nlmsgerr_msg(-ERANGE, "integer out of range", true, 0, offset_of(h, alpha) + 2);
  EXPECT_EQ("integer out of range", error_from_nlmsgerr(hdr(mid), h).context());
}

TEST(netlink_error, a_rejected_nested_attribute_is_named_with_its_nest) {
  auto req = build_actor_migrate(0x1d, 0, 3, 9);
  ASSERT_TRUE(req);
  nlmsghdr* h = nlmsg_hdr(req->get());
  nlattr* nest = nlmsg_find_attr(h, GENL_HDRLEN, IPIPE_A_ACTOR);
  ASSERT_NE(nullptr, nest);
  const nlattr* loc =
      nla_find(static_cast<nlattr*>(nla_data(nest)), nla_len(nest), IPIPE_A_ACTOR_LOCATION);
  ASSERT_NE(nullptr, loc);
  EXPECT_EQ("actor.location", attr_at(h, offset_of(h, loc)));
  EXPECT_EQ("actor", attr_at(h, offset_of(h, nest)));
  EXPECT_EQ("dev_index",
            attr_at(h, offset_of(h, nlmsg_find_attr(h, GENL_HDRLEN, IPIPE_A_DEV_INDEX))));
  EXPECT_EQ("", attr_at(h, 3));
}

TEST(netlink_error, an_absent_family_is_its_own_error) {
  error e = family_missing();
  EXPECT_TRUE(is_family_missing(e));
  EXPECT_EQ("ipipe generic netlink family not found: is ipipe.ko loaded?", describe(e));
  EXPECT_FALSE(is_family_missing(kernel_error(ENOENT, "no such actor on this device")));
  EXPECT_FALSE(is_family_missing(error{errc::not_found, "the ipipe family has no group"}));
}

TEST(netlink_error, a_libnl_failure_names_what_failed) {
  error e = libnl_error(-NLE_NOMEM, "sending a netlink request");
  EXPECT_EQ(errc::protocol_error, e.code());
  EXPECT_EQ(0u, describe(e).find("sending a netlink request: "));
}

} // namespace
} // namespace ipipe::netlink
