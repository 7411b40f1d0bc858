#include "dnsd/server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dns_text.h"
#include "common/dns_write.h"
#include "common/listen.h"
#include "dnsd/dynzone.h"
#include "dnsd/localzone.h"
#include "dnsd/ratelimit.h"
#include "dnsd/update.h"

/* ======================================================================
 * The query path: bytes in, reply bytes out.  No I/O below this line
 * until the worker section.
 * ====================================================================== */

/* Starts a reply to q: ID, OPCODE, RD and CD copied (RFC 1035 4.1.1,
 * RFC 6840 5.9), QR and RA set, the question echoed as received. */
static void reply_begin(struct dns_wr *d, const struct server_query *q, uint8_t *out, size_t cap,
                        bool question)
{
    dns_wr_init(d, out, cap, q->limit);
    if (q->has_opt)
        dns_wr_reserve(d, DNS_OPT_FIXED_LEN);
    struct dns_hdr h = {
        .id = q->hdr.id,
        .opcode = q->hdr.opcode,
        .qr = true,
        .rd = q->hdr.rd,
        .cd = q->hdr.cd,
        .ra = true, /* recursion is what we offer */
    };
    dns_wr_header(d, &h);
    if (question && q->has_question)
        dns_wr_question(d, q->qname, q->qtype, q->qclass);
}

/* Adds OPT when the query had one (RFC 6891 7: never otherwise) with the
 * upper bits of a 12-bit rcode, and finishes. */
static int reply_end(struct dns_wr *d, const struct server_query *q, uint16_t rcode,
                     size_t *out_len)
{
    d->hdr.rcode = (uint8_t)(rcode & 0xf);
    if (q->has_opt) {
        struct dns_edns e = {
            .udp_size = q->edns_size,
            .ext_rcode = (uint8_t)(rcode >> 4),
            .version = 0,
            .dnssec_ok = q->dnssec_ok, /* RFC 3225 3: DO is copied */
        };
        dns_wr_opt(d, &e);
    }
    return dns_wr_finish(d, out_len);
}

/* A reply carrying only an rcode (and the question when known). */
static enum server_verdict reply_rcode(const struct server_query *q, uint16_t rcode, uint8_t *out,
                                       size_t cap, size_t *out_len)
{
    struct dns_wr d;
    reply_begin(&d, q, out, cap, true);
    if (reply_end(&d, q, rcode, out_len) == 0)
        return SERVER_REPLY;
    /* A 255-octet question and OPT always fit 512; only a tiny cap can
     * fail here, and then no reply at all is the safe answer. */
    return SERVER_DROP;
}

/* Reads the question and OPT of a parsed query into q; sets the limit. */
static void query_fill(struct server_query *q, const struct dns_msg *m, const struct dnsd_conf *c,
                       bool tcp, uint16_t *version)
{
    if (m->qd_n >= 1 && dns_msg_qname(m, &m->qd[0], q->qname, NULL) == 0) {
        q->qtype = m->qd[0].qtype;
        q->qclass = m->qd[0].qclass;
        q->has_question = true;
    }
    struct dns_edns e;
    if (m->has_opt && dns_rr_opt(m, &m->opt, &e) == 0) {
        q->has_opt = true;
        q->dnssec_ok = e.dnssec_ok;
        *version = e.version;
        /* RFC 6891 6.2.5: sizes below 512 are treated as 512; answers
         * fit the smaller of the client's size and ours. */
        size_t lim = e.udp_size < c->edns_size ? e.udp_size : c->edns_size;
        q->limit = lim < 512 ? 512 : lim;
    }
    q->edns_size = c->edns_size;
    if (tcp)
        q->limit = 65535;
}

enum server_verdict server_query_handle(const struct server_ctx *ctx, const struct net_addr *peer,
                                        bool tcp, const uint8_t *msg, size_t len,
                                        struct server_query *q, uint8_t *out, size_t cap,
                                        size_t *out_len, enum server_event *ev)
{
    const struct dnsd_conf *c = ctx->conf;
    memset(q, 0, sizeof(*q));
    *ev = SERVER_EV_NONE;
    *out_len = 0;
    enum acl_action act = acl_addr_check(&c->acl, peer);
    if (act == ACL_DENY) {
        *ev = SERVER_EV_DENIED;
        return SERVER_DROP;
    }
    struct wire_rd r;
    wire_rd_init(&r, msg, len);
    if (dns_hdr_parse(&r, &q->hdr) != 0) {
        *ev = SERVER_EV_MALFORMED; /* not even a header: nobody to answer */
        return SERVER_DROP;
    }
    if (q->hdr.qr) {
        /* Answering responses invites reflection loops between servers. */
        *ev = SERVER_EV_RESPONSE;
        return SERVER_DROP;
    }
    q->limit = tcp ? 65535 : 512;
    q->edns_size = c->edns_size;

    struct dns_question qd[1];
    struct dns_msg m = {.qd = qd, .qd_cap = 1};
    int prc = dns_msg_parse(&m, msg, len);
    /* -E2BIG: well formed, with records we have no room for (we keep no
     * records of a query: OPT is found regardless). */
    bool parsed = prc == 0 || prc == -E2BIG;
    uint16_t version = 0;
    if (parsed)
        query_fill(q, &m, c, tcp, &version);

    if (act == ACL_REFUSE) {
        *ev = SERVER_EV_REFUSED;
        return reply_rcode(q, DNS_RCODE_REFUSED, out, cap, out_len);
    }
    if (q->hdr.opcode == DNS_OPCODE_UPDATE && ctx->dyn) {
        struct update_info ui;
        uint64_t now = ctx->wall_s ? ctx->wall_s : (uint64_t)time(NULL);
        if (update_handle(c, ctx->dyn, peer, msg, len, now, out, cap, out_len, &ui) != 0)
            return SERVER_DROP;
        *ev = ui.rcode == DNS_RCODE_NOERROR ? SERVER_EV_UPDATED : SERVER_EV_UPDATE_FAIL;
        return SERVER_REPLY;
    }
    if (q->hdr.opcode != DNS_OPCODE_QUERY) {
        /* RFC 1035 4.1.1; NOTIFY and the rest are not ours. */
        *ev = SERVER_EV_NOTIMP;
        return reply_rcode(q, DNS_RCODE_NOTIMP, out, cap, out_len);
    }
    if (!parsed || q->hdr.count[DNS_SEC_QD] != 1 || !q->has_question) {
        /* Header only: nothing else of a malformed message is trusted. */
        *ev = SERVER_EV_MALFORMED;
        struct server_query bare = *q;
        bare.has_question = false;
        bare.has_opt = false;
        bare.limit = 512;
        return reply_rcode(&bare, DNS_RCODE_FORMERR, out, cap, out_len);
    }
    if (q->has_opt && version != 0) {
        /* RFC 6891 6.1.3: BADVERS, and our OPT says the version we do. */
        return reply_rcode(q, DNS_RCODE_BADVERS, out, cap, out_len);
    }
    if (c->rl && !tcp) {
        /* Only UDP: a TCP client has proven its address (handshake). */
        enum ratelimit_verdict rv = ratelimit_check(c->rl, peer, ctx->now_ms);
        if (rv != RATELIMIT_PASS) {
            *ev = SERVER_EV_RATELIMITED;
            if (rv == RATELIMIT_DROP)
                return SERVER_DROP;
            /* Slip: an empty truncated answer sends a real client to TCP. */
            struct dns_wr d;
            reply_begin(&d, q, out, cap, true);
            d.hdr.tc = true;
            return reply_end(&d, q, DNS_RCODE_NOERROR, out_len) == 0 ? SERVER_REPLY : SERVER_DROP;
        }
    }
    if (q->qtype == DNS_TYPE_OPT) {
        /* RFC 6891 6.1.1: OPT is a pseudo-record, never asked for. */
        *ev = SERVER_EV_MALFORMED;
        return reply_rcode(q, DNS_RCODE_FORMERR, out, cap, out_len);
    }
    if (q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR ||
        (q->qtype >= 249 && q->qtype <= 254)) {
        /* Zone transfers, TKEY, TSIG, MAILB, MAILA: not a resolver's. */
        *ev = SERVER_EV_NOTIMP;
        return reply_rcode(q, DNS_RCODE_NOTIMP, out, cap, out_len);
    }

    struct dns_wr d;
    reply_begin(&d, q, out, cap, true);
    if (localzone_answer(ctx->local ? ctx->local : c->local, q->qname, q->qtype, q->qclass, &d) ||
        (ctx->resolver && resolver_cached(ctx->resolver, q->qname, q->qtype, q->qclass, &d))) {
        if (reply_end(&d, q, d.hdr.rcode, out_len) == 0)
            return SERVER_REPLY;
        return reply_rcode(q, DNS_RCODE_SERVFAIL, out, cap, out_len);
    }
    return SERVER_RESOLVE;
}

int server_reply_resolved(const struct server_query *q, const struct resolver_answer *a,
                          uint8_t *out, size_t cap, size_t *out_len)
{
    struct dns_wr d;
    reply_begin(&d, q, out, cap, true);
    int rc = a ? resolver_answer_write(a, &d) : 0;
    uint8_t rcode = a ? d.hdr.rcode : DNS_RCODE_SERVFAIL;
    if (rc == 0 && reply_end(&d, q, rcode, out_len) == 0)
        return 0;
    return reply_rcode(q, DNS_RCODE_SERVFAIL, out, cap, out_len) == SERVER_REPLY ? 0 : -EMSGSIZE;
}

/* ======================================================================
 * Workers: sockets and the resolver on one thread's loop.
 * ====================================================================== */

#define SLAB_CHUNKS      8 /* datagrams per recvmmsg */
#define SLAB_CHUNK       65536
#define MAX_UDP_SENDS    1024                 /* queued sends after EAGAIN */
#define TCP_MAX_INFLIGHT 32u                  /* pipelined queries per connection */
#define TCP_MAX_OUTPUT   ((size_t)256 * 1024) /* queued reply octets per connection */
#define TCP_BUF_INITIAL  1024
#define TCP_FRAME_MAX    (2 + 65535)

enum {
    LOGRL_DENIED,
    LOGRL_REFUSED,
    LOGRL_MALFORMED,
    LOGRL_NOTIMP,
    LOGRL_RESPONSE,
    LOGRL_RATE,
    LOGRL_TCPCAP,
    LOGRL_BUSY,
    LOGRL_UPDATED,
    LOGRL_UPDATE_FAIL,
};

/* Open TCP connections over all workers: max-tcp-connections is a
 * process-wide cap, exact however SO_REUSEPORT spreads clients. */
static atomic_uint_fast64_t total_conns;

/* A resolver and the requests still in it.  On reload a new one takes new
 * queries; a retired one is closed once its last request is done. */
struct server_wres {
    struct resolver *r;
    size_t pending;
    struct server_wres *next;
};

struct server_udp_req {
    struct server_worker *w;
    struct server_listener *l;
    struct sockaddr_storage peer;
    struct server_query q;
    struct server_wres *wr;
    struct resolver_req *rr;
    struct server_udp_req *prev, *next;
};

struct tcp_req {
    struct server_conn *c;
    struct server_query q;
    struct server_wres *wr;
    struct resolver_req *rr;
    struct tcp_req *prev, *next;
};

struct server_conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    struct server_worker *w;
    struct net_addr peer;
    uint8_t *buf;
    size_t len, cap;
    unsigned inflight;
    size_t out_pending;
    bool eof, closing, reading;
    int handles;
    struct tcp_req *reqs;
    struct server_conn *prev, *next;
};

struct tcp_write {
    uv_write_t req;
    struct server_conn *c;
    size_t len;
    uint8_t data[];
};

struct udp_send {
    uv_udp_send_t req;
    struct server_worker *w;
    size_t len;
    uint8_t data[];
};

static void worker_maybe_done(struct server_worker *w);

static void log_event(struct server_worker *w, enum server_event ev, const struct net_addr *peer,
                      bool tcp)
{
    static const struct {
        int slot, level;
        const char *text;
    } what[] = {
        [SERVER_EV_DENIED] = {LOGRL_DENIED, LOG_LVL_INFO, "dropped query from denied client"},
        [SERVER_EV_REFUSED] = {LOGRL_REFUSED, LOG_LVL_NOTICE, "refused query from"},
        [SERVER_EV_MALFORMED] = {LOGRL_MALFORMED, LOG_LVL_NOTICE, "malformed query from"},
        [SERVER_EV_NOTIMP] = {LOGRL_NOTIMP, LOG_LVL_INFO, "unsupported query from"},
        [SERVER_EV_RESPONSE] = {LOGRL_RESPONSE, LOG_LVL_INFO, "dropped a response sent by"},
        [SERVER_EV_RATELIMITED] = {LOGRL_RATE, LOG_LVL_NOTICE, "rate limit exceeded by"},
        [SERVER_EV_UPDATED] = {LOGRL_UPDATED, LOG_LVL_INFO, "applied an update from"},
        [SERVER_EV_UPDATE_FAIL] = {LOGRL_UPDATE_FAIL, LOG_LVL_NOTICE,
                                   "refused or failed an update from"},
    };
    if (ev == SERVER_EV_NONE || !log_enabled(what[ev].level))
        return;
    uint32_t dropped = 0;
    if (!log_ratelimit_allow(&w->rl_log[what[ev].slot], uv_now(&w->loop), 5, 10000, &dropped))
        return;
    char a[NET_ADDR_STRLEN];
    net_addr_format_port(peer, a, sizeof(a));
    if (dropped)
        log_msg(what[ev].level, "%s %s over %s (%u similar messages suppressed)", what[ev].text, a,
                tcp ? "TCP" : "UDP", dropped);
    else
        log_msg(what[ev].level, "%s %s over %s", what[ev].text, a, tcp ? "TCP" : "UDP");
}

static struct server_wres *wres_current(struct server_worker *w)
{
    return w->wres;
}

/* Drops a reference of a resolver; closes a retired one when unused. */
static void on_reap(uv_timer_t *t);

/* Drops a reference of a resolver.  A retired one left unused is closed
 * from a timer, never here: this runs inside that resolver's callback. */
static void wres_release(struct server_worker *w, struct server_wres *wr)
{
    wr->pending--;
    if (wr != w->wres && wr->pending == 0)
        uv_timer_start(&w->reap, on_reap, 0, 0);
}

static void resolvers_close_all(struct server_worker *w)
{
    while (w->wres) {
        struct server_wres *wr = w->wres;
        w->wres = wr->next;
        resolver_close(wr->r);
        free(wr);
    }
}

static int wres_new(struct server_worker *w, const struct dnsd_conf *c, char *err, size_t errcap)
{
    struct server_wres *wr = calloc(1, sizeof(*wr));
    if (!wr) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    wr->r = resolver_new(&w->loop, &c->resolver, w->cache, err, errcap);
    if (!wr->r) {
        free(wr);
        return -EINVAL;
    }
    /* The current resolver is first; retired ones with requests follow. */
    struct server_wres *old = w->wres;
    wr->next = old;
    w->wres = wr;
    if (old && old->pending == 0) {
        wr->next = old->next;
        resolver_close(old->r);
        free(old);
    }
    return 0;
}

/* True when the worker has max-pending queries in resolution (UDP and
 * TCP): a new one is answered SERVFAIL at once.  Every pending query holds
 * an upstream socket and ~15 KiB until its answer or its deadline, so a
 * flood of names whose servers never answer would otherwise take
 * descriptors and memory without bound (a 10,000 cap measured 150 MiB and
 * 10,000 descriptors per thread); clients retry, and cached and local
 * names are answered before this check is reached. */
static bool worker_busy(struct server_worker *w)
{
    if (w->n_udp_reqs + w->n_tcp_reqs < w->conf->max_pending)
        return false;
    uint32_t dropped = 0;
    if (log_ratelimit_allow(&w->rl_log[LOGRL_BUSY], uv_now(&w->loop), 1, 10000, &dropped))
        log_warn("worker %u: %u queries in resolution (max-pending); answering SERVFAIL "
                 "(%u more since the last message)",
                 w->id, w->conf->max_pending, dropped);
    return true;
}

/* ---- UDP ---- */

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    (void)status; /* a lost datagram is the client's to retry */
    struct udp_send *s = req->data;
    struct server_worker *w = s->w;
    free(s);
    w->n_udp_sends--;
    worker_maybe_done(w);
}

static void udp_send(struct server_worker *w, uv_udp_t *h, const struct sockaddr *to,
                     const uint8_t *msg, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
    int rc = uv_udp_try_send(h, &b, 1, to);
    if (rc != UV_EAGAIN) /* sent, or an error a retry would not fix */
        return;
    /* The socket buffer is full: queue a copy, within a cap. */
    if (w->n_udp_sends >= MAX_UDP_SENDS)
        return;
    struct udp_send *s = malloc(sizeof(*s) + len);
    if (!s)
        return;
    s->w = w;
    s->len = len;
    memcpy(s->data, msg, len);
    s->req.data = s;
    b = uv_buf_init((char *)s->data, (unsigned)len);
    if (uv_udp_send(&s->req, h, &b, 1, to, on_udp_sent) != 0) {
        free(s);
        return;
    }
    w->n_udp_sends++;
}

static void udp_req_unlink(struct server_worker *w, struct server_udp_req *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        w->udp_reqs = u->next;
    if (u->next)
        u->next->prev = u->prev;
    w->n_udp_reqs--;
}

static void on_udp_resolved(void *arg, const struct resolver_answer *a)
{
    struct server_udp_req *u = arg;
    struct server_worker *w = u->w;
    size_t len;
    if (server_reply_resolved(&u->q, a, w->out, sizeof(w->out), &len) == 0 &&
        !uv_is_closing((uv_handle_t *)&u->l->udp))
        udp_send(w, &u->l->udp, (const struct sockaddr *)&u->peer, w->out, len);
    udp_req_unlink(w, u);
    wres_release(w, u->wr);
    free(u);
    worker_maybe_done(w);
}

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct server_listener *l = h->data;
    struct server_worker *w = l->w;
    /* One slab per worker: datagrams are handled (and copied out when
     * they must wait) before the callback returns, so it is free again
     * by the next read. */
    if (w->slab_busy) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    w->slab_busy = true;
    *buf = uv_buf_init((char *)w->slab, (unsigned)((size_t)SLAB_CHUNKS * SLAB_CHUNK));
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
    struct server_listener *l = h->data;
    struct server_worker *w = l->w;
    /* With recvmmsg libuv calls once per datagram (UV_UDP_MMSG_CHUNK),
     * then once more with UV_UDP_MMSG_FREE; without, once. */
    if (!(flags & UV_UDP_MMSG_CHUNK) && buf->base == (char *)w->slab)
        w->slab_busy = false;
    if (nread <= 0 || !addr || w->stopping)
        return;
    struct net_addr peer;
    if (net_addr_from_sockaddr(&peer, addr) != 0)
        return;
    atomic_fetch_add_explicit(&w->queries, 1, memory_order_relaxed);
    struct server_ctx ctx = {
        .conf = w->conf,
        .resolver = wres_current(w)->r,
        .now_ms = uv_now(&w->loop),
        .dyn = w->dyn,
        .local = w->dyn ? dynzone_snap_refresh(w->dyn, &w->snap) : NULL,
        .wall_s = (uint64_t)time(NULL),
    };
    struct server_query q;
    enum server_event ev;
    size_t len;
    enum server_verdict v =
        server_query_handle(&ctx, &peer, false, (const uint8_t *)buf->base, (size_t)nread, &q,
                            w->out, sizeof(w->out), &len, &ev);
    log_event(w, ev, &peer, false);
    if (v == SERVER_REPLY) {
        udp_send(w, h, addr, w->out, len);
        return;
    }
    if (v != SERVER_RESOLVE)
        return;
    struct server_udp_req *u = NULL;
    if (!worker_busy(w))
        u = calloc(1, sizeof(*u));
    if (!u) {
        if (server_reply_resolved(&q, NULL, w->out, sizeof(w->out), &len) == 0)
            udp_send(w, h, addr, w->out, len);
        return;
    }
    u->w = w;
    u->l = l;
    memcpy(&u->peer, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    u->q = q;
    u->wr = wres_current(w);
    if (resolver_resolve(u->wr->r, q.qname, q.qtype, q.qclass, on_udp_resolved, u, &u->rr) != 0) {
        free(u);
        if (server_reply_resolved(&q, NULL, w->out, sizeof(w->out), &len) == 0)
            udp_send(w, h, addr, w->out, len);
        return;
    }
    u->wr->pending++;
    u->next = w->udp_reqs;
    if (w->udp_reqs)
        w->udp_reqs->prev = u;
    w->udp_reqs = u;
    w->n_udp_reqs++;
}

/* ---- TCP ---- */

static void conn_close(struct server_conn *c);
static void conn_process(struct server_conn *c);

static void conn_idle_arm(struct server_conn *c);

/* Called whenever a query finished or a write completed: resume reading,
 * close after EOF, or re-arm the idle timer. */
static void conn_progress(struct server_conn *c)
{
    if (c->closing)
        return;
    if (c->eof || c->w->stopping) {
        if (c->inflight == 0 && c->out_pending == 0)
            conn_close(c);
        return;
    }
    conn_process(c);
    if (!c->closing)
        conn_idle_arm(c);
}

static void on_conn_closed(uv_handle_t *h)
{
    struct server_conn *c = h->data;
    if (--c->handles > 0)
        return;
    struct server_worker *w = c->w;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->n_conns--;
    atomic_fetch_sub_explicit(&total_conns, 1, memory_order_relaxed);
    free(c->buf);
    free(c);
    worker_maybe_done(w);
}

static void tcp_req_unlink(struct server_conn *c, struct tcp_req *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        c->reqs = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* Frees t, already unlinked. */
static void tcp_req_free(struct server_conn *c, struct tcp_req *t)
{
    c->inflight--;
    c->w->n_tcp_reqs--;
    wres_release(c->w, t->wr);
    free(t);
}

static void conn_close(struct server_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    /* Cancel what is still resolving: its callbacks will not run. */
    struct tcp_req *t;
    while ((t = c->reqs) != NULL) {
        c->reqs = t->next;
        if (t->rr)
            resolver_cancel(t->rr);
        tcp_req_free(c, t);
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    uv_close((uv_handle_t *)&c->idle, on_conn_closed);
}

static void on_idle(uv_timer_t *t)
{
    struct server_conn *c = t->data;
    /* RFC 7766 6.2.3: the idle timeout runs only with nothing pending. */
    if (c->inflight == 0 && c->out_pending == 0)
        conn_close(c);
}

static void conn_idle_arm(struct server_conn *c)
{
    if (c->inflight == 0 && c->out_pending == 0)
        uv_timer_start(&c->idle, on_idle, c->w->conf->tcp_idle_ms, 0);
    else
        uv_timer_stop(&c->idle);
}

static void on_tcp_written(uv_write_t *req, int status)
{
    struct tcp_write *tw = req->data;
    struct server_conn *c = tw->c;
    c->out_pending -= tw->len;
    free(tw);
    if (status < 0)
        conn_close(c);
    else
        conn_progress(c);
}

/* Sends one framed reply (RFC 1035 4.2.2: a two-octet length first). */
static void conn_send(struct server_conn *c, const uint8_t *msg, size_t len)
{
    uint8_t pfx[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    size_t done = 0, total = len + 2;
    if (c->out_pending == 0) {
        uv_buf_t b[2] = {uv_buf_init((char *)pfx, 2), uv_buf_init((char *)msg, (unsigned)len)};
        int n = uv_try_write((uv_stream_t *)&c->tcp, b, 2);
        if (n < 0 && n != UV_EAGAIN) {
            conn_close(c);
            return;
        }
        if (n > 0)
            done = (size_t)n;
        if (done == total)
            return;
    }
    /* Queue the rest, copied. */
    struct tcp_write *tw = malloc(sizeof(*tw) + total - done);
    if (!tw) {
        conn_close(c);
        return;
    }
    tw->c = c;
    tw->len = total - done;
    size_t k = 0;
    for (size_t i = done; i < 2; i++)
        tw->data[k++] = pfx[i];
    size_t from = done > 2 ? done - 2 : 0;
    memcpy(tw->data + k, msg + from, len - from);
    tw->req.data = tw;
    uv_buf_t b = uv_buf_init((char *)tw->data, (unsigned)tw->len);
    if (uv_write(&tw->req, (uv_stream_t *)&c->tcp, &b, 1, on_tcp_written) != 0) {
        free(tw);
        conn_close(c);
        return;
    }
    c->out_pending += tw->len;
}

static void on_tcp_resolved(void *arg, const struct resolver_answer *a)
{
    struct tcp_req *t = arg;
    struct server_conn *c = t->c;
    struct server_worker *w = c->w;
    size_t len;
    int rc = server_reply_resolved(&t->q, a, w->out, sizeof(w->out), &len);
    /* Done with t before sending: a failed send closes the connection,
     * which must not cancel a request whose callback is running. */
    t->rr = NULL;
    tcp_req_unlink(c, t);
    tcp_req_free(c, t);
    if (rc == 0)
        conn_send(c, w->out, len);
    conn_progress(c);
}

static void conn_handle(struct server_conn *c, const uint8_t *msg, size_t mlen)
{
    struct server_worker *w = c->w;
    atomic_fetch_add_explicit(&w->queries, 1, memory_order_relaxed);
    struct server_ctx ctx = {
        .conf = w->conf,
        .resolver = wres_current(w)->r,
        .now_ms = uv_now(&w->loop),
        .dyn = w->dyn,
        .local = w->dyn ? dynzone_snap_refresh(w->dyn, &w->snap) : NULL,
        .wall_s = (uint64_t)time(NULL),
    };
    struct server_query q;
    enum server_event ev;
    size_t len;
    enum server_verdict v =
        server_query_handle(&ctx, &c->peer, true, msg, mlen, &q, w->out, sizeof(w->out), &len, &ev);
    log_event(w, ev, &c->peer, true);
    if (v == SERVER_REPLY) {
        conn_send(c, w->out, len);
        return;
    }
    if (v == SERVER_DROP) {
        /* No answer means the client would wait for one forever. */
        conn_close(c);
        return;
    }
    if (worker_busy(w)) {
        if (server_reply_resolved(&q, NULL, w->out, sizeof(w->out), &len) == 0)
            conn_send(c, w->out, len);
        return;
    }
    struct tcp_req *t = calloc(1, sizeof(*t));
    if (!t) {
        conn_close(c);
        return;
    }
    t->c = c;
    t->q = q;
    t->wr = wres_current(w);
    if (resolver_resolve(t->wr->r, q.qname, q.qtype, q.qclass, on_tcp_resolved, t, &t->rr) != 0) {
        free(t);
        if (server_reply_resolved(&q, NULL, w->out, sizeof(w->out), &len) == 0)
            conn_send(c, w->out, len);
        return;
    }
    t->wr->pending++;
    c->inflight++;
    w->n_tcp_reqs++;
    t->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = t;
    c->reqs = t;
}

static void on_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Handles every complete message in the buffer while the connection has
 * room for more work; reading pauses while it has none. */
static void conn_process(struct server_conn *c)
{
    size_t off = 0;
    while (!c->closing && c->inflight < TCP_MAX_INFLIGHT && c->out_pending < TCP_MAX_OUTPUT &&
           c->len - off >= 2) {
        size_t mlen = (size_t)c->buf[off] << 8 | c->buf[off + 1];
        if (c->len - off - 2 < mlen)
            break;
        conn_handle(c, c->buf + off + 2, mlen);
        off += 2 + mlen;
    }
    if (c->closing)
        return;
    if (off) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    bool room = c->inflight < TCP_MAX_INFLIGHT && c->out_pending < TCP_MAX_OUTPUT;
    if (room && !c->reading && !c->eof && !c->w->stopping) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_tcp_alloc, on_tcp_read) == 0)
            c->reading = true;
    } else if (!room && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct server_conn *c = h->data;
    /* Grow toward the frame being read, never past one whole frame. */
    size_t need = c->len + 512;
    if (c->len >= 2) {
        size_t frame = 2 + ((size_t)c->buf[0] << 8 | c->buf[1]);
        if (frame > need)
            need = frame;
    }
    if (need > TCP_FRAME_MAX)
        need = TCP_FRAME_MAX;
    if (need > c->cap) {
        uint8_t *nb = realloc(c->buf, need);
        if (nb) {
            c->buf = nb;
            c->cap = need;
        }
    }
    *buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct server_conn *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        /* EOF: answer what is in flight, then close (RFC 7766 6.2.4). */
        uv_read_stop(s);
        c->reading = false;
        c->eof = true;
        if (nread != UV_EOF) {
            conn_close(c);
            return;
        }
        conn_progress(c);
        return;
    }
    c->len += (size_t)nread;
    conn_process(c);
    if (!c->closing)
        conn_idle_arm(c);
}

static void on_tcp_connection(uv_stream_t *server, int status)
{
    struct server_listener *l = server->data;
    struct server_worker *w = l->w;
    if (status < 0 || w->stopping)
        return;
    struct server_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->w = w;
    uv_tcp_init(&w->loop, &c->tcp);
    uv_timer_init(&w->loop, &c->idle);
    c->tcp.data = c;
    c->idle.data = c;
    c->handles = 2;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->n_conns++;
    atomic_fetch_add_explicit(&total_conns, 1, memory_order_relaxed);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) != 0 ||
        net_addr_from_sockaddr(&c->peer, (struct sockaddr *)&ss) != 0) {
        conn_close(c);
        return;
    }
    if (acl_addr_check(&w->conf->acl, &c->peer) == ACL_DENY) {
        log_event(w, SERVER_EV_DENIED, &c->peer, true);
        conn_close(c);
        return;
    }
    if (atomic_load_explicit(&total_conns, memory_order_relaxed) > w->conf->max_tcp) {
        uint32_t dropped = 0;
        if (log_ratelimit_allow(&w->rl_log[LOGRL_TCPCAP], uv_now(&w->loop), 1, 10000, &dropped))
            log_warn("TCP connection limit (max-tcp-connections = %llu) reached; closing new "
                     "connections (%u more since the last message)",
                     (unsigned long long)w->conf->max_tcp, dropped);
        conn_close(c);
        return;
    }
    c->buf = malloc(TCP_BUF_INITIAL);
    if (!c->buf) {
        conn_close(c);
        return;
    }
    c->cap = TCP_BUF_INITIAL;
    conn_process(c); /* starts reading */
    conn_idle_arm(c);
}

/* ---- life cycle ---- */

/* Once stopping and idle, the worker closes its handles, from the reap
 * timer rather than here: this may run inside a resolver callback, and a
 * resolver must not be closed from its own callback. */
static void worker_maybe_done(struct server_worker *w)
{
    if (!w->stopping || w->closed || w->n_conns > 0 || w->n_udp_reqs > 0 || w->n_udp_sends > 0)
        return;
    uv_timer_start(&w->reap, on_reap, 0, 0);
}

static void on_reap(uv_timer_t *t)
{
    struct server_worker *w = t->data;
    /* Retired resolvers without requests (the current one is first). */
    struct server_wres **p = w->wres ? &w->wres->next : &w->wres;
    while (*p) {
        struct server_wres *wr = *p;
        if (wr->pending > 0) {
            p = &wr->next;
            continue;
        }
        *p = wr->next;
        resolver_close(wr->r);
        free(wr);
    }
    if (!w->stopping || w->closed || w->n_conns > 0 || w->n_udp_reqs > 0 || w->n_udp_sends > 0)
        return;
    w->closed = true;
    for (size_t i = 0; i < w->n_listeners; i++) {
        struct server_listener *l = &w->listeners[i];
        if (l->udp_open)
            uv_close((uv_handle_t *)&l->udp, NULL);
        l->udp_open = false;
    }
    resolvers_close_all(w);
    uv_close((uv_handle_t *)&w->async, NULL);
    uv_close((uv_handle_t *)&w->reap, NULL);
}

static void worker_begin_stop(struct server_worker *w)
{
    w->stopping = true;
    for (size_t i = 0; i < w->n_listeners; i++) {
        struct server_listener *l = &w->listeners[i];
        if (l->tcp_open)
            uv_close((uv_handle_t *)&l->tcp, NULL);
        l->tcp_open = false;
        if (l->udp_open)
            uv_udp_recv_stop(&l->udp);
    }
    /* Idle connections go now; busy ones after their answers. */
    for (struct server_conn *c = w->conns, *next; c; c = next) {
        next = c->next;
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
        conn_progress(c);
    }
    worker_maybe_done(w);
}

/* After a forced stop of the main loop: drop whatever still waits (slow
 * TCP readers, resolutions in flight) so the loop can end now. */
static void worker_force_stop(struct server_worker *w)
{
    if (!w->stopping)
        worker_begin_stop(w);
    for (struct server_conn *c = w->conns; c; c = c->next)
        conn_close(c);
    struct server_udp_req *u;
    while ((u = w->udp_reqs) != NULL) {
        w->udp_reqs = u->next;
        w->n_udp_reqs--;
        resolver_cancel(u->rr);
        wres_release(w, u->wr);
        free(u);
    }
    worker_maybe_done(w);
}

static void on_async(uv_async_t *a)
{
    struct server_worker *w = a->data;
    struct dnsd_conf *nc = atomic_exchange(&w->pending, NULL);
    if (nc && !w->stopping) {
        char err[512];
        if (wres_new(w, nc, err, sizeof(err)) != 0) {
            log_err("worker %u: new resolver: %s; keeping the old configuration", w->id, err);
            dnsd_conf_release(nc);
        } else {
            dnsd_conf_release(w->conf);
            w->conf = nc;
        }
    } else if (nc) {
        dnsd_conf_release(nc);
    }
    if (atomic_load(&w->force_requested) && !w->closed)
        worker_force_stop(w);
    else if (atomic_load(&w->stop_requested) && !w->stopping)
        worker_begin_stop(w);
}

int server_worker_init(struct server_worker *w, unsigned id, struct dnsd_conf *conf,
                       struct dns_cache *cache, const int *udp_fds, const int *tcp_fds,
                       size_t n_fds, uv_async_t *done_notify, char *err, size_t errcap)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->conf = dnsd_conf_retain(conf);
    w->cache = cache;
    w->done_notify = done_notify;
    atomic_init(&w->pending, NULL);
    atomic_init(&w->stop_requested, false);
    atomic_init(&w->force_requested, false);
    atomic_init(&w->finished, false);
    atomic_init(&w->queries, 0);
    int rc = uv_loop_init(&w->loop);
    if (rc != 0) {
        snprintf(err, errcap, "loop: %s", uv_strerror(rc));
        return rc;
    }
    if ((rc = uv_async_init(&w->loop, &w->async, on_async)) != 0) {
        snprintf(err, errcap, "async: %s", uv_strerror(rc));
        return rc;
    }
    w->async.data = w;
    uv_timer_init(&w->loop, &w->reap);
    w->reap.data = w;
    w->slab = malloc((size_t)SLAB_CHUNKS * SLAB_CHUNK);
    if (!w->slab) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_fds && i < DNSD_MAX_LISTEN; i++) {
        struct server_listener *l = &w->listeners[i];
        l->w = w;
        w->n_listeners++;
        if ((rc = uv_udp_init_ex(&w->loop, &l->udp, AF_UNSPEC | UV_UDP_RECVMMSG)) != 0 ||
            (l->udp_open = true, rc = uv_udp_open(&l->udp, udp_fds[i])) != 0) {
            snprintf(err, errcap, "UDP socket: %s", uv_strerror(rc));
            return rc;
        }
        l->udp.data = l;
        if ((rc = uv_tcp_init(&w->loop, &l->tcp)) != 0 ||
            (l->tcp_open = true, rc = uv_tcp_open(&l->tcp, tcp_fds[i])) != 0) {
            snprintf(err, errcap, "TCP socket: %s", uv_strerror(rc));
            return rc;
        }
        l->tcp.data = l;
    }
    return wres_new(w, conf, err, errcap);
}

static void worker_main(void *arg)
{
    struct server_worker *w = arg;
    for (size_t i = 0; i < w->n_listeners; i++) {
        struct server_listener *l = &w->listeners[i];
        int rc = uv_udp_recv_start(&l->udp, on_udp_alloc, on_udp_recv);
        if (rc == 0)
            rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_tcp_connection);
        if (rc != 0)
            log_err("worker %u: cannot serve: %s", w->id, uv_strerror(rc));
    }
    uv_run(&w->loop, UV_RUN_DEFAULT);
    atomic_store(&w->finished, true);
    if (w->done_notify)
        uv_async_send(w->done_notify);
}

int server_worker_start(struct server_worker *w)
{
    return uv_thread_create(&w->thread, worker_main, w);
}

void server_worker_post_stop(struct server_worker *w)
{
    atomic_store(&w->stop_requested, true);
    uv_async_send(&w->async);
}

void server_worker_post_force(struct server_worker *w)
{
    atomic_store(&w->stop_requested, true);
    atomic_store(&w->force_requested, true);
    uv_async_send(&w->async);
}

void server_worker_post_conf(struct server_worker *w, struct dnsd_conf *conf)
{
    struct dnsd_conf *old = atomic_exchange(&w->pending, dnsd_conf_retain(conf));
    if (old)
        dnsd_conf_release(old);
    uv_async_send(&w->async);
}

int server_worker_join(struct server_worker *w)
{
    uv_thread_join(&w->thread);
    int rc = uv_loop_close(&w->loop);
    if (rc != 0)
        log_warn("worker %u: loop did not close cleanly: %s", w->id, uv_strerror(rc));
    free(w->slab);
    dynzone_snap_release(w->snap);
    w->snap = NULL;
    struct dnsd_conf *p = atomic_exchange(&w->pending, NULL);
    if (p)
        dnsd_conf_release(p);
    dnsd_conf_release(w->conf);
    return rc;
}
