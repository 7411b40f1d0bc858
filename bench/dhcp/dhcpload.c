/*
 * dhcpload: a closed-loop DHCPv4 load generator, for the broadcast path
 * and, with -s, the relay path.
 *
 * Runs N clients, each with its own MAC, through DISCOVER -> OFFER ->
 * REQUEST (SELECTING) -> ACK.  Broadcast path: one UDP socket bound to
 * 0.0.0.0:68 on one interface (SO_BINDTODEVICE); every request carries the
 * broadcast flag (RFC 2131 4.1), so replies come back to
 * 255.255.255.255:68 and reach the socket although the interface has no
 * address.  Relay path (-s SERVER -g GIADDR): it acts as a relay agent, as
 * perfdhcp does: requests go unicast to SERVER:67 with giaddr = GIADDR and
 * hops = 1 from a socket bound to GIADDR:67, where the server answers.
 * (perfdhcp is open loop and, pinned to one core, tops out near 12,000
 * exchanges a second here; this one costs less per exchange, so it finds
 * the server's limit instead of its own.)  Closed loop: at most W exchanges
 * are in flight; an exchange with no answer for T ms counts as a drop and
 * is not retried.
 *
 *   dhcpload -i IFACE [-n CLIENTS] [-w WINDOW] [-t TIMEOUT_MS] [-m BYTE] [-o FILE]
 *   dhcpload -s SERVER -g GIADDR [-n ...]
 *
 * Prints one line:
 *   clients=N discovers=D offers=O requests=R acks=A naks=K drops=X
 *   elapsed_s=S rate=A/S
 * and with -o writes "ADDRESS MAC" per ACK to FILE (the durability check
 * compares it with the server's lease database).  MACs are 02:BB:xx:xx:xx:xx
 * with BB from -m, so two runs can use disjoint clients.
 *
 * Messages are built and parsed with labnet's own codec (common/dhcp_build,
 * common/dhcp_msg); link with liblabnet_common.a.  Benchmark tool only: it
 * runs as root in a namespace made by bench/dhcp/run.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"

enum cl_state { CL_IDLE, CL_DISCOVER, CL_REQUEST, CL_DONE };

struct cl {
    uint8_t st;
    int64_t sent_ms;
    uint32_t yiaddr, server_id; /* network order */
};

struct load {
    int fd;
    uint32_t server, giaddr; /* network order; server 0: broadcast path */
    uint8_t mac_byte;
    uint32_t xid_base;
    struct cl *c;
    size_t n, next, inflight;
    uint64_t discovers, offers, requests, acks, naks, drops, send_errors;
    FILE *acklog;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mac_of(const struct load *ld, size_t i, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = ld->mac_byte;
    mac[2] = (uint8_t)(i >> 24);
    mac[3] = (uint8_t)(i >> 16);
    mac[4] = (uint8_t)(i >> 8);
    mac[5] = (uint8_t)i;
}

static int send_msg(struct load *ld, size_t i, uint8_t type)
{
    static const uint8_t prl[] = {DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTERS, DHCP_OPT_DNS_SERVERS};
    struct dhcp_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.type = type;
    rq.state = DHCP_REQ_SELECTING;
    rq.xid = ld->xid_base + (uint32_t)i;
    rq.broadcast = ld->server == 0;
    rq.htype = DHCP_HTYPE_ETHER;
    rq.hlen = 6;
    mac_of(ld, i, rq.chaddr);
    rq.prl = prl;
    rq.prl_len = sizeof(prl);
    if (type == DHCP_REQUEST) {
        rq.requested = ld->c[i].yiaddr;
        rq.server_id = ld->c[i].server_id;
    }
    uint8_t buf[600];
    size_t len;
    if (dhcp_build_request(&rq, buf, sizeof(buf), &len) != 0)
        return -EINVAL;
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(67), .sin_addr.s_addr = INADDR_BROADCAST};
    if (ld->server) { /* relayed: hops (byte 3) and giaddr (bytes 24..27) */
        buf[3] = 1;
        memcpy(buf + 24, &ld->giaddr, 4);
        to.sin_addr.s_addr = ld->server;
    }
    if (sendto(ld->fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        ld->send_errors++;
        return -errno;
    }
    ld->c[i].sent_ms = now_ms();
    return 0;
}

static void start_next(struct load *ld)
{
    size_t i = ld->next++;
    ld->c[i].st = CL_DISCOVER;
    ld->inflight++;
    ld->discovers++;
    (void)send_msg(ld, i, DHCP_DISCOVER);
}

static void finish(struct load *ld, size_t i)
{
    ld->c[i].st = CL_DONE;
    ld->inflight--;
}

static void on_reply(struct load *ld, const uint8_t *buf, size_t len)
{
    struct dhcp_msg m;
    uint8_t type;
    if (dhcp_msg_parse(&m, buf, len) != 0 || m.op != DHCP_OP_REPLY || dhcp_msg_type(&m, &type) != 0)
        return;
    uint32_t i32 = m.xid - ld->xid_base;
    if (i32 >= ld->n)
        return;
    size_t i = i32;
    uint8_t mac[6];
    mac_of(ld, i, mac);
    if (m.hlen != 6 || memcmp(m.chaddr, mac, 6) != 0)
        return;
    struct cl *c = &ld->c[i];
    if (type == DHCP_OFFER && c->st == CL_DISCOVER) {
        uint32_t sid;
        if (dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid) != 0 || !m.yiaddr)
            return;
        ld->offers++;
        c->yiaddr = m.yiaddr;
        c->server_id = sid;
        c->st = CL_REQUEST;
        ld->requests++;
        (void)send_msg(ld, i, DHCP_REQUEST);
    } else if (type == DHCP_ACK && c->st == CL_REQUEST) {
        ld->acks++;
        if (ld->acklog) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &m.yiaddr, a, sizeof(a));
            fprintf(ld->acklog, "%s %02x:%02x:%02x:%02x:%02x:%02x\n", a, mac[0], mac[1], mac[2],
                    mac[3], mac[4], mac[5]);
        }
        finish(ld, i);
    } else if (type == DHCP_NAK && c->st == CL_REQUEST) {
        ld->naks++;
        finish(ld, i);
    }
}

static int open_socket(const char *ifname, uint32_t giaddr)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rcv = 8 << 20;
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(68)};
    if (giaddr) { /* a relay agent: the server answers to giaddr:67 */
        me.sin_port = htons(67);
        me.sin_addr.s_addr = giaddr;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0 ||
        (ifname &&
         setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0) ||
        bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    /* A big receive buffer: a burst of broadcast replies must not be lost
     * here and counted against the server. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: dhcpload {-i IFACE | -s SERVER -g GIADDR} [-n CLIENTS] [-w WINDOW] "
                    "[-t TIMEOUT_MS] [-m MAC_BYTE] [-o ACK_FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *ifname = NULL, *ackfile = NULL;
    size_t n = 10000, window = 64;
    long timeout = 1000;
    unsigned mac_byte = 0x42;
    struct in_addr server = {0}, giaddr = {0};
    int opt;
    while ((opt = getopt(argc, argv, "i:n:w:t:m:o:s:g:h")) != -1) {
        switch (opt) {
        case 's':
            if (inet_pton(AF_INET, optarg, &server) != 1)
                usage();
            break;
        case 'g':
            if (inet_pton(AF_INET, optarg, &giaddr) != 1)
                usage();
            break;
        case 'i':
            ifname = optarg;
            break;
        case 'n':
            n = strtoul(optarg, NULL, 10);
            break;
        case 'w':
            window = strtoul(optarg, NULL, 10);
            break;
        case 't':
            timeout = strtol(optarg, NULL, 10);
            break;
        case 'm':
            mac_byte = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 'o':
            ackfile = optarg;
            break;
        default:
            usage();
        }
    }
    if ((!ifname && !server.s_addr) || !server.s_addr != !giaddr.s_addr || n == 0 || n > 1u << 24 ||
        window == 0 || timeout <= 0 || mac_byte > 255)
        usage();
    struct load ld;
    memset(&ld, 0, sizeof(ld));
    ld.n = n;
    ld.mac_byte = (uint8_t)mac_byte;
    ld.server = server.s_addr;
    ld.giaddr = giaddr.s_addr;
    ld.xid_base = (uint32_t)mac_byte << 24 ^ (uint32_t)getpid() << 8;
    ld.c = calloc(n, sizeof(*ld.c));
    if (!ld.c)
        return 1;
    ld.fd = open_socket(ifname, ld.giaddr);
    if (ld.fd < 0) {
        fprintf(stderr, "dhcpload: socket on %s: %s\n", ifname ? ifname : "giaddr:67",
                strerror(-ld.fd));
        return 1;
    }
    if (ackfile && !(ld.acklog = fopen(ackfile, "w"))) {
        fprintf(stderr, "dhcpload: %s: %s\n", ackfile, strerror(errno));
        return 1;
    }
    int64_t t0 = now_ms(), last_scan = t0;
    while (ld.next < n || ld.inflight) {
        while (ld.next < n && ld.inflight < window)
            start_next(&ld);
        struct pollfd p = {.fd = ld.fd, .events = POLLIN};
        (void)poll(&p, 1, 5);
        for (int k = 0; k < 256; k++) {
            uint8_t buf[1600];
            ssize_t got = recv(ld.fd, buf, sizeof(buf), 0);
            if (got < 0)
                break;
            on_reply(&ld, buf, (size_t)got);
        }
        int64_t now = now_ms();
        if (now - last_scan >= 20) {
            /* A linear scan of the clients in flight, 50 times a second:
             * cheap next to the packets. */
            last_scan = now;
            for (size_t i = 0; i < ld.next; i++) {
                struct cl *c = &ld.c[i];
                if ((c->st == CL_DISCOVER || c->st == CL_REQUEST) && now - c->sent_ms > timeout) {
                    ld.drops++;
                    finish(&ld, i);
                }
            }
        }
    }
    double secs = (double)(now_ms() - t0) / 1000.0;
    /* The clients that timed out do not count in the time: the last
     * timeout can add up to T ms at the end. */
    printf("clients=%zu discovers=%llu offers=%llu requests=%llu acks=%llu naks=%llu drops=%llu "
           "send_errors=%llu elapsed_s=%.3f rate=%.1f\n",
           n, (unsigned long long)ld.discovers, (unsigned long long)ld.offers,
           (unsigned long long)ld.requests, (unsigned long long)ld.acks,
           (unsigned long long)ld.naks, (unsigned long long)ld.drops,
           (unsigned long long)ld.send_errors, secs, secs > 0 ? (double)ld.acks / secs : 0.0);
    if (ld.acklog)
        fclose(ld.acklog);
    close(ld.fd);
    free(ld.c);
    return 0;
}
