/*
 * resolver: iterative resolution from the root hints (or forwarding), over
 * the shared cache.  See resolver.h for the contract.
 *
 * One resolution ("job") per distinct question in flight; requests for the
 * same (name, type, class) wait on it together.  A job walks the CNAME chain
 * through the cache, finds the closest delegation it knows (cache, forward
 * zone, or root hints), and asks that zone's servers one at a time, best
 * smoothed RTT first.  Each reply is scrubbed against the zone asked
 * (Unbound iter_scrub.c): only answer records on the chain from the name
 * asked, the SOA of a negative answer, and the NS and in-zone glue of a
 * referral are used and cached; everything else in a reply is ignored.
 *
 * Limits per client query (Knot Resolver's habits): referrals, CNAME/DNAME
 * links, upstream queries, nesting of glueless sub-resolutions, and a
 * deadline after which the client gets SERVFAIL (or stale data).
 */
#include "dnsd/resolver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/log.h"
#include "common/roothints.h"
#include "dnsd/cache.h"
#include "dnsd/rrset.h"
#include "dnsd/upstream.h"

#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_REFERRALS  30
#define DEFAULT_CNAME      12
#define DEFAULT_UPSTREAM   64
/* Glueless sub-resolutions nested in one another (a name server whose
 * name needs a name server whose name needs ...). */
#define MAX_SUB_DEPTH 4
/* Servers and addresses of one delegation we consider (RFC 1034 5.3.3:
 * a resolver may bound its server list). */
#define MAX_NS         16
#define MAX_NS_ADDR    4
#define TRIES_PER_ADDR 3
/* Retransmission timeouts (RFC 1035 4.2.1 leaves them to us; Unbound
 * starts at 376 ms and backs off). */
#define RTO_INITIAL 400
#define RTO_MIN     120
#define RTO_MAX     3000
#define INFRA_MAX   256
#define JOB_BUCKETS 1024
/* Largest answer we collect (the most a TCP reply can carry). */
#define ANSWER_MAX     ((size_t)64 * 1024)
#define ANSWER_MAXSETS 40
#define BLOB_MAX       (65535 + DNS_NAME_MAXLEN + 16)

/* Collected answer: RRset blobs, each tagged with its section. */
struct resolver_answer {
    uint8_t rcode;
    bool stale;
    uint8_t qname[DNS_NAME_MAXLEN];
    size_t nsets;
    struct {
        uint8_t sec;
        size_t off, len;
    } set[ANSWER_MAXSETS];
    uint8_t *buf;
    size_t len, cap;
    bool fixed; /* buf is not ours to grow (the fast path's scratch) */
};

struct server {
    uint8_t name[DNS_NAME_MAXLEN];
    struct net_addr addr[MAX_NS_ADDR];
    uint8_t tries[MAX_NS_ADDR];
    bool failed[MAX_NS_ADDR];
    size_t naddr;
    bool sub_done; /* a glueless sub-resolution was tried */
};

struct resolver_req {
    struct resolver_req *prev, *next;
    struct job *job;
    resolver_done_cb cb;
    void *arg;
};

struct job {
    struct resolver *r;
    struct job *hnext, *hprev; /* hash bucket, while in flight */
    struct job *parent;        /* the job this one resolves a server name for */
    uv_timer_t deadline, kick;
    int nopen;
    bool done, hashed;
    bool resend;     /* the kick timer sends to the next server */
    bool skip_cache; /* a prefetch: ask even though the cache has it */
    uint32_t hash;
    uint8_t qname[DNS_NAME_MAXLEN];
    uint16_t qtype, qclass;
    struct resolver_req *waiters;
    unsigned depth;
    uint64_t deadline_at;
    /* Iteration. */
    uint8_t sname[DNS_NAME_MAXLEN];
    unsigned ncname, nreferrals, nupstream, upstream_limit;
    uint8_t zone[DNS_NAME_MAXLEN];
    bool forward;
    struct server ns[MAX_NS];
    size_t nns;
    struct upstream_query *uq;
    size_t uq_ns, uq_addr;
    struct resolver_req *subreq;
    size_t sub_ns;
    struct job *subjob;
    struct resolver_answer ans;
};

struct infra {
    struct net_addr addr;
    uint32_t srtt, rto;
    uint64_t used;
};

struct resolver {
    uv_loop_t *loop;
    struct dns_cache *cache;
    struct resolver_config cfg;
    struct resolver_forward *fwd;
    size_t nfwd;
    struct roothints hints;
    struct job *buckets[JOB_BUCKETS];
    size_t njobs; /* jobs not yet freed */
    bool closing;
    struct upstream_stats ustats;
    struct resolver_stats stats;
    struct infra infra[INFRA_MAX];
    size_t ninfra;
    uint64_t tick;
    uint8_t scratch[ANSWER_MAX];
    uint8_t blob[BLOB_MAX]; /* one RRset being built or looked up */
    uint8_t rdbuf[65535];   /* one record's RDATA, decompressed */
};

static const uint8_t root_name[1] = {0};

/* ---- answers ------------------------------------------------------------ */

static int ans_add(struct resolver_answer *a, int sec, const uint8_t *blob, size_t len)
{
    if (a->nsets == ANSWER_MAXSETS)
        return -E2BIG;
    if (len > a->cap - a->len) {
        if (a->fixed || a->len + len > ANSWER_MAX)
            return -E2BIG;
        size_t ncap = a->cap ? a->cap : 1024;
        while (ncap < a->len + len)
            ncap *= 2;
        uint8_t *nb = realloc(a->buf, ncap);
        if (!nb)
            return -ENOMEM;
        a->buf = nb;
        a->cap = ncap;
    }
    memcpy(a->buf + a->len, blob, len);
    a->set[a->nsets].sec = (uint8_t)sec;
    a->set[a->nsets].off = a->len;
    a->set[a->nsets].len = len;
    a->nsets++;
    a->len += len;
    return 0;
}

static void ans_reset(struct resolver_answer *a)
{
    a->nsets = 0;
    a->len = 0;
    a->rcode = 0;
    a->stale = false;
}

int resolver_answer_write(const struct resolver_answer *a, struct dns_wr *d)
{
    /* The first answer RRset is owned by the question: take the client's
     * own spelling from the question already in d (RFC 1035 4.1.2). */
    uint8_t qcase[DNS_NAME_MAXLEN];
    const uint8_t *qowner = NULL;
    if (d->count[DNS_SEC_QD] > 0) {
        struct wire_rd r;
        wire_rd_init(&r, d->w.buf, d->w.pos);
        wire_rd_seek(&r, DNS_HDR_LEN);
        if (dns_name_decode(&r, qcase, NULL) == 0 && dns_name_eq(qcase, a->qname))
            qowner = qcase;
    }
    bool first = true;
    for (size_t i = 0; i < a->nsets; i++) {
        struct rrset_view v;
        if (rrset_view(a->buf + a->set[i].off, a->set[i].len, &v) < 0)
            return -EBADMSG;
        const uint8_t *owner = NULL;
        if (first && a->set[i].sec == DNS_SEC_AN) {
            first = false;
            if (dns_name_eq(v.owner, a->qname))
                owner = qowner ? qowner : a->qname;
        }
        int rc = rrset_write(d, a->set[i].sec, &v, owner, v.ttl);
        if (rc == -EBADMSG)
            return rc;
        if (rc < 0)
            break; /* truncated: TC is set, the rest cannot follow */
    }
    d->hdr.rcode = a->rcode;
    return 0;
}

uint8_t resolver_answer_rcode(const struct resolver_answer *a)
{
    return a->rcode;
}

void resolver_stats_get(const struct resolver *r, struct resolver_stats *s)
{
    *s = r->stats;
    s->upstream_udp = r->ustats.sent_udp;
    s->upstream_tcp = r->ustats.sent_tcp;
    s->upstream_ignored = r->ustats.ignored;
    s->upstream_timeouts = r->ustats.timeouts;
}

/* ---- the cache walk (fast path, job start, serve-stale) ----------------- */

/*
 * Follows qname through the cache: positive RRset, NODATA, NXDOMAIN, or a
 * CNAME to follow.  Appends what it finds to a.  Returns 1 when the answer
 * is complete (a->rcode set), 0 when the chain ends at a name the cache
 * knows nothing about (*end set to it; a may hold the CNAMEs so far), or a
 * negative error (too long a chain, no room).  *prefetch (may be NULL)
 * gets the first RRset due for a prefetch.
 */
static int cache_walk(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                      int flags, struct resolver_answer *a, unsigned *ncname, uint8_t *end,
                      bool *stale, uint8_t *prefetch_name, uint16_t *prefetch_type)
{
    /* TYPE 0 is reserved (RFC 6895 3.1) and is where NXDOMAIN entries
     * live: never look it up as a question. */
    if (qtype == DNS_CACHE_NXDOMAIN)
        return -EINVAL;
    uint8_t cur[DNS_NAME_MAXLEN];
    memcpy(cur, qname, dns_name_len(qname));
    for (;;) {
        struct dns_cache_entry e;
        int rc = dns_cache_get(r->cache, cur, qtype, qclass, flags, r->blob, sizeof(r->blob), &e);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *stale = *stale || e.stale;
            if (e.prefetch && prefetch_name && *prefetch_type == 0) {
                memcpy(prefetch_name, cur, dns_name_len(cur));
                *prefetch_type = qtype;
            }
            if (e.set.nrr > 0) {
                rc = ans_add(a, e.negative ? DNS_SEC_NS : DNS_SEC_AN, r->blob, e.set.len);
                if (rc < 0)
                    return rc;
            }
            a->rcode = DNS_RCODE_NOERROR;
            return 1;
        }
        if (qtype != DNS_TYPE_CNAME) {
            rc = dns_cache_get(r->cache, cur, DNS_TYPE_CNAME, qclass, flags, r->blob,
                               sizeof(r->blob), &e);
            if (rc < 0)
                return rc;
            if (rc == 1 && !e.negative) {
                struct wire_rd it;
                const uint8_t *rd;
                uint16_t rdlen;
                wire_rd_init(&it, e.set.rdata, e.set.rdata_len);
                if (rrset_rdata_next(&it, &rd, &rdlen) != 1)
                    return -EBADMSG;
                if (++*ncname > r->cfg.max_cname)
                    return -E2BIG;
                *stale = *stale || e.stale;
                rc = ans_add(a, DNS_SEC_AN, r->blob, e.set.len);
                if (rc < 0)
                    return rc;
                if (rrset_rdata_name(rd, rdlen, cur) < 0)
                    return -EBADMSG;
                continue;
            }
        }
        rc = dns_cache_get(r->cache, cur, DNS_CACHE_NXDOMAIN, qclass, flags, r->blob,
                           sizeof(r->blob), &e);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *stale = *stale || e.stale;
            if (e.set.nrr > 0) {
                rc = ans_add(a, DNS_SEC_NS, r->blob, e.set.len);
                if (rc < 0)
                    return rc;
            }
            a->rcode = DNS_RCODE_NXDOMAIN;
            return 1;
        }
        memcpy(end, cur, dns_name_len(cur));
        return 0;
    }
}

/* ---- jobs --------------------------------------------------------------- */

static uint32_t job_hash(const uint8_t *name, uint16_t type, uint16_t rclass)
{
    uint32_t h = 2166136261u;
    size_t n = dns_name_len(name);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)(ch + 32);
        h = (h ^ ch) * 16777619u;
    }
    h = (h ^ type) * 16777619u;
    return (h ^ rclass) * 16777619u;
}

static struct job *job_find(struct resolver *r, const uint8_t *name, uint16_t type, uint16_t rclass)
{
    uint32_t h = job_hash(name, type, rclass);
    for (struct job *j = r->buckets[h % JOB_BUCKETS]; j; j = j->hnext)
        if (j->hash == h && j->qtype == type && j->qclass == rclass && dns_name_eq(j->qname, name))
            return j;
    return NULL;
}

static void job_unhash(struct job *j)
{
    if (!j->hashed)
        return;
    j->hashed = false;
    if (j->hprev)
        j->hprev->hnext = j->hnext;
    else
        j->r->buckets[j->hash % JOB_BUCKETS] = j->hnext;
    if (j->hnext)
        j->hnext->hprev = j->hprev;
}

static void job_closed(uv_handle_t *h)
{
    struct job *j = h->data;
    if (--j->nopen > 0)
        return;
    struct resolver *r = j->r;
    free(j->ans.buf);
    free(j);
    if (--r->njobs == 0 && r->closing)
        free(r);
}

static void job_send(struct job *j);
static void job_step(struct job *j);
static struct job *job_start(struct resolver *r, const uint8_t *qname, uint16_t qtype,
                             uint16_t qclass, struct job *parent);
static void req_unlink(struct resolver_req *q);

/* Takes the first waiter off j. */
static struct resolver_req *waiter_pop(struct job *j)
{
    struct resolver_req *q = j->waiters;
    if (!q)
        return NULL;
    j->waiters = q->next;
    if (q->next)
        q->next->prev = NULL;
    q->next = NULL;
    return q;
}

/* Ends j: stops its work, answers its waiters, and closes it.  Waiters are
 * taken off one at a time, so a callback may cancel others or start new
 * resolutions (which never join j: it is unhashed first). */
static void job_finish(struct job *j, uint8_t rcode)
{
    if (j->done)
        return;
    j->done = true;
    struct resolver *r = j->r;
    job_unhash(j);
    upstream_query_cancel(j->uq);
    j->uq = NULL;
    if (j->subreq) {
        resolver_cancel(j->subreq);
        j->subreq = NULL;
    }
    if (j->subjob) {
        j->subjob->parent = NULL; /* it runs on for the cache, without us */
        j->subjob = NULL;
    }
    uv_timer_stop(&j->deadline);
    uv_timer_stop(&j->kick);
    j->ans.rcode = rcode;
    if (rcode == DNS_RCODE_SERVFAIL) {
        /* No half chains with a failure: SERVFAIL carries no records. */
        ans_reset(&j->ans);
        j->ans.rcode = DNS_RCODE_SERVFAIL;
        r->stats.servfail++;
        /* RFC 8767 4: expired data rather than no answer. */
        if (dns_cache_config(r->cache)->serve_stale) {
            struct resolver_answer *a = &j->ans;
            ans_reset(a);
            unsigned n = 0;
            bool stale = false;
            uint8_t end[DNS_NAME_MAXLEN];
            if (cache_walk(r, j->qname, j->qtype, j->qclass, DNS_CACHE_STALE_OK, a, &n, end, &stale,
                           NULL, NULL) == 1) {
                a->stale = true;
                r->stats.stale_answers++;
            } else {
                ans_reset(a);
                a->rcode = DNS_RCODE_SERVFAIL;
            }
        }
    }
    struct resolver_req *q;
    while ((q = waiter_pop(j)) != NULL) {
        resolver_done_cb cb = q->cb;
        void *arg = q->arg;
        free(q);
        if (!r->closing)
            cb(arg, &j->ans); /* after resolver_close, nobody is told */
    }
    if (!uv_is_closing((uv_handle_t *)&j->deadline)) {
        uv_close((uv_handle_t *)&j->deadline, job_closed);
        uv_close((uv_handle_t *)&j->kick, job_closed);
    }
}

static void on_deadline(uv_timer_t *t)
{
    struct job *j = t->data;
    job_finish(j, DNS_RCODE_SERVFAIL);
}

static void on_kick(uv_timer_t *t)
{
    struct job *j = t->data;
    if (j->resend) {
        j->resend = false;
        job_send(j);
        return;
    }
    job_step(j);
}

/* ---- server selection ---------------------------------------------------- */

static struct infra *infra_get(struct resolver *r, const struct net_addr *a, bool create)
{
    struct infra *old = NULL;
    for (size_t i = 0; i < r->ninfra; i++) {
        if (net_addr_eq(&r->infra[i].addr, a)) {
            r->infra[i].used = ++r->tick;
            return &r->infra[i];
        }
        if (!old || r->infra[i].used < old->used)
            old = &r->infra[i];
    }
    if (!create)
        return NULL;
    if (r->ninfra < INFRA_MAX)
        old = &r->infra[r->ninfra++];
    old->addr = *a;
    old->srtt = 0;
    old->rto = RTO_INITIAL;
    old->used = ++r->tick;
    return old;
}

static unsigned infra_rto(struct resolver *r, const struct net_addr *a)
{
    struct infra *e = infra_get(r, a, false);
    return e ? e->rto : RTO_INITIAL;
}

static void infra_reply(struct resolver *r, const struct net_addr *a, uint64_t rtt)
{
    struct infra *e = infra_get(r, a, true);
    uint32_t ms = rtt > RTO_MAX ? RTO_MAX : (uint32_t)rtt;
    /* Smoothed RTT with gain 3/10, as Unbound's infra cache roughly. */
    e->srtt = e->srtt ? (e->srtt * 7 + ms * 3) / 10 : ms;
    uint32_t rto = e->srtt * 2 + 100;
    e->rto = rto < RTO_MIN ? RTO_MIN : rto > RTO_MAX ? RTO_MAX : rto;
}

static void infra_timeout(struct resolver *r, const struct net_addr *a)
{
    struct infra *e = infra_get(r, a, true);
    e->rto = e->rto * 2 > RTO_MAX ? RTO_MAX : e->rto * 2; /* exponential backoff */
}

static void add_server_addr(struct server *s, const struct net_addr *a)
{
    for (size_t k = 0; k < s->naddr; k++)
        if (net_addr_eq(&s->addr[k], a))
            return;
    if (s->naddr < MAX_NS_ADDR)
        s->addr[s->naddr++] = *a;
}

/* Adds the A and AAAA records of an RRset blob view to s. */
static void server_addrs_from(struct resolver *r, struct server *s, const struct rrset_view *v)
{
    struct wire_rd it;
    const uint8_t *rd;
    uint16_t rdlen;
    wire_rd_init(&it, v->rdata, v->rdata_len);
    while (rrset_rdata_next(&it, &rd, &rdlen) == 1) {
        struct net_addr a;
        memset(&a, 0, sizeof(a));
        if (v->type == DNS_TYPE_A && rdlen == 4) {
            a.family = AF_INET;
            memcpy(a.ip, rd, 4);
        } else if (v->type == DNS_TYPE_AAAA && rdlen == 16) {
            a.family = AF_INET6;
            memcpy(a.ip, rd, 16);
        } else {
            continue;
        }
        a.port = r->cfg.upstream_port ? r->cfg.upstream_port : 53;
        add_server_addr(s, &a);
    }
}

static void server_addrs_from_cache(struct resolver *r, struct server *s, uint16_t qclass)
{
    static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
    for (size_t t = 0; t < 2; t++) {
        struct dns_cache_entry e;
        if (dns_cache_get(r->cache, s->name, types[t], qclass, 0, r->blob, sizeof(r->blob), &e) ==
                1 &&
            !e.negative)
            server_addrs_from(r, s, &e.set);
    }
}

/* Sets j's servers from an NS RRset (a blob view); addresses from the
 * cache.  Returns the number of servers. */
static size_t servers_from_ns(struct job *j, const struct rrset_view *ns)
{
    struct resolver *r = j->r;
    /* Copy the view's records first: the cache lookups below reuse
     * r->blob, which ns may point into. */
    uint8_t names[MAX_NS][DNS_NAME_MAXLEN];
    size_t n = 0;
    struct wire_rd it;
    const uint8_t *rd;
    uint16_t rdlen;
    wire_rd_init(&it, ns->rdata, ns->rdata_len);
    while (n < MAX_NS && rrset_rdata_next(&it, &rd, &rdlen) == 1)
        if (rrset_rdata_name(rd, rdlen, names[n]) == 0)
            n++;
    j->nns = 0;
    for (size_t i = 0; i < n; i++) {
        struct server *s = &j->ns[j->nns++];
        memset(s, 0, sizeof(*s));
        memcpy(s->name, names[i], dns_name_len(names[i]));
        server_addrs_from_cache(r, s, j->qclass);
    }
    return j->nns;
}

static void servers_from_hints(struct job *j)
{
    struct resolver *r = j->r;
    j->nns = 0;
    for (size_t i = 0; i < r->hints.nns && j->nns < MAX_NS; i++) {
        struct server *s = &j->ns[j->nns++];
        memset(s, 0, sizeof(*s));
        memcpy(s->name, r->hints.ns[i].name, dns_name_len(r->hints.ns[i].name));
        for (size_t k = 0; k < r->hints.ns[i].naddr; k++) {
            struct net_addr a = r->hints.ns[i].addr[k];
            a.port = r->cfg.upstream_port ? r->cfg.upstream_port : 53;
            add_server_addr(s, &a);
        }
    }
}

static const struct resolver_forward *forward_for(struct resolver *r, const uint8_t *name)
{
    const struct resolver_forward *best = NULL;
    for (size_t i = 0; i < r->nfwd; i++)
        if (dns_name_is_sub(name, r->fwd[i].zone) &&
            (!best || dns_name_labels(r->fwd[i].zone) > dns_name_labels(best->zone)))
            best = &r->fwd[i];
    return best;
}

/* Finds where to ask about j->sname: a forward zone, the closest cached
 * delegation with a server we can reach, or the root hints. */
static void job_delegation(struct job *j)
{
    struct resolver *r = j->r;
    const struct resolver_forward *f = forward_for(r, j->sname);
    if (f) {
        j->forward = true;
        memcpy(j->zone, f->zone, dns_name_len(f->zone));
        j->nns = 1;
        struct server *s = &j->ns[0];
        memset(s, 0, sizeof(*s));
        memcpy(s->name, f->zone, dns_name_len(f->zone));
        for (size_t k = 0; k < f->nservers && k < MAX_NS_ADDR; k++) {
            s->addr[k] = f->servers[k];
            if (!s->addr[k].port)
                s->addr[k].port = 53;
        }
        s->naddr = f->nservers < MAX_NS_ADDR ? f->nservers : MAX_NS_ADDR;
        s->sub_done = true;
        return;
    }
    j->forward = false;
    const uint8_t *name = j->sname;
    for (;;) {
        struct dns_cache_entry e;
        if (dns_cache_get(r->cache, name, DNS_TYPE_NS, j->qclass, 0, r->blob, sizeof(r->blob),
                          &e) == 1 &&
            !e.negative) {
            /* Copy the owner: servers_from_ns reuses r->blob. */
            uint8_t zone[DNS_NAME_MAXLEN];
            memcpy(zone, name, dns_name_len(name));
            struct rrset_view v = e.set;
            uint8_t copy[BLOB_MAX > 8192 ? 8192 : BLOB_MAX];
            if (v.len <= sizeof(copy)) {
                memcpy(copy, r->blob, v.len);
                if (rrset_view(copy, v.len, &v) == 0 && servers_from_ns(j, &v) > 0) {
                    /* Usable if some server has an address, or some server
                     * lies outside the zone (we can resolve its name without
                     * this zone's glue). */
                    bool usable = false;
                    for (size_t i = 0; i < j->nns; i++)
                        usable =
                            usable || j->ns[i].naddr > 0 || !dns_name_is_sub(j->ns[i].name, zone);
                    if (usable) {
                        memcpy(j->zone, zone, dns_name_len(zone));
                        return;
                    }
                }
            }
        }
        if (name[0] == 0)
            break;
        name = dns_name_parent(name);
    }
    memcpy(j->zone, root_name, 1);
    servers_from_hints(j);
}

/* ---- replies ------------------------------------------------------------- */

/* Collects the RRset (owner, type, qclass) from section sec of m into
 * r->blob.  Returns its length, 0 if there is none, or a negative error.
 * *owner_out (may be NULL) gets the owner as spelled in the message. */
static int collect(struct resolver *r, const struct dns_msg *m, int sec, const uint8_t *owner,
                   uint16_t type, uint16_t qclass)
{
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, sec, &n);
    struct rrset_build b;
    bool begun = false;
    for (size_t i = 0; i < n; i++) {
        if (rr[i].type != type || rr[i].rclass != qclass)
            continue;
        uint8_t o[DNS_NAME_MAXLEN];
        if (dns_msg_rr_owner(m, &rr[i], o, NULL) < 0 || !dns_name_eq(o, owner))
            continue;
        size_t len;
        if (rrset_rdata_from_msg(m, &rr[i], r->rdbuf, sizeof(r->rdbuf), &len) < 0)
            return -EBADMSG;
        /* RFC 2181 8: a TTL with the top bit set is taken as zero. */
        uint32_t ttl = rr[i].ttl > INT32_MAX ? 0 : rr[i].ttl;
        if (!begun) {
            rrset_build_begin(&b, r->blob, sizeof(r->blob), o, type, qclass, ttl);
            begun = true;
        }
        rrset_build_add(&b, r->rdbuf, len, ttl);
    }
    if (!begun)
        return 0;
    return rrset_build_finish(&b);
}

/* The blob in r->blob, with its TTL clamped as the cache would, added to
 * the answer and cached at rank. */
static int use_blob(struct job *j, int len, int sec, uint8_t rank)
{
    struct resolver *r = j->r;
    struct rrset_view v;
    if (rrset_view(r->blob, (size_t)len, &v) < 0)
        return -EBADMSG;
    uint32_t ttl = dns_cache_clamp_ttl(r->cache, v.ttl);
    uint8_t *p = r->blob + dns_name_len(r->blob) + 4;
    p[0] = (uint8_t)(ttl >> 24);
    p[1] = (uint8_t)(ttl >> 16);
    p[2] = (uint8_t)(ttl >> 8);
    p[3] = (uint8_t)ttl;
    (void)dns_cache_put(r->cache, r->blob, (size_t)len, rank);
    if (sec < 0)
        return 0;
    return ans_add(&j->ans, sec, r->blob, (size_t)len);
}

/* The SOA of a negative answer: in the authority section, owned by a zone
 * inside the bailiwick that contains name.  Leaves it in r->blob; returns
 * its length, 0 if none, or an error.  *neg_ttl gets RFC 2308 5's
 * negative TTL, min(SOA TTL, SOA MINIMUM). */
static int negative_soa(struct job *j, const struct dns_msg *m, const uint8_t *bailiwick,
                        const uint8_t *name, uint32_t *neg_ttl)
{
    struct resolver *r = j->r;
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, DNS_SEC_NS, &n);
    for (size_t i = 0; i < n; i++) {
        if (rr[i].type != DNS_TYPE_SOA || rr[i].rclass != j->qclass)
            continue;
        uint8_t o[DNS_NAME_MAXLEN];
        if (dns_msg_rr_owner(m, &rr[i], o, NULL) < 0)
            continue;
        if (!dns_name_is_sub(o, bailiwick) || !dns_name_is_sub(name, o))
            continue; /* out of bailiwick: ignored (scrubbed) */
        struct dns_soa soa;
        if (dns_rr_soa(m, &rr[i], &soa) < 0)
            return -EBADMSG;
        int len = collect(r, m, DNS_SEC_NS, o, DNS_TYPE_SOA, j->qclass);
        if (len <= 0)
            return len < 0 ? len : -EBADMSG;
        uint32_t ttl = rr[i].ttl > INT32_MAX ? 0 : rr[i].ttl;
        *neg_ttl = ttl < soa.minimum ? ttl : soa.minimum;
        return len;
    }
    return 0;
}

/* A negative answer for name: SOA to the authority section, cached as
 * NXDOMAIN (type DNS_CACHE_NXDOMAIN) or NODATA (j->qtype). */
static void job_negative(struct job *j, const struct dns_msg *m, const uint8_t *bailiwick,
                         const uint8_t *name, bool nxdomain, bool aa)
{
    struct resolver *r = j->r;
    uint32_t neg_ttl = 0;
    int len = negative_soa(j, m, bailiwick, name, &neg_ttl);
    if (len > 0) {
        uint32_t cap = dns_cache_config(r->cache)->neg_max_ttl;
        if (neg_ttl > cap)
            neg_ttl = cap;
        uint8_t rank = aa ? DNS_RANK_AUTH_AUTHORITY : DNS_RANK_AUTHORITY;
        (void)dns_cache_put_negative(r->cache, name, nxdomain ? DNS_CACHE_NXDOMAIN : j->qtype,
                                     j->qclass, neg_ttl, rank, r->blob, (size_t)len);
        /* The SOA goes out with the negative TTL (RFC 2308 3). */
        uint8_t *p = r->blob + dns_name_len(r->blob) + 4;
        p[0] = (uint8_t)(neg_ttl >> 24);
        p[1] = (uint8_t)(neg_ttl >> 16);
        p[2] = (uint8_t)(neg_ttl >> 8);
        p[3] = (uint8_t)neg_ttl;
        if (ans_add(&j->ans, DNS_SEC_NS, r->blob, (size_t)len) < 0) {
            job_finish(j, DNS_RCODE_SERVFAIL);
            return;
        }
    }
    job_finish(j, nxdomain ? DNS_RCODE_NXDOMAIN : DNS_RCODE_NOERROR);
}

/* Marks the server just asked as useless for this delegation and tries
 * the next. */
static void server_failed(struct job *j)
{
    j->ns[j->uq_ns].failed[j->uq_addr] = true;
    job_send(j);
}

/* Follows a referral to the child zone owned by zone_cut (RFC 1034 5.3.3
 * step 4): caches the NS RRset and the glue inside the bailiwick of the
 * zone we asked, and starts over with the child's servers. */
static void job_referral(struct job *j, const struct dns_msg *m, const uint8_t *zone_cut)
{
    struct resolver *r = j->r;
    if (++j->nreferrals > r->cfg.max_referrals) {
        job_finish(j, DNS_RCODE_SERVFAIL);
        return;
    }
    int len = collect(r, m, DNS_SEC_NS, zone_cut, DNS_TYPE_NS, j->qclass);
    if (len <= 0) {
        server_failed(j);
        return;
    }
    (void)use_blob(j, len, -1, DNS_RANK_AUTHORITY);
    uint8_t bailiwick[DNS_NAME_MAXLEN];
    memcpy(bailiwick, j->zone, dns_name_len(j->zone));
    uint8_t nsblob[8192];
    if ((size_t)len > sizeof(nsblob)) {
        server_failed(j);
        return;
    }
    memcpy(nsblob, r->blob, (size_t)len);
    struct rrset_view v;
    if (rrset_view(nsblob, (size_t)len, &v) < 0 || servers_from_ns(j, &v) == 0) {
        server_failed(j);
        return;
    }
    memcpy(j->zone, zone_cut, dns_name_len(zone_cut));
    /* Glue: only for server names inside the zone we asked; an address
     * for any other name is what a cache poisoner would send. */
    static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
    for (size_t i = 0; i < j->nns; i++) {
        struct server *s = &j->ns[i];
        if (!dns_name_is_sub(s->name, bailiwick))
            continue;
        for (size_t t = 0; t < 2; t++) {
            int glen = collect(r, m, DNS_SEC_AR, s->name, types[t], j->qclass);
            if (glen <= 0)
                continue;
            (void)use_blob(j, glen, -1, DNS_RANK_ADDITIONAL);
            if (rrset_view(r->blob, (size_t)glen, &v) == 0)
                server_addrs_from(r, s, &v);
        }
    }
    job_send(j);
}

/* Finds a DNAME in the answer section owned by a proper ancestor of name
 * inside the bailiwick; leaves its RRset in r->blob and its owner in owner.
 * One pass over the section's DNAME records, so a hostile reply costs
 * O(records) per chain link. */
static int find_dname(struct job *j, const struct dns_msg *m, const uint8_t *name,
                      const uint8_t *bailiwick, uint8_t *owner)
{
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, DNS_SEC_AN, &n);
    for (size_t i = 0; i < n; i++) {
        uint8_t o[DNS_NAME_MAXLEN];
        if (rr[i].type != DNS_TYPE_DNAME || rr[i].rclass != j->qclass ||
            dns_msg_rr_owner(m, &rr[i], o, NULL) < 0)
            continue;
        if (!dns_name_is_sub(name, o) || dns_name_eq(name, o) || !dns_name_is_sub(o, bailiwick))
            continue;
        memcpy(owner, o, dns_name_len(o));
        return collect(j->r, m, DNS_SEC_AN, o, DNS_TYPE_DNAME, j->qclass);
    }
    return 0;
}

/* RFC 6672 2.2: name with the DNAME owner's suffix replaced by the
 * target.  -E2BIG if the result is longer than 255 (YXDOMAIN). */
static int dname_subst(const uint8_t *name, const uint8_t *owner, const uint8_t *target,
                       uint8_t *out)
{
    size_t nl = dns_name_len(name), ol = dns_name_len(owner), tl = dns_name_len(target);
    size_t prefix = nl - ol;
    if (prefix + tl > DNS_NAME_MAXLEN)
        return -E2BIG;
    memmove(out, name, prefix);
    memcpy(out + prefix, target, tl);
    return 0;
}

static void handle_reply(struct job *j, const struct dns_msg *m)
{
    struct resolver *r = j->r;
    uint16_t rcode = dns_msg_rcode(m);
    if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) {
        server_failed(j); /* SERVFAIL, REFUSED, NOTIMP, FORMERR: next server */
        return;
    }
    bool aa = m->hdr.aa;
    /* A forwarder answers for the whole tree; a zone's server only for its
     * zone. */
    const uint8_t *bailiwick = j->forward ? root_name : j->zone;
    uint8_t rank = aa ? DNS_RANK_AUTH_ANSWER : DNS_RANK_ANSWER;

    /* RFC 1034 5.3.3 step 4a, with the CNAME/DNAME chain (RFC 6672). */
    uint8_t cur[DNS_NAME_MAXLEN];
    memcpy(cur, j->sname, dns_name_len(j->sname));
    bool progressed = false;
    for (;;) {
        if (!dns_name_is_sub(cur, bailiwick))
            break;
        int len = collect(r, m, DNS_SEC_AN, cur, j->qtype, j->qclass);
        if (len < 0)
            goto bad;
        if (len > 0) {
            if (use_blob(j, len, DNS_SEC_AN, rank) < 0)
                goto fail;
            job_finish(j, DNS_RCODE_NOERROR);
            return;
        }
        if (j->qtype == DNS_TYPE_CNAME)
            break;
        uint8_t next[DNS_NAME_MAXLEN];
        /* RFC 6672 3.2: the DNAME rules; a CNAME sent with it is the
         * server's synthesis, which we redo ourselves. */
        uint8_t downer[DNS_NAME_MAXLEN];
        len = find_dname(j, m, cur, bailiwick, downer);
        if (len < 0)
            goto bad;
        if (len > 0) {
            struct rrset_view v;
            struct wire_rd it;
            const uint8_t *rd;
            uint16_t rdlen;
            uint8_t target[DNS_NAME_MAXLEN];
            if (rrset_view(r->blob, (size_t)len, &v) < 0 || v.nrr != 1)
                goto bad;
            wire_rd_init(&it, v.rdata, v.rdata_len);
            if (rrset_rdata_next(&it, &rd, &rdlen) != 1 || rrset_rdata_name(rd, rdlen, target) < 0)
                goto bad;
            if (++j->ncname > r->cfg.max_cname || dname_subst(cur, downer, target, next) < 0)
                goto fail;
            uint32_t ttl = v.ttl;
            if (use_blob(j, len, DNS_SEC_AN, rank) < 0)
                goto fail;
            /* The synthesised CNAME (RFC 6672 3.1), cached like any CNAME
             * so the fast path follows it. */
            struct rrset_build b;
            rrset_build_begin(&b, r->blob, sizeof(r->blob), cur, DNS_TYPE_CNAME, j->qclass, ttl);
            rrset_build_add(&b, next, dns_name_len(next), ttl);
            len = rrset_build_finish(&b);
            if (len < 0 || use_blob(j, len, DNS_SEC_AN, rank) < 0)
                goto fail;
            memcpy(cur, next, dns_name_len(next));
            progressed = true;
            continue;
        }
        len = collect(r, m, DNS_SEC_AN, cur, DNS_TYPE_CNAME, j->qclass);
        if (len < 0)
            goto bad;
        if (len > 0) {
            struct rrset_view v;
            struct wire_rd it;
            const uint8_t *rd;
            uint16_t rdlen;
            if (rrset_view(r->blob, (size_t)len, &v) < 0 || v.nrr != 1)
                goto bad; /* RFC 2181 10.1: one CNAME per name */
            wire_rd_init(&it, v.rdata, v.rdata_len);
            if (rrset_rdata_next(&it, &rd, &rdlen) != 1 || rrset_rdata_name(rd, rdlen, next) < 0)
                goto bad;
            if (++j->ncname > r->cfg.max_cname)
                goto fail;
            if (use_blob(j, len, DNS_SEC_AN, rank) < 0)
                goto fail;
            memcpy(cur, next, dns_name_len(next));
            progressed = true;
            continue;
        }
        break;
    }
    if (progressed) {
        memcpy(j->sname, cur, dns_name_len(cur));
        /* The same reply may say the target does not exist or has no data
         * (the target is in the same zone). */
        if (dns_name_is_sub(cur, bailiwick) && (rcode == DNS_RCODE_NXDOMAIN || aa)) {
            uint32_t t;
            if (rcode == DNS_RCODE_NXDOMAIN || negative_soa(j, m, bailiwick, cur, &t) > 0) {
                job_negative(j, m, bailiwick, cur, rcode == DNS_RCODE_NXDOMAIN, aa);
                return;
            }
        }
        /* Otherwise resolve the target from the top (it may be anywhere). */
        job_step(j);
        return;
    }
    if (rcode == DNS_RCODE_NXDOMAIN) {
        job_negative(j, m, bailiwick, j->sname, true, aa);
        return;
    }
    /* A referral: NS records in the authority section for a zone strictly
     * below the one asked and above the name (RFC 1034 5.3.3 step 4b);
     * anything else there is ignored. */
    if (!j->forward && !aa) {
        size_t n;
        const struct dns_rr *rr = dns_msg_section(m, DNS_SEC_NS, &n);
        for (size_t i = 0; i < n; i++) {
            uint8_t o[DNS_NAME_MAXLEN];
            if (rr[i].type != DNS_TYPE_NS || rr[i].rclass != j->qclass ||
                dns_msg_rr_owner(m, &rr[i], o, NULL) < 0)
                continue;
            if (dns_name_is_sub(j->sname, o) && dns_name_is_sub(o, j->zone) &&
                dns_name_labels(o) > dns_name_labels(j->zone)) {
                job_referral(j, m, o);
                return;
            }
        }
    }
    uint32_t t;
    int soa = negative_soa(j, m, bailiwick, j->sname, &t);
    if (soa < 0)
        goto bad;
    if (soa > 0 || aa || j->forward) {
        job_negative(j, m, bailiwick, j->sname, false, aa); /* NODATA, RFC 2308 2.2 */
        return;
    }
    /* A lame or upward referral, or an empty non-authoritative reply. */
    server_failed(j);
    return;
bad:
    server_failed(j);
    return;
fail:
    job_finish(j, DNS_RCODE_SERVFAIL);
}

static void on_upstream(void *arg, int status, const struct dns_msg *m, uint64_t rtt)
{
    struct job *j = arg;
    j->uq = NULL;
    const struct net_addr *a = &j->ns[j->uq_ns].addr[j->uq_addr];
    if (status < 0) {
        if (status == -ETIMEDOUT)
            infra_timeout(j->r, a);
        else
            j->ns[j->uq_ns].failed[j->uq_addr] = true;
        job_send(j);
        return;
    }
    infra_reply(j->r, a, rtt);
    handle_reply(j, m);
}

/* A glueless server name was resolved (or not). */
static void on_sub_done(void *arg, const struct resolver_answer *a)
{
    struct job *j = arg;
    j->subreq = NULL;
    if (j->subjob) {
        j->nupstream += j->subjob->nupstream;
        j->subjob = NULL;
    }
    struct server *s = &j->ns[j->sub_ns];
    for (size_t i = 0; i < a->nsets; i++) {
        struct rrset_view v;
        if (a->set[i].sec == DNS_SEC_AN &&
            rrset_view(a->buf + a->set[i].off, a->set[i].len, &v) == 0)
            server_addrs_from(j->r, s, &v);
    }
    job_send(j);
}

/* True if j or one of the jobs it works for is resolving (name, type). */
static bool in_ancestry(const struct job *j, const uint8_t *name, uint16_t type)
{
    for (; j; j = j->parent)
        if (j->qtype == type && dns_name_eq(j->qname, name))
            return true;
    return false;
}

static void job_send(struct job *j)
{
    struct resolver *r = j->r;
    if (j->done)
        return;
    if (j->nupstream >= j->upstream_limit) {
        job_finish(j, DNS_RCODE_SERVFAIL);
        return;
    }
    /* Best untried address: fewest tries first, then lowest RTO. */
    size_t bi = 0, bk = 0;
    unsigned best = UINT32_MAX;
    for (size_t i = 0; i < j->nns; i++) {
        for (size_t k = 0; k < j->ns[i].naddr; k++) {
            struct server *s = &j->ns[i];
            if (s->failed[k] || s->tries[k] >= TRIES_PER_ADDR)
                continue;
            unsigned score = s->tries[k] * 100000u + infra_rto(r, &s->addr[k]);
            if (score < best) {
                best = score;
                bi = i;
                bk = k;
            }
        }
    }
    if (best != UINT32_MAX) {
        struct server *s = &j->ns[bi];
        uint64_t now = uv_now(r->loop);
        uint64_t left = j->deadline_at > now ? j->deadline_at - now : 1;
        unsigned rto = infra_rto(r, &s->addr[bk]);
        struct upstream_params p = {
            .to = s->addr[bk],
            .qname = j->sname,
            .qtype = j->qtype,
            .qclass = j->qclass,
            .rd = j->forward,
            .use_0x20 = r->cfg.use_0x20,
            .edns = true,
            .timeout_ms = rto < left ? rto : (unsigned)left,
        };
        s->tries[bk]++;
        j->nupstream++;
        j->uq_ns = bi;
        j->uq_addr = bk;
        int rc = upstream_query_start(r->loop, &p, on_upstream, j, &r->ustats, &j->uq);
        if (rc < 0) {
            j->uq = NULL;
            s->failed[bk] = true;
            /* Not re-entrant: the next attempt is a fresh loop turn away. */
            j->resend = true;
            uv_timer_start(&j->kick, on_kick, 0, 0);
        }
        return;
    }
    /* No address left: resolve a server name we have no address for
     * (RFC 1034 5.3.3 step 4c, "glueless" delegations). */
    if (j->depth < MAX_SUB_DEPTH) {
        for (size_t i = 0; i < j->nns; i++) {
            struct server *s = &j->ns[i];
            if (s->naddr > 0 || s->sub_done)
                continue;
            s->sub_done = true;
            /* A name under the zone needs this zone's glue: resolving it
             * through the zone would loop. */
            if (dns_name_is_sub(s->name, j->zone) || in_ancestry(j, s->name, DNS_TYPE_A))
                continue;
            struct job *sub = job_find(r, s->name, DNS_TYPE_A, j->qclass);
            bool fresh = false;
            if (!sub) {
                sub = job_start(r, s->name, DNS_TYPE_A, j->qclass, j);
                if (!sub)
                    break;
                fresh = true;
            }
            struct resolver_req *q = calloc(1, sizeof(*q));
            if (!q)
                break;
            q->job = sub;
            q->cb = on_sub_done;
            q->arg = j;
            q->next = sub->waiters;
            if (sub->waiters)
                sub->waiters->prev = q;
            sub->waiters = q;
            j->subreq = q;
            j->sub_ns = i;
            j->subjob = fresh ? sub : NULL;
            return;
        }
    }
    job_finish(j, DNS_RCODE_SERVFAIL);
}

/* Answers what the cache knows along the chain, else picks the servers to
 * ask about the current name. */
static void job_step(struct job *j)
{
    if (j->done)
        return;
    struct resolver *r = j->r;
    uint8_t end[DNS_NAME_MAXLEN];
    bool stale = false;
    int rc = 0;
    if (j->skip_cache) {
        j->skip_cache = false;
        memcpy(end, j->sname, dns_name_len(j->sname));
    } else {
        rc = cache_walk(r, j->sname, j->qtype, j->qclass, 0, &j->ans, &j->ncname, end, &stale, NULL,
                        NULL);
    }
    if (rc == 1) {
        job_finish(j, j->ans.rcode);
        return;
    }
    if (rc < 0) {
        job_finish(j, DNS_RCODE_SERVFAIL);
        return;
    }
    memcpy(j->sname, end, dns_name_len(end));
    job_delegation(j);
    job_send(j);
}

static struct job *job_start(struct resolver *r, const uint8_t *qname, uint16_t qtype,
                             uint16_t qclass, struct job *parent)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->r = r;
    size_t nlen = dns_name_len(qname);
    memcpy(j->qname, qname, nlen);
    memcpy(j->sname, qname, nlen);
    memcpy(j->ans.qname, qname, nlen);
    j->qtype = qtype;
    j->qclass = qclass;
    j->parent = parent;
    uint64_t now = uv_now(r->loop);
    if (parent) {
        j->depth = parent->depth + 1;
        j->deadline_at = parent->deadline_at;
        unsigned used = parent->nupstream;
        j->upstream_limit = used < parent->upstream_limit ? parent->upstream_limit - used : 1;
    } else {
        j->deadline_at = now + r->cfg.timeout_ms;
        j->upstream_limit = r->cfg.max_upstream;
    }
    if (uv_timer_init(r->loop, &j->deadline) < 0) {
        free(j);
        return NULL;
    }
    (void)uv_timer_init(r->loop, &j->kick); /* cannot fail once the first did */
    j->deadline.data = j;
    j->kick.data = j;
    j->nopen = 2;
    r->njobs++;
    r->stats.queries++;
    j->hash = job_hash(qname, qtype, qclass);
    j->hashed = true;
    struct job **b = &r->buckets[j->hash % JOB_BUCKETS];
    j->hnext = *b;
    if (*b)
        (*b)->hprev = j;
    *b = j;
    uint64_t left = j->deadline_at > now ? j->deadline_at - now : 0;
    uv_timer_start(&j->deadline, on_deadline, left, 0);
    uv_timer_start(&j->kick, on_kick, 0, 0);
    return j;
}

/* ---- the API ------------------------------------------------------------- */

struct resolver *resolver_new(uv_loop_t *loop, const struct resolver_config *cfg,
                              struct dns_cache *cache, char *err, size_t errcap)
{
    struct resolver *r = calloc(1, sizeof(*r));
    if (!r) {
        if (err && errcap)
            (void)snprintf(err, errcap, "out of memory");
        return NULL;
    }
    r->loop = loop;
    r->cache = cache;
    r->cfg = *cfg;
    if (!r->cfg.timeout_ms)
        r->cfg.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!r->cfg.max_referrals)
        r->cfg.max_referrals = DEFAULT_REFERRALS;
    if (!r->cfg.max_cname)
        r->cfg.max_cname = DEFAULT_CNAME;
    if (!r->cfg.max_upstream)
        r->cfg.max_upstream = DEFAULT_UPSTREAM;
    if (cfg->nforwards) {
        r->fwd = calloc(cfg->nforwards, sizeof(*r->fwd));
        if (!r->fwd) {
            free(r);
            if (err && errcap)
                (void)snprintf(err, errcap, "out of memory");
            return NULL;
        }
        memcpy(r->fwd, cfg->forwards, cfg->nforwards * sizeof(*r->fwd));
        r->nfwd = cfg->nforwards;
        for (size_t i = 0; i < r->nfwd; i++)
            if (r->fwd[i].nservers > RESOLVER_FORWARD_MAX_SERVERS)
                r->fwd[i].nservers = RESOLVER_FORWARD_MAX_SERVERS;
    }
    r->cfg.forwards = r->fwd;
    if (cfg->root_hints) {
        if (roothints_load(&r->hints, cfg->root_hints, err, errcap) < 0) {
            free(r->fwd);
            free(r);
            return NULL;
        }
    } else {
        roothints_builtin(&r->hints);
    }
    r->cfg.root_hints = NULL; /* not kept: the caller's string */
    return r;
}

void resolver_close(struct resolver *r)
{
    if (!r || r->closing)
        return;
    r->closing = true;
    free(r->fwd);
    r->fwd = NULL;
    r->nfwd = 0;
    for (size_t b = 0; b < JOB_BUCKETS; b++) {
        while (r->buckets[b]) {
            struct job *j = r->buckets[b];
            job_unhash(j);
            j->done = true;
            upstream_query_cancel(j->uq);
            j->uq = NULL;
            struct resolver_req *q;
            while ((q = waiter_pop(j)) != NULL)
                free(q);
            j->subreq = NULL;
            j->subjob = NULL;
            uv_close((uv_handle_t *)&j->deadline, job_closed);
            uv_close((uv_handle_t *)&j->kick, job_closed);
        }
    }
    if (r->njobs == 0)
        free(r);
}

static void req_unlink(struct resolver_req *q)
{
    struct job *j = q->job;
    if (q->prev)
        q->prev->next = q->next;
    else
        j->waiters = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

void resolver_cancel(struct resolver_req *req)
{
    if (!req)
        return;
    req_unlink(req);
    free(req);
}

int resolver_resolve(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                     resolver_done_cb cb, void *arg, struct resolver_req **out)
{
    struct resolver_req *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    struct job *j = job_find(r, qname, qtype, qclass);
    if (j) {
        r->stats.coalesced++;
    } else {
        j = job_start(r, qname, qtype, qclass, NULL);
        if (!j) {
            free(q);
            return -ENOMEM;
        }
    }
    q->job = j;
    q->cb = cb;
    q->arg = arg;
    /* Appended, so callbacks run in arrival order. */
    struct resolver_req **pp = &j->waiters;
    struct resolver_req *prev = NULL;
    while (*pp) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    q->prev = prev;
    *pp = q;
    if (out)
        *out = q;
    return 0;
}

int resolver_cached(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                    struct dns_wr *d)
{
    struct resolver_answer a;
    memset(&a, 0, sizeof(a));
    a.buf = r->scratch;
    a.cap = sizeof(r->scratch);
    a.fixed = true;
    memcpy(a.qname, qname, dns_name_len(qname));
    unsigned n = 0;
    bool stale = false;
    uint8_t end[DNS_NAME_MAXLEN], pname[DNS_NAME_MAXLEN];
    uint16_t ptype = 0;
    int rc = cache_walk(r, qname, qtype, qclass, 0, &a, &n, end, &stale, pname, &ptype);
    if (ptype != 0 && r->cfg.prefetch && !r->closing && !job_find(r, pname, ptype, qclass)) {
        /* Unbound's prefetch: refresh in the background; the client is
         * answered from the cache now. */
        struct job *j = job_start(r, pname, ptype, qclass, NULL);
        if (j) {
            j->skip_cache = true;
            r->stats.prefetches++;
        }
    }
    if (rc != 1)
        return 0;
    if (resolver_answer_write(&a, d) < 0)
        return 0;
    r->stats.cache_hits++;
    return 1;
}
