/* SPDX-License-Identifier: BSD-3-Clause
 * cxl-fwd: rtnetlink requests through libmnl (link MTU/up, addresses, stats).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "fwd_netlink.h"

int
fwd_ifaddr_parse(const char *text, int family, struct fwd_ifaddr *out,
		 char *errmsg, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	unsigned int maxlen = family == AF_INET ? 32 : 128;
	unsigned long plen;
	char *end;

	memset(out, 0, sizeof(*out));
	out->family = family;
	slash = strchr(text, '/');
	if (slash == NULL || (size_t)(slash - text) >= sizeof(buf)) {
		snprintf(errmsg, errlen, "'%s': expected ADDRESS/PREFIXLEN, e.g. %s",
			 text, family == AF_INET ? "192.0.2.1/24" : "2001:db8::1/64");
		return -1;
	}
	memcpy(buf, text, slash - text);
	buf[slash - text] = '\0';
	if (inet_pton(family, buf, &out->addr) != 1) {
		snprintf(errmsg, errlen, "'%s' is not an %s address", buf,
			 family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	errno = 0;
	plen = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == slash + 1 || plen > maxlen) {
		snprintf(errmsg, errlen, "'%s': prefix length must be 0..%u",
			 text, maxlen);
		return -1;
	}
	out->prefixlen = (uint8_t)plen;
	return 0;
}

/* Send one request and process the answers with cb (may be NULL). */
static int
nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq;
	int ret, err = 0;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			err = -errno;
			break;
		}
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
		if (ret < 0) {
			err = -errno;
			break;
		}
		if (ret == MNL_CB_STOP)
			break;
	}
out:
	mnl_socket_close(nl);
	return err;
}

int
fwd_nl_link_set(unsigned int ifindex, unsigned int mtu, int up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	if (up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nlh, NULL, NULL);
}

int
fwd_nl_addr_add(unsigned int ifindex, const struct fwd_ifaddr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t alen = a->family == AF_INET ? sizeof(a->addr.v4) : sizeof(a->addr.v6);

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	/* No duplicate address detection: the address is usable at once, also
	 * right after a restart of the forwarder. */
	if (a->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, &a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, &a->addr);
	return nl_talk(nlh, NULL, NULL);
}

static int
link_stats_attr(const struct nlattr *attr, void *data)
{
	struct fwd_ifstats *st = data;
	const struct rtnl_link_stats64 *s;

	if (mnl_attr_get_type(attr) != IFLA_STATS64)
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(attr) < sizeof(*s))
		return MNL_CB_OK;
	s = mnl_attr_get_payload(attr);
	st->rx_packets = s->rx_packets;
	st->tx_packets = s->tx_packets;
	st->rx_dropped = s->rx_dropped;
	st->tx_dropped = s->tx_dropped;
	st->rx_errors = s->rx_errors;
	st->tx_errors = s->tx_errors;
	return MNL_CB_OK;
}

static int
link_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_stats_attr, data);
}

int
fwd_nl_link_stats(unsigned int ifindex, struct fwd_ifstats *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	memset(st, 0, sizeof(*st));
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* answer, then ack */
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	return nl_talk(nlh, link_stats_cb, st);
}
