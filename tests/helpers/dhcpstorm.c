/*
 * labnet-dhcpstorm: many DHCP clients at once, for the durability test
 * (tests/integration/test_dhcpd_durability.sh).  Not installed.
 *
 *   labnet-dhcpstorm -i IFACE -n COUNT [-b BASE] [-k INFLIGHT] [-p PERSEC] [-t SECS]
 *                    [-o ACKLOG]
 *   labnet-dhcpstorm -i IFACE --reboot FILE [-k INFLIGHT] [-t SECS] [-o LOG]
 *
 * DORA mode: clients BASE..BASE+COUNT-1, each with its own made-up MAC
 * 02:5e:XX:XX:XX:XX (the index in the low 32 bits), run DISCOVER, OFFER,
 * REQUEST (SELECTING), ACK; at most INFLIGHT at a time, and (-p) at most
 * PERSEC new clients a second, so that a storm lasts long enough to kill
 * the server in its middle.  Every ACK is
 * written to ACKLOG as "ACK MAC ADDR" the moment it arrives (write(2) on an
 * O_APPEND file, no stdio buffer), so a line there is a lease the server
 * promised, whatever happens to the server afterwards.  A NAK restarts the
 * client from DISCOVER; so does a REQUEST left unanswered 8 times (RFC 2131
 * 4.4.1).  Retransmissions every 300 ms keep a client alive across a
 * server restart.
 *
 * Reboot mode: each "MAC ADDR" line of FILE (ACK lines are accepted too)
 * sends an INIT-REBOOT REQUEST for ADDR (option 50, no ciaddr, no server
 * id, RFC 2131 4.3.2) and logs "ACK MAC ADDR", "NAK MAC ADDR" or, after
 * silence until the deadline, "NONE MAC ADDR".  An ACK for another address
 * than asked is logged with that address.
 *
 * Sniff mode (--sniff): prints one line per DHCP message seen on IFACE,
 * either direction, through a packet socket: "TYPE op=1|2 giaddr=A
 * yiaddr=A opt82=HEX|- flags=0xFFFF" (TYPE as DISCOVER, OFFER, ...), until -t SECS or
 * SIGTERM.  The relay test reads it to see option 82 on both legs.
 *
 * Every request sets the broadcast flag, so every reply comes to
 * 255.255.255.255:68 and one UDP socket bound to IFACE (SO_BINDTODEVICE)
 * hears them all; the interface needs an IPv4 address outside the pool for
 * the kernel to send from.  Messages are built and parsed with the common
 * DHCP codec (common/dhcp_build, common/dhcp_msg).
 *
 * Exit status: 0 when every client finished (DORA: all ACKed; reboot: all
 * answered), 1 when the deadline (-t, default 50 s) came first, 2 usage or
 * system error.  A summary goes to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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

#define STORM_MAX       65536
#define RETRANSMIT_MS   300
#define REQUEST_TRIES   8
#define DHCP_PORT_SERV  67
#define DHCP_PORT_CLI   68
#define STORM_XID_SPACE 0x00ffffffu

enum storm_phase { PH_IDLE, PH_DISCOVER, PH_REQUEST, PH_DONE };

struct storm_client {
    uint8_t mac[6];
    uint32_t xid;
    enum storm_phase phase;
    uint32_t offered;   /* network order */
    uint32_t server_id; /* network order */
    uint32_t want;      /* reboot mode: the address to confirm */
    int64_t next_ms;
    unsigned tries;
};

struct storm {
    int fd;
    int log_fd;
    bool reboot;
    struct storm_client *c;
    size_t n;
    uint32_t xid_base;
    unsigned long sent, acks, naks, restarts;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mac_text(const uint8_t *mac, char *out)
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

/* One line per event, one write(2) each: the line is in the file (page
 * cache) once this returns, even if this process or the server dies next. */
static void log_event(const struct storm *s, const char *what, const uint8_t *mac, uint32_t addr)
{
    char m[18], a[INET_ADDRSTRLEN], line[64];
    mac_text(mac, m);
    inet_ntop(AF_INET, &addr, a, sizeof(a));
    int n = snprintf(line, sizeof(line), "%s %s %s\n", what, m, a);
    if (s->log_fd >= 0 && n > 0 && write(s->log_fd, line, (size_t)n) != n)
        perror("dhcpstorm: log");
}

static void send_msg(struct storm *s, struct storm_client *c)
{
    static const uint8_t prl[] = {DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTERS, DHCP_OPT_DNS_SERVERS,
                                  DHCP_OPT_DOMAIN_NAME};
    struct dhcp_request rq = {
        .xid = c->xid,
        .broadcast = true,
        .htype = DHCP_HTYPE_ETHER,
        .hlen = 6,
        .prl = prl,
        .prl_len = sizeof(prl),
    };
    memcpy(rq.chaddr, c->mac, 6);
    if (c->phase == PH_DISCOVER) {
        rq.type = DHCP_DISCOVER;
    } else if (s->reboot) {
        rq.type = DHCP_REQUEST;
        rq.state = DHCP_REQ_INIT_REBOOT;
        rq.requested = c->want;
    } else {
        rq.type = DHCP_REQUEST;
        rq.state = DHCP_REQ_SELECTING;
        rq.requested = c->offered;
        rq.server_id = c->server_id;
    }
    uint8_t buf[600];
    size_t len;
    if (dhcp_build_request(&rq, buf, sizeof(buf), &len) != 0)
        return;
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons(DHCP_PORT_SERV),
                             .sin_addr.s_addr = INADDR_BROADCAST};
    if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len)
        s->sent++;
    c->tries++;
    c->next_ms = now_ms() + RETRANSMIT_MS;
}

static void start_client(struct storm *s, struct storm_client *c)
{
    c->phase = s->reboot ? PH_REQUEST : PH_DISCOVER;
    c->tries = 0;
    send_msg(s, c);
}

static void on_reply(struct storm *s, const uint8_t *pkt, size_t len)
{
    struct dhcp_msg m;
    uint8_t type;
    if (dhcp_msg_parse(&m, pkt, len) != 0 || m.op != DHCP_OP_REPLY || dhcp_msg_type(&m, &type) != 0)
        return;
    uint32_t idx = m.xid - s->xid_base;
    if (idx >= s->n)
        return;
    struct storm_client *c = &s->c[idx];
    if (m.hlen != 6 || memcmp(m.chaddr, c->mac, 6) != 0 || c->phase == PH_DONE ||
        c->phase == PH_IDLE)
        return;
    if (c->phase == PH_DISCOVER && type == DHCP_OFFER) {
        uint32_t sid;
        if (m.yiaddr == 0 || dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid) != 0)
            return;
        c->offered = m.yiaddr;
        c->server_id = sid;
        c->phase = PH_REQUEST;
        c->tries = 0;
        send_msg(s, c);
    } else if (c->phase == PH_REQUEST && type == DHCP_ACK) {
        if (!s->reboot && m.yiaddr != c->offered)
            return; /* RFC 2131 4.4.1: an ACK for another address is not ours */
        c->phase = PH_DONE;
        s->acks++;
        log_event(s, "ACK", c->mac, m.yiaddr);
    } else if (c->phase == PH_REQUEST && type == DHCP_NAK) {
        s->naks++;
        if (s->reboot) {
            c->phase = PH_DONE;
            log_event(s, "NAK", c->mac, c->want);
        } else {
            s->restarts++;
            c->phase = PH_DISCOVER;
            c->tries = 0;
            send_msg(s, c);
        }
    }
}

static int open_socket(const char *ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rcv = 4 << 20;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(DHCP_PORT_CLI)};
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    /* Hundreds of broadcast replies can arrive between two polls. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    return fd;
}

static int parse_mac(const char *t, uint8_t *mac)
{
    unsigned v[6];
    if (sscanf(t, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

/* Reads "MAC ADDR" or "WORD MAC ADDR" lines into s->c.  Returns the count
 * or a negative errno. */
static long read_reboot_file(const char *path, struct storm_client *c, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    char line[256];
    size_t n = 0;
    while (n < cap && fgets(line, sizeof(line), f)) {
        char w[3][64];
        int k = sscanf(line, "%63s %63s %63s", w[0], w[1], w[2]);
        const char *mac = k == 3 ? w[1] : w[0], *addr = k == 3 ? w[2] : w[1];
        struct in_addr ia;
        if (k < 2 || parse_mac(mac, c[n].mac) != 0 || inet_pton(AF_INET, addr, &ia) != 1)
            continue;
        c[n].want = ia.s_addr;
        n++;
    }
    (void)fclose(f);
    return (long)n;
}

static const char *const type_names[] = {"?",   "DISCOVER", "OFFER",   "REQUEST", "DECLINE",
                                         "ACK", "NAK",      "RELEASE", "INFORM"};

static volatile sig_atomic_t stop_sniff;

static void on_term(int sig)
{
    (void)sig;
    stop_sniff = 1;
}

/* Prints the DHCP message inside one Ethernet frame, if there is one.  The
 * frame is checked as any input is: every length before it is used. */
static void sniff_frame(FILE *out, const uint8_t *f, size_t len)
{
    if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
        return;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != IPPROTO_UDP || tot > len - 14 || tot < ihl + 8)
        return;
    const uint8_t *udp = ip + ihl;
    unsigned sport = (unsigned)udp[0] << 8 | udp[1], dport = (unsigned)udp[2] << 8 | udp[3];
    size_t ulen = (size_t)udp[4] << 8 | udp[5];
    if ((sport != DHCP_PORT_SERV && sport != DHCP_PORT_CLI) ||
        (dport != DHCP_PORT_SERV && dport != DHCP_PORT_CLI) || ulen < 8 || ulen > tot - ihl)
        return;
    struct dhcp_msg m;
    uint8_t type;
    if (dhcp_msg_parse(&m, udp + 8, ulen - 8) != 0 || dhcp_msg_type(&m, &type) != 0)
        return;
    char g[INET_ADDRSTRLEN], y[INET_ADDRSTRLEN], hex[2 * 255 + 1] = "-";
    const uint8_t *v;
    size_t vl;
    uint8_t scratch[255];
    if (dhcp_msg_opt_get(&m, DHCP_OPT_RELAY_AGENT_INFO, scratch, sizeof(scratch), &v, &vl) == 0)
        for (size_t i = 0; i < vl; i++)
            snprintf(hex + 2 * i, 3, "%02x", v[i]);
    inet_ntop(AF_INET, &m.giaddr, g, sizeof(g));
    inet_ntop(AF_INET, &m.yiaddr, y, sizeof(y));
    fprintf(out, "%s op=%u giaddr=%s yiaddr=%s opt82=%s flags=0x%04x\n", type_names[type], m.op, g,
            y, hex, m.flags);
    (void)fflush(out);
}

static int sniff(const char *ifname, const char *path, unsigned long secs)
{
    FILE *out = path ? fopen(path, "a") : stdout;
    if (!out)
        return 2;
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)if_nametoindex(ifname)};
    if (fd < 0 || sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
        fprintf(stderr, "dhcpstorm: packet socket on %s: %s\n", ifname, strerror(errno));
        return 2;
    }
    (void)signal(SIGTERM, on_term);
    (void)signal(SIGINT, on_term);
    int64_t deadline = now_ms() + (int64_t)secs * 1000;
    fprintf(stderr, "dhcpstorm: sniffing on %s\n", ifname);
    while (!stop_sniff && now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        uint8_t buf[2048];
        ssize_t got = recv(fd, buf, sizeof(buf), 0);
        if (got > 0)
            sniff_frame(out, buf, (size_t)got);
    }
    close(fd);
    if (out != stdout)
        (void)fclose(out);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: labnet-dhcpstorm -i IFACE (-n COUNT [-b BASE] | --reboot FILE)\n"
                    "                        [-k INFLIGHT] [-p PERSEC] [-t SECS] [-o LOG]\n"
                    "       labnet-dhcpstorm -i IFACE --sniff [-t SECS] [-o LOG]\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"reboot", required_argument, NULL, 'r'},
                                             {"sniff", no_argument, NULL, 's'},
                                             {NULL, 0, NULL, 0}};
    const char *ifname = NULL, *out = NULL, *reboot_file = NULL;
    unsigned long count = 0, base = 0, inflight = 32, secs = 50, per_sec = 0;
    bool sniffing = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "i:n:b:k:p:t:o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            ifname = optarg;
            break;
        case 'n':
            count = strtoul(optarg, NULL, 10);
            break;
        case 'b':
            base = strtoul(optarg, NULL, 10);
            break;
        case 'k':
            inflight = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            per_sec = strtoul(optarg, NULL, 10);
            break;
        case 't':
            secs = strtoul(optarg, NULL, 10);
            break;
        case 'o':
            out = optarg;
            break;
        case 'r':
            reboot_file = optarg;
            break;
        case 's':
            sniffing = true;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (sniffing && ifname && strlen(ifname) < IFNAMSIZ && secs)
        return sniff(ifname, out, secs);
    if (!ifname || strlen(ifname) >= IFNAMSIZ || (!count && !reboot_file) || count > STORM_MAX ||
        inflight == 0 || secs == 0) {
        usage();
        return 2;
    }
    static struct storm s;
    s.reboot = reboot_file != NULL;
    s.c = calloc(STORM_MAX, sizeof(*s.c));
    if (!s.c)
        return 2;
    if (s.reboot) {
        long n = read_reboot_file(reboot_file, s.c, STORM_MAX);
        if (n < 0) {
            fprintf(stderr, "dhcpstorm: %s: %s\n", reboot_file, strerror((int)-n));
            return 2;
        }
        s.n = (size_t)n;
    } else {
        s.n = count;
        for (size_t i = 0; i < s.n; i++) {
            uint32_t id = (uint32_t)(base + i);
            s.c[i].mac[0] = 0x02; /* locally administered, unicast */
            s.c[i].mac[1] = 0x5e;
            s.c[i].mac[2] = (uint8_t)(id >> 24);
            s.c[i].mac[3] = (uint8_t)(id >> 16);
            s.c[i].mac[4] = (uint8_t)(id >> 8);
            s.c[i].mac[5] = (uint8_t)id;
        }
    }
    /* xid = base + index: a reply finds its client in O(1), and runs that
     * overlap (a resumed storm) do not share xids. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s.xid_base = ((uint32_t)ts.tv_nsec ^ (uint32_t)getpid() << 12) & ~STORM_XID_SPACE;
    for (size_t i = 0; i < s.n; i++)
        s.c[i].xid = s.xid_base + (uint32_t)i;
    s.log_fd = -1;
    if (out && (s.log_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "dhcpstorm: %s: %s\n", out, strerror(errno));
        return 2;
    }
    s.fd = open_socket(ifname);
    if (s.fd < 0) {
        fprintf(stderr, "dhcpstorm: socket on %s: %s\n", ifname, strerror(-s.fd));
        return 2;
    }

    int64_t t0 = now_ms(), deadline = t0 + (int64_t)secs * 1000;
    size_t next = 0, active = 0, done = 0;
    while (done < s.n && now_ms() < deadline) {
        /* -p: the clients started so far stay within PERSEC a second. */
        size_t allowed = per_sec ? (size_t)((uint64_t)(now_ms() - t0) * per_sec / 1000) + 1 : s.n;
        while (active < inflight && next < s.n && next < allowed) {
            start_client(&s, &s.c[next++]);
            active++;
        }
        int64_t now = now_ms(), wake = next < s.n && per_sec ? now + 5 : deadline;
        for (size_t i = 0; i < next; i++) {
            struct storm_client *c = &s.c[i];
            if (c->phase != PH_DISCOVER && c->phase != PH_REQUEST)
                continue;
            if (c->next_ms <= now) {
                /* RFC 2131 4.4.1: a REQUEST nobody answers sends the
                 * client back to INIT (DORA mode). */
                if (c->phase == PH_REQUEST && !s.reboot && c->tries >= REQUEST_TRIES) {
                    s.restarts++;
                    c->phase = PH_DISCOVER;
                    c->tries = 0;
                }
                send_msg(&s, c);
            }
            if (c->next_ms < wake)
                wake = c->next_ms;
        }
        struct pollfd p = {.fd = s.fd, .events = POLLIN};
        int64_t wait = wake - now_ms();
        if (poll(&p, 1, wait < 0 ? 0 : (int)(wait > 1000 ? 1000 : wait)) > 0) {
            uint8_t buf[2048];
            ssize_t got;
            while ((got = recv(s.fd, buf, sizeof(buf), 0)) > 0)
                on_reply(&s, buf, (size_t)got);
        }
        size_t d = 0;
        for (size_t i = 0; i < next; i++)
            d += s.c[i].phase == PH_DONE;
        active -= d - done;
        done = d;
    }
    if (s.reboot)
        for (size_t i = 0; i < s.n; i++)
            if (s.c[i].phase != PH_DONE)
                log_event(&s, "NONE", s.c[i].mac, s.c[i].want);
    fprintf(stderr,
            "dhcpstorm: %zu clients, %zu done, %lu acks, %lu naks, %lu restarts, %lu sent, "
            "%lld ms\n",
            s.n, done, s.acks, s.naks, s.restarts, s.sent, (long long)(now_ms() - t0));
    close(s.fd);
    if (s.log_fd >= 0)
        close(s.log_fd);
    free(s.c);
    return done == s.n ? 0 : 1;
}
