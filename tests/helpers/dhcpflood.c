/*
 * labnet-dhcpflood: hostile DHCPv4 traffic for integration.dhcpd_abuse.
 *
 *   labnet-dhcpflood -i IFACE MODE COUNT [SEED]
 *
 * Sends from 0.0.0.0:68 (SO_BINDTODEVICE IFACE) to 255.255.255.255:67, in a
 * network namespace made by the test; never run it on a host interface.
 *
 *   random    COUNT datagrams: half random bytes of random length (0..1500),
 *             half a valid DISCOVER with 1..8 random bytes changed
 *   overload  COUNT rounds of crafted messages: option 52 in the options
 *             area naming file and sname that carry 52 again (and each
 *             other's overload values), areas without an end option, 52
 *             with lengths 0 and 2, a 60000-byte message of 30000 empty
 *             options, 255 instances of options 55 and 61 (RFC 3396 joins)
 *   discover  COUNT DISCOVERs from random MACs (never a REQUEST)
 *   decline   COUNT DISCOVERs from random MACs; each OFFER (broadcast flag
 *             set, so it comes back to us) is answered with a DECLINE of
 *             the offered address, quarantining it on the server
 *
 * Prints "sent=N replies=R offers=O declines=D".  Exit 0, or 2 on bad
 * arguments or socket errors.  Messages are built by hand or with
 * common/dhcp_build and replies parsed with common/dhcp_msg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"

static uint64_t rng_state;

/* xorshift64*: repeatable from the seed, good enough for junk. */
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

struct flood {
    int fd;
    unsigned long sent, replies, offers, declines;
};

static void send_raw(struct flood *f, const void *buf, size_t len)
{
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(67), .sin_addr.s_addr = INADDR_BROADCAST};
    for (int tries = 0; tries < 100; tries++) {
        if (sendto(f->fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) >= 0) {
            f->sent++;
            return;
        }
        if (errno != ENOBUFS && errno != EAGAIN)
            return; /* EMSGSIZE for a huge one is fine: it is junk anyway */
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
}

static size_t build(uint8_t type, const uint8_t mac[6], uint32_t xid, uint32_t req, uint32_t sid,
                    uint8_t *buf, size_t cap)
{
    struct dhcp_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.type = type;
    rq.state = DHCP_REQ_SELECTING;
    rq.xid = xid;
    rq.broadcast = true;
    rq.htype = DHCP_HTYPE_ETHER;
    rq.hlen = 6;
    memcpy(rq.chaddr, mac, 6);
    rq.requested = req;
    rq.server_id = sid;
    size_t len = 0;
    if (dhcp_build_request(&rq, buf, cap, &len) != 0)
        return 0;
    return len;
}

static void random_mac(uint8_t mac[6])
{
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)rnd();
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static void mode_random(struct flood *f, unsigned long n)
{
    uint8_t buf[1500];
    for (unsigned long i = 0; i < n; i++) {
        size_t len;
        if (i & 1) {
            len = rnd() % (sizeof(buf) + 1);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rnd();
        } else {
            uint8_t mac[6];
            random_mac(mac);
            len = build(DHCP_DISCOVER, mac, rnd(), 0, 0, buf, sizeof(buf));
            for (unsigned k = 1 + rnd() % 8; k > 0 && len; k--)
                buf[rnd() % len] = (uint8_t)rnd();
        }
        send_raw(f, buf, len);
    }
}

/* A BOOTP header with the cookie; options start at DHCP_OPT_OFF. */
static size_t header(uint8_t *b, size_t cap)
{
    memset(b, 0, cap);
    b[0] = DHCP_OP_REQUEST;
    b[1] = DHCP_HTYPE_ETHER;
    b[2] = 6;
    uint32_t xid = rnd();
    memcpy(b + 4, &xid, 4);
    b[10] = 0x80; /* broadcast flag */
    uint8_t mac[6];
    random_mac(mac);
    memcpy(b + 28, mac, 6);
    b[236] = 0x63;
    b[237] = 0x82;
    b[238] = 0x53;
    b[239] = 0x63;
    return DHCP_OPT_OFF;
}

static void mode_overload(struct flood *f, unsigned long n)
{
    static uint8_t b[60000];
    for (unsigned long i = 0; i < n; i++) {
        /* 1: 52=3 in options; file and sname each carry 52 again. */
        size_t p = header(b, 600);
        const uint8_t opts[] = {53, 1, DHCP_DISCOVER, 52, 1, 3, 255};
        memcpy(b + p, opts, sizeof(opts));
        const uint8_t again[] = {52, 1, 3, 52, 1, 1, 52, 1, 2, 255};
        memcpy(b + DHCP_FILE_OFF, again, sizeof(again));
        memcpy(b + DHCP_SNAME_OFF, again, sizeof(again));
        send_raw(f, b, 300);
        /* 2: the same with file and sname lacking their end option, and
         * full of 52s to the last byte. */
        for (size_t k = 0; k + 3 <= DHCP_FILE_LEN; k += 3)
            memcpy(b + DHCP_FILE_OFF + k, (const uint8_t[]){52, 1, 3}, 3);
        for (size_t k = 0; k + 3 <= DHCP_SNAME_LEN; k += 3)
            memcpy(b + DHCP_SNAME_OFF + k, (const uint8_t[]){52, 1, 1}, 3);
        send_raw(f, b, 300);
        /* 3: 52 with length 0, then length 2, then repeated 100 times. */
        p = header(b, 600);
        memcpy(b + p, (const uint8_t[]){53, 1, DHCP_DISCOVER, 52, 0, 255}, 6);
        send_raw(f, b, 300);
        memcpy(b + p, (const uint8_t[]){53, 1, DHCP_DISCOVER, 52, 2, 3, 3, 255}, 8);
        send_raw(f, b, 300);
        p = header(b, 700);
        memcpy(b + p, (const uint8_t[]){53, 1, DHCP_DISCOVER}, 3);
        p += 3;
        for (int k = 0; k < 100; k++, p += 3)
            memcpy(b + p, (const uint8_t[]){52, 1, 3}, 3);
        b[p++] = 255;
        send_raw(f, b, p);
        /* 4: a 60000-byte DISCOVER of 30000 empty options. */
        p = header(b, sizeof(b));
        memcpy(b + p, (const uint8_t[]){53, 1, DHCP_DISCOVER}, 3);
        p += 3;
        while (p + 3 < sizeof(b)) {
            b[p++] = (uint8_t)(1 + rnd() % 250);
            b[p++] = 0;
        }
        b[p++] = 255;
        send_raw(f, b, p);
        /* 5: 255 instances each of 55 and 61: joined values of 1275+ bytes. */
        p = header(b, sizeof(b));
        memcpy(b + p, (const uint8_t[]){53, 1, DHCP_DISCOVER}, 3);
        p += 3;
        for (int k = 0; k < 255; k++) {
            b[p++] = 55;
            b[p++] = 5;
            for (int j = 0; j < 5; j++)
                b[p++] = (uint8_t)(1 + rnd() % 254);
            b[p++] = 61;
            b[p++] = 7;
            b[p++] = 1;
            for (int j = 0; j < 6; j++)
                b[p++] = (uint8_t)rnd();
        }
        b[p++] = 255;
        send_raw(f, b, p);
    }
}

static void mode_discover(struct flood *f, unsigned long n)
{
    uint8_t buf[600];
    for (unsigned long i = 0; i < n; i++) {
        uint8_t mac[6];
        random_mac(mac);
        size_t len = build(DHCP_DISCOVER, mac, rnd(), 0, 0, buf, sizeof(buf));
        if (len)
            send_raw(f, buf, len);
    }
}

/* DISCOVER from a fresh MAC, wait up to 200 ms for its OFFER, DECLINE. */
static void mode_decline(struct flood *f, unsigned long n)
{
    uint8_t buf[1600];
    for (unsigned long i = 0; i < n; i++) {
        uint8_t mac[6];
        uint32_t xid = rnd();
        random_mac(mac);
        size_t len = build(DHCP_DISCOVER, mac, xid, 0, 0, buf, sizeof(buf));
        if (!len)
            continue;
        send_raw(f, buf, len);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            struct pollfd p = {.fd = f->fd, .events = POLLIN};
            if (poll(&p, 1, 50) <= 0) {
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 > 200)
                    break;
                continue;
            }
            ssize_t got = recv(f->fd, buf, sizeof(buf), 0);
            if (got < 0)
                continue;
            f->replies++;
            struct dhcp_msg m;
            uint8_t type;
            uint32_t sid;
            if (dhcp_msg_parse(&m, buf, (size_t)got) != 0 || m.xid != xid ||
                dhcp_msg_type(&m, &type) != 0 || type != DHCP_OFFER ||
                dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid) != 0)
                continue;
            f->offers++;
            len = build(DHCP_DECLINE, mac, xid, m.yiaddr, sid, buf, sizeof(buf));
            if (len) {
                send_raw(f, buf, len);
                f->declines++;
            }
            break;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 5 || strcmp(argv[1], "-i") != 0) {
        fprintf(stderr, "usage: labnet-dhcpflood -i IFACE random|overload|discover|decline "
                        "COUNT [SEED]\n");
        return 2;
    }
    const char *ifname = argv[2], *mode = argv[3];
    unsigned long n = strtoul(argv[4], NULL, 10);
    rng_state = argc > 5 ? (uint64_t)strtoull(argv[5], NULL, 0)
                         : ((uint64_t)time(NULL) ^ (uint64_t)getpid());
    if (!rng_state)
        rng_state = 88172645463325252ull;
    struct flood f = {.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    int one = 1;
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(68)};
    if (f.fd < 0 || setsockopt(f.fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0 ||
        setsockopt(f.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(f.fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0 ||
        bind(f.fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
        perror("labnet-dhcpflood: socket");
        return 2;
    }
    if (strcmp(mode, "random") == 0)
        mode_random(&f, n);
    else if (strcmp(mode, "overload") == 0)
        mode_overload(&f, n);
    else if (strcmp(mode, "discover") == 0)
        mode_discover(&f, n);
    else if (strcmp(mode, "decline") == 0)
        mode_decline(&f, n);
    else {
        fprintf(stderr, "labnet-dhcpflood: unknown mode %s\n", mode);
        return 2;
    }
    printf("sent=%lu replies=%lu offers=%lu declines=%lu\n", f.sent, f.replies, f.offers,
           f.declines);
    close(f.fd);
    return 0;
}
