/*
 * dnsfake: a small, deliberately misbehaving authoritative DNS server for
 * labnet-dnsd's integration tests (tests/integration/dnsh.sh), and a raw
 * datagram sender for its malformed-query checks.  Built on the common
 * codec (dns_msg, dns_write) so it speaks well-formed DNS unless told not to.
 *
 *   dnsfake serve -l ADDR[:PORT] -z ZONE [-m MODE] [-a A] [-p POISON]
 *                 [-v VICTIM] [-s ADDR[:PORT]] [-d MS]
 *   dnsfake send ADDR[:PORT] HEX [WAIT_MS]
 *   dnsfake flood ADDR[:PORT] KIND [-n COUNT] [-r RATE] [-q NAME] [-b SRC]
 *                 [-w WAIT_MS] [-t SECS]
 *
 * serve answers for ZONE and every name under it: the apex has NS
 * "ns.ZONE" (whose address is the listen address) and a SOA; ns.ZONE has
 * that A record; every other name has "A" (default 198.51.100.99) and no
 * other type (NODATA with the SOA).  Names outside ZONE get REFUSED.  TCP is
 * served on the same address and port, one connection at a time.  MODE:
 *
 *   plain       correct answers only
 *   never       reads queries and never answers (a silent server; TCP
 *               connections are left unaccepted)
 *   wrong-id    first a forged reply (ID changed) carrying POISON for the
 *               question and for VICTIM, then the true reply
 *   wrong-port  the forged reply (right ID) from another port of the same
 *               address, then the true reply
 *   wrong-addr  the forged reply (right ID) from ADDR of -s, then the true one
 *   wrong-qname a forged reply from the right address and port with the
 *               right ID, but whose question is VICTIM (answered POISON),
 *               then the true reply
 *   oob         true answers that also carry out-of-bailiwick data: an NS
 *               RRset for VICTIM's parent pointing at ns.ZONE in authority,
 *               and VICTIM A POISON plus that parent's server A POISON in
 *               additional
 *   answer      true answers with VICTIM A POISON added to the answer
 *               section; www.ZONE is a CNAME to VICTIM followed by
 *               VICTIM A POISON (the answer section is the attacker's)
 *   tc          UDP replies always empty with TC=1; TCP answered properly
 *   slow        every reply sent -d MS (default 300) late
 *
 * Every query is logged to stdout as one line ("query N udp|tcp NAME TYPE
 * from ADDR:PORT id ID"), so a test counts the upstream queries a resolver
 * sent and sees their source ports and IDs.
 *
 * send writes the bytes of HEX as one datagram to ADDR (port 53 by
 * default), waits WAIT_MS (default 2000) for a reply and prints
 * "rcode=R qr=Q tc=T id=I an=N len=L" (header fields; " unparsed" added
 * when the rest does not parse, "reply len=L short" under 12 octets), or
 * "noreply"; exit status 0 either way, 2 for usage errors.
 *
 * flood sends COUNT (default 1000) hostile or plain messages of KIND to
 * ADDR, RATE a second (0, the default: as fast as the socket takes them),
 * from source address SRC when given, for at most SECS (default 20), then
 * reads replies for WAIT_MS more (default 1000), and prints one line:
 * "sent=S recv=R noerror= formerr= servfail= nxdomain= refused= other=
 * tc= avg_ms= max_ms= conns= closed= ms= send_ms=" (rcode counts of the
 * replies; avg/max the round trips of matched replies, by ID; ms the whole
 * run, send_ms the UDP sending alone).  KIND:
 *
 *   random      UDP datagrams of 1..600 random octets
 *   trunc       UDP: every proper prefix of a query with EDNS, in turn
 *   loops       UDP queries whose names are compression loops (a pointer
 *               to itself, to its own label, a cycle through the answer
 *               section), pointer chains longer than DNS_NAME_MAXJUMPS,
 *               and names made over 255 octets by chained pointers: each
 *               must be FORMERR
 *   query       UDP: the question NAME A (default www.lab), IDs in turn
 *   distinct    UDP: a fresh random label under NAME for every query
 *   tcp-random  COUNT TCP connections, each sending 1..3000 random octets
 *   tcp-trunc   COUNT TCP connections, each sending a frame cut short
 *               (length prefix promising more, or a truncated message)
 *               and closing its side
 *
 * A test helper, not a daemon: single-threaded, blocking sockets, no caps
 * beyond what one test needs, but every received length is still checked.
 */
#include <arpa/inet.h>
#include <errno.h>
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

#include "common/addr.h"
#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_write.h"

enum fake_mode {
    MODE_PLAIN,
    MODE_NEVER,
    MODE_WRONG_ID,
    MODE_WRONG_PORT,
    MODE_WRONG_ADDR,
    MODE_OOB,
    MODE_ANSWER,
    MODE_TC,
    MODE_SLOW,
    MODE_WRONG_QNAME,
};

static const char *const mode_names[] = {
    "plain", "never",  "wrong-id", "wrong-port", "wrong-addr",
    "oob",   "answer", "tc",       "slow",       "wrong-qname",
};

enum reply_kind { REPLY_TRUE, REPLY_POISON, REPLY_TC };

#define FAKE_TTL   300u
#define FAKE_MAXRR 16

struct fake {
    enum fake_mode mode;
    uint8_t zone[DNS_NAME_MAXLEN];
    uint8_t ns_name[DNS_NAME_MAXLEN];   /* ns.ZONE */
    uint8_t www_name[DNS_NAME_MAXLEN];  /* www.ZONE */
    uint8_t victim[DNS_NAME_MAXLEN];    /* name the forgeries target */
    uint8_t victim_ns[DNS_NAME_MAXLEN]; /* ns1.<victim's parent> */
    const uint8_t *victim_parent;       /* into victim */
    uint8_t own_a[4], true_a[4], poison_a[4];
    struct net_addr listen, side_addr;
    unsigned delay_ms;
    int udp, tcp, side;
    unsigned long nq;
};

static int usage(void)
{
    fprintf(stderr,
            "usage: dnsfake serve -l ADDR[:PORT] -z ZONE [-m MODE] [-a A] [-p POISON]\n"
            "                     [-v VICTIM] [-s ADDR[:PORT]] [-d MS]\n"
            "       dnsfake send ADDR[:PORT] HEX [WAIT_MS]\n"
            "       dnsfake flood ADDR[:PORT] KIND [-n COUNT] [-r RATE] [-q NAME] [-b SRC]\n"
            "                     [-w WAIT_MS] [-t SECS]\n");
    return 2;
}

static int name_parse(const char *s, uint8_t *out)
{
    size_t len;
    return dns_name_from_text(s, strlen(s), out, &len);
}

/* Prepends one label to name into out; -EMSGSIZE if the result is over 255. */
static int name_prepend(const char *label, const uint8_t *name, uint8_t *out)
{
    size_t ll = strlen(label), nl = dns_name_len(name);
    if (ll == 0 || ll > DNS_LABEL_MAXLEN || 1 + ll + nl > DNS_NAME_MAXLEN)
        return -EMSGSIZE;
    out[0] = (uint8_t)ll;
    /* A wire-form label: length-prefixed, never NUL-terminated. */
    memcpy(out + 1, label, ll); // NOLINT(bugprone-not-null-terminated-result)
    memcpy(out + 1 + ll, name, nl);
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int sock_bind(int type, const struct net_addr *a)
{
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(a, &ss);
    int fd = socket(ss.ss_family, type, 0);
    int one = 1;
    if (fd < 0)
        return -1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void wr_a(struct dns_wr *d, int sec, const uint8_t *owner, const uint8_t addr[4])
{
    dns_wr_rrset_begin(d, sec);
    dns_wr_rr(d, owner, DNS_TYPE_A, DNS_CLASS_IN, FAKE_TTL, addr, 4);
    dns_wr_rrset_end(d);
}

static void wr_soa(struct dns_wr *d, const struct fake *f)
{
    uint8_t rname[DNS_NAME_MAXLEN];
    if (name_prepend("hostmaster", f->zone, rname) != 0)
        memcpy(rname, f->zone, dns_name_len(f->zone));
    dns_wr_rrset_begin(d, DNS_SEC_NS);
    dns_wr_rr_begin(d, f->zone, DNS_TYPE_SOA, DNS_CLASS_IN, FAKE_TTL);
    dns_wr_rdata_name(d, f->ns_name);
    dns_wr_rdata_name(d, rname);
    wire_wr_u32(&d->w, 1);
    wire_wr_u32(&d->w, 3600);
    wire_wr_u32(&d->w, 600);
    wire_wr_u32(&d->w, 86400);
    wire_wr_u32(&d->w, FAKE_TTL);
    dns_wr_rr_end(d);
    dns_wr_rrset_end(d);
}

static void wr_ns(struct dns_wr *d, int sec, const uint8_t *owner, const uint8_t *target)
{
    dns_wr_rrset_begin(d, sec);
    dns_wr_rr_begin(d, owner, DNS_TYPE_NS, DNS_CLASS_IN, FAKE_TTL);
    dns_wr_rdata_name(d, target);
    dns_wr_rr_end(d);
    dns_wr_rrset_end(d);
}

/* The true answer to (qname, qtype), with the mode's additions. */
static void answer_true(struct dns_wr *d, const struct fake *f, const uint8_t *qname,
                        uint16_t qtype)
{
    if (!dns_name_is_sub(qname, f->zone)) {
        d->hdr.rcode = DNS_RCODE_REFUSED;
        return;
    }
    d->hdr.aa = true;
    if (f->mode == MODE_ANSWER && dns_name_eq(qname, f->www_name)) {
        dns_wr_rrset_begin(d, DNS_SEC_AN);
        dns_wr_rr_begin(d, qname, DNS_TYPE_CNAME, DNS_CLASS_IN, FAKE_TTL);
        dns_wr_rdata_name(d, f->victim);
        dns_wr_rr_end(d);
        dns_wr_rrset_end(d);
        wr_a(d, DNS_SEC_AN, f->victim, f->poison_a);
        return;
    }
    if (dns_name_eq(qname, f->zone) && qtype == DNS_TYPE_NS) {
        wr_ns(d, DNS_SEC_AN, f->zone, f->ns_name);
        wr_a(d, DNS_SEC_AR, f->ns_name, f->own_a);
        return;
    }
    if (dns_name_eq(qname, f->zone) && qtype == DNS_TYPE_SOA) {
        /* The SOA goes to the answer section here, so write it by hand. */
        uint8_t rname[DNS_NAME_MAXLEN];
        if (name_prepend("hostmaster", f->zone, rname) != 0)
            memcpy(rname, f->zone, dns_name_len(f->zone));
        dns_wr_rrset_begin(d, DNS_SEC_AN);
        dns_wr_rr_begin(d, f->zone, DNS_TYPE_SOA, DNS_CLASS_IN, FAKE_TTL);
        dns_wr_rdata_name(d, f->ns_name);
        dns_wr_rdata_name(d, rname);
        wire_wr_u32(&d->w, 1);
        wire_wr_u32(&d->w, 3600);
        wire_wr_u32(&d->w, 600);
        wire_wr_u32(&d->w, 86400);
        wire_wr_u32(&d->w, FAKE_TTL);
        dns_wr_rr_end(d);
        dns_wr_rrset_end(d);
        return;
    }
    bool is_ns = dns_name_eq(qname, f->ns_name);
    if (qtype != DNS_TYPE_A || dns_name_eq(qname, f->zone)) {
        wr_soa(d, f); /* NODATA (RFC 2308 2.2) */
        return;
    }
    wr_a(d, DNS_SEC_AN, qname, is_ns ? f->own_a : f->true_a);
    if (f->mode == MODE_ANSWER && !is_ns)
        wr_a(d, DNS_SEC_AN, f->victim, f->poison_a);
    if (f->mode == MODE_OOB) {
        /* Authority: a delegation of a zone that is not ours; additional:
         * addresses for names that are not ours. */
        if (f->victim_parent != NULL)
            wr_ns(d, DNS_SEC_NS, f->victim_parent, f->ns_name);
        wr_ns(d, DNS_SEC_NS, f->zone, f->ns_name);
        wr_a(d, DNS_SEC_AR, f->victim, f->poison_a);
        wr_a(d, DNS_SEC_AR, f->victim_ns, f->poison_a);
        wr_a(d, DNS_SEC_AR, f->ns_name, f->own_a);
    }
}

/* Builds the reply of the given kind to q into buf.  Returns its length, 0
 * if nothing could be built. */
static size_t reply_build(const struct fake *f, const struct dns_msg *q, enum reply_kind kind,
                          bool tcp, uint8_t *buf, size_t cap)
{
    struct dns_wr d;
    struct dns_edns qe = {0};
    bool edns = q->has_opt && dns_rr_opt(q, &q->opt, &qe) == 0;
    size_t limit = tcp ? 65535 : 512, len = 0;
    uint8_t qname[DNS_NAME_MAXLEN];
    size_t qlen;

    if (!tcp && edns)
        limit = qe.udp_size < 512 ? 512 : (qe.udp_size > 4096 ? 4096 : qe.udp_size);
    if (dns_reply_begin(&d, buf, cap, limit, q) != 0)
        return 0;
    if (edns)
        dns_wr_reserve(&d, DNS_OPT_FIXED_LEN);
    d.hdr.rd = q->hdr.rd;
    if (q->qd_n != 1 || dns_msg_qname(q, &q->qd[0], qname, &qlen) != 0) {
        d.hdr.rcode = DNS_RCODE_FORMERR;
    } else if (q->hdr.opcode != DNS_OPCODE_QUERY) {
        d.hdr.rcode = DNS_RCODE_NOTIMP;
    } else if (kind == REPLY_TC) {
        d.hdr.tc = true;
        d.hdr.aa = true;
    } else if (kind == REPLY_POISON) {
        d.hdr.aa = true;
        wr_a(&d, DNS_SEC_AN, qname, f->poison_a);
        if (!dns_name_eq(qname, f->victim))
            wr_a(&d, DNS_SEC_AN, f->victim, f->poison_a);
    } else {
        answer_true(&d, f, qname, q->qd[0].qtype);
    }
    if (edns) {
        struct dns_edns re = {.udp_size = 1232};
        dns_wr_opt(&d, &re);
    }
    if (dns_wr_finish(&d, &len) != 0 && len == 0)
        return 0;
    return len;
}

/* A reply that matches the query in everything but its question: it asks
 * about the victim and answers it with the forgery (RFC 5452 9.1: a reply
 * is accepted only if its question matches the query's). */
static size_t forge_wrong_question(const struct fake *f, const struct dns_msg *q, uint8_t *buf,
                                   size_t cap)
{
    struct dns_wr d;
    struct dns_hdr h = {.id = q->hdr.id, .qr = true, .aa = true, .rd = q->hdr.rd};
    size_t len = 0;

    dns_wr_init(&d, buf, cap, 512);
    dns_wr_header(&d, &h);
    dns_wr_question(&d, f->victim, DNS_TYPE_A, DNS_CLASS_IN);
    wr_a(&d, DNS_SEC_AN, f->victim, f->poison_a);
    return dns_wr_finish(&d, &len) == 0 ? len : 0;
}

static void log_query(struct fake *f, const struct dns_msg *q, const char *proto,
                      const struct net_addr *from)
{
    char name[DNS_NAME_TEXT_MAX] = "?", peer[64] = "?";
    uint8_t qname[DNS_NAME_MAXLEN];
    size_t qlen;
    unsigned qtype = 0;

    f->nq++;
    if (q->qd_n == 1 && dns_msg_qname(q, &q->qd[0], qname, &qlen) == 0) {
        (void)dns_name_to_text(qname, name, sizeof(name), NULL);
        qtype = q->qd[0].qtype;
    }
    (void)net_addr_format_port(from, peer, sizeof(peer));
    printf("query %lu %s %s %u from %s id %u\n", f->nq, proto, name, qtype, peer, q->hdr.id);
    (void)fflush(stdout);
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr_storage *to,
                    socklen_t tl)
{
    if (len > 0)
        (void)sendto(fd, buf, len, 0, (const struct sockaddr *)to, tl);
}

static void udp_handle(struct fake *f)
{
    uint8_t in[4096], out[4096];
    struct sockaddr_storage from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(f->udp, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
    struct dns_question qd[1];
    struct dns_rr rr[FAKE_MAXRR];
    struct dns_msg q = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = FAKE_MAXRR};
    struct net_addr peer;

    if (n < 0)
        return;
    int rc = dns_msg_parse(&q, in, (size_t)n);
    if (rc != 0 && rc != -E2BIG)
        return; /* malformed: a resolver never sends it; drop */
    if (q.hdr.qr)
        return;
    (void)net_addr_from_sockaddr(&peer, (struct sockaddr *)&from);
    log_query(f, &q, "udp", &peer);

    size_t len;
    switch (f->mode) {
    case MODE_NEVER:
        return;
    case MODE_SLOW:
        sleep_ms(f->delay_ms);
        break;
    case MODE_TC:
        len = reply_build(f, &q, REPLY_TC, false, out, sizeof(out));
        send_to(f->udp, out, len, &from, fl);
        return;
    case MODE_WRONG_ID:
        len = reply_build(f, &q, REPLY_POISON, false, out, sizeof(out));
        if (len >= 2) {
            /* Any other ID: the resolver must match on ID (RFC 5452 4.3). */
            out[0] ^= 0x5a;
            out[1] ^= 0xa5;
        }
        send_to(f->udp, out, len, &from, fl);
        break;
    case MODE_WRONG_PORT:
    case MODE_WRONG_ADDR:
        len = reply_build(f, &q, REPLY_POISON, false, out, sizeof(out));
        send_to(f->side, out, len, &from, fl);
        break;
    case MODE_WRONG_QNAME:
        len = forge_wrong_question(f, &q, out, sizeof(out));
        send_to(f->udp, out, len, &from, fl);
        break;
    default:
        break;
    }
    /* The forgery, if any, is on its way first; give it a head start. */
    if (f->mode == MODE_WRONG_ID || f->mode == MODE_WRONG_PORT || f->mode == MODE_WRONG_ADDR ||
        f->mode == MODE_WRONG_QNAME)
        sleep_ms(20);
    len = reply_build(f, &q, REPLY_TRUE, false, out, sizeof(out));
    send_to(f->udp, out, len, &from, fl);
}

static bool read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* One TCP connection, messages framed by a two-octet length (RFC 1035
 * 4.2.2), until the peer closes or is idle for 3 s. */
static void tcp_handle(struct fake *f)
{
    struct sockaddr_storage from;
    socklen_t fl = sizeof(from);
    int c = accept(f->tcp, (struct sockaddr *)&from, &fl);
    struct timeval tv = {.tv_sec = 3};
    struct net_addr peer;
    static uint8_t in[65535], out[2 + 65535];

    if (c < 0)
        return;
    (void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)net_addr_from_sockaddr(&peer, (struct sockaddr *)&from);
    for (;;) {
        uint8_t lb[2];
        if (!read_full(c, lb, 2))
            break;
        size_t mlen = (size_t)lb[0] << 8 | lb[1];
        if (mlen < DNS_HDR_LEN || !read_full(c, in, mlen))
            break;
        struct dns_question qd[1];
        struct dns_rr rr[FAKE_MAXRR];
        struct dns_msg q = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = FAKE_MAXRR};
        int rc = dns_msg_parse(&q, in, mlen);
        if ((rc != 0 && rc != -E2BIG) || q.hdr.qr)
            break;
        log_query(f, &q, "tcp", &peer);
        if (f->mode == MODE_SLOW)
            sleep_ms(f->delay_ms);
        size_t len = reply_build(f, &q, REPLY_TRUE, true, out + 2, sizeof(out) - 2);
        if (len == 0)
            break;
        out[0] = (uint8_t)(len >> 8);
        out[1] = (uint8_t)len;
        if (!write_full(c, out, len + 2))
            break;
    }
    close(c);
}

static int serve(int argc, char **argv)
{
    static struct fake f;
    const char *zone = NULL, *listen_s = NULL, *side_s = NULL;
    const char *a_s = "198.51.100.99", *p_s = "6.6.6.6", *v_s = "victim.b.corp.";
    int opt;

    f.delay_ms = 300;
    f.mode = MODE_PLAIN;
    while ((opt = getopt(argc, argv, "l:z:m:a:p:v:s:d:")) != -1) {
        switch (opt) {
        case 'l':
            listen_s = optarg;
            break;
        case 'z':
            zone = optarg;
            break;
        case 'm': {
            size_t i, n = sizeof(mode_names) / sizeof(mode_names[0]);
            for (i = 0; i < n && strcmp(optarg, mode_names[i]) != 0; i++) {
            }
            if (i == n)
                return usage();
            f.mode = (enum fake_mode)i;
            break;
        }
        case 'a':
            a_s = optarg;
            break;
        case 'p':
            p_s = optarg;
            break;
        case 'v':
            v_s = optarg;
            break;
        case 's':
            side_s = optarg;
            break;
        case 'd':
            f.delay_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        default:
            return usage();
        }
    }
    if (zone == NULL || listen_s == NULL || net_addr_parse_hostport(&f.listen, listen_s, 53) != 0 ||
        f.listen.family != AF_INET || name_parse(zone, f.zone) != 0 ||
        name_parse(v_s, f.victim) != 0 || name_prepend("ns", f.zone, f.ns_name) != 0 ||
        name_prepend("www", f.zone, f.www_name) != 0 || inet_pton(AF_INET, a_s, f.true_a) != 1 ||
        inet_pton(AF_INET, p_s, f.poison_a) != 1)
        return usage();
    memcpy(f.own_a, f.listen.ip, 4);
    f.victim_parent = dns_name_parent(f.victim);
    if (f.victim_parent == NULL || name_prepend("ns1", f.victim_parent, f.victim_ns) != 0)
        memcpy(f.victim_ns, f.victim, dns_name_len(f.victim));
    if (f.mode == MODE_WRONG_ADDR &&
        (side_s == NULL || net_addr_parse_hostport(&f.side_addr, side_s, 53) != 0))
        return usage();
    if (f.mode == MODE_WRONG_PORT) {
        f.side_addr = f.listen;
        f.side_addr.port = 0;
    }

    f.udp = sock_bind(SOCK_DGRAM, &f.listen);
    f.tcp = sock_bind(SOCK_STREAM, &f.listen);
    if (f.udp < 0 || f.tcp < 0 || listen(f.tcp, 16) != 0) {
        fprintf(stderr, "dnsfake: cannot bind %s: %s\n", listen_s, strerror(errno));
        return 1;
    }
    f.side = -1;
    if (f.mode == MODE_WRONG_PORT || f.mode == MODE_WRONG_ADDR) {
        f.side = sock_bind(SOCK_DGRAM, &f.side_addr);
        if (f.side < 0) {
            fprintf(stderr, "dnsfake: cannot bind the forging socket: %s\n", strerror(errno));
            return 1;
        }
    }
    printf("dnsfake serving %s on %s mode %s\n", zone, listen_s, mode_names[f.mode]);
    (void)fflush(stdout);
    for (;;) {
        struct pollfd p[2] = {{.fd = f.udp, .events = POLLIN}, {.fd = f.tcp, .events = POLLIN}};
        /* A silent server leaves TCP connections in the backlog. */
        nfds_t np = f.mode == MODE_NEVER ? 1 : 2;
        if (poll(p, np, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (p[0].revents & POLLIN)
            udp_handle(&f);
        if (np > 1 && (p[1].revents & POLLIN))
            tcp_handle(&f);
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int send_raw(int argc, char **argv)
{
    static uint8_t msg[65536], in[65536];
    struct net_addr to;
    struct sockaddr_storage ss;
    size_t n = 0;
    int wait_ms = argc > 4 ? atoi(argv[4]) : 2000;

    if (argc < 4 || net_addr_parse_hostport(&to, argv[2], 53) != 0)
        return usage();
    for (const char *h = argv[3]; *h != '\0';) {
        if (*h == ' ' || *h == ':') {
            h++;
            continue;
        }
        int hi = hexval(h[0]), lo = h[1] != '\0' ? hexval(h[1]) : -1;
        if (hi < 0 || lo < 0 || n == sizeof(msg))
            return usage();
        msg[n++] = (uint8_t)(hi << 4 | lo);
        h += 2;
    }
    socklen_t sl = net_addr_to_sockaddr(&to, &ss);
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0 || send(fd, msg, n, 0) < 0) {
        perror("dnsfake send");
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0) {
        printf("noreply\n");
        return 0;
    }
    ssize_t r = recv(fd, in, sizeof(in), 0);
    if (r < 0) {
        /* ICMP port unreachable on the connected socket: nobody there. */
        printf("noreply (%s)\n", strerror(errno));
        return 0;
    }
    /* The header alone, so that a FORMERR echoing a malformed question
     * (as Unbound's does) is still reported by its rcode. */
    struct dns_hdr h;
    struct wire_rd rd;
    wire_rd_init(&rd, in, (size_t)r);
    if (dns_hdr_parse(&rd, &h) != 0) {
        printf("reply len=%zd short\n", r);
        return 0;
    }
    struct dns_msg m = {0};
    int rc = dns_msg_parse(&m, in, (size_t)r);
    printf("rcode=%u qr=%d tc=%d id=%u an=%u len=%zd%s\n", h.rcode, h.qr, h.tc, h.id,
           h.count[DNS_SEC_AN], r, rc != 0 && rc != -E2BIG ? " unparsed" : "");
    return 0;
}

/* ---- flood ---------------------------------------------------------- */

enum flood_kind {
    FK_RANDOM,
    FK_TRUNC,
    FK_LOOPS,
    FK_QUERY,
    FK_DISTINCT,
    FK_TCP_RANDOM,
    FK_TCP_TRUNC
};

static const char *const flood_names[] = {"random",   "trunc",      "loops",    "query",
                                          "distinct", "tcp-random", "tcp-trunc"};

#define LOOP_VARIANTS 5

struct flood {
    enum flood_kind kind;
    struct sockaddr_storage to, src;
    socklen_t to_len, src_len;
    uint8_t qname[DNS_NAME_MAXLEN];
    size_t qname_len;
    unsigned long count, rate, wait_ms, secs;
    unsigned long sent, recv, rc[6], other, tc, conns, closed;
    double rtt_sum, rtt_max, send_ms;
    unsigned long rtt_n;
    double sent_at[65536];
    uint64_t rnd;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64: fast, and reproducible for a given seed. */
static uint64_t flood_rand(struct flood *fl)
{
    fl->rnd ^= fl->rnd << 13;
    fl->rnd ^= fl->rnd >> 7;
    fl->rnd ^= fl->rnd << 17;
    return fl->rnd;
}

static void flood_random_fill(struct flood *fl, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)flood_rand(fl);
}

/* A query header (RD set) for id with qd questions and an answer records. */
static size_t put_hdr(uint8_t *b, uint16_t id, unsigned qd, unsigned an, unsigned ar)
{
    uint8_t h[12] = {(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, (uint8_t)qd,
                     (uint8_t)(an >> 8), (uint8_t)an, 0,    0,    0, (uint8_t)ar};
    memcpy(b, h, sizeof(h));
    return sizeof(h);
}

static size_t put_qtail(uint8_t *b)
{
    static const uint8_t t[4] = {0, DNS_TYPE_A, 0, DNS_CLASS_IN};
    memcpy(b, t, 4);
    return 4;
}

/* A plain query for name (wire form) with an OPT record (RFC 6891). */
static size_t flood_query(uint8_t *b, uint16_t id, const uint8_t *name, size_t nlen)
{
    static const uint8_t opt[11] = {0, 0, DNS_TYPE_OPT, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    size_t n = put_hdr(b, id, 1, 0, 1);
    memcpy(b + n, name, nlen);
    n += nlen;
    n += put_qtail(b + n);
    memcpy(b + n, opt, sizeof(opt));
    return n + sizeof(opt);
}

/* Hostile compression (RFC 1035 4.1.4): every variant must be FORMERR. */
static size_t flood_loop(uint8_t *b, uint16_t id, unsigned variant)
{
    size_t n;
    switch (variant % LOOP_VARIANTS) {
    case 0: /* the question's name is a pointer to itself */
        n = put_hdr(b, id, 1, 0, 0);
        b[n++] = 0xc0;
        b[n++] = 12;
        return n + put_qtail(b + n);
    case 1: /* "a" then a pointer back to that label: a -> a -> ... */
        n = put_hdr(b, id, 1, 0, 0);
        b[n++] = 1;
        b[n++] = 'a';
        b[n++] = 0xc0;
        b[n++] = 12;
        return n + put_qtail(b + n);
    case 2: { /* answer owners: a chain of 200 pointers, each to the last */
        n = put_hdr(b, id, 1, 200, 0);
        b[n++] = 1;
        b[n++] = 'a';
        b[n++] = 0;
        n += put_qtail(b + n);
        size_t prev = 12;
        for (unsigned i = 0; i < 200; i++) {
            size_t here = n;
            b[n++] = (uint8_t)(0xc0 | prev >> 8);
            b[n++] = (uint8_t)prev;
            static const uint8_t rr[10] = {0, DNS_TYPE_A, 0, DNS_CLASS_IN, 0, 0, 0, 0, 0, 0};
            memcpy(b + n, rr, sizeof(rr));
            n += sizeof(rr);
            prev = here;
        }
        return n;
    }
    case 3: { /* answer owners: one label each plus a pointer to the last,
               * until the name passes 255 octets */
        n = put_hdr(b, id, 1, 140, 0);
        b[n++] = 0;
        n += put_qtail(b + n);
        size_t prev = 12;
        for (unsigned i = 0; i < 140; i++) {
            size_t here = n;
            b[n++] = 1;
            b[n++] = 'x';
            b[n++] = (uint8_t)(0xc0 | prev >> 8);
            b[n++] = (uint8_t)prev;
            static const uint8_t rr[10] = {0, DNS_TYPE_A, 0, DNS_CLASS_IN, 0, 0, 0, 0, 0, 0};
            memcpy(b + n, rr, sizeof(rr));
            n += sizeof(rr);
            prev = here;
        }
        return n;
    }
    default: /* a forward pointer in the question (past the message) */
        n = put_hdr(b, id, 1, 0, 0);
        b[n++] = 0xc0;
        b[n++] = 0xff;
        return n + put_qtail(b + n);
    }
}

static void flood_reply(struct flood *fl, const uint8_t *in, size_t len)
{
    struct dns_hdr h;
    struct wire_rd rd;
    wire_rd_init(&rd, in, len);
    if (dns_hdr_parse(&rd, &h) != 0) {
        fl->other++;
        return;
    }
    fl->recv++;
    if (h.rcode < 6)
        fl->rc[h.rcode]++;
    else
        fl->other++;
    if (h.tc)
        fl->tc++;
    double t0 = fl->sent_at[h.id];
    if (t0 > 0) {
        double rtt = now_ms() - t0;
        fl->sent_at[h.id] = 0;
        fl->rtt_sum += rtt;
        fl->rtt_n++;
        if (rtt > fl->rtt_max)
            fl->rtt_max = rtt;
    }
}

static void flood_drain(struct flood *fl, int fd)
{
    static uint8_t in[65536];
    for (;;) {
        ssize_t r = recv(fd, in, sizeof(in), MSG_DONTWAIT);
        if (r < 0 && errno == ECONNREFUSED)
            continue; /* an ICMP error of an earlier datagram */
        if (r <= 0)
            return;
        flood_reply(fl, in, (size_t)r);
    }
}

static int flood_socket(struct flood *fl, int type)
{
    int fd = socket(fl->to.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (fl->src_len && bind(fd, (struct sockaddr *)&fl->src, fl->src_len) != 0) {
        close(fd);
        return -1;
    }
    if (type == SOCK_DGRAM) {
        /* Room for every reply of a flood while we are busy sending:
         * past rmem_max when allowed (root), else up to it. */
        int big = 8 << 20;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    }
    if (connect(fd, (struct sockaddr *)&fl->to, fl->to_len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The i-th UDP message of the flood into b; its length. */
static size_t flood_udp_msg(struct flood *fl, unsigned long i, uint8_t *b)
{
    uint16_t id = (uint16_t)i;
    switch (fl->kind) {
    case FK_RANDOM: {
        size_t n = 1 + flood_rand(fl) % 600;
        flood_random_fill(fl, b, n);
        return n;
    }
    case FK_TRUNC: {
        uint8_t q[512];
        size_t qn = flood_query(q, id, fl->qname, fl->qname_len);
        size_t n = 1 + i % (qn - 1); /* 1 .. qn-1: every proper prefix */
        memcpy(b, q, n);
        return n;
    }
    case FK_LOOPS:
        return flood_loop(b, id, (unsigned)i);
    case FK_DISTINCT: {
        /* A 12-letter random label in front of NAME. */
        uint8_t name[DNS_NAME_MAXLEN];
        name[0] = 12;
        for (size_t k = 1; k <= 12; k++)
            name[k] = (uint8_t)('a' + flood_rand(fl) % 26);
        size_t nl = fl->qname_len;
        if (13 + nl > DNS_NAME_MAXLEN)
            nl = 1;
        memcpy(name + 13, fl->qname, nl);
        return flood_query(b, id, name, 13 + nl);
    }
    default:
        return flood_query(b, id, fl->qname, fl->qname_len);
    }
}

static void flood_udp(struct flood *fl, int fd)
{
    static uint8_t b[65536];
    double t0 = now_ms(), end = t0 + (double)fl->secs * 1e3;
    while (fl->sent < fl->count && now_ms() < end) {
        if (fl->rate) {
            double due = (now_ms() - t0) * (double)fl->rate / 1e3;
            if ((double)fl->sent >= due) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                (void)poll(&p, 1, 1);
                flood_drain(fl, fd);
                continue;
            }
        }
        size_t n = flood_udp_msg(fl, fl->sent, b);
        fl->sent_at[(uint16_t)fl->sent] = now_ms();
        if (send(fd, b, n, 0) < 0) {
            if (errno == EAGAIN || errno == ENOBUFS) {
                struct pollfd p = {.fd = fd, .events = POLLOUT | POLLIN};
                (void)poll(&p, 1, 1);
            }
            flood_drain(fl, fd);
            continue; /* ECONNREFUSED and the like: try again */
        }
        fl->sent++;
        if ((fl->sent & 15) == 0)
            flood_drain(fl, fd);
    }
    fl->send_ms = now_ms() - t0;
    double stop = now_ms() + (double)fl->wait_ms;
    double t;
    while ((t = now_ms()) < stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        (void)poll(&p, 1, (int)(stop - t) + 1);
        flood_drain(fl, fd);
    }
}

/* One hostile TCP connection: send, shut our side, read what comes back
 * (framed replies) until the server closes or wait_ms passes. */
static void flood_tcp_one(struct flood *fl, unsigned long i)
{
    static uint8_t b[4096], in[65536];
    int fd = flood_socket(fl, SOCK_STREAM);
    if (fd < 0)
        return;
    fl->conns++;
    size_t n;
    if (fl->kind == FK_TCP_RANDOM) {
        n = 1 + flood_rand(fl) % 3000;
        flood_random_fill(fl, b, n);
    } else {
        uint8_t q[512];
        size_t qn = flood_query(q, (uint16_t)i, fl->qname, fl->qname_len);
        if (i % 2 == 0) { /* a length prefix promising more than follows */
            b[0] = (uint8_t)(qn >> 8);
            b[1] = (uint8_t)qn;
            n = 1 + i / 2 % (qn - 1);
            memcpy(b + 2, q, n);
            n += 2;
        } else { /* a whole frame holding a truncated message */
            size_t cut = 1 + i / 2 % (qn - 1);
            b[0] = (uint8_t)(cut >> 8);
            b[1] = (uint8_t)cut;
            memcpy(b + 2, q, cut);
            n = cut + 2;
        }
    }
    fl->sent++;
    if (write_full(fd, b, n))
        (void)shutdown(fd, SHUT_WR);
    double stop = now_ms() + (double)fl->wait_ms;
    size_t have = 0;
    double t;
    while ((t = now_ms()) < stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(stop - t) + 1) <= 0)
            break;
        ssize_t r = recv(fd, in + have, sizeof(in) - have, 0);
        if (r <= 0) {
            fl->closed++;
            break;
        }
        have += (size_t)r;
        while (have >= 2) {
            size_t ml = (size_t)in[0] << 8 | in[1];
            if (have < 2 + ml)
                break;
            flood_reply(fl, in + 2, ml);
            memmove(in, in + 2 + ml, have - 2 - ml);
            have -= 2 + ml;
        }
        if (have == sizeof(in))
            break;
    }
    close(fd);
}

static int flood_run(int argc, char **argv)
{
    static struct flood fl;
    const char *name = "www.lab.", *src = NULL;
    struct net_addr a;
    int opt;

    if (argc < 3 || net_addr_parse_hostport(&a, argv[1], 53) != 0)
        return usage();
    size_t nk = sizeof(flood_names) / sizeof(flood_names[0]), k;
    for (k = 0; k < nk && strcmp(argv[2], flood_names[k]) != 0; k++) {
    }
    if (k == nk)
        return usage();
    fl.kind = (enum flood_kind)k;
    fl.to_len = net_addr_to_sockaddr(&a, &fl.to);
    fl.count = 1000;
    fl.wait_ms = 1000;
    fl.secs = 20;
    fl.rnd = (uint64_t)(uint32_t)getpid() * 0x9e3779b97f4a7c15ULL | 1u;
    optind = 3;
    while ((opt = getopt(argc, argv, "n:r:q:b:w:t:")) != -1) {
        switch (opt) {
        case 'n':
            fl.count = strtoul(optarg, NULL, 10);
            break;
        case 'r':
            fl.rate = strtoul(optarg, NULL, 10);
            break;
        case 'q':
            name = optarg;
            break;
        case 'b':
            src = optarg;
            break;
        case 'w':
            fl.wait_ms = strtoul(optarg, NULL, 10);
            break;
        case 't':
            fl.secs = strtoul(optarg, NULL, 10);
            break;
        default:
            return usage();
        }
    }
    if (name_parse(name, fl.qname) != 0)
        return usage();
    fl.qname_len = dns_name_len(fl.qname);
    if (src) {
        struct net_addr s;
        if (net_addr_parse_hostport(&s, src, 0) != 0)
            return usage();
        fl.src_len = net_addr_to_sockaddr(&s, &fl.src);
    }
    double t0 = now_ms();
    if (fl.kind == FK_TCP_RANDOM || fl.kind == FK_TCP_TRUNC) {
        double end = t0 + (double)fl.secs * 1e3;
        for (unsigned long i = 0; i < fl.count && now_ms() < end; i++)
            flood_tcp_one(&fl, i);
    } else {
        int fd = flood_socket(&fl, SOCK_DGRAM);
        if (fd < 0) {
            perror("dnsfake flood");
            return 1;
        }
        flood_udp(&fl, fd);
        close(fd);
    }
    printf("sent=%lu recv=%lu noerror=%lu formerr=%lu servfail=%lu nxdomain=%lu refused=%lu "
           "other=%lu tc=%lu avg_ms=%.1f max_ms=%.1f conns=%lu closed=%lu ms=%.0f send_ms=%.0f\n",
           fl.sent, fl.recv, fl.rc[DNS_RCODE_NOERROR], fl.rc[DNS_RCODE_FORMERR],
           fl.rc[DNS_RCODE_SERVFAIL], fl.rc[DNS_RCODE_NXDOMAIN], fl.rc[DNS_RCODE_REFUSED],
           fl.other + fl.rc[DNS_RCODE_NOTIMP], fl.tc,
           fl.rtt_n ? fl.rtt_sum / (double)fl.rtt_n : 0.0, fl.rtt_max, fl.conns, fl.closed,
           now_ms() - t0, fl.send_ms);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "serve") == 0)
        return serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "send") == 0)
        return send_raw(argc, argv);
    if (strcmp(argv[1], "flood") == 0)
        return flood_run(argc - 1, argv + 1);
    return usage();
}
