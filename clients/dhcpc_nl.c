/*
 * dhcpc_nl: rtnetlink requests for the address and the default route.
 * See dhcpc_nl.h.
 */
#include "clients/dhcpc_nl.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Appends one attribute; the caller checked the room. */
static size_t put_attr(uint8_t *msg, size_t len, size_t cap, uint16_t type, const void *val,
                       size_t vlen)
{
    size_t need = (sizeof(struct nlattr) + vlen + 3) & ~(size_t)3; /* NLA_ALIGN */
    if (len + need > cap)
        return 0;
    struct nlattr a = {.nla_len = (uint16_t)(sizeof(struct nlattr) + vlen), .nla_type = type};
    memset(msg + len, 0, need);
    memcpy(msg + len, &a, sizeof(a));
    memcpy(msg + len + sizeof(a), val, vlen);
    return len + need;
}

static void set_len(uint8_t *msg, size_t len)
{
    uint32_t l = (uint32_t)len;
    memcpy(msg + offsetof(struct nlmsghdr, nlmsg_len), &l, sizeof(l));
}

int dhcpc_nl_addr_msg(uint8_t *msg, size_t cap, bool add, int ifindex, uint32_t addr, int prefix,
                      uint32_t brd, uint32_t valid_s, uint32_t preferred_s, uint32_t seq)
{
    size_t hdr = NLMSG_SPACE(sizeof(struct ifaddrmsg));
    if (cap < hdr || prefix < 0 || prefix > 32 || ifindex <= 0)
        return -EMSGSIZE;
    memset(msg, 0, hdr);
    struct nlmsghdr nh = {
        .nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR,
        .nlmsg_flags =
            (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0)),
        .nlmsg_seq = seq,
    };
    struct ifaddrmsg ifa = {
        .ifa_family = AF_INET,
        .ifa_prefixlen = (uint8_t)prefix,
        .ifa_scope = RT_SCOPE_UNIVERSE,
        .ifa_index = (uint32_t)ifindex,
    };
    memcpy(msg, &nh, sizeof(nh));
    memcpy(msg + NLMSG_HDRLEN, &ifa, sizeof(ifa));
    size_t len = hdr;
    len = put_attr(msg, len, cap, IFA_LOCAL, &addr, 4);
    if (len)
        len = put_attr(msg, len, cap, IFA_ADDRESS, &addr, 4);
    if (len && add) {
        len = put_attr(msg, len, cap, IFA_BROADCAST, &brd, 4);
        /* The kernel removes the address by itself when the lease runs
         * out, even if this program is gone. */
        struct ifa_cacheinfo ci = {.ifa_prefered = preferred_s, .ifa_valid = valid_s};
        if (len)
            len = put_attr(msg, len, cap, IFA_CACHEINFO, &ci, sizeof(ci));
    }
    if (!len)
        return -EMSGSIZE;
    set_len(msg, len);
    return (int)len;
}

static int route_msg(uint8_t *msg, size_t cap, bool add, int ifindex, uint32_t gw, uint32_t src,
                     uint32_t metric, uint32_t seq)
{
    size_t hdr = NLMSG_SPACE(sizeof(struct rtmsg));
    if (cap < hdr)
        return -EMSGSIZE;
    memset(msg, 0, hdr);
    struct nlmsghdr nh = {
        .nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE,
        .nlmsg_flags =
            (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0)),
        .nlmsg_seq = seq,
    };
    struct rtmsg rt = {
        .rtm_family = AF_INET,
        .rtm_dst_len = 0,
        .rtm_table = RT_TABLE_MAIN,
        .rtm_protocol = RTPROT_DHCP,
        .rtm_scope = RT_SCOPE_UNIVERSE,
        .rtm_type = RTN_UNICAST,
    };
    memcpy(msg, &nh, sizeof(nh));
    memcpy(msg + NLMSG_HDRLEN, &rt, sizeof(rt));
    uint32_t oif = (uint32_t)ifindex;
    size_t len = hdr;
    len = put_attr(msg, len, cap, RTA_GATEWAY, &gw, 4);
    if (len)
        len = put_attr(msg, len, cap, RTA_OIF, &oif, 4);
    if (len)
        len = put_attr(msg, len, cap, RTA_PRIORITY, &metric, 4);
    if (len && add && src)
        len = put_attr(msg, len, cap, RTA_PREFSRC, &src, 4);
    if (!len)
        return -EMSGSIZE;
    set_len(msg, len);
    return (int)len;
}

/* Sends one request and reads until its acknowledgement (an NLMSG_ERROR
 * with error 0, or the kernel's -errno). */
static int transact(uint8_t *msg, size_t len, uint32_t seq)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct timeval tv = {.tv_sec = 1};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int rc = -ETIMEDOUT;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len) {
        rc = -errno;
        (void)close(fd);
        return rc;
    }
    uint8_t buf[8192];
    /* A bounded number of reads: the kernel answers a request with one
     * message, but a socket can see others first. */
    for (int tries = 0; tries < 16; tries++) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
            break;
        }
        size_t off = 0, total = (size_t)n;
        while (off + sizeof(struct nlmsghdr) <= total) {
            struct nlmsghdr nh;
            memcpy(&nh, buf + off, sizeof(nh));
            if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > total - off)
                break;
            if (nh.nlmsg_seq == seq && nh.nlmsg_type == NLMSG_ERROR &&
                nh.nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
                struct nlmsgerr e;
                memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
                (void)close(fd);
                return e.error; /* 0 or -errno */
            }
            off += NLMSG_ALIGN(nh.nlmsg_len);
        }
    }
    (void)close(fd);
    return rc;
}

static uint32_t next_seq(void)
{
    static uint32_t seq = 0;
    return ++seq;
}

int dhcpc_nl_addr_add(int ifindex, uint32_t addr, int prefix, uint32_t brd, uint32_t valid_s,
                      uint32_t preferred_s)
{
    uint8_t msg[256];
    uint32_t seq = next_seq();
    int n = dhcpc_nl_addr_msg(msg, sizeof(msg), true, ifindex, addr, prefix, brd, valid_s,
                              preferred_s, seq);
    return n < 0 ? n : transact(msg, (size_t)n, seq);
}

int dhcpc_nl_addr_del(int ifindex, uint32_t addr, int prefix)
{
    uint8_t msg[256];
    uint32_t seq = next_seq();
    int n = dhcpc_nl_addr_msg(msg, sizeof(msg), false, ifindex, addr, prefix, 0, 0, 0, seq);
    return n < 0 ? n : transact(msg, (size_t)n, seq);
}

int dhcpc_nl_route_add(int ifindex, uint32_t gateway, uint32_t src, uint32_t metric)
{
    uint8_t msg[256];
    uint32_t seq = next_seq();
    int n = route_msg(msg, sizeof(msg), true, ifindex, gateway, src, metric, seq);
    return n < 0 ? n : transact(msg, (size_t)n, seq);
}

int dhcpc_nl_route_del(int ifindex, uint32_t gateway, uint32_t metric)
{
    uint8_t msg[256];
    uint32_t seq = next_seq();
    int n = route_msg(msg, sizeof(msg), false, ifindex, gateway, 0, metric, seq);
    return n < 0 ? n : transact(msg, (size_t)n, seq);
}
