/*
 * unit.dnsd_resolver: the iterative resolver against fake authoritative
 * servers run in-process on the same loop, bound to 127.0.0.x on one
 * ephemeral port (resolver_config.upstream_port), with a private root in a
 * named.root file.  Loopback only.
 *
 * The hierarchy (each server on its own 127.0.0.x):
 *   .2   root         test. -> ns.test. (glue .3); evil. -> ns.evil. (.7)
 *   .3   test.        a.test. -> ns.a.test. (glue .4); b.test. -> ns.b.test.
 *                     (glue .5); g.test. -> ns.b.test. (no glue: glueless);
 *                     t.test. -> ns.evil. with spoofed glue 127.0.0.66
 *   .4   a.test.      data, CNAME into b.test., NXDOMAIN/NODATA, DNAME
 *   .5   b.test.      data, ns.b.test.
 *   .7   evil.        ns.evil. A 127.0.0.8
 *   .8   t.test. and g.test. data
 *   .66  a liar: answers everything with 6.6.6.6
 *   .9   forwarder for fwd.zone. (needs RD)
 *   .10  never answers
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_text.h"
#include "common/dns_write.h"
#include "dnsd/cache.h"
#include "dnsd/resolver.h"
#include "dnsd/upstream.h"
#include "testutil.h"

/* ---- fake authoritative servers ----------------------------------------- */

struct fake {
    const char *ip;
    const char *zone;
    const char *const *rr;                     /* "owner ttl TYPE rdata", NULL-terminated */
    const char *const *extra;                  /* added to the additional section of every reply */
    bool drop;                                 /* never answer */
    bool tc;                                   /* UDP replies are empty with TC */
    bool wrong_id_first;                       /* a forged reply with another ID first */
    bool wrong_port_first;                     /* a forged reply from another port first */
    bool lower_qname;                          /* echo the question lowercased */
    bool require_rd;                           /* a forwarder: REFUSED without RD */
    bool liar;                                 /* every A question: 6.6.6.6 */
    uint8_t rcode;                             /* if set, every reply has it (and nothing else) */
    void (*mangle)(uint8_t *msg, size_t *len); /* hostile rewrite of UDP replies */
    int nudp, ntcp;
    char last_q[64][DNS_NAME_TEXT_MAX]; /* questions seen (lowercase) */
    int nq;
    uv_udp_t udp, spoof;
    uv_tcp_t tcp;
    bool on;
};

static uint16_t port;

static void name_of(const char *text, uint8_t *out)
{
    ck_assert_msg(dns_name_from_text(text, strlen(text), out, NULL) == 0, "bad name %s", text);
}

/* One zone-file line. */
struct line {
    uint8_t owner[DNS_NAME_MAXLEN];
    uint32_t ttl;
    uint16_t type;
    char data[256];
};

static void parse_line(const char *s, struct line *l)
{
    char owner[256], type[16];
    unsigned ttl;
    int off = 0;
    ck_assert_int_ge(sscanf(s, "%255s %u %15s %n", owner, &ttl, type, &off), 3);
    name_of(owner, l->owner);
    l->ttl = ttl;
    ck_assert_int_eq(dns_type_from_text(type, &l->type), 0);
    (void)snprintf(l->data, sizeof(l->data), "%s", s + off);
}

static void write_line(struct dns_wr *d, const struct line *l, const uint8_t *owner)
{
    uint8_t n1[DNS_NAME_MAXLEN], n2[DNS_NAME_MAXLEN];
    uint8_t ip[16];
    char a[256], b[256];
    unsigned v[5];
    if (!owner)
        owner = l->owner;
    switch (l->type) {
    case DNS_TYPE_A:
        ck_assert_int_eq(inet_pton(AF_INET, l->data, ip), 1);
        dns_wr_rr(d, owner, l->type, DNS_CLASS_IN, l->ttl, ip, 4);
        break;
    case DNS_TYPE_AAAA:
        ck_assert_int_eq(inet_pton(AF_INET6, l->data, ip), 1);
        dns_wr_rr(d, owner, l->type, DNS_CLASS_IN, l->ttl, ip, 16);
        break;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
        name_of(l->data, n1);
        dns_wr_rr_begin(d, owner, l->type, DNS_CLASS_IN, l->ttl);
        dns_wr_rdata_name(d, n1);
        dns_wr_rr_end(d);
        break;
    case DNS_TYPE_DNAME:
        name_of(l->data, n1);
        dns_wr_rr(d, owner, l->type, DNS_CLASS_IN, l->ttl, n1, (uint16_t)dns_name_len(n1));
        break;
    case DNS_TYPE_SOA:
        ck_assert_int_eq(
            sscanf(l->data, "%255s %255s %u %u %u %u %u", a, b, &v[0], &v[1], &v[2], &v[3], &v[4]),
            7);
        name_of(a, n1);
        name_of(b, n2);
        dns_wr_rr_begin(d, owner, l->type, DNS_CLASS_IN, l->ttl);
        dns_wr_rdata_name(d, n1);
        dns_wr_rdata_name(d, n2);
        for (int i = 0; i < 5; i++)
            wire_wr_u32(&d->w, v[i]);
        dns_wr_rr_end(d);
        break;
    default: {
        uint8_t t[256];
        size_t n = strlen(l->data);
        t[0] = (uint8_t)n;
        memcpy(t + 1, l->data, n);
        dns_wr_rr(d, owner, l->type, DNS_CLASS_IN, l->ttl, t, (uint16_t)(n + 1));
    }
    }
}

static size_t nlines(const char *const *rr)
{
    size_t n = 0;
    while (rr && rr[n])
        n++;
    return n;
}

/* Authoritative logic of RFC 1034 4.3.2, in miniature. */
static void fake_answer(struct fake *f, const struct dns_msg *q, bool udp, uint8_t *out,
                        size_t *outlen)
{
    struct dns_wr d;
    ck_assert_int_eq(dns_reply_begin(&d, out, 4096, udp ? 1232 : 4096, q), 0);
    uint8_t qname[DNS_NAME_MAXLEN], zone[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_msg_qname(q, &q->qd[0], qname, NULL), 0);
    uint16_t qtype = q->qd[0].qtype;
    name_of(f->zone, zone);
    struct line *lines = calloc(nlines(f->rr) + 1, sizeof(*lines));
    size_t n = nlines(f->rr);
    for (size_t i = 0; i < n; i++)
        parse_line(f->rr[i], &lines[i]);
    if (f->lower_qname) {
        /* Rewrite the echoed question in lower case. */
        dns_name_lower(qname);
        memcpy(out + DNS_HDR_LEN, qname, dns_name_len(qname));
    }
    if (f->rcode || (f->require_rd && !q->hdr.rd) || !dns_name_is_sub(qname, zone)) {
        d.hdr.rcode = f->rcode ? f->rcode : DNS_RCODE_REFUSED;
        goto done;
    }
    if (udp && f->tc) {
        d.hdr.tc = true;
        goto done;
    }
    if (f->liar) {
        d.hdr.aa = true;
        static const uint8_t six[4] = {6, 6, 6, 6};
        dns_wr_rrset_begin(&d, DNS_SEC_AN);
        dns_wr_rr(&d, qname, DNS_TYPE_A, DNS_CLASS_IN, 300, six, 4);
        dns_wr_rrset_end(&d);
        goto done;
    }
    /* Delegation below the zone? */
    const uint8_t *cut = NULL;
    for (size_t i = 0; i < n; i++)
        if (lines[i].type == DNS_TYPE_NS && !dns_name_eq(lines[i].owner, zone) &&
            dns_name_is_sub(qname, lines[i].owner))
            cut = lines[i].owner;
    if (cut) {
        dns_wr_rrset_begin(&d, DNS_SEC_NS);
        for (size_t i = 0; i < n; i++)
            if (lines[i].type == DNS_TYPE_NS && dns_name_eq(lines[i].owner, cut))
                write_line(&d, &lines[i], NULL);
        dns_wr_rrset_end(&d);
        dns_wr_rrset_begin(&d, DNS_SEC_AR);
        for (size_t i = 0; i < n; i++) {
            if (lines[i].type != DNS_TYPE_NS || !dns_name_eq(lines[i].owner, cut))
                continue;
            uint8_t target[DNS_NAME_MAXLEN];
            name_of(lines[i].data, target);
            for (size_t k = 0; k < n; k++)
                if ((lines[k].type == DNS_TYPE_A || lines[k].type == DNS_TYPE_AAAA) &&
                    dns_name_eq(lines[k].owner, target))
                    write_line(&d, &lines[k], NULL);
        }
        dns_wr_rrset_end(&d);
        goto extra;
    }
    d.hdr.aa = true;
    uint8_t cur[DNS_NAME_MAXLEN];
    memcpy(cur, qname, dns_name_len(qname));
    bool found = false;
    dns_wr_rrset_begin(&d, DNS_SEC_AN);
    for (int hop = 0; hop < 16 && dns_name_is_sub(cur, zone); hop++) {
        bool cname = false;
        for (size_t i = 0; i < n; i++) {
            if (!dns_name_eq(lines[i].owner, cur))
                continue;
            if (lines[i].type == qtype) {
                write_line(&d, &lines[i], cur);
                found = true;
            }
        }
        if (found)
            break;
        for (size_t i = 0; i < n && !cname; i++) {
            if (dns_name_eq(lines[i].owner, cur) && lines[i].type == DNS_TYPE_CNAME) {
                write_line(&d, &lines[i], cur);
                name_of(lines[i].data, cur);
                cname = true;
            }
        }
        for (size_t i = 0; i < n && !cname; i++) {
            if (lines[i].type == DNS_TYPE_DNAME && dns_name_is_sub(cur, lines[i].owner) &&
                !dns_name_eq(cur, lines[i].owner)) {
                write_line(&d, &lines[i], NULL);
                uint8_t target[DNS_NAME_MAXLEN], next[DNS_NAME_MAXLEN];
                name_of(lines[i].data, target);
                size_t pre = dns_name_len(cur) - dns_name_len(lines[i].owner);
                memcpy(next, cur, pre);
                memcpy(next + pre, target, dns_name_len(target));
                dns_wr_rr_begin(&d, cur, DNS_TYPE_CNAME, DNS_CLASS_IN, lines[i].ttl);
                dns_wr_rdata_name(&d, next);
                dns_wr_rr_end(&d);
                memcpy(cur, next, dns_name_len(next));
                cname = true;
            }
        }
        if (!cname)
            break;
    }
    dns_wr_rrset_end(&d);
    if (!found && dns_name_is_sub(cur, zone)) {
        bool exists = false;
        for (size_t i = 0; i < n; i++)
            exists = exists || dns_name_is_sub(lines[i].owner, cur);
        if (!exists)
            d.hdr.rcode = DNS_RCODE_NXDOMAIN;
        dns_wr_rrset_begin(&d, DNS_SEC_NS);
        for (size_t i = 0; i < n; i++)
            if (lines[i].type == DNS_TYPE_SOA)
                write_line(&d, &lines[i], NULL);
        dns_wr_rrset_end(&d);
    }
extra:
    dns_wr_rrset_begin(&d, DNS_SEC_AR);
    for (size_t i = 0; i < nlines(f->extra); i++) {
        struct line l;
        parse_line(f->extra[i], &l);
        write_line(&d, &l, NULL);
    }
done:
    ck_assert_int_eq(dns_wr_finish(&d, outlen), 0);
    free(lines);
}

static bool fake_parse(struct fake *f, const uint8_t *buf, size_t len, struct dns_msg *m,
                       struct dns_question *qd, struct dns_rr *rr)
{
    memset(m, 0, sizeof(*m));
    m->qd = qd;
    m->qd_cap = 1;
    m->rr = rr;
    m->rr_cap = 8;
    if (dns_msg_parse(m, buf, len) < 0 || m->qd_n != 1 || m->hdr.qr)
        return false;
    uint8_t q[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_msg_qname(m, &m->qd[0], q, NULL), 0);
    dns_name_lower(q);
    if (f->nq < 64)
        ck_assert_int_eq(dns_name_to_text(q, f->last_q[f->nq++], DNS_NAME_TEXT_MAX, NULL), 0);
    return true;
}

static int fake_count(const struct fake *f, const char *qname)
{
    int n = 0;
    for (int i = 0; i < f->nq; i++)
        n += strcmp(f->last_q[i], qname) == 0;
    return n;
}

static void fake_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    *b = uv_buf_init(malloc(s), (unsigned)s);
}

static void fake_udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *addr, unsigned flags)
{
    (void)flags;
    struct fake *f = u->data;
    if (nread <= 0 || !addr) {
        free(buf->base);
        return;
    }
    struct dns_msg m;
    struct dns_question qd[1];
    struct dns_rr rr[8];
    if (!fake_parse(f, (const uint8_t *)buf->base, (size_t)nread, &m, qd, rr)) {
        free(buf->base);
        return;
    }
    f->nudp++;
    if (f->drop) {
        free(buf->base);
        return;
    }
    uint8_t out[4096];
    size_t len;
    if (f->wrong_id_first || f->wrong_port_first) {
        /* The forgery: a liar's answer, wrong in one respect only. */
        struct fake liar = *f;
        liar.liar = true;
        liar.extra = NULL;
        fake_answer(&liar, &m, true, out, &len);
        if (f->wrong_id_first) {
            out[1] ^= 1;
            uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
            ck_assert_int_ge(uv_udp_try_send(&f->udp, &b, 1, addr), 0);
        } else {
            uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
            ck_assert_int_ge(uv_udp_try_send(&f->spoof, &b, 1, addr), 0);
        }
    }
    fake_answer(f, &m, true, out, &len);
    if (f->mangle)
        f->mangle(out, &len);
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
    ck_assert_int_ge(uv_udp_try_send(&f->udp, &b, 1, addr), 0);
    free(buf->base);
}

struct fake_conn {
    uv_tcp_t tcp;
    struct fake *f;
    uint8_t buf[4096];
    size_t len;
    uv_write_t w;
    uint8_t out[4098];
};

static void conn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void conn_written(uv_write_t *w, int status)
{
    (void)status;
    struct fake_conn *c = w->data;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void conn_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)s;
    struct fake_conn *c = h->data;
    *b = uv_buf_init((char *)c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct fake_conn *c = s->data;
    if (nread < 0) {
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
        return;
    }
    c->len += (size_t)nread;
    if (c->len < 2 || c->len < 2 + ((size_t)c->buf[0] << 8 | c->buf[1]))
        return;
    uv_read_stop(s);
    struct dns_msg m;
    struct dns_question qd[1];
    struct dns_rr rr[8];
    size_t qlen = (size_t)c->buf[0] << 8 | c->buf[1];
    ck_assert(fake_parse(c->f, c->buf + 2, qlen, &m, qd, rr));
    c->f->ntcp++;
    size_t len;
    fake_answer(c->f, &m, false, c->out + 2, &len);
    c->out[0] = (uint8_t)(len >> 8);
    c->out[1] = (uint8_t)len;
    uv_buf_t b = uv_buf_init((char *)c->out, (unsigned)(len + 2));
    c->w.data = c;
    ck_assert_int_eq(uv_write(&c->w, s, &b, 1, conn_written), 0);
}

static void fake_accept(uv_stream_t *srv, int status)
{
    ck_assert_int_eq(status, 0);
    struct fake *f = srv->data;
    struct fake_conn *c = calloc(1, sizeof(*c));
    c->f = f;
    ck_assert_int_eq(uv_tcp_init(srv->loop, &c->tcp), 0);
    c->tcp.data = c;
    ck_assert_int_eq(uv_accept(srv, (uv_stream_t *)&c->tcp), 0);
    ck_assert_int_eq(uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read), 0);
}

/* Binds f on its address and the common port (picked by the first). */
static void fake_start(uv_loop_t *loop, struct fake *f)
{
    struct sockaddr_in sa;
    ck_assert_int_eq(uv_ip4_addr(f->ip, port, &sa), 0);
    ck_assert_int_eq(uv_udp_init(loop, &f->udp), 0);
    f->udp.data = f;
    ck_assert_int_eq(uv_udp_bind(&f->udp, (const struct sockaddr *)&sa, 0), 0);
    if (port == 0) {
        struct sockaddr_in got;
        int len = sizeof(got);
        ck_assert_int_eq(uv_udp_getsockname(&f->udp, (struct sockaddr *)&got, &len), 0);
        port = ntohs(got.sin_port);
        sa.sin_port = got.sin_port;
    }
    ck_assert_int_eq(uv_udp_recv_start(&f->udp, fake_alloc, fake_udp_recv), 0);
    ck_assert_int_eq(uv_tcp_init(loop, &f->tcp), 0);
    f->tcp.data = f;
    ck_assert_int_eq(uv_tcp_bind(&f->tcp, (const struct sockaddr *)&sa, 0), 0);
    ck_assert_int_eq(uv_listen((uv_stream_t *)&f->tcp, 16, fake_accept), 0);
    struct sockaddr_in any;
    ck_assert_int_eq(uv_ip4_addr(f->ip, 0, &any), 0);
    ck_assert_int_eq(uv_udp_init(loop, &f->spoof), 0);
    ck_assert_int_eq(uv_udp_bind(&f->spoof, (const struct sockaddr *)&any, 0), 0);
    f->on = true;
}

static void fake_stop(struct fake *f)
{
    if (!f->on)
        return;
    f->on = false;
    uv_close((uv_handle_t *)&f->udp, NULL);
    uv_close((uv_handle_t *)&f->tcp, NULL);
    uv_close((uv_handle_t *)&f->spoof, NULL);
}

/* ---- the hierarchy -------------------------------------------------------- */

static const char *const root_rr[] = {
    ". 86400 SOA a.root.test. admin.root. 1 1800 900 604800 86400",
    ". 86400 NS a.root.test.",
    "a.root.test. 86400 A 127.0.0.2",
    "test. 86400 NS ns.test.",
    "ns.test. 86400 A 127.0.0.3",
    "evil. 86400 NS ns.evil.",
    "ns.evil. 86400 A 127.0.0.7",
    NULL,
};
static const char *const test_rr[] = {
    "test. 3600 SOA ns.test. admin.test. 1 1800 900 604800 600",
    "test. 3600 NS ns.test.",
    "ns.test. 3600 A 127.0.0.3",
    "a.test. 3600 NS ns.a.test.",
    "ns.a.test. 3600 A 127.0.0.4",
    "b.test. 3600 NS ns.b.test.",
    "ns.b.test. 3600 A 127.0.0.5",
    "t.test. 3600 NS tns.evil.",
    "tns.evil. 3600 A 127.0.0.66", /* out of bailiwick glue for test. */
    "g.test. 3600 NS gns.evil.",   /* glueless */
    "d1.test. 3600 NS ns.d1.test.",
    "ns.d1.test. 3600 A 127.0.0.11",
    NULL,
};
static const char *const a_rr[] = {
    "a.test. 3600 SOA ns.a.test. admin.a.test. 1 1800 900 604800 300",
    "a.test. 3600 NS ns.a.test.",
    "ns.a.test. 3600 A 127.0.0.4",
    "www.a.test. 300 A 192.0.2.1",
    "www.a.test. 300 A 192.0.2.2",
    "alias.a.test. 300 CNAME www.b.test.",
    "c1.a.test. 300 CNAME c2.a.test.",
    "c2.a.test. 300 CNAME c3.a.test.",
    "c3.a.test. 300 CNAME c4.a.test.",
    "c4.a.test. 300 CNAME c5.a.test.",
    "c5.a.test. 300 A 192.0.2.5",
    "loop1.a.test. 300 CNAME loop2.a.test.",
    "loop2.a.test. 300 CNAME loop1.a.test.",
    "old.a.test. 300 DNAME new.b.test.",
    "txt.a.test. 300 TXT hello",
    "thisisaverylongname.a.test. 300 TXT hello",
    NULL,
};
static const char *const a_extra[] = {
    "www.victim.example. 300 A 6.6.6.6",
    NULL,
};
static const char *const b_rr[] = {
    "b.test. 3600 SOA ns.b.test. admin.b.test. 1 1800 900 604800 300",
    "b.test. 3600 NS ns.b.test.",
    "ns.b.test. 3600 A 127.0.0.5",
    "www.b.test. 300 A 192.0.2.20",
    "x.new.b.test. 300 A 192.0.2.21",
    NULL,
};
static const char *const evil_rr[] = {
    "evil. 3600 SOA ns.evil. admin.evil. 1 1800 900 604800 300",
    "evil. 3600 NS ns.evil.",
    "ns.evil. 3600 A 127.0.0.7",
    "tns.evil. 3600 A 127.0.0.8",
    "gns.evil. 3600 A 127.0.0.13",
    NULL,
};
static const char *const t_rr[] = {
    "t.test. 3600 SOA tns.evil. admin.t.test. 1 1800 900 604800 300",
    "t.test. 3600 NS tns.evil.",
    "www.t.test. 300 A 192.0.2.30",
    NULL,
};
static const char *const g_rr[] = {
    "g.test. 3600 SOA gns.evil. admin.g.test. 1 1800 900 604800 300",
    "g.test. 3600 NS gns.evil.",
    "www.g.test. 300 A 192.0.2.40",
    NULL,
};
static const char *const fwd_rr[] = {
    "fwd.zone. 3600 SOA ns.fwd.zone. admin.fwd.zone. 1 1800 900 604800 300",
    "www.fwd.zone. 300 A 192.0.2.50",
    NULL,
};
static const char *const d1_rr[] = {
    "d1.test. 3600 SOA ns.d1.test. admin.d1.test. 1 1800 900 604800 300",
    "d2.d1.test. 3600 NS ns.d2.d1.test.",
    "ns.d2.d1.test. 3600 A 127.0.0.12",
    NULL,
};
static const char *const d2_rr[] = {
    "d2.d1.test. 3600 SOA ns.d2.d1.test. admin.d1.test. 1 1800 900 604800 300",
    "www.d2.d1.test. 300 A 192.0.2.60",
    NULL,
};

enum {
    FK_ROOT,
    FK_TEST,
    FK_A,
    FK_B,
    FK_EVIL,
    FK_LIAR,
    FK_T,
    FK_FWD,
    FK_DEAD,
    FK_D1,
    FK_D2,
    FK_G,
    FK_N
};

struct world {
    uv_loop_t loop;
    struct fake f[FK_N];
    struct dns_cache *cache;
    struct resolver *r;
    char hints[64];
};

static struct world W;
static const struct dns_cache_config *world_cc; /* cache config override */
static bool world_clock;                        /* the cache runs on fake_now */
static uint64_t fake_now;

static uint64_t test_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static void world_up(struct resolver_config *cfg)
{
    memset(&W, 0, sizeof(W));
    port = 0;
    ck_assert_int_eq(uv_loop_init(&W.loop), 0);
    W.f[FK_ROOT] = (struct fake){.ip = "127.0.0.2", .zone = ".", .rr = root_rr};
    W.f[FK_TEST] = (struct fake){.ip = "127.0.0.3", .zone = "test.", .rr = test_rr};
    W.f[FK_A] = (struct fake){.ip = "127.0.0.4", .zone = "a.test.", .rr = a_rr, .extra = a_extra};
    W.f[FK_B] = (struct fake){.ip = "127.0.0.5", .zone = "b.test.", .rr = b_rr};
    W.f[FK_EVIL] = (struct fake){.ip = "127.0.0.7", .zone = "evil.", .rr = evil_rr};
    W.f[FK_LIAR] = (struct fake){.ip = "127.0.0.66", .zone = ".", .liar = true};
    W.f[FK_T] = (struct fake){.ip = "127.0.0.8", .zone = "t.test.", .rr = t_rr};
    W.f[FK_FWD] =
        (struct fake){.ip = "127.0.0.9", .zone = "fwd.zone.", .rr = fwd_rr, .require_rd = true};
    W.f[FK_DEAD] = (struct fake){.ip = "127.0.0.10", .zone = ".", .drop = true};
    W.f[FK_D1] = (struct fake){.ip = "127.0.0.11", .zone = "d1.test.", .rr = d1_rr};
    W.f[FK_D2] = (struct fake){.ip = "127.0.0.12", .zone = "d2.d1.test.", .rr = d2_rr};
    W.f[FK_G] = (struct fake){.ip = "127.0.0.13", .zone = "g.test.", .rr = g_rr};
    for (int i = 0; i < FK_N; i++)
        fake_start(&W.loop, &W.f[i]);
    strcpy(W.hints, "/tmp/labnet-hints-XXXXXX");
    int fd = mkstemp(W.hints);
    ck_assert_int_ge(fd, 0);
    static const char hints[] = "; private root\n"
                                ".            3600000  NS  A.ROOT.TEST.\n"
                                "A.ROOT.TEST. 3600000  A   127.0.0.2\n";
    ck_assert_int_eq(write(fd, hints, sizeof(hints) - 1), (ssize_t)sizeof(hints) - 1);
    close(fd);
    struct dns_cache_config cc = {.max_bytes = 1 << 20};
    W.cache = dns_cache_new(world_cc ? world_cc : &cc);
    ck_assert_ptr_nonnull(W.cache);
    if (world_clock) {
        fake_now = 1000;
        dns_cache_set_clock(W.cache, test_clock, NULL);
    }
    cfg->root_hints = W.hints;
    cfg->upstream_port = port;
    char err[256];
    W.r = resolver_new(&W.loop, cfg, W.cache, err, sizeof(err));
    ck_assert_msg(W.r != NULL, "resolver_new: %s", err);
    unlink(W.hints); /* read by resolver_new; gone even if a test fails */
}

static void world_down(void)
{
    resolver_close(W.r);
    for (int i = 0; i < FK_N; i++)
        fake_stop(&W.f[i]);
    ck_assert_int_eq(uv_run(&W.loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&W.loop), 0);
    dns_cache_free(W.cache);
}

/* ---- driving the resolver ------------------------------------------------ */

struct result {
    bool done;
    int calls;
    uint8_t rcode;
    uint8_t msg[65535];
    size_t len;
    struct dns_msg m;
    struct dns_question qd[1];
    struct dns_rr rr[64];
    uint64_t elapsed_ms;
    uint64_t started;
};

static void build_reply(struct result *res, const char *qname, uint16_t qtype,
                        const struct resolver_answer *a)
{
    uint8_t q[DNS_NAME_MAXLEN];
    name_of(qname, q);
    struct dns_wr d;
    dns_wr_init(&d, res->msg, sizeof(res->msg), sizeof(res->msg));
    struct dns_hdr h = {.id = 7, .qr = true, .rd = true, .ra = true};
    dns_wr_header(&d, &h);
    dns_wr_question(&d, q, qtype, DNS_CLASS_IN);
    if (a)
        ck_assert_int_eq(resolver_answer_write(a, &d), 0);
    ck_assert_int_eq(dns_wr_finish(&d, &res->len), 0);
    memset(&res->m, 0, sizeof(res->m));
    res->m.qd = res->qd;
    res->m.qd_cap = 1;
    res->m.rr = res->rr;
    res->m.rr_cap = 64;
    ck_assert_int_eq(dns_msg_parse(&res->m, res->msg, res->len), 0);
    res->rcode = res->m.hdr.rcode;
}

static const char *cur_qname;
static uint16_t cur_qtype;

static void on_done(void *arg, const struct resolver_answer *a)
{
    struct result *res = arg;
    res->calls++;
    res->done = true;
    res->elapsed_ms = (uv_hrtime() - res->started) / 1000000u;
    build_reply(res, cur_qname, cur_qtype, a);
}

static void run_until(bool *flag)
{
    uint64_t start = uv_hrtime();
    while (!*flag) {
        uv_run(&W.loop, UV_RUN_ONCE);
        ck_assert_msg(uv_hrtime() - start < 10000000000ull, "no answer in 10 s");
    }
}

static struct result *resolve(const char *qname, uint16_t qtype)
{
    struct result *res = calloc(1, sizeof(*res));
    uint8_t q[DNS_NAME_MAXLEN];
    name_of(qname, q);
    cur_qname = qname;
    cur_qtype = qtype;
    res->started = uv_hrtime();
    ck_assert_int_eq(resolver_resolve(W.r, q, qtype, DNS_CLASS_IN, on_done, res, NULL), 0);
    ck_assert(!res->done); /* never called from inside resolver_resolve */
    run_until(&res->done);
    return res;
}

/* The fast path: 1 and the reply, or 0. */
static int cached(const char *qname, uint16_t qtype, struct result *res)
{
    uint8_t q[DNS_NAME_MAXLEN];
    name_of(qname, q);
    struct dns_wr d;
    dns_wr_init(&d, res->msg, sizeof(res->msg), sizeof(res->msg));
    struct dns_hdr h = {.id = 7, .qr = true};
    dns_wr_header(&d, &h);
    dns_wr_question(&d, q, qtype, DNS_CLASS_IN);
    int rc = resolver_cached(W.r, q, qtype, DNS_CLASS_IN, &d);
    if (rc != 1)
        return rc;
    ck_assert_int_eq(dns_wr_finish(&d, &res->len), 0);
    memset(&res->m, 0, sizeof(res->m));
    res->m.qd = res->qd;
    res->m.qd_cap = 1;
    res->m.rr = res->rr;
    res->m.rr_cap = 64;
    ck_assert_int_eq(dns_msg_parse(&res->m, res->msg, res->len), 0);
    res->rcode = res->m.hdr.rcode;
    return 1;
}

/* The text of record i of section sec ("owner\tttl\tIN\tA\t192.0.2.1"). */
static const char *rr_text(struct result *res, int sec, size_t i)
{
    static char buf[1024];
    size_t n;
    const struct dns_rr *rr = dns_msg_section(&res->m, sec, &n);
    ck_assert_uint_lt(i, n);
    ck_assert_int_eq(dns_rr_to_text(&res->m, &rr[i], buf, sizeof(buf)), 0);
    return buf;
}

static size_t sec_n(struct result *res, int sec)
{
    size_t n;
    (void)dns_msg_section(&res->m, sec, &n);
    return n;
}

/* True if the answer section holds an A record with this address. */
static bool has_a(struct result *res, const char *ip)
{
    size_t n;
    const struct dns_rr *rr = dns_msg_section(&res->m, DNS_SEC_AN, &n);
    uint8_t want[4];
    ck_assert_int_eq(inet_pton(AF_INET, ip, want), 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t a[4];
        if (rr[i].type == DNS_TYPE_A && dns_rr_a(&res->m, &rr[i], a) == 0 &&
            memcmp(a, want, 4) == 0)
            return true;
    }
    return false;
}

static bool in_cache(const char *name, uint16_t type)
{
    uint8_t q[DNS_NAME_MAXLEN];
    static uint8_t buf[65536];
    name_of(name, q);
    struct dns_cache_entry e;
    return dns_cache_get(W.cache, q, type, DNS_CLASS_IN, 0, buf, sizeof(buf), &e) == 1;
}

static bool in_cache_ttl_at_least(const char *name, uint32_t ttl)
{
    uint8_t q[DNS_NAME_MAXLEN];
    static uint8_t buf[65536];
    name_of(name, q);
    struct dns_cache_entry e;
    return dns_cache_get(W.cache, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e) == 1 &&
           e.ttl >= ttl;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(test_dnsd_resolver_referral_and_glue)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 2);
    ck_assert(has_a(res, "192.0.2.1"));
    ck_assert(has_a(res, "192.0.2.2"));
    ck_assert_int_eq(fake_count(&W.f[FK_ROOT], "www.a.test."), 1);
    ck_assert_int_eq(fake_count(&W.f[FK_TEST], "www.a.test."), 1);
    ck_assert_int_eq(fake_count(&W.f[FK_A], "www.a.test."), 1);
    /* Referral data and glue were cached; the next question in a.test.
     * goes straight to its server. */
    ck_assert(in_cache("a.test.", DNS_TYPE_NS));
    ck_assert(in_cache("ns.a.test.", DNS_TYPE_A));
    free(res);
    res = resolve("txt.a.test.", DNS_TYPE_TXT);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_str_eq(rr_text(res, DNS_SEC_AN, 0), "txt.a.test.\t300\tIN\tTXT\t\"hello\"");
    ck_assert_int_eq(W.f[FK_ROOT].nudp, 1);
    ck_assert_int_eq(W.f[FK_TEST].nudp, 1);
    free(res);
    /* The answer is now on the fast path, TTL counting down from 300. */
    res = calloc(1, sizeof(*res));
    ck_assert_int_eq(cached("WWW.a.test.", DNS_TYPE_A, res), 1);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 2);
    ck_assert_uint_le(res->rr[0].ttl, 300);
    /* The owner is written as the client spelled the question. */
    const char *t = rr_text(res, DNS_SEC_AN, 0);
    ck_assert_msg(strncmp(t, "WWW.a.test.\t", 12) == 0, "%s", t);
    ck_assert_ptr_nonnull(strstr(t, "\tIN\tA\t192.0.2.1"));
    ck_assert_int_eq(cached("nothing.a.test.", DNS_TYPE_A, res), 0);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_glueless_ns)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    /* g.test. NS gns.evil.: the test. referral has no glue for it. */
    struct result *res = resolve("www.g.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.40"));
    ck_assert_int_eq(fake_count(&W.f[FK_EVIL], "gns.evil."), 1);
    ck_assert_int_eq(fake_count(&W.f[FK_G], "www.g.test."), 1);
    ck_assert(in_cache("gns.evil.", DNS_TYPE_A));
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_cname_across_zones)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *res = resolve("alias.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 2);
    ck_assert_str_eq(rr_text(res, DNS_SEC_AN, 0), "alias.a.test.\t300\tIN\tCNAME\twww.b.test.");
    ck_assert_str_eq(rr_text(res, DNS_SEC_AN, 1), "www.b.test.\t300\tIN\tA\t192.0.2.20");
    ck_assert_int_eq(fake_count(&W.f[FK_B], "www.b.test."), 1);
    free(res);
    /* And from the cache. */
    res = calloc(1, sizeof(*res));
    ck_assert_int_eq(cached("alias.a.test.", DNS_TYPE_A, res), 1);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 2);
    free(res);
    /* An in-zone chain arrives in one reply. */
    res = resolve("c1.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 5);
    ck_assert(has_a(res, "192.0.2.5"));
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_dname)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *res = resolve("x.old.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 3);
    ck_assert_str_eq(rr_text(res, DNS_SEC_AN, 0), "old.a.test.\t300\tIN\tDNAME\tnew.b.test.");
    ck_assert_str_eq(rr_text(res, DNS_SEC_AN, 1), "x.old.a.test.\t300\tIN\tCNAME\tx.new.b.test.");
    ck_assert(has_a(res, "192.0.2.21"));
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_negative_cached)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *res = resolve("nx.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 0);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_NS), 1);
    /* RFC 2308 5: min(SOA TTL 3600, MINIMUM 300). */
    ck_assert_str_eq(rr_text(res, DNS_SEC_NS, 0),
                     "a.test.\t300\tIN\tSOA\tns.a.test. admin.a.test. 1 1800 900 604800 300");
    free(res);
    int before = W.f[FK_A].nudp;
    /* NXDOMAIN covers every type of the name. */
    res = calloc(1, sizeof(*res));
    ck_assert_int_eq(cached("nx.a.test.", DNS_TYPE_AAAA, res), 1);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NXDOMAIN);
    free(res);
    res = resolve("nx.a.test.", DNS_TYPE_MX);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NXDOMAIN);
    ck_assert_int_eq(W.f[FK_A].nudp, before);
    free(res);
    /* NODATA: the name exists, the type does not. */
    res = resolve("www.a.test.", DNS_TYPE_AAAA);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 0);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_NS), 1);
    free(res);
    before = W.f[FK_A].nudp;
    res = calloc(1, sizeof(*res));
    ck_assert_int_eq(cached("www.a.test.", DNS_TYPE_AAAA, res), 1);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 0);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_NS), 1);
    ck_assert_int_eq(cached("www.a.test.", DNS_TYPE_A, res), 0); /* A was never asked */
    free(res);
    ck_assert_int_eq(W.f[FK_A].nudp, before);
    world_down();
}
END_TEST

/* Records outside the zone asked are never used or cached: the extra
 * additional record of every a.test. reply, and the glue for ns.evil.
 * that the test. server adds to its referral for t.test. (pointing at a
 * liar on 127.0.0.66). */
START_TEST(test_dnsd_resolver_out_of_bailiwick_not_cached)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(!in_cache("www.victim.example.", DNS_TYPE_A));
    free(res);
    res = resolve("www.t.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.30"));
    ck_assert(!has_a(res, "6.6.6.6"));
    ck_assert_int_eq(W.f[FK_LIAR].nudp, 0);
    /* tns.evil. was resolved from its own zone. */
    ck_assert_int_eq(fake_count(&W.f[FK_EVIL], "tns.evil."), 1);
    res->done = false;
    ck_assert_int_eq(cached("tns.evil.", DNS_TYPE_A, res), 1);
    ck_assert(has_a(res, "127.0.0.8"));
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_wrong_id_ignored)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    W.f[FK_A].wrong_id_first = true;
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.1"));
    ck_assert(!has_a(res, "6.6.6.6"));
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_ge(st.upstream_ignored, 1);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_wrong_port_ignored)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    W.f[FK_A].wrong_port_first = true;
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.1"));
    ck_assert(!has_a(res, "6.6.6.6"));
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_ge(st.upstream_ignored, 1);
    free(res);
    world_down();
}
END_TEST

/* With 0x20 on, a reply that does not echo the question's case exactly is
 * ignored (the zone's only server: SERVFAIL at the deadline); one that does
 * is taken. */
START_TEST(test_dnsd_resolver_0x20)
{
    struct resolver_config cfg = {.timeout_ms = 1000, .use_0x20 = true};
    world_up(&cfg);
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.1"));
    free(res);
    W.f[FK_A].lower_qname = true;
    res = resolve("thisisaverylongname.a.test.", DNS_TYPE_TXT);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_ge(st.upstream_ignored, 1);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_tc_retries_over_tcp)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    W.f[FK_A].tc = true;
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.1"));
    ck_assert_int_eq(W.f[FK_A].ntcp, 1);
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_eq(st.upstream_tcp, 1);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_timeout_servfail_in_time)
{
    struct resolver_config cfg = {.timeout_ms = 1200};
    world_up(&cfg);
    W.f[FK_A].drop = true;
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_uint_ge(res->elapsed_ms, 300);
    ck_assert_uint_le(res->elapsed_ms, 1200 + 300);
    /* The lone server was retried, with backoff, but not flooded. */
    ck_assert_int_ge(W.f[FK_A].nudp, 2);
    ck_assert_int_le(W.f[FK_A].nudp, 4);
    free(res);
    world_down();
}
END_TEST

/* SERVFAIL and REFUSED servers are skipped for the next one. */
START_TEST(test_dnsd_resolver_servfail_server_skipped)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    W.f[FK_A].rcode = DNS_RCODE_SERVFAIL;
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_int_eq(W.f[FK_A].nudp, 1); /* not retried */
    ck_assert_uint_lt(res->elapsed_ms, 500);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_coalesces_identical_questions)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    struct result *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2)),
                  *r3 = calloc(1, sizeof(*r3));
    uint8_t q[DNS_NAME_MAXLEN];
    name_of("www.a.test.", q);
    cur_qname = "www.a.test.";
    cur_qtype = DNS_TYPE_A;
    struct resolver_req *req3 = NULL;
    ck_assert_int_eq(resolver_resolve(W.r, q, DNS_TYPE_A, DNS_CLASS_IN, on_done, r1, NULL), 0);
    name_of("WWW.A.test.", q);
    ck_assert_int_eq(resolver_resolve(W.r, q, DNS_TYPE_A, DNS_CLASS_IN, on_done, r2, NULL), 0);
    ck_assert_int_eq(resolver_resolve(W.r, q, DNS_TYPE_A, DNS_CLASS_IN, on_done, r3, &req3), 0);
    resolver_cancel(req3); /* this client went away */
    run_until(&r1->done);
    run_until(&r2->done);
    ck_assert(has_a(r1, "192.0.2.1"));
    ck_assert(has_a(r2, "192.0.2.1"));
    ck_assert_int_eq(W.f[FK_A].nudp, 1);
    ck_assert_int_eq(W.f[FK_ROOT].nudp, 1);
    ck_assert_int_eq(r3->calls, 0);
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_eq(st.coalesced, 2);
    free(r1);
    free(r2);
    free(r3);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_cname_limit)
{
    struct resolver_config cfg = {.timeout_ms = 3000, .max_cname = 3};
    world_up(&cfg);
    struct result *res = resolve("c1.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_uint_eq(sec_n(res, DNS_SEC_AN), 0); /* no half chain with SERVFAIL */
    free(res);
    /* A CNAME loop ends at the limit too, promptly. */
    res = resolve("loop1.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_uint_lt(res->elapsed_ms, 1000);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_referral_limit)
{
    /* www.d2.d1.test needs three referrals: root, test., d1.test. */
    struct resolver_config cfg = {.timeout_ms = 3000, .max_referrals = 2};
    world_up(&cfg);
    struct result *res = resolve("www.d2.d1.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_int_eq(W.f[FK_D2].nudp, 0);
    free(res);
    world_down();
    struct resolver_config ok = {.timeout_ms = 3000, .max_referrals = 3};
    world_up(&ok);
    res = resolve("www.d2.d1.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.60"));
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_upstream_limit)
{
    struct resolver_config cfg = {.timeout_ms = 3000, .max_upstream = 3};
    world_up(&cfg);
    struct result *res = resolve("www.d2.d1.test.", DNS_TYPE_A); /* needs 4 */
    ck_assert_uint_eq(res->rcode, DNS_RCODE_SERVFAIL);
    ck_assert_int_eq(W.f[FK_D2].nudp, 0);
    free(res);
    world_down();
}
END_TEST

START_TEST(test_dnsd_resolver_forward_zone)
{
    struct resolver_forward fwd;
    memset(&fwd, 0, sizeof(fwd));
    name_of("fwd.zone.", fwd.zone);
    fwd.nservers = 1;
    struct resolver_config cfg = {.timeout_ms = 3000, .forwards = &fwd, .nforwards = 1};
    /* The forwarder's port is known only once the fakes are up. */
    port = 0;
    world_up(&cfg);
    resolver_close(W.r);
    ck_assert_int_eq(net_addr_parse_ip(&fwd.servers[0], "127.0.0.9"), 0);
    fwd.servers[0].port = port;
    cfg.root_hints = NULL; /* the file is gone; nothing here iterates */
    char err[128];
    W.r = resolver_new(&W.loop, &cfg, W.cache, err, sizeof(err));
    ck_assert_ptr_nonnull(W.r);
    struct result *res = resolve("www.fwd.zone.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.50"));
    ck_assert_int_eq(W.f[FK_ROOT].nudp, 0); /* not iterated */
    ck_assert_int_eq(W.f[FK_FWD].nudp, 1);
    free(res);
    world_down();
}
END_TEST

/* A zone whose server was never reachable, with serve-stale: expired data
 * instead of SERVFAIL. */
START_TEST(test_dnsd_resolver_bad_root_hints)
{
    struct dns_cache *c = dns_cache_new(NULL);
    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct resolver_config cfg = {.root_hints = "/nonexistent/named.root"};
    char err[256];
    ck_assert_ptr_null(resolver_new(&loop, &cfg, c, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/named.root"));
    cfg.root_hints = NULL; /* built-in IANA hints: fine (nothing is sent) */
    struct resolver *r = resolver_new(&loop, &cfg, c, err, sizeof(err));
    ck_assert_ptr_nonnull(r);
    resolver_close(r);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    dns_cache_free(c);
}
END_TEST

/* Closing with work in flight: no callbacks, no leaked handles. */
START_TEST(test_dnsd_resolver_close_in_flight)
{
    struct resolver_config cfg = {.timeout_ms = 3000};
    world_up(&cfg);
    W.f[FK_A].drop = true;
    struct result *res = calloc(1, sizeof(*res));
    uint8_t q[DNS_NAME_MAXLEN];
    name_of("www.a.test.", q);
    ck_assert_int_eq(resolver_resolve(W.r, q, DNS_TYPE_A, DNS_CLASS_IN, on_done, res, NULL), 0);
    for (int i = 0; i < 20; i++)
        uv_run(&W.loop, UV_RUN_NOWAIT);
    world_down();
    ck_assert_int_eq(res->calls, 0);
    free(res);
}
END_TEST

/* Hostile replies: the checker rejects what is not the reply to our
 * query, and parsing bounds hold on every prefix. */
START_TEST(test_dnsd_upstream_reply_check)
{
    uint8_t q[DNS_NAME_MAXLEN], buf[512];
    name_of("WwW.a.test.", q);
    size_t len;
    ck_assert_int_eq(
        dns_query_make(buf, sizeof(buf), 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, false, NULL, &len),
        0);
    buf[2] |= 0x80; /* QR */
    struct dns_question qd[1];
    struct dns_rr rr[4];
    struct dns_msg m = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = 4};
    ck_assert_int_eq(upstream_reply_check(buf, len, 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, true, &m),
                     0);
    ck_assert_int_eq(upstream_reply_check(buf, len, 0x1235, q, DNS_TYPE_A, DNS_CLASS_IN, true, &m),
                     -EBADMSG);
    ck_assert_int_eq(
        upstream_reply_check(buf, len, 0x1234, q, DNS_TYPE_AAAA, DNS_CLASS_IN, true, &m), -EBADMSG);
    uint8_t lower[DNS_NAME_MAXLEN];
    memcpy(lower, q, dns_name_len(q));
    dns_name_lower(lower);
    ck_assert_int_eq(
        upstream_reply_check(buf, len, 0x1234, lower, DNS_TYPE_A, DNS_CLASS_IN, true, &m),
        -EBADMSG);
    ck_assert_int_eq(
        upstream_reply_check(buf, len, 0x1234, lower, DNS_TYPE_A, DNS_CLASS_IN, false, &m), 0);
    for (size_t i = 0; i < len; i++) {
        uint8_t *p = test_exact_copy(buf, i);
        ck_assert_int_eq(upstream_reply_check(p, i, 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, true, &m),
                         -EBADMSG);
        free(p);
    }
    buf[2] &= 0x7f; /* a query, not a reply */
    ck_assert_int_eq(upstream_reply_check(buf, len, 0x1234, q, DNS_TYPE_A, DNS_CLASS_IN, true, &m),
                     -EBADMSG);
}
END_TEST

/* ---- hostile replies ------------------------------------------------------ */

static void cut_half(uint8_t *msg, size_t *len)
{
    (void)msg;
    *len /= 2;
}

static void huge_count(uint8_t *msg, size_t *len)
{
    (void)len;
    msg[6] = 0xff; /* ANCOUNT 65535 with the records there are */
    msg[7] = 0xff;
}

/* The first answer's owner becomes a pointer to itself. */
static void pointer_loop(uint8_t *msg, size_t *len)
{
    size_t qend = DNS_HDR_LEN;
    while (qend < *len && msg[qend] != 0)
        qend += (size_t)msg[qend] + 1;
    qend += 1 + 4;
    if (qend + 2 <= *len) {
        msg[qend] = (uint8_t)(0xc0 | (qend >> 8));
        msg[qend + 1] = (uint8_t)qend;
    }
}

/* An A record whose RDLENGTH says 5 (and a byte more). */
static void bad_rdlength(uint8_t *msg, size_t *len)
{
    size_t qend = DNS_HDR_LEN;
    while (qend < *len && msg[qend] != 0)
        qend += (size_t)msg[qend] + 1;
    qend += 1 + 4;
    /* owner pointer (2), type, class, ttl: RDLENGTH at +10 */
    if (qend + 12 <= *len && msg[qend] >= 0xc0) {
        msg[qend + 11] = 5;
        msg[*len] = 0;
        (*len)++;
    }
}

/* A non-authoritative "referral" up to the root. */
static void upward_referral(uint8_t *msg, size_t *len)
{
    size_t qend = DNS_HDR_LEN;
    while (qend < *len && msg[qend] != 0)
        qend += (size_t)msg[qend] + 1;
    qend += 1 + 4;
    static const uint8_t ns[] = {0, 0, 2,   0,   1,   0,   0,   0,   60, 0,
                                 8, 6, 'e', 'v', 'i', 'l', 'n', 's', 0};
    memcpy(msg + qend, ns, sizeof(ns));
    msg[2] &= (uint8_t)~0x04; /* not AA */
    msg[3] &= 0xf0;           /* NOERROR */
    msg[6] = msg[7] = 0;
    msg[8] = 0;
    msg[9] = 1;
    msg[10] = msg[11] = 0;
    *len = qend + sizeof(ns);
}

START_TEST(test_dnsd_resolver_hostile_replies)
{
    struct resolver_config cfg = {.timeout_ms = 400};
    world_up(&cfg);
    /* Learn the a.test. delegation first. */
    struct result *res = resolve("txt.a.test.", DNS_TYPE_TXT);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    free(res);
    static void (*const hostile[])(uint8_t *, size_t *) = {
        cut_half, huge_count, pointer_loop, bad_rdlength, upward_referral,
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        W.f[FK_A].mangle = hostile[i];
        res = resolve("www.a.test.", DNS_TYPE_A);
        ck_assert_msg(res->rcode == DNS_RCODE_SERVFAIL, "variant %zu: rcode %u", i, res->rcode);
        ck_assert_uint_le(res->elapsed_ms, 400 + 200);
        ck_assert(!in_cache("www.a.test.", DNS_TYPE_A));
        ck_assert(!in_cache(".", DNS_TYPE_NS));
        free(res);
    }
    /* And a sane reply still works afterwards. */
    W.f[FK_A].mangle = NULL;
    res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    free(res);
    world_down();
    world_cc = NULL;
}
END_TEST

/* RFC 8767: with serve-stale, expired data answers when the servers are
 * gone, with the stale TTL. */
START_TEST(test_dnsd_resolver_serve_stale)
{
    static const struct dns_cache_config cc = {
        .max_bytes = 1 << 20, .serve_stale = true, .stale_ttl = 30};
    world_cc = &cc;
    world_clock = true;
    struct resolver_config cfg = {.timeout_ms = 500};
    world_up(&cfg);
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    free(res);
    fake_now += 400; /* www expired; the a.test. delegation (3600) not */
    W.f[FK_A].drop = true;
    res = resolve("www.a.test.", DNS_TYPE_A);
    ck_assert_uint_eq(res->rcode, DNS_RCODE_NOERROR);
    ck_assert(has_a(res, "192.0.2.1"));
    ck_assert_uint_eq(res->rr[0].ttl, 30);
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_eq(st.stale_answers, 1);
    free(res);
    world_down();
    world_cc = NULL;
    world_clock = false;
}
END_TEST

/* A hit in the last tenth of the TTL refreshes the RRset in the
 * background. */
START_TEST(test_dnsd_resolver_prefetch)
{
    world_clock = true;
    struct resolver_config cfg = {.timeout_ms = 3000, .prefetch = true};
    world_up(&cfg);
    struct result *res = resolve("www.a.test.", DNS_TYPE_A);
    free(res);
    ck_assert_int_eq(W.f[FK_A].nudp, 1);
    fake_now += 280; /* 20 s of 300 left */
    res = calloc(1, sizeof(*res));
    ck_assert_int_eq(cached("www.a.test.", DNS_TYPE_A, res), 1);
    ck_assert_uint_eq(res->rr[0].ttl, 20);
    uint64_t start = uv_hrtime();
    while (W.f[FK_A].nudp < 2 || !in_cache_ttl_at_least("www.a.test.", 300)) {
        uv_run(&W.loop, UV_RUN_ONCE);
        ck_assert(uv_hrtime() - start < 3000000000ull);
    }
    ck_assert_int_eq(cached("www.a.test.", DNS_TYPE_A, res), 1);
    ck_assert_uint_eq(res->rr[0].ttl, 300);
    struct resolver_stats st;
    resolver_stats_get(W.r, &st);
    ck_assert_uint_eq(st.prefetches, 1);
    free(res);
    world_down();
    world_clock = false;
}
END_TEST

static Suite *resolver_suite(void)
{
    Suite *s = suite_create("dnsd_resolver");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dnsd_resolver_referral_and_glue);
    tcase_add_test(tc, test_dnsd_resolver_glueless_ns);
    tcase_add_test(tc, test_dnsd_resolver_cname_across_zones);
    tcase_add_test(tc, test_dnsd_resolver_dname);
    tcase_add_test(tc, test_dnsd_resolver_negative_cached);
    tcase_add_test(tc, test_dnsd_resolver_out_of_bailiwick_not_cached);
    tcase_add_test(tc, test_dnsd_resolver_wrong_id_ignored);
    tcase_add_test(tc, test_dnsd_resolver_wrong_port_ignored);
    tcase_add_test(tc, test_dnsd_resolver_0x20);
    tcase_add_test(tc, test_dnsd_resolver_tc_retries_over_tcp);
    tcase_add_test(tc, test_dnsd_resolver_timeout_servfail_in_time);
    tcase_add_test(tc, test_dnsd_resolver_servfail_server_skipped);
    tcase_add_test(tc, test_dnsd_resolver_coalesces_identical_questions);
    tcase_add_test(tc, test_dnsd_resolver_cname_limit);
    tcase_add_test(tc, test_dnsd_resolver_referral_limit);
    tcase_add_test(tc, test_dnsd_resolver_upstream_limit);
    tcase_add_test(tc, test_dnsd_resolver_forward_zone);
    tcase_add_test(tc, test_dnsd_resolver_bad_root_hints);
    tcase_add_test(tc, test_dnsd_resolver_close_in_flight);
    tcase_add_test(tc, test_dnsd_upstream_reply_check);
    tcase_add_test(tc, test_dnsd_resolver_hostile_replies);
    tcase_add_test(tc, test_dnsd_resolver_serve_stale);
    tcase_add_test(tc, test_dnsd_resolver_prefetch);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(resolver_suite)
