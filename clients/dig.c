/*
 * labnet-dig: a DNS query client in the manner of BIND's dig, on libuv,
 * sending raw queries through c-ares (ares_send) on the loop.
 *
 *   labnet-dig [@server] [-p port] [-x addr] [name] [type] [class] [+opt...]
 *
 * Prints the reply in dig's presentation format.  +trace walks from the
 * root servers (IANA's built in, or --root-hints FILE) down the referrals
 * to the answer, printing each step.  Exit status as dig's: 0 a reply was
 * printed (any RCODE), 1 usage, 9 no reply, 10 a network or configuration
 * error (server name not resolved, unreadable hints, a trace that cannot
 * go on).
 *
 * Every exchange runs one c-ares query with tries=1 and the +time timeout;
 * the +tries loop, the fallback to TCP after a truncated UDP reply (c-ares
 * is told to ignore TC so that we know which transport answered) and the
 * trace steps are ours.  The next action never starts inside a c-ares
 * callback (c-ares refuses new servers while the finishing query is still
 * listed): the callback copies the reply and a zero timer continues.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "clients/dig_opts.h"
#include "clients/dig_print.h"
#include "clients/dig_trace.h"
#include "common/ares_uv.h"
#include "common/cli.h"
#include "common/dns_msg.h"
#include "common/dns_text.h"
#include "common/dns_write.h"
#include "common/log.h"
#include "labnet_version.h"

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,
    EXIT_NOREPLY = 9,
    EXIT_NETERR = 10,
};

/* c-ares 1.18 reads UDP replies into a 4096-octet buffer (MAXENDSSZ): a
 * larger advertised size could only produce replies it cuts short. */
#define UDP_READ_MAX 4096
/* A trace moves at least one label down per step (dig_trace.h); this caps
 * the steps, server failovers and name lookups of one run besides. */
#define TRACE_MAX_STEPS   32
#define TRACE_MAX_QUERIES 64
/* Records one reply can hold: the smallest RR is 11 octets. */
#define MSG_RR_MAX (65535 / 11 + 1)
#define MSG_QD_MAX 16

struct target {
    int family;
    uint8_t ip[16];
    uint16_t port;
    char addr[INET6_ADDRSTRLEN];
    char name[DNS_NAME_TEXT_MAX]; /* for the SERVER / Received lines */
};

enum phase {
    PH_QUERY, /* the one plain query */
    PH_PRIME, /* +trace: ". NS" to @server (RD) or to a hint (no RD) */
    PH_ITER,  /* +trace: qname to the current zone's servers, no RD */
};

struct dig {
    uv_loop_t loop;
    uv_timer_t step; /* zero timer: continues outside c-ares callbacks */
    struct dig_opts o;
    struct ares_uv res; /* name lookups: @server names, NS names without glue */
    struct ares_uv udp, tcp;
    bool res_ok, udp_ok, tcp_ok;
    int exit_code;
    bool done;

    /* The exchange under way. */
    enum phase phase;
    struct target t;
    const uint8_t *qname;
    uint16_t qtype;
    bool rd, use_tcp;
    unsigned try_no;
    uint64_t t0_ns;
    /* Its outcome, copied in the c-ares callback. */
    int status;
    uint8_t reply[65536];
    size_t reply_len;
    uint64_t query_ms;

    /* +trace */
    struct dig_zone hints, zone, next;
    size_t cand;          /* servers of zone tried in this step */
    size_t start;         /* random first server */
    size_t steps;         /* referrals followed */
    size_t queries;       /* exchanges begun */
    size_t lookup;        /* next NS name to look up when no server has an address */
    bool lookup_done;     /* the step timer reports a lookup, not an exchange */
    bool priming;         /* the servers are asked for ". NS", not the name */
    struct target server; /* the @server, for lookups of servers' names */
    bool res_pointed;     /* d->res asks it (set outside c-ares callbacks) */
};

static struct dns_question msg_qd[MSG_QD_MAX];
static int g_argc;
static char **g_argv;

/* dig's first lines.  Printed as dig does: at the start of a trace, else
 * with the outcome (after any "retrying" notes). */
static void banner(const struct dig *d)
{
    static bool shown;
    if (shown || d->o.short_out)
        return;
    shown = true;
    printf("\n; <<>> labnet-dig %s <<>>", LABNET_VERSION);
    for (int i = 1; i < g_argc; i++)
        printf(" %s", g_argv[i]);
    printf("\n");
    if (d->o.server && !d->o.trace)
        printf("; (1 server found)\n");
    printf(";; global options: +cmd\n");
}
static struct dns_rr msg_rr[MSG_RR_MAX];

static void finish(struct dig *d, int code)
{
    if (d->done)
        return;
    d->done = true;
    d->exit_code = code;
    uv_close((uv_handle_t *)&d->step, NULL);
    if (d->res_ok)
        ares_uv_close(&d->res);
    if (d->udp_ok)
        ares_uv_close(&d->udp);
    if (d->tcp_ok)
        ares_uv_close(&d->tcp);
    d->res_ok = d->udp_ok = d->tcp_ok = false;
}

/* ares_uv_init with c-ares flags.  ARES_FLAG_EDNS only sizes c-ares'
 * UDP reads here (ares_send sends our query as it is): without it c-ares
 * cuts every datagram to 512 octets.  ares_uv has no flags argument, so the
 * channel it made is re-made from its own saved options plus ours (the
 * saved options carry the socket callback that ties it to the loop). */
static int chan_open(struct ares_uv *a, uv_loop_t *loop, int flags, int timeout_ms)
{
    int rc = ares_uv_init(a, loop, timeout_ms, 1);
    if (rc != 0 || flags == 0)
        return rc;
    struct ares_options opts;
    int mask;
    if (ares_save_options(a->channel, &opts, &mask) != ARES_SUCCESS) {
        ares_uv_close(a);
        return -EIO;
    }
    opts.flags |= flags;
    mask |= ARES_OPT_FLAGS;
    if (flags & ARES_FLAG_EDNS) {
        opts.ednspsz = UDP_READ_MAX;
        mask |= ARES_OPT_EDNSPSZ;
    }
    ares_channel ch;
    rc = ares_init_options(&ch, &opts, mask);
    ares_destroy_options(&opts);
    if (rc != ARES_SUCCESS) {
        ares_uv_close(a);
        return -EIO;
    }
    ares_destroy(a->channel); /* fresh: no sockets, no queries */
    a->channel = ch;
    return 0;
}

static int target_set(struct target *t, int family, const void *ip, uint16_t port, const char *name)
{
    memset(t, 0, sizeof(*t));
    t->family = family;
    memcpy(t->ip, ip, family == AF_INET ? 4 : 16);
    t->port = port;
    if (!inet_ntop(family, ip, t->addr, sizeof(t->addr)))
        return -EINVAL;
    (void)snprintf(t->name, sizeof(t->name), "%s", name ? name : t->addr);
    return 0;
}

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

/* Starts the exchange described by d->t, qname, qtype, rd, use_tcp. */
static void exchange_start(struct dig *d)
{
    struct ares_uv *a = d->use_tcp ? &d->tcp : &d->udp;
    struct ares_addr_port_node srv = {
        .family = d->t.family, .udp_port = d->t.port, .tcp_port = d->t.port};
    memcpy(&srv.addr, d->t.ip, d->t.family == AF_INET ? 4 : 16);
    if (ares_set_servers_ports(a->channel, &srv) != ARES_SUCCESS) {
        printf(";; cannot use server %s\n", d->t.addr);
        finish(d, EXIT_NETERR);
        return;
    }
    struct dns_edns e = {
        .udp_size = d->o.bufsize > UDP_READ_MAX ? UDP_READ_MAX : d->o.bufsize,
        .version = d->o.edns_version,
        .dnssec_ok = d->o.dnssec,
    };
    uint8_t q[DNS_HDR_LEN + DNS_NAME_MAXLEN + 4 + DNS_OPT_FIXED_LEN];
    size_t qlen;
    uint16_t id;
    if (uv_random(NULL, NULL, &id, sizeof(id), 0, NULL) != 0)
        id = (uint16_t)uv_hrtime();
    if (dns_query_make(q, sizeof(q), id, d->qname, d->qtype, d->o.qclass, d->rd,
                       d->o.edns ? &e : NULL, &qlen) != 0) {
        printf(";; cannot build the query\n");
        finish(d, EXIT_USAGE);
        return;
    }
    /* RFC 4035 3.2.2 / 3.2.3: AD and CD in a query. */
    if (d->o.adflag)
        q[3] |= 0x20;
    if (d->o.cdflag)
        q[3] |= 0x10;
    d->queries++;
    d->t0_ns = uv_hrtime();
    ares_send(a->channel, q, (int)qlen, on_reply, d);
    ares_uv_kick(a);
}

static void on_step(uv_timer_t *t);

static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    struct dig *d = arg;
    if (status == ARES_EDESTRUCTION || d->done)
        return;
    d->query_ms = (uv_hrtime() - d->t0_ns) / 1000000;
    d->status = status;
    d->reply_len = 0;
    if (status == ARES_SUCCESS && abuf && alen > 0) {
        d->reply_len = (size_t)alen < sizeof(d->reply) ? (size_t)alen : sizeof(d->reply);
        memcpy(d->reply, abuf, d->reply_len);
    }
    uv_timer_start(&d->step, on_step, 0, 0);
}

static const char *status_text(int status)
{
    switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
        return "not found";
    case ARES_ETIMEOUT:
        return "timed out";
    case ARES_ECONNREFUSED:
        return "connection refused";
    default:
        return ares_strerror(status);
    }
}

/* ---- the plain query ---- */

static void stats_of(const struct dig *d, struct dig_stats *st, bool with_when)
{
    *st = (struct dig_stats){
        .server_addr = d->t.addr,
        .port = d->t.port,
        .server_name = d->t.name,
        .tcp = d->use_tcp,
        .query_ms = d->query_ms,
        .size = d->reply_len,
        .when = with_when ? time(NULL) : 0,
    };
}

/* Parses the copied reply into m.  Prints what was wrong and returns -1
 * for a reply that does not parse. */
static int reply_parse(struct dig *d, struct dns_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->qd = msg_qd;
    m->qd_cap = MSG_QD_MAX;
    m->rr = msg_rr;
    m->rr_cap = MSG_RR_MAX;
    int rc = dns_msg_parse(m, d->reply, d->reply_len);
    if (rc == 0 || rc == -E2BIG)
        return 0;
    if (d->phase == PH_QUERY)
        banner(d);
    printf(";; Got bad packet: %s\n;; %zu bytes from %s#%u\n", strerror(-rc), d->reply_len,
           d->t.addr, (unsigned)d->t.port);
    return -1;
}

static void trace_next_server(struct dig *d);

/* Another try of the same exchange, or the end of it. */
static bool retry(struct dig *d)
{
    printf(";; communications error to %s#%u: %s\n", d->t.addr, (unsigned)d->t.port,
           status_text(d->status));
    if (++d->try_no < d->o.tries) {
        exchange_start(d);
        return true;
    }
    return false;
}

static void query_done(struct dig *d)
{
    if (d->status != ARES_SUCCESS) {
        if (retry(d))
            return;
        banner(d);
        printf(";; no servers could be reached\n");
        finish(d, EXIT_NOREPLY);
        return;
    }
    struct dns_msg m;
    if (reply_parse(d, &m) != 0) {
        banner(d);
        finish(d, EXIT_NOREPLY);
        return;
    }
    if (m.hdr.tc && !d->use_tcp && !d->o.ignore_tc) {
        if (!d->o.short_out)
            printf(";; Truncated, retrying in TCP mode.\n");
        d->use_tcp = true;
        d->try_no = 0;
        exchange_start(d);
        return;
    }
    banner(d);
    if (d->o.short_out) {
        dig_print_short(stdout, &m);
    } else {
        struct dig_stats st;
        stats_of(d, &st, true);
        dig_print_reply(stdout, &m, &st);
    }
    finish(d, EXIT_OK);
}

/* ---- +trace ---- */

static void trace_print(struct dig *d, const struct dns_msg *m)
{
    struct dig_stats st;
    stats_of(d, &st, false);
    dig_print_trace_step(stdout, m, &st);
}

static void lookup_ns_names(struct dig *d);

/* The zone's servers are known: try them from a random one on. */
static void trace_enter_zone(struct dig *d)
{
    d->cand = 0;
    d->lookup = 0;
    uint32_t r = 0;
    (void)uv_random(NULL, NULL, &r, sizeof(r), 0, NULL);
    d->start = d->zone.n_ns ? r % d->zone.n_ns : 0;
    if (dig_zone_usable(&d->zone) == 0) {
        lookup_ns_names(d);
        return;
    }
    trace_next_server(d);
}

/* The cand-th (server, address) pair of the zone, servers taken from
 * d->start on, each with all its addresses. */
static bool cand_get(const struct dig *d, size_t cand, const struct dig_ns **ns,
                     const struct dig_addr **a)
{
    for (size_t i = 0; i < d->zone.n_ns; i++) {
        const struct dig_ns *s = &d->zone.ns[(d->start + i) % d->zone.n_ns];
        if (cand < s->n_addr) {
            *ns = s;
            *a = &s->addr[cand];
            return true;
        }
        cand -= s->n_addr;
    }
    return false;
}

/* Asks the zone's next server address for the name (". NS" while
 * priming).  When all have failed, looks up the names of servers that came
 * without addresses; when none is left, gives up. */
static void trace_next_server(struct dig *d)
{
    const struct dig_ns *ns;
    const struct dig_addr *a;
    if (cand_get(d, d->cand, &ns, &a)) {
        d->cand++;
        if (d->queries >= TRACE_MAX_QUERIES) {
            printf(";; trace stopped after %d queries\n", TRACE_MAX_QUERIES);
            finish(d, EXIT_NETERR);
            return;
        }
        char name[DNS_NAME_TEXT_MAX];
        size_t nl = 0;
        if (dns_name_to_text(ns->name, name, sizeof(name), &nl) == 0 && nl > 1)
            name[nl - 1] = '\0'; /* dig shows "ns1.lab" without the dot */
        target_set(&d->t, a->family, a->ip, d->o.port, name);
        static const uint8_t root[1] = {0};
        d->try_no = 0;
        d->use_tcp = d->o.tcp;
        d->rd = false;
        d->phase = d->priming ? PH_PRIME : PH_ITER;
        d->qname = d->priming ? root : d->o.qname;
        d->qtype = d->priming ? DNS_TYPE_NS : d->o.qtype;
        exchange_start(d);
        return;
    }
    if (d->lookup < d->zone.n_ns && dig_zone_usable(&d->zone) < d->zone.n_ns) {
        lookup_ns_names(d);
        return;
    }
    char zone[DNS_NAME_TEXT_MAX];
    if (dns_name_to_text(d->zone.name, zone, sizeof(zone), NULL) != 0)
        zone[0] = '\0';
    printf(";; no server for %s could be reached\n", zone);
    finish(d, EXIT_NOREPLY);
}

static void on_ns_addr(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct dig *d = arg;
    if (status == ARES_EDESTRUCTION || d->done) {
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    struct dig_ns *ns = &d->zone.ns[d->lookup - 1];
    if (status == ARES_SUCCESS && res) {
        for (struct ares_addrinfo_node *n = res->nodes; n && ns->n_addr < DIG_NS_ADDRS_MAX;
             n = n->ai_next) {
            struct dig_addr *a = &ns->addr[ns->n_addr];
            if (n->ai_family == AF_INET) {
                a->family = AF_INET;
                memcpy(a->ip, &((struct sockaddr_in *)n->ai_addr)->sin_addr, 4);
                ns->n_addr++;
            } else if (n->ai_family == AF_INET6) {
                a->family = AF_INET6;
                memcpy(a->ip, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
                ns->n_addr++;
            }
        }
    }
    if (res)
        ares_freeaddrinfo(res);
    d->status = ns->n_addr ? ARES_SUCCESS : ARES_ENOTFOUND;
    d->lookup_done = true;
    uv_timer_start(&d->step, on_step, 0, 0);
}

/* No glue: resolve the servers' names one by one through the resolver
 * (the @server, else resolv.conf's), as dig does, until one has an
 * address. */
static void lookup_ns_names(struct dig *d)
{
    if (d->o.server && !d->res_pointed) {
        struct ares_addr_port_node srv = {
            .family = d->server.family, .udp_port = d->server.port, .tcp_port = d->server.port};
        memcpy(&srv.addr, d->server.ip, d->server.family == AF_INET ? 4 : 16);
        if (ares_set_servers_ports(d->res.channel, &srv) != ARES_SUCCESS) {
            printf(";; cannot ask %s for the servers' addresses\n", d->server.addr);
            finish(d, EXIT_NETERR);
            return;
        }
        d->res_pointed = true;
    }
    while (d->lookup < d->zone.n_ns) {
        struct dig_ns *ns = &d->zone.ns[d->lookup++];
        if (ns->n_addr)
            continue; /* had glue, and was tried */
        char name[DNS_NAME_TEXT_MAX];
        size_t nl;
        if (dns_name_to_text(ns->name, name, sizeof(name), &nl) != 0)
            continue;
        /* Without the final dot: c-ares matches /etc/hosts names as
         * written there. */
        if (nl > 1)
            name[nl - 1] = '\0';
        if (d->queries++ >= TRACE_MAX_QUERIES)
            break;
        struct ares_addrinfo_hints h = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
        ares_getaddrinfo(d->res.channel, name, NULL, &h, on_ns_addr, d);
        ares_uv_kick(&d->res);
        return;
    }
    printf(";; couldn't get an address for any server of the zone\n");
    finish(d, EXIT_NETERR);
}

static void trace_prime_done(struct dig *d, const struct dns_msg *m)
{
    static const uint8_t root[1] = {0};
    d->priming = false;
    if (dig_zone_collect(&d->zone, m, DNS_SEC_AN, root, root) == 0)
        d->zone = d->hints; /* no NS RRset in the reply: the hints are the root */
    dig_zone_fill(&d->zone, &d->hints);
    trace_enter_zone(d);
}

static void trace_reply(struct dig *d)
{
    if (d->status != ARES_SUCCESS) {
        if (retry(d))
            return;
        if (d->phase == PH_PRIME && d->o.server) {
            printf(";; no servers could be reached\n");
            finish(d, EXIT_NOREPLY);
            return;
        }
        trace_next_server(d);
        return;
    }
    struct dns_msg m;
    if (reply_parse(d, &m) != 0) {
        trace_next_server(d);
        return;
    }
    if (m.hdr.tc && !d->use_tcp && !d->o.ignore_tc) {
        d->use_tcp = true;
        d->try_no = 0;
        exchange_start(d);
        return;
    }
    trace_print(d, &m);
    if (d->phase == PH_PRIME) {
        trace_prime_done(d, &m);
        return;
    }
    switch (dig_trace_classify(&m, d->o.qname, &d->zone, &d->next)) {
    case DIG_STEP_ANSWER:
        finish(d, EXIT_OK);
        return;
    case DIG_STEP_REFERRAL:
        if (++d->steps > TRACE_MAX_STEPS) {
            printf(";; too many referrals\n");
            finish(d, EXIT_NETERR);
            return;
        }
        d->zone = d->next;
        trace_enter_zone(d);
        return;
    case DIG_STEP_BAD:
        printf(";; bad referral from %s#%u(%s)\n", d->t.addr, (unsigned)d->t.port, d->t.name);
        trace_next_server(d);
        return;
    }
}

/* The first trace step: ". NS" to the @server with RD, as dig does, or
 * without one to a root server from the hints (a priming query, RFC 8109). */
static void trace_start(struct dig *d)
{
    static const uint8_t root[1] = {0};
    d->priming = true;
    if (d->o.server) {
        d->phase = PH_PRIME;
        d->qname = root;
        d->qtype = DNS_TYPE_NS;
        d->try_no = 0;
        d->use_tcp = d->o.tcp;
        d->rd = true;
        exchange_start(d);
        return;
    }
    d->zone = d->hints;
    trace_enter_zone(d);
}

/* A lookup of a server's name ended: ask that server, or look up the next
 * name. */
static void lookup_done(struct dig *d)
{
    if (d->status == ARES_SUCCESS) {
        d->cand = 0;
        d->start = d->lookup - 1;
        trace_next_server(d);
        return;
    }
    lookup_ns_names(d);
}

static void on_step(uv_timer_t *t)
{
    struct dig *d = t->data;
    if (d->done)
        return;
    if (d->lookup_done) {
        d->lookup_done = false;
        lookup_done(d);
        return;
    }
    if (d->phase == PH_QUERY)
        query_done(d);
    else
        trace_reply(d);
}

/* ---- start ---- */

static void begin(struct dig *d)
{
    if (d->o.trace)
        trace_start(d);
    else
        exchange_start(d);
}

static void on_server_addr(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct dig *d = arg;
    if (status == ARES_EDESTRUCTION || d->done) {
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    const struct ares_addrinfo_node *n = res ? res->nodes : NULL;
    while (n && n->ai_family != AF_INET && n->ai_family != AF_INET6)
        n = n->ai_next;
    if (status != ARES_SUCCESS || !n) {
        fprintf(stderr, "labnet-dig: couldn't get address for '%s': %s\n", d->o.server,
                status == ARES_SUCCESS ? "no address" : status_text(status));
        if (res)
            ares_freeaddrinfo(res);
        finish(d, EXIT_NETERR);
        return;
    }
    const void *ip = n->ai_family == AF_INET
                         ? (const void *)&((const struct sockaddr_in *)n->ai_addr)->sin_addr
                         : (const void *)&((const struct sockaddr_in6 *)n->ai_addr)->sin6_addr;
    target_set(&d->t, n->ai_family, ip, d->o.port, d->o.server);
    d->server = d->t;
    ares_freeaddrinfo(res);
    begin(d);
}

/* Sets d->t from @server (an address now, a name through c-ares) or the
 * first server of resolv.conf, then begins. */
static void resolve_server(struct dig *d)
{
    if (d->o.server) {
        uint8_t ip[16];
        int fam = inet_pton(AF_INET, d->o.server, ip) == 1    ? AF_INET
                  : inet_pton(AF_INET6, d->o.server, ip) == 1 ? AF_INET6
                                                              : 0;
        if (!fam) {
            struct ares_addrinfo_hints h = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
            ares_getaddrinfo(d->res.channel, d->o.server, NULL, &h, on_server_addr, d);
            ares_uv_kick(&d->res);
            return;
        }
        target_set(&d->t, fam, ip, d->o.port, d->o.server);
        d->server = d->t;
        begin(d);
        return;
    }
    if (d->o.trace) {
        begin(d); /* the hints are the start */
        return;
    }
    struct ares_addr_port_node *list = NULL;
    if (ares_get_servers_ports(d->res.channel, &list) != ARES_SUCCESS || !list) {
        fprintf(stderr, "labnet-dig: no name server in /etc/resolv.conf; give @server\n");
        finish(d, EXIT_NETERR);
        return;
    }
    /* c-ares reports port 0 for "the default". */
    uint16_t port = d->o.port;
    target_set(&d->t, list->family, &list->addr, port, NULL);
    ares_free_data(list);
    begin(d);
}

/* ---- command line ---- */

enum { OPT_ROOT_HINTS = 0x200 };

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct dig_opts *o = ud;
    switch (opt) {
    case 'p':
        if (dig_opts_port(o, arg) != 0) {
            fprintf(stderr, "labnet-dig: -p %s: a port number 1..65535\n", arg);
            return -EINVAL;
        }
        return 0;
    case 'x':
        if (dig_opts_reverse(o, arg) != 0) {
            fprintf(stderr, "labnet-dig: -x %s: not an IPv4 or IPv6 address\n", arg);
            return -EINVAL;
        }
        return 0;
    case OPT_ROOT_HINTS:
        o->root_hints = arg;
        return 0;
    default:
        return -EINVAL;
    }
}

static int load_hints(struct dig *d)
{
    /* Some 12 KiB: static, as there is one dig per process. */
    static struct roothints h;
    if (!d->o.root_hints) {
        roothints_builtin(&h);
    } else {
        char err[512];
        int rc = roothints_load(&h, d->o.root_hints, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "labnet-dig: %s\n", err);
            return rc == -EBADMSG ? -EBADMSG : -EIO;
        }
    }
    dig_zone_from_hints(&d->hints, &h);
    return 0;
}

int main(int argc, char **argv)
{
    static struct dig d;
    dig_opts_init(&d.o);
    static const struct option longopts[] = {
        {"root-hints", required_argument, NULL, OPT_ROOT_HINTS},
        {NULL, 0, NULL, 0},
    };
    const struct cli_prog prog = {
        .name = "labnet-dig",
        .summary = "Sends a DNS query and prints the reply as dig does.",
        .args = "[@server] [name] [type] [class] [+option...]",
        .extra_help =
            "  -p PORT                server port (default 53)\n"
            "  -x ADDR                reverse lookup: PTR of the address's in-addr/ip6.arpa name\n"
            "      --root-hints FILE  root hints (named.root format) for +trace\n"
            "  +[no]tcp               TCP instead of UDP\n"
            "  +[no]recurse           ask for recursion (RD; on by default)\n"
            "  +[no]short             print the answer's RDATA only\n"
            "  +[no]trace             follow referrals from the root servers to the answer\n"
            "  +roothints=FILE        as --root-hints\n"
            "  +[no]edns[=VERSION]    send an EDNS OPT record (on by default)\n"
            "  +bufsize=N             EDNS UDP payload size (default 1232)\n"
            "  +[no]dnssec            set the DO bit\n"
            "  +[no]ignore            keep a truncated reply (no retry over TCP)\n"
            "  +[no]adflag, +[no]cdflag   AD / CD bits in the query\n"
            "  +time=SECS, +tries=N, +retry=N   per-try timeout (5), attempts (3)\n"
            "Exit status: 0 a reply (any RCODE), 1 usage, 9 no reply, 10 network or\n"
            "configuration error.\n",
        .config_long_only = true,
        .extra_short = "p:x:",
        .extra_long = longopts,
        .extra = parse_extra,
        .ud = &d.o,
        .default_level = LOG_LVL_WARN,
    };
    struct cli_opts co;
    int rc = cli_parse(&prog, argc, argv, &co);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    log_init(prog.name, co.log_level);
    if (co.test_config) {
        printf("labnet-dig: no configuration file is used\n");
        return EXIT_OK;
    }
    for (int i = co.argi; i < argc; i++) {
        rc = dig_opts_arg(&d.o, argv[i]);
        if (rc == -ENOTSUP) {
            fprintf(stderr, "labnet-dig: invalid option: %s\n", argv[i]);
            return EXIT_USAGE;
        }
        if (rc != 0) {
            fprintf(stderr, "labnet-dig: invalid argument: %s\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    dig_opts_finish(&d.o);
    if (d.o.trace && load_hints(&d) != 0)
        return EXIT_NETERR;
    g_argc = argc;
    g_argv = argv;
    if (d.o.trace)
        banner(&d);

    (void)signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&d.loop);
    uv_timer_init(&d.loop, &d.step);
    d.step.data = &d;
    int ms = (int)(d.o.time_s * 1000);
    /* Only with EDNS: c-ares' EDNS mode also answers a FORMERR without OPT
     * by resending the query minus its last 11 octets (the OPT it assumes
     * is there), which would maim a query sent without one. */
    int udp_flags = ARES_FLAG_IGNTC | ARES_FLAG_NOCHECKRESP | (d.o.edns ? ARES_FLAG_EDNS : 0);
    if (ares_uv_init(&d.res, &d.loop, ms, (int)d.o.tries) != 0 ||
        chan_open(&d.udp, &d.loop, udp_flags, ms) != 0 ||
        chan_open(&d.tcp, &d.loop, ARES_FLAG_USEVC | ARES_FLAG_NOCHECKRESP, ms) != 0) {
        fprintf(stderr, "labnet-dig: cannot start c-ares\n");
        return EXIT_NETERR;
    }
    d.res_ok = d.udp_ok = d.tcp_ok = true;
    d.phase = PH_QUERY;
    d.qname = d.o.qname;
    d.qtype = d.o.qtype;
    d.rd = d.o.recurse;
    d.use_tcp = d.o.tcp;
    resolve_server(&d);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    rc = uv_loop_close(&d.loop);
    if (rc != 0)
        fprintf(stderr, "labnet-dig: %s\n", uv_strerror(rc));
    if (fflush(stdout) != 0)
        return EXIT_NETERR;
    return d.exit_code;
}
