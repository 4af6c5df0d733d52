/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal generic netlink client for the ipipe selftests: raw sockets,
 * no library, so the test binary links statically for the initramfs.
 */
#ifndef _IPIPE_SELFTEST_NL_H
#define _IPIPE_SELFTEST_NL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define NL_BUF	16384

struct nl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	char attrs[1024];
};

struct nl_sock {
	int fd;
	uint32_t seq;
	char err_msg[256];	/* extack text of the last error */
};

static inline int nl_open(struct nl_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static inline void nl_req_init(struct nl_req *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = family;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->g.cmd = cmd;
	r->g.version = 1;
}

static inline struct nlattr *nl_put(struct nl_req *r, uint16_t type, const void *data,
				    uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)&r->nlh + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static inline void nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

static inline void nl_put_u64(struct nl_req *r, uint16_t type, uint64_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

static inline int nl_send(struct nl_sock *s, struct nl_req *r)
{
	r->nlh.nlmsg_seq = ++s->seq;
	if (send(s->fd, &r->nlh, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/* Iterates the attributes in [start, start + len). */
#define nl_for_each_attr(a, start, len)						\
	for (a = (struct nlattr *)(start);					\
	     (char *)a + NLA_HDRLEN <= (char *)(start) + (len) &&		\
	     a->nla_len >= NLA_HDRLEN &&					\
	     (char *)a + a->nla_len <= (char *)(start) + (len);		\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

static inline void *nl_data(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

/* Keeps the extack message of an error reply in s->err_msg. */
static inline int nl_parse_error(struct nl_sock *s, struct nlmsghdr *h)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct nlattr *a;
	size_t off = sizeof(*e);

	s->err_msg[0] = 0;
	/* with NETLINK_CAP_ACK the request is not echoed back */
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		nl_for_each_attr(a, (char *)e + off, h->nlmsg_len - NLMSG_HDRLEN - off) {
			if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
				strncpy(s->err_msg, nl_data(a), sizeof(s->err_msg) - 1);
				s->err_msg[sizeof(s->err_msg) - 1] = 0;
			}
		}
	}
	return e->error;
}

/*
 * Receives replies to the last request until the ack, the end of a dump or
 * an error.  Calls cb (if any) on every data message.  Returns 0 or -errno.
 */
static inline int nl_recv(struct nl_sock *s, void (*cb)(struct nlmsghdr *, void *), void *arg)
{
	static char buf[NL_BUF];

	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return nl_parse_error(s, h);
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(h, arg);
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

struct nl_family {
	uint16_t id;
	uint32_t events_group;
};

static void nl_family_cb(struct nlmsghdr *h, void *arg)
{
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct nl_family *fam = arg;
	struct nlattr *a, *grp, *ga;
	size_t len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	nl_for_each_attr(a, (char *)g + GENL_HDRLEN, len) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			fam->id = *(uint16_t *)nl_data(a);
		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		nl_for_each_attr(grp, nl_data(a), a->nla_len - NLA_HDRLEN) {
			uint32_t id = 0;
			const char *name = "";

			nl_for_each_attr(ga, nl_data(grp), grp->nla_len - NLA_HDRLEN) {
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)nl_data(ga);
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = nl_data(ga);
			}
			if (!strcmp(name, "events"))
				fam->events_group = id;
		}
	}
}

/* Looks up a family and its "events" group; -ENOENT if not registered. */
static inline int nl_resolve(struct nl_sock *s, const char *name, struct nl_family *fam)
{
	struct nl_req r;
	int err;

	memset(fam, 0, sizeof(*fam));
	nl_req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nl_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	err = nl_send(s, &r);
	if (err)
		return err;
	err = nl_recv(s, nl_family_cb, fam);
	if (err)
		return err;
	return fam->id ? 0 : -ENOENT;
}

#endif /* _IPIPE_SELFTEST_NL_H */
