/*
 * ddns: lease names in DNS via RFC 2136 UPDATE + RFC 8945 TSIG.  See ddns.h.
 */
#include "dhcpd/ddns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/dhcp_opt.h"
#include "common/dns_msg.h"
#include "common/dns_update.h"
#include "common/dns_write.h"

/* ---- names ------------------------------------------------------------ */

/* s[0..n) as one DNS label: RFC 1123 2.1 host name rules (letters,
 * digits, hyphens, not starting or ending with a hyphen), at most 63
 * octets (RFC 1035 2.3.4).  Lower-cased into out. */
static int label_take(const uint8_t *s, size_t n, char *out)
{
    if (n == 0 || n > DNS_LABEL_MAXLEN || s[0] == '-' || s[n - 1] == '-')
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (uint8_t)(ch - 'A' + 'a');
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return -EINVAL;
        out[i] = (char)ch;
    }
    out[n] = '\0';
    return 1;
}

/* The first dot-separated part of text s[0..n). */
static size_t first_part(const uint8_t *s, size_t n)
{
    const uint8_t *dot = memchr(s, '.', n);
    return dot ? (size_t)(dot - s) : n;
}

int ddns_label_pick(const char *reserved, const uint8_t *fqdn, size_t fqdn_len, const uint8_t *host,
                    size_t host_len, char *out)
{
    const uint8_t *name = NULL;
    size_t name_len = 0;
    out[0] = '\0';
    if (fqdn) {
        struct dhcp_fqdn f;
        if (dhcp_opt_fqdn_decode(fqdn, fqdn_len, &f) != 0)
            return -EINVAL;
        /* RFC 4702 2.1: N set asks the server to do no update at all. */
        if (f.flags & DHCP_FQDN_N)
            return 0;
        if (f.form == DHCP_FQDN_ASCII) {
            name = f.name;
            name_len = first_part(f.name, f.name_len);
        } else if (f.name_len > 0 && f.name[0] > 0) {
            /* Wire form, labels checked by the decoder: the first one.  The
             * client's domain is ignored: we publish only under our zone
             * (RFC 4702 3.2 lets the server choose). */
            name = f.name + 1;
            name_len = f.name[0];
        }
        /* An empty name means "pick one for me": fall through to 12. */
    }
    if (reserved && reserved[0])
        return label_take((const uint8_t *)reserved,
                          first_part((const uint8_t *)reserved, strlen(reserved)), out);
    if (name)
        return label_take(name, name_len, out);
    if (host) {
        const uint8_t *text;
        size_t tlen;
        if (dhcp_opt_text_decode(host, host_len, &text, &tlen) != 0)
            return -EINVAL;
        return label_take(text, first_part(text, tlen), out);
    }
    return 0;
}

static size_t put_octet_label(uint8_t *out, size_t k, uint8_t v)
{
    char t[4];
    int n = snprintf(t, sizeof(t), "%u", v);
    out[k++] = (uint8_t)n;
    memcpy(out + k, t, (size_t)n);
    return k + (size_t)n;
}

static const uint8_t in_addr_arpa[] = "\007in-addr\004arpa"; /* and the root: the NUL */

void ddns_reverse_name(uint32_t addr, uint8_t *out)
{
    uint8_t b[4];
    memcpy(b, &addr, 4);
    size_t k = 0;
    /* RFC 1035 3.5: the octets in reverse order under in-addr.arpa. */
    for (int i = 3; i >= 0; i--)
        k = put_octet_label(out, k, b[i]);
    memcpy(out + k, in_addr_arpa, sizeof(in_addr_arpa));
}

int ddns_reverse_zone(uint32_t net, uint8_t prefix, uint8_t *out)
{
    if (prefix != 8 && prefix != 16 && prefix != 24)
        return -ENOTSUP; /* RFC 2317 classless delegation: configure it */
    uint8_t b[4];
    memcpy(b, &net, 4);
    size_t k = 0;
    for (int i = prefix / 8 - 1; i >= 0; i--)
        k = put_octet_label(out, k, b[i]);
    memcpy(out + k, in_addr_arpa, sizeof(in_addr_arpa));
    return 0;
}

int ddns_forward_zone(const struct dhcpd_conf *c, const struct dhcpd_subnet *sub, uint8_t *zone)
{
    size_t n;
    if (c->ddns.has_fwd_zone) {
        memcpy(zone, c->ddns.fwd_zone, dns_name_len(c->ddns.fwd_zone));
        return 0;
    }
    if (!sub->domain[0] || dns_name_from_text(sub->domain, strlen(sub->domain), zone, &n) != 0 ||
        n < 2)
        return -ENOENT;
    dns_name_lower(zone);
    return 0;
}

int ddns_fqdn(const char *label, const uint8_t *zone, uint8_t *out)
{
    size_t l = strlen(label), z = dns_name_len(zone);
    if (l == 0 || l > DNS_LABEL_MAXLEN || 1 + l + z > DNS_NAME_MAXLEN)
        return -EMSGSIZE;
    out[0] = (uint8_t)l;
    /* A length-prefixed label, not a C string. */
    memcpy(out + 1, label, l); // NOLINT(bugprone-not-null-terminated-result)
    memcpy(out + 1 + l, zone, z);
    return 0;
}

/* ---- messages --------------------------------------------------------- */

int ddns_msg_build(const struct ddns_rec *r, bool reverse, uint16_t id,
                   const struct dns_tsig_key *k, uint64_t now, uint8_t *buf, size_t cap,
                   size_t *len, uint8_t *mac, size_t *mac_len)
{
    const uint8_t *zone = reverse ? r->rev_zone : dns_name_parent(r->fqdn);
    if ((reverse && !r->has_ptr) || !zone || !dns_name_parent(zone))
        return -EINVAL; /* never update the root zone */
    struct dns_wr d;
    if (dns_update_begin(&d, buf, cap, id, zone) != 0)
        return -EMSGSIZE;
    /* RFC 2136 2.5: no prerequisites; the update section in order. */
    dns_wr_rrset_begin(&d, DNS_UPD_SEC_UP);
    if (!reverse && r->add) {
        dns_wr_rr(&d, r->fqdn, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0); /* 2.5.2 */
        dns_wr_rr(&d, r->fqdn, DNS_TYPE_A, DNS_CLASS_IN, r->ttl, &r->addr, 4);
    } else if (!reverse) {
        /* 2.5.4: only our address; a newer lease's A record stays. */
        dns_wr_rr(&d, r->fqdn, DNS_TYPE_A, DNS_CLASS_NONE, 0, &r->addr, 4);
    } else {
        dns_wr_rr(&d, r->ptr, DNS_TYPE_PTR, DNS_CLASS_ANY, 0, NULL, 0);
        if (r->add) {
            dns_wr_rr_begin(&d, r->ptr, DNS_TYPE_PTR, DNS_CLASS_IN, r->ttl);
            dns_wr_rdata_name(&d, r->fqdn);
            dns_wr_rr_end(&d);
        }
    }
    if (dns_wr_rrset_end(&d) != 0 || dns_wr_finish(&d, len) != 0)
        return -EMSGSIZE;
    int rc = dns_tsig_sign(buf, len, cap, k, now, DNS_TSIG_FUDGE, 0, NULL, 0, mac, mac_len);
    return rc == -EBADMSG ? -EMSGSIZE : rc;
}

enum ddns_reply ddns_reply_check(const uint8_t *pkt, size_t len, uint16_t id,
                                 const struct dns_tsig_key *k, uint64_t now, const uint8_t *req_mac,
                                 size_t req_mac_len, uint16_t *rcode, uint16_t *tsig_err)
{
    /* A reply echoes the zone and carries the TSIG; a few more records
     * (a server may echo the update) still fit. */
    struct dns_question qd[2];
    struct dns_rr rr[16];
    struct dns_msg m;
    memset(&m, 0, sizeof(m));
    m.qd = qd;
    m.qd_cap = 2;
    m.rr = rr;
    m.rr_cap = 16;
    *rcode = 0;
    *tsig_err = 0;
    if (dns_msg_parse(&m, pkt, len) != 0 || !m.hdr.qr || m.hdr.id != id ||
        m.hdr.opcode != DNS_OPCODE_UPDATE)
        return DDNS_REPLY_NOT_OURS;
    *rcode = m.hdr.rcode;
    struct dns_tsig_info t;
    int f = dns_tsig_find(&m, &t);
    if (f == 0)
        return DDNS_REPLY_UNSIGNED;
    if (f < 0) {
        *tsig_err = DNS_TSIG_BADSIG;
        return DDNS_REPLY_BAD_TSIG;
    }
    /* RFC 8945 5.3.2: BADSIG/BADKEY answers come unsigned, with the error
     * in the record; it is the server's word, unverifiable. */
    if (t.error != 0) {
        *tsig_err = t.error;
        return DDNS_REPLY_TSIG_ERROR;
    }
    int v = dns_tsig_verify(&m, &t, k, 1, now, req_mac, req_mac_len, NULL);
    if (v != 0) {
        *tsig_err = (uint16_t)v;
        return DDNS_REPLY_BAD_TSIG;
    }
    return DDNS_REPLY_OK;
}

/* ---- the sender ------------------------------------------------------- */

static const char *rcode_name(uint16_t rc)
{
    static const char *const n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                    "NXRRSET", "NOTAUTH", "NOTZONE"};
    return rc < sizeof(n) / sizeof(n[0]) ? n[rc] : "RCODE?";
}

static const char *tsig_err_name(uint16_t e)
{
    switch (e) {
    case DNS_TSIG_BADSIG:
        return "BADSIG";
    case DNS_TSIG_BADKEY:
        return "BADKEY";
    case DNS_TSIG_BADTIME:
        return "BADTIME";
    case DNS_TSIG_BADTRUNC:
        return "BADTRUNC";
    default:
        return "error";
    }
}

static uint16_t random_id(void)
{
    uint16_t v;
    /* RFC 5452 9.2: unpredictable IDs.  getrandom cannot fail for two
     * bytes once the pool is ready; before that the clock still varies. */
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (uint16_t)(uv_hrtime() >> 7);
    return v;
}

static void kick(struct ddns_client *c);
static void send_try(struct ddns_client *c);

static void finish_job(struct ddns_client *c)
{
    const struct ddns_rec *r = &c->q[c->head];
    char name[DNS_NAME_TEXT_MAX], ptr[DNS_NAME_TEXT_MAX], a[INET_ADDRSTRLEN], res[128];
    dns_name_to_text(r->fqdn, name, sizeof(name), NULL);
    dns_name_to_text(r->ptr, ptr, sizeof(ptr), NULL);
    inet_ntop(AF_INET, &r->addr, a, sizeof(a));
    bool failed = c->failed[0] || (r->has_ptr && c->failed[1]);
    if (!r->has_ptr || strcmp(c->result[0], c->result[1]) == 0)
        snprintf(res, sizeof(res), "%s", c->result[0]);
    else
        snprintf(res, sizeof(res), "A %s, PTR %s", c->result[0], c->result[1]);
    log_msg(failed ? LOG_LVL_WARN : LOG_LVL_INFO, "DDNS %s %s A %s%s%s%s: %s",
            r->add ? "add" : "delete", name, a, r->has_ptr ? " (PTR " : "", r->has_ptr ? ptr : "",
            r->has_ptr ? ")" : "", res);
    if (failed)
        c->st.failed++;
    else
        c->st.done++;
    c->head = (c->head + 1) % DDNS_QUEUE_MAX;
    c->n--;
    c->busy = false;
}

/* One half ended with result why: on to the reverse half or the end. */
static void half_done(struct ddns_client *c, bool failed, const char *why)
{
    uv_timer_stop(&c->timer);
    int h = c->reverse ? 1 : 0;
    snprintf(c->result[h], sizeof(c->result[h]), "%s", why);
    c->failed[h] = failed;
    if (!c->reverse && c->q[c->head].has_ptr) {
        c->reverse = true;
        c->tries = 0;
        send_try(c);
        return;
    }
    finish_job(c);
}

static void try_failed(struct ddns_client *c, const char *why)
{
    uv_timer_stop(&c->timer);
    if (++c->tries < DDNS_TRIES) {
        send_try(c);
        return;
    }
    half_done(c, true, why);
}

static void on_timeout(uv_timer_t *t)
{
    struct ddns_client *c = t->data;
    c->st.timeouts++;
    try_failed(c, "timeout");
    kick(c);
}

static void send_try(struct ddns_client *c)
{
    uint8_t msg[DDNS_MSG_MAX];
    size_t len;
    c->id = random_id();
    int rc = ddns_msg_build(&c->q[c->head], c->reverse, c->id, &c->conf.key, (uint64_t)time(NULL),
                            msg, sizeof(msg), &len, c->mac, &c->mac_len);
    if (rc != 0) {
        half_done(c, true, "cannot build the message");
        return;
    }
    c->st.sends++;
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
    rc = uv_udp_try_send(&c->udp, &b, 1, NULL);
    if (rc < 0 && log_ratelimit_allow(&c->rl, uv_now(c->loop), 10, 10000, NULL)) {
        char ebuf[64];
        log_warn("DDNS: cannot send to the server: %s (retrying)",
                 uv_strerror_r(rc, ebuf, sizeof(ebuf)));
    }
    /* A send that failed is a lost datagram: the timeout retries it. */
    uv_timer_start(&c->timer, on_timeout, c->timeout_ms, 0);
}

/* Starts queued jobs until one is in flight.  Jobs that end at once (a
 * message that cannot be built) are looped over here, not recursed. */
static void kick(struct ddns_client *c)
{
    while (!c->busy && c->n > 0) {
        c->busy = true;
        c->reverse = false;
        c->tries = 0;
        c->failed[0] = c->failed[1] = false;
        c->result[0][0] = c->result[1][0] = '\0';
        send_try(c);
    }
}

void ddns_client_kick(struct ddns_client *c)
{
    if (c->udp_open)
        kick(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char slab[4096]; /* one loop: one datagram at a time */
    *buf = uv_buf_init(slab, sizeof(slab));
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    struct ddns_client *c = h->data;
    (void)addr; /* the socket is connected: only the server's datagrams */
    if (nread <= 0 || (flags & UV_UDP_PARTIAL) || !c->busy)
        return;
    uint16_t rcode, terr;
    enum ddns_reply v =
        ddns_reply_check((const uint8_t *)buf->base, (size_t)nread, c->id, &c->conf.key,
                         (uint64_t)time(NULL), c->mac, c->mac_len, &rcode, &terr);
    char why[48] = "";
    switch (v) {
    case DDNS_REPLY_NOT_OURS:
        return; /* a late answer to an earlier try, or noise */
    case DDNS_REPLY_OK:
        half_done(c, rcode != DNS_RCODE_NOERROR, rcode_name(rcode));
        break;
    case DDNS_REPLY_UNSIGNED:
        snprintf(why, sizeof(why), "unsigned reply (%s)", rcode_name(rcode));
        break;
    case DDNS_REPLY_BAD_TSIG:
        snprintf(why, sizeof(why), "reply TSIG %s", tsig_err_name(terr));
        break;
    case DDNS_REPLY_TSIG_ERROR:
        snprintf(why, sizeof(why), "server says TSIG %s", tsig_err_name(terr));
        break;
    }
    if (v != DDNS_REPLY_OK) {
        /* An answer we cannot trust counts as a failed try: retried, and
         * reported when the tries run out. */
        c->st.bad_replies++;
        log_debug("DDNS: %s (try %d of %d)", why, c->tries + 1, DDNS_TRIES);
        try_failed(c, why);
    }
    kick(c);
}

static void on_closed(uv_handle_t *h)
{
    struct ddns_client *c = h->data;
    c->open_handles--;
}

static void on_scan(uv_timer_t *t)
{
    struct ddns_client *c = t->data;
    if (c->scan_cb)
        c->scan_cb(c->scan_arg);
}

static int open_udp(struct ddns_client *c)
{
    struct sockaddr_storage ss;
    char a[NET_ADDR_STRLEN];
    net_addr_format_port(&c->conf.server, a, sizeof(a));
    net_addr_to_sockaddr(&c->conf.server, &ss);
    int rc = uv_udp_init(c->loop, &c->udp);
    if (rc != 0)
        return rc;
    c->udp.data = c;
    c->open_handles++;
    c->udp_open = true;
    /* Connected: the kernel drops datagrams from anyone but the server and
     * picks a random source port (RFC 5452 9.2). */
    if ((rc = uv_udp_connect(&c->udp, (const struct sockaddr *)&ss)) != 0 ||
        (rc = uv_udp_recv_start(&c->udp, on_alloc, on_recv)) != 0) {
        char ebuf[64];
        log_err("DDNS: cannot open a socket to %s: %s", a, uv_strerror_r(rc, ebuf, sizeof(ebuf)));
        return rc;
    }
    log_info("DDNS: sending updates to %s", a);
    return 0;
}

int ddns_client_start(struct ddns_client *c, uv_loop_t *loop, const struct dhcpd_ddns_conf *conf,
                      void (*scan_cb)(void *), void *scan_arg)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->conf = *conf;
    c->timeout_ms = DDNS_TIMEOUT_MS;
    c->scan_ms = DDNS_SCAN_MS;
    c->scan_cb = scan_cb;
    c->scan_arg = scan_arg;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles++;
    uv_timer_init(loop, &c->scan);
    c->scan.data = c;
    c->open_handles++;
    c->q = calloc(DDNS_QUEUE_MAX, sizeof(*c->q));
    if (!c->q)
        return -ENOMEM;
    if (scan_cb)
        uv_timer_start(&c->scan, on_scan, c->scan_ms, c->scan_ms);
    return conf->enabled ? open_udp(c) : 0;
}

void ddns_client_reconf(struct ddns_client *c, const struct dhcpd_ddns_conf *conf)
{
    bool moved = c->udp_open && !net_addr_eq(&c->conf.server, &conf->server);
    struct net_addr keep = c->conf.server;
    c->conf = *conf;
    if (moved) {
        c->conf.server = keep;
        log_warn("DDNS: the [ddns] server changes only on restart");
    }
    if (c->conf.enabled && !c->udp_open)
        open_udp(c);
}

int ddns_client_submit(struct ddns_client *c, const struct ddns_rec *r)
{
    if (!c->conf.enabled || !c->udp_open)
        return -ENOTCONN;
    if (c->n == DDNS_QUEUE_MAX) {
        c->st.dropped++;
        if (log_ratelimit_allow(&c->rl, uv_now(c->loop), 10, 10000, NULL))
            log_warn("DDNS: %d updates queued (server slow or unreachable); dropping one",
                     DDNS_QUEUE_MAX);
        return -E2BIG;
    }
    c->q[(c->head + c->n) % DDNS_QUEUE_MAX] = *r;
    c->n++;
    c->st.queued++;
    return 0;
}

void ddns_client_stop(struct ddns_client *c)
{
    if (!c->loop)
        return;
    if (!uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, on_closed);
    if (!uv_is_closing((uv_handle_t *)&c->scan))
        uv_close((uv_handle_t *)&c->scan, on_closed);
    if (c->udp_open && !uv_is_closing((uv_handle_t *)&c->udp))
        uv_close((uv_handle_t *)&c->udp, on_closed);
    if (c->n)
        log_notice("DDNS: %zu queued updates dropped at stop", c->n);
    c->n = 0;
    c->busy = false;
}

void ddns_client_free(struct ddns_client *c)
{
    free(c->q);
    c->q = NULL;
}
