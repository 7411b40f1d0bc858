#include "dnsd/upstream.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/dns_write.h"

/* A query: header, the longest name, type and class, an OPT record. */
#define QUERY_MAX (DNS_HDR_LEN + DNS_NAME_MAXLEN + 4 + DNS_OPT_FIXED_LEN)
/* UDP receive buffer: more than the payload size we advertise, so a
 * server ignoring it is seen (UV_UDP_PARTIAL) and retried over TCP. */
#define UDP_BUF 4096
#define TCP_BUF (2 + 65535)

struct upstream_query {
    uv_loop_t *loop;
    uv_udp_t udp;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_connect_t conn;
    uv_write_t wreq;
    int nopen; /* handles not yet closed */
    bool udp_open, tcp_open, done;
    upstream_cb cb;
    void *arg;
    struct upstream_stats *stats;
    struct upstream_params p;
    uint8_t qname[DNS_NAME_MAXLEN]; /* as sent, case randomised or not */
    uint16_t id;
    struct sockaddr_storage ss;
    uint64_t sent_ns;
    uint8_t query[2 + QUERY_MAX]; /* [0..2) is the TCP length prefix */
    size_t qlen;
    uint8_t *tcpbuf;
    size_t tcplen;
    struct dns_question qd[1];
    struct dns_rr rr[UPSTREAM_MAX_RR];
    uint8_t udpbuf[UDP_BUF];
};

int upstream_random(void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom((uint8_t *)buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)r;
    }
    return 0;
}

int upstream_reply_check(const uint8_t *buf, size_t len, uint16_t id, const uint8_t *qname,
                         uint16_t qtype, uint16_t qclass, bool exact_case, struct dns_msg *m)
{
    int rc = dns_msg_parse(m, buf, len);
    if (rc < 0 && rc != -E2BIG)
        return -EBADMSG;
    /* RFC 5452 9.1: ID, question and (checked by the caller) source must
     * all match the query. */
    if (!m->hdr.qr || m->hdr.id != id || m->hdr.opcode != DNS_OPCODE_QUERY ||
        m->hdr.count[DNS_SEC_QD] != 1 || m->qd_n != 1)
        return -EBADMSG;
    const struct dns_question *q = &m->qd[0];
    if (q->qtype != qtype || q->qclass != qclass)
        return -EBADMSG;
    uint8_t got[DNS_NAME_MAXLEN];
    size_t glen = 0;
    if (dns_msg_qname(m, q, got, &glen) < 0)
        return -EBADMSG;
    if (exact_case ? (glen != dns_name_len(qname) || memcmp(got, qname, glen) != 0)
                   : !dns_name_eq(got, qname))
        return -EBADMSG;
    return rc;
}

static void on_close(uv_handle_t *h)
{
    struct upstream_query *q = h->data;
    if (--q->nopen == 0) {
        free(q->tcpbuf);
        free(q);
    }
}

static void close_all(struct upstream_query *q)
{
    uv_timer_stop(&q->timer);
    if (q->udp_open) {
        q->udp_open = false;
        uv_close((uv_handle_t *)&q->udp, on_close);
    }
    if (q->tcp_open) {
        q->tcp_open = false;
        uv_close((uv_handle_t *)&q->tcp, on_close);
    }
    if (!uv_is_closing((uv_handle_t *)&q->timer))
        uv_close((uv_handle_t *)&q->timer, on_close);
}

static void finish(struct upstream_query *q, int status, const struct dns_msg *m)
{
    if (q->done)
        return;
    q->done = true;
    uint64_t rtt = (uv_hrtime() - q->sent_ns) / 1000000u;
    q->cb(q->arg, status, m, rtt);
    close_all(q);
}

void upstream_query_cancel(struct upstream_query *q)
{
    if (!q || q->done)
        return;
    q->done = true;
    close_all(q);
}

/* A fresh ID per transmission (the TCP retry gets its own, RFC 5452). */
static int build_query(struct upstream_query *q)
{
    uint16_t id;
    int rc = upstream_random(&id, sizeof(id));
    if (rc < 0)
        return rc;
    q->id = id;
    struct dns_edns e = {.udp_size = UPSTREAM_EDNS_SIZE};
    rc = dns_query_make(q->query + 2, sizeof(q->query) - 2, id, q->qname, q->p.qtype, q->p.qclass,
                        q->p.rd, q->p.edns ? &e : NULL, &q->qlen);
    if (rc < 0)
        return rc;
    q->query[0] = (uint8_t)(q->qlen >> 8);
    q->query[1] = (uint8_t)q->qlen;
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    struct upstream_query *q = t->data;
    if (q->stats)
        q->stats->timeouts++;
    finish(q, -ETIMEDOUT, NULL);
}

static int reply_parse(struct upstream_query *q, const uint8_t *buf, size_t len, struct dns_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->qd = q->qd;
    m->qd_cap = 1;
    m->rr = q->rr;
    m->rr_cap = UPSTREAM_MAX_RR;
    return upstream_reply_check(buf, len, q->id, q->qname, q->p.qtype, q->p.qclass, q->p.use_0x20,
                                m);
}

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct upstream_query *q = h->data;
    if (!q->tcpbuf)
        q->tcpbuf = malloc(TCP_BUF);
    if (!q->tcpbuf || q->tcplen >= TCP_BUF) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    *buf = uv_buf_init((char *)q->tcpbuf + q->tcplen, (unsigned)(TCP_BUF - q->tcplen));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct upstream_query *q = s->data;
    if (q->done)
        return;
    if (nread < 0) {
        finish(q, nread == UV_EOF ? -ECONNRESET : (int)nread, NULL);
        return;
    }
    q->tcplen += (size_t)nread;
    if (q->tcplen < 2)
        return;
    /* RFC 1035 4.2.2: two-octet length, then the message. */
    size_t need = (size_t)q->tcpbuf[0] << 8 | q->tcpbuf[1];
    if (q->tcplen < 2 + need)
        return;
    struct dns_msg m;
    int rc = reply_parse(q, q->tcpbuf + 2, need, &m);
    if (rc < 0) {
        /* The connection is ours alone: a wrong answer on it is a failure
         * of this server, not something to wait out. */
        if (q->stats)
            q->stats->ignored++;
        finish(q, -EBADMSG, NULL);
        return;
    }
    finish(q, 0, &m);
}

static void tcp_written(uv_write_t *w, int status)
{
    struct upstream_query *q = w->data;
    if (q->done)
        return;
    if (status < 0)
        finish(q, status, NULL);
}

static void tcp_connected(uv_connect_t *c, int status)
{
    struct upstream_query *q = c->data;
    if (q->done)
        return;
    if (status < 0) {
        finish(q, status, NULL);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)q->query, (unsigned)(q->qlen + 2));
    q->wreq.data = q;
    int rc = uv_write(&q->wreq, (uv_stream_t *)&q->tcp, &b, 1, tcp_written);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&q->tcp, tcp_alloc, tcp_read);
    if (rc < 0)
        finish(q, rc, NULL);
}

/* RFC 7766 5: a truncated UDP reply means asking again over TCP. */
static void go_tcp(struct upstream_query *q)
{
    if (q->udp_open) {
        q->udp_open = false;
        uv_close((uv_handle_t *)&q->udp, on_close);
    }
    int rc = build_query(q);
    if (rc == 0)
        rc = uv_tcp_init(q->loop, &q->tcp);
    if (rc < 0) {
        finish(q, rc, NULL);
        return;
    }
    q->tcp.data = q;
    q->tcp_open = true;
    q->nopen++;
    q->conn.data = q;
    q->sent_ns = uv_hrtime();
    if (q->stats)
        q->stats->sent_tcp++;
    rc = uv_tcp_connect(&q->conn, &q->tcp, (const struct sockaddr *)&q->ss, tcp_connected);
    if (rc < 0) {
        finish(q, rc, NULL);
        return;
    }
    uv_timer_start(&q->timer, on_timeout, q->p.timeout_ms, 0);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct upstream_query *q = h->data;
    *buf = uv_buf_init((char *)q->udpbuf, sizeof(q->udpbuf));
}

static void udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                     unsigned flags)
{
    struct upstream_query *q = u->data;
    if (q->done || !q->udp_open || nread <= 0 || !addr)
        return; /* nothing, or a socket error: wait for the timeout */
    /* RFC 5452 9.1: only the address and port we asked. */
    struct net_addr from;
    if (net_addr_from_sockaddr(&from, addr) < 0)
        return;
    net_addr_unmap(&from);
    if (!net_addr_eq(&from, &q->p.to)) {
        if (q->stats)
            q->stats->ignored++;
        return;
    }
    struct dns_msg m;
    int rc = reply_parse(q, (const uint8_t *)buf->base, (size_t)nread, &m);
    if (rc < 0 && rc != -E2BIG) {
        if (q->stats)
            q->stats->ignored++;
        return;
    }
    /* A datagram cut by our buffer, or TC: only TCP gets the whole. */
    if ((flags & UV_UDP_PARTIAL) || m.hdr.tc) {
        go_tcp(q);
        return;
    }
    if (rc < 0) {
        finish(q, -EBADMSG, NULL);
        return;
    }
    finish(q, 0, &m);
}

int upstream_query_start(uv_loop_t *loop, const struct upstream_params *p, upstream_cb cb,
                         void *arg, struct upstream_stats *stats, struct upstream_query **out)
{
    struct upstream_query *q = malloc(sizeof(*q));
    if (!q)
        return -ENOMEM;
    memset(q, 0, offsetof(struct upstream_query, qd));
    q->loop = loop;
    q->cb = cb;
    q->arg = arg;
    q->stats = stats;
    q->p = *p;
    if (q->p.to.port == 0)
        q->p.to.port = 53;
    q->p.qname = NULL;
    size_t nlen = dns_name_len(p->qname);
    memcpy(q->qname, p->qname, nlen);
    if (p->use_0x20) {
        uint8_t bits[DNS_NAME_MAXLEN];
        int rc = upstream_random(bits, nlen);
        if (rc < 0) {
            free(q);
            return rc;
        }
        for (size_t i = 0; i < nlen; i++) {
            uint8_t ch = q->qname[i];
            /* Length octets are at most 63, below 'A': only letters flip. */
            if (((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) && (bits[i] & 1))
                q->qname[i] = (uint8_t)(ch ^ 0x20);
        }
    }
    if (net_addr_to_sockaddr(&q->p.to, &q->ss) == 0) {
        free(q);
        return -EINVAL;
    }
    int rc = build_query(q);
    if (rc < 0) {
        free(q);
        return rc;
    }
    rc = uv_timer_init(loop, &q->timer);
    if (rc < 0) {
        free(q);
        return rc;
    }
    q->timer.data = q;
    q->nopen = 1;
    rc = uv_udp_init(loop, &q->udp);
    if (rc == 0) {
        q->udp.data = q;
        q->udp_open = true;
        q->nopen++;
        /* Port 0: the kernel picks a random ephemeral port for every
         * query (RFC 5452 10). */
        struct sockaddr_storage any;
        memset(&any, 0, sizeof(any));
        any.ss_family = (sa_family_t)q->p.to.family;
        rc = uv_udp_bind(&q->udp, (const struct sockaddr *)&any, 0);
    }
    if (rc == 0)
        rc = uv_udp_recv_start(&q->udp, udp_alloc, udp_recv);
    if (rc == 0) {
        uv_buf_t b = uv_buf_init((char *)q->query + 2, (unsigned)q->qlen);
        q->sent_ns = uv_hrtime();
        int n = uv_udp_try_send(&q->udp, &b, 1, (const struct sockaddr *)&q->ss);
        rc = n < 0 ? n : 0;
    }
    if (rc < 0) {
        q->done = true;
        close_all(q);
        return rc;
    }
    if (stats)
        stats->sent_udp++;
    uv_timer_start(&q->timer, on_timeout, p->timeout_ms, 0);
    *out = q;
    return 0;
}
