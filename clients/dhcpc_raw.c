/*
 * dhcpc_raw: IPv4/UDP framing and the packet socket.  See dhcpc_raw.h.
 */
#include "clients/dhcpc_raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/wire.h"

uint32_t dhcpc_raw_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        sum += (uint32_t)buf[i] << 8 | buf[i + 1];
    if (i < len)
        sum += (uint32_t)buf[i] << 8; /* RFC 1071: pad the odd byte with zero */
    return sum;
}

uint16_t dhcpc_raw_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* RFC 768: the UDP checksum covers a pseudo header of both addresses, the
 * protocol and the UDP length. */
static uint32_t pseudo_sum(const uint8_t *ip_hdr, uint16_t udp_len)
{
    uint32_t sum = dhcpc_raw_csum_add(0, ip_hdr + 12, 8);
    return sum + IPPROTO_UDP + udp_len;
}

int dhcpc_raw_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, const uint8_t *payload,
                    size_t len)
{
    if (len > 0xffff - DHCPC_IP_UDP_LEN || cap < DHCPC_IP_UDP_LEN + len)
        return -EMSGSIZE;
    struct wire_wr w;
    wire_wr_init(&w, buf, cap);
    uint16_t total = (uint16_t)(DHCPC_IP_UDP_LEN + len);
    wire_wr_u8(&w, 0x45); /* IPv4, 5-word header */
    wire_wr_u8(&w, 0x10); /* DSCP: low delay, as udhcpc and dhclient send */
    wire_wr_u16(&w, total);
    wire_wr_u16(&w, 0); /* id */
    wire_wr_u16(&w, 0); /* flags, fragment offset */
    wire_wr_u8(&w, 64); /* TTL */
    wire_wr_u8(&w, IPPROTO_UDP);
    wire_wr_u16(&w, 0); /* checksum, patched below */
    wire_wr_bytes(&w, &src, 4);
    wire_wr_bytes(&w, &dst, 4);
    wire_wr_u16(&w, DHCPC_PORT_CLIENT);
    wire_wr_u16(&w, DHCPC_PORT_SERVER);
    wire_wr_u16(&w, (uint16_t)(8 + len));
    wire_wr_u16(&w, 0);
    wire_wr_bytes(&w, payload, len);
    if (!wire_wr_ok(&w))
        return -EMSGSIZE;
    wire_wr_patch_u16(&w, 10, dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, buf, 20)));
    uint32_t sum = pseudo_sum(buf, (uint16_t)(8 + len));
    uint16_t uc = dhcpc_raw_csum_fold(dhcpc_raw_csum_add(sum, buf + 20, 8 + len));
    /* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
    wire_wr_patch_u16(&w, 26, uc ? uc : 0xffff);
    return (int)total;
}

int dhcpc_raw_parse(const uint8_t *pkt, size_t len, bool csum_partial, const uint8_t **payload,
                    size_t *plen, uint32_t *src)
{
    struct wire_rd r;
    wire_rd_init(&r, pkt, len);
    uint8_t vihl = wire_rd_u8(&r);
    wire_rd_skip(&r, 1);
    uint16_t total = wire_rd_u16(&r);
    wire_rd_skip(&r, 2);
    uint16_t frag = wire_rd_u16(&r);
    wire_rd_skip(&r, 1);
    uint8_t proto = wire_rd_u8(&r);
    if (!wire_rd_ok(&r))
        return -EBADMSG;
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    /* Lengths first, before any of them bounds a read. */
    if ((vihl >> 4) != 4 || ihl < 20 || total < ihl + 8 || total > len)
        return -EBADMSG;
    /* Fragments (MF set or an offset) cannot be checked as UDP; DHCP
     * messages of 576 bytes never need them. */
    if ((frag & 0x3fff) != 0 || proto != IPPROTO_UDP)
        return -EBADMSG;
    if (dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, pkt, ihl)) != 0)
        return -EBADMSG;
    wire_rd_seek(&r, ihl);
    uint16_t sport = wire_rd_u16(&r);
    uint16_t dport = wire_rd_u16(&r);
    uint16_t ulen = wire_rd_u16(&r);
    uint16_t ucsum = wire_rd_u16(&r);
    if (!wire_rd_ok(&r) || sport != DHCPC_PORT_SERVER || dport != DHCPC_PORT_CLIENT)
        return -EBADMSG;
    if (ulen < 8 || ulen > total - ihl)
        return -EBADMSG;
    if (ucsum != 0 && !csum_partial) {
        uint32_t sum = pseudo_sum(pkt, ulen);
        if (dhcpc_raw_csum_fold(dhcpc_raw_csum_add(sum, pkt + ihl, ulen)) != 0)
            return -EBADMSG;
    }
    *payload = pkt + ihl + 8;
    *plen = (size_t)ulen - 8;
    if (src)
        memcpy(src, pkt + 12, 4);
    return 0;
}

int dhcpc_raw_open(int ifindex)
{
    /* Offsets are from the IP header: a SOCK_DGRAM packet socket's filter
     * sees the packet without its link header. */
    static struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), /* protocol */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 6),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6), /* flags, fragment offset */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), /* X = IHL * 4 */
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),  /* UDP destination port */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DHCPC_PORT_CLIENT, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
    if (fd < 0)
        return -errno;
    int one = 1;
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        int e = errno;
        (void)close(fd);
        return -e;
    }
    return fd;
}

int dhcpc_raw_send(int fd, int ifindex, uint32_t src, const uint8_t *payload, size_t len)
{
    uint8_t frame[DHCPC_FRAME_MAX];
    int n = dhcpc_raw_build(frame, sizeof(frame), src, INADDR_BROADCAST, payload, len);
    if (n < 0)
        return n;
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_IP),
        .sll_ifindex = ifindex,
        .sll_halen = ETH_ALEN,
    };
    memset(sll.sll_addr, 0xff, ETH_ALEN);
    ssize_t w = sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&sll, sizeof(sll));
    if (w < 0)
        return -errno;
    return w == n ? 0 : -EIO;
}

int dhcpc_raw_recv(int fd, uint8_t *buf, size_t cap, const uint8_t **payload, size_t *plen,
                   uint32_t *src)
{
    union {
        struct cmsghdr h;
        uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } ctl;
    struct sockaddr_ll from;
    struct iovec iov = {.iov_base = buf, .iov_len = cap};
    struct msghdr mh = {.msg_name = &from,
                        .msg_namelen = sizeof(from),
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.b,
                        .msg_controllen = sizeof(ctl.b)};
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (mh.msg_flags & MSG_TRUNC)
        return -EBADMSG;
    /* Frames we sent ourselves come back on a packet socket. */
    if (from.sll_pkttype == PACKET_OUTGOING)
        return -EBADMSG;
    bool partial = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
            struct tpacket_auxdata aux;
            memcpy(&aux, CMSG_DATA(c), sizeof(aux));
            partial = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
        }
    }
    return dhcpc_raw_parse(buf, (size_t)n, partial, payload, plen, src);
}

int dhcpc_udp_open(const char *ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, small = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DHCPC_PORT_CLIENT)};
    /* Replies come through the packet socket; keep this queue tiny so the
     * unread copies cost nothing. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        int e = errno;
        (void)close(fd);
        return -e;
    }
    return fd;
}

int dhcpc_udp_send(int fd, uint32_t dst, const uint8_t *payload, size_t len)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DHCPC_PORT_SERVER)};
    sin.sin_addr.s_addr = dst;
    ssize_t w = sendto(fd, payload, len, 0, (struct sockaddr *)&sin, sizeof(sin));
    if (w < 0)
        return -errno;
    return (size_t)w == len ? 0 : -EIO;
}
