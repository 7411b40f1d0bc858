#include "dhcpd/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/dhcp_build.h"
#include "common/dhcp_opt.h"
#include "dhcpd/ddns.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define MIN_LEASE_S      60

/* What one request carries, decoded once. */
struct req {
    struct dhcp_msg m;
    uint8_t type;
    uint8_t key[LEASE_KEY_MAX];
    size_t key_len;
    const struct dhcpd_subnet *s;
    uint16_t subnet;
    const struct dhcpd_host *host; /* the client's reservation, or NULL */
    uint32_t requested;            /* option 50, or 0 */
    uint32_t server_id;            /* option 54, or 0 */
    uint32_t want_lease_s;         /* option 51, or 0 */
    char hostname[DHCPD_HOSTNAME_MAX + 1];
    char ddns_label[DNS_LABEL_MAXLEN + 1]; /* the DNS label to publish */
    int ddns_rc;                           /* ddns_label_pick's verdict */
    bool has_fqdn;                         /* the client sent option 81 */
    uint8_t fqdn_flags;                    /* its flags */
    const uint8_t *relay;                  /* option 82 value to echo, or NULL */
    size_t relay_len;
    char mac[3 * DHCP_CHADDR_LEN];
    const struct dhcpd_iface *ifc;
};

void dhcpd_engine_init(struct dhcpd_engine *e, const struct dhcpd_conf *conf, struct lease_table *t)
{
    memset(e, 0, sizeof(*e));
    e->conf = conf;
    e->t = t;
}

static const char *type_name(uint8_t t)
{
    static const char *const n[] = {"?",           "DHCPDISCOVER", "DHCPOFFER",
                                    "DHCPREQUEST", "DHCPDECLINE",  "DHCPACK",
                                    "DHCPNAK",     "DHCPRELEASE",  "DHCPINFORM"};
    return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static const char *ip(uint32_t a, char *buf)
{
    inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
    return buf;
}

static bool warn_allowed(struct dhcpd_engine *e, int64_t now)
{
    return log_ratelimit_allow(&e->rl, (uint64_t)now * 1000, 10, 10000, NULL);
}

/* Keeps a client-supplied host name to letters, digits, '-', '_' and '.',
 * so it is safe in logs, JSON and later in DNS. */
static void take_hostname(const struct dhcp_msg *m, char *out)
{
    const uint8_t *v, *text;
    size_t len, tlen;
    uint8_t scratch[256];
    out[0] = '\0';
    if (dhcp_msg_opt_get(m, DHCP_OPT_HOST_NAME, scratch, sizeof(scratch), &v, &len) != 0 ||
        dhcp_opt_text_decode(v, len, &text, &tlen) != 0)
        return;
    size_t k = 0;
    for (size_t i = 0; i < tlen && k < DHCPD_HOSTNAME_MAX; i++) {
        uint8_t ch = text[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.')
            out[k++] = (char)ch;
    }
    out[k] = '\0';
}

/* The DNS label for the lease (dhcpd/ddns.h): reservation, option 81,
 * option 12, from the raw option values. */
static void pick_ddns_label(struct req *r)
{
    uint8_t fs[256], hs[256];
    const uint8_t *f = NULL, *hn = NULL;
    size_t flen = 0, hlen = 0;
    struct dhcp_fqdn fq;
    r->has_fqdn = false;
    if (dhcp_msg_opt_has(&r->m, DHCP_OPT_CLIENT_FQDN) &&
        (dhcp_msg_opt_get(&r->m, DHCP_OPT_CLIENT_FQDN, fs, sizeof(fs), &f, &flen) != 0 ||
         dhcp_opt_fqdn_decode(f, flen, &fq) != 0)) {
        r->ddns_rc = -EINVAL;
        r->ddns_label[0] = '\0';
        return;
    }
    if (f) {
        r->has_fqdn = true;
        r->fqdn_flags = fq.flags;
    }
    if (dhcp_msg_opt_has(&r->m, DHCP_OPT_HOST_NAME) &&
        dhcp_msg_opt_get(&r->m, DHCP_OPT_HOST_NAME, hs, sizeof(hs), &hn, &hlen) != 0)
        hn = NULL;
    r->ddns_rc =
        ddns_label_pick(r->host ? r->host->hostname : NULL, f, flen, hn, hlen, r->ddns_label);
}

/* Parses and sorts out what every handler needs.  Returns 0, -EBADMSG
 * (malformed or not a client request) or -ENOENT (nothing for us: no
 * subnet serves it). */
static int decode(struct dhcpd_engine *e, struct req *r, const struct dhcpd_iface *ifc,
                  const uint8_t *pkt, size_t len, uint8_t *relay_buf)
{
    struct dhcp_msg *m = &r->m;
    if (dhcp_msg_parse(m, pkt, len) != 0 || m->op != DHCP_OP_REQUEST ||
        dhcp_msg_type(m, &r->type) != 0)
        return -EBADMSG;
    r->ifc = ifc;
    /* RFC 2132 9.14: option 61 names the client; chaddr only when absent. */
    const uint8_t *cid = NULL;
    size_t cid_len = 0;
    /* Lives to the end: cid may point into it. */
    // cppcheck-suppress variableScope
    uint8_t cid_scratch[256];
    if (dhcp_msg_opt_has(m, DHCP_OPT_CLIENT_ID)) {
        const uint8_t *id;
        size_t idl;
        uint8_t ctype;
        if (dhcp_msg_opt_get(m, DHCP_OPT_CLIENT_ID, cid_scratch, sizeof(cid_scratch), &cid,
                             &cid_len) != 0 ||
            dhcp_opt_client_id_decode(cid, cid_len, &ctype, &id, &idl) != 0)
            return -EBADMSG;
    } else if (m->hlen == 0) {
        return -EBADMSG; /* neither a client id nor a hardware address */
    }
    r->key_len = lease_key_make(r->key, cid, cid_len, m->htype, m->hlen, m->chaddr);
    if (r->key_len == 0)
        return -EBADMSG;
    size_t k = 0;
    for (size_t i = 0; i < m->hlen; i++)
        k += (size_t)snprintf(r->mac + k, sizeof(r->mac) - k, i ? ":%02x" : "%02x", m->chaddr[i]);
    if (k == 0)
        snprintf(r->mac, sizeof(r->mac), "-");
    r->requested = 0;
    r->server_id = 0;
    r->want_lease_s = 0;
    if (dhcp_msg_opt_has(m, DHCP_OPT_REQUESTED_ADDR) &&
        dhcp_msg_get_addr(m, DHCP_OPT_REQUESTED_ADDR, &r->requested) != 0)
        return -EBADMSG;
    if (dhcp_msg_opt_has(m, DHCP_OPT_SERVER_ID) &&
        dhcp_msg_get_addr(m, DHCP_OPT_SERVER_ID, &r->server_id) != 0)
        return -EBADMSG;
    if (dhcp_msg_opt_has(m, DHCP_OPT_LEASE_TIME))
        dhcp_msg_get_u32(m, DHCP_OPT_LEASE_TIME, &r->want_lease_s);
    take_hostname(m, r->hostname);
    /* RFC 3046 2.2: echo option 82 unchanged; it must be well formed. */
    r->relay = NULL;
    r->relay_len = 0;
    if (dhcp_msg_opt_has(m, DHCP_OPT_RELAY_AGENT_INFO)) {
        struct dhcp_relay_info ri;
        if (m->giaddr == 0 ||
            dhcp_msg_opt_get(m, DHCP_OPT_RELAY_AGENT_INFO, relay_buf, 255, &r->relay,
                             &r->relay_len) != 0 ||
            dhcp_opt_relay_decode(r->relay, r->relay_len, &ri) != 0)
            return -EBADMSG;
    }
    /* RFC 2131 4.3.1: the subnet comes from giaddr when relayed, else from
     * the interface the request arrived on.  But a message that carries
     * ciaddr without giaddr may come from a client behind a router: RFC
     * 2131 4.3.2 (RENEWING) says such a REQUEST is unicast, "no relay
     * agents will be involved", and "the DHCP server will trust the value
     * in 'ciaddr'"; an INFORM (4.3.5) and a RELEASE are unicast the same
     * way.  So ciaddr places them when it lies in a subnet we serve (ISC
     * dhcpd and Kea do the same); otherwise the interface decides, and a
     * foreign ciaddr is NAKed as before. */
    r->s = NULL;
    if (!m->giaddr && m->ciaddr &&
        (r->type == DHCP_REQUEST || r->type == DHCP_INFORM || r->type == DHCP_RELEASE))
        r->s = dhcpd_conf_subnet_of(e->conf, m->ciaddr);
    if (!r->s)
        r->s = dhcpd_conf_subnet_of(e->conf, m->giaddr ? m->giaddr : ifc->addr);
    if (!r->s)
        return -ENOENT;
    r->subnet = (uint16_t)(r->s - e->conf->subnets);
    r->host = dhcpd_conf_host_find(e->conf, cid, cid_len, m->htype, m->hlen, m->chaddr);
    if (r->host && !((r->host->addr & r->s->mask) == r->s->net))
        r->host = NULL; /* reserved in another subnet: not here */
    pick_ddns_label(r);
    return 0;
}

static bool owns(const struct lease *l, const struct req *r)
{
    return l->key_len == r->key_len && memcmp(l->key, r->key, r->key_len) == 0 &&
           (l->state == LEASE_OFFERED || l->state == LEASE_BOUND || l->state == LEASE_RELEASED);
}

/* Reserved for somebody other than r's client. */
static bool reserved_to_other(const struct dhcpd_engine *e, const struct req *r, uint32_t addr)
{
    const struct dhcpd_host *h = dhcpd_conf_host_of_addr(e->conf, addr);
    return h && h != r->host;
}

/* The address may be given to r's client now. */
static bool usable(const struct dhcpd_engine *e, const struct req *r, const struct lease *l,
                   int64_t now)
{
    if (l->subnet != r->subnet || reserved_to_other(e, r, l->addr))
        return false;
    if (owns(l, r))
        return true;
    if (!lease_is_free(l, now))
        return false;
    /* Pool addresses go to anyone; an address outside the pools only to
     * its reservation. */
    return dhcpd_subnet_in_pool(r->s, l->addr) || (r->host && r->host->addr == l->addr);
}

/* RFC 2131 4.3.1 address selection, in order: the client's current
 * binding, its reservation, the address it asked for, then a never-used
 * address (next-fit from the subnet's cursor), then the one expired
 * longest.  NULL when the pool is full. */
static struct lease *allocate(struct dhcpd_engine *e, const struct req *r, int64_t now)
{
    struct lease_table *t = e->t;
    struct lease *l = lease_table_find_client(t, r->subnet, r->key, r->key_len);
    if (l && usable(e, r, l, now) && (!r->host || r->host->addr == l->addr))
        return l;
    if (r->host) {
        l = lease_table_find_addr(t, r->host->addr);
        if (l && usable(e, r, l, now))
            return l;
    }
    if (r->requested) {
        l = lease_table_find_addr(t, r->requested);
        if (l && usable(e, r, l, now))
            return l;
    }
    /* Next-fit: a never-used address at or after the subnet's cursor. */
    for (size_t i = t->cursor[r->subnet]; i < t->n; i++) {
        struct lease *c = &t->v[i];
        if (c->used || c->subnet != r->subnet || !lease_is_free(c, now) ||
            !dhcpd_subnet_in_pool(r->s, c->addr) || dhcpd_conf_host_of_addr(e->conf, c->addr))
            continue;
        t->cursor[r->subnet] = i + 1;
        return c;
    }
    t->cursor[r->subnet] = t->n;
    /* None there: the lowest never-used address before it (an offer that
     * was never taken), else the one expired longest. */
    struct lease *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        struct lease *c = &t->v[i];
        if (c->subnet != r->subnet || !lease_is_free(c, now) ||
            !dhcpd_subnet_in_pool(r->s, c->addr) || dhcpd_conf_host_of_addr(e->conf, c->addr))
            continue;
        if (!c->used) {
            t->cursor[r->subnet] = i + 1;
            return c;
        }
        if (!best || c->expires < best->expires)
            best = c;
    }
    return best;
}

static uint32_t lease_time(const struct req *r)
{
    uint32_t s = r->s->lease_s;
    /* RFC 2131 3.5: the client may ask for a lease time; the server may
     * grant less. */
    if (r->want_lease_s) {
        s = r->want_lease_s < r->s->max_lease_s ? r->want_lease_s : r->s->max_lease_s;
        if (s < MIN_LEASE_S)
            s = MIN_LEASE_S;
    }
    return s;
}

/* Fills out's destination from RFC 2131 4.1. */
static void route(const struct req *r, uint8_t type, uint32_t yiaddr, struct dhcpd_out *out)
{
    const struct dhcp_msg *m = &r->m;
    out->htype = m->htype;
    out->hlen = m->hlen;
    memcpy(out->chaddr, m->chaddr, sizeof(out->chaddr));
    out->dest_port = DHCP_CLIENT_PORT;
    if (m->giaddr) {
        out->dest = DHCPD_DEST_RELAY;
        out->dest_addr = m->giaddr;
        out->dest_port = DHCP_SERVER_PORT;
        /* RFC 2131 4.3.2: a NAK through a relay asks it to broadcast. */
        if (type == DHCP_NAK)
            out->buf[10] |= 0x80;
    } else if (m->ciaddr && type != DHCP_NAK) {
        out->dest = DHCPD_DEST_CIADDR;
        out->dest_addr = m->ciaddr;
    } else if (type == DHCP_NAK || (m->flags & DHCP_FLAG_BROADCAST) ||
               m->htype != DHCP_HTYPE_ETHER || m->hlen != 6 || !yiaddr) {
        /* RFC 2131 4.1: a NAK without a relay is always broadcast. */
        out->dest = DHCPD_DEST_BROADCAST;
        out->dest_addr = INADDR_BROADCAST;
    } else {
        out->dest = DHCPD_DEST_HWADDR;
        out->dest_addr = yiaddr;
    }
}

/* RFC 4702 3.1 / 4: the server's option 81 answer, into out (3 +
 * DNS_NAME_TEXT_MAX bytes).  S set when we publish the A record (O too when
 * the client had asked to do it itself), N set when we publish nothing;
 * RCODE1/2 255 (2.2); the name we publish, in the client's encoding (E).
 * Returns the value's length. */
static size_t fqdn_answer(const struct dhcpd_engine *e, const struct req *r, uint8_t *out)
{
    uint8_t zone[DNS_NAME_MAXLEN], name[DNS_NAME_MAXLEN];
    bool wire = r->fqdn_flags & DHCP_FQDN_E;
    bool pub = e->conf->ddns.enabled && r->ddns_rc > 0 &&
               ddns_forward_zone(e->conf, r->s, zone) == 0 &&
               ddns_fqdn(r->ddns_label, zone, name) == 0;
    uint8_t flags = wire ? DHCP_FQDN_E : 0;
    if (pub)
        flags |= DHCP_FQDN_S | ((r->fqdn_flags & DHCP_FQDN_S) ? 0 : DHCP_FQDN_O);
    else
        flags |= DHCP_FQDN_N;
    out[0] = flags;
    out[1] = out[2] = 255;
    if (!pub)
        return 3;
    if (wire) {
        size_t l = dns_name_len(name);
        memcpy(out + 3, name, l);
        return 3 + l;
    }
    size_t tl = 0;
    dns_name_to_text(name, (char *)out + 3, DNS_NAME_TEXT_MAX, &tl);
    return 3 + tl;
}

/* Builds an OFFER, ACK or NAK.  Returns 1, or 0 when it cannot be built
 * (logged: a configuration that does not fit the client's size). */
static int reply(struct dhcpd_engine *e, const struct req *r, uint8_t type, uint32_t yiaddr,
                 uint32_t lease_s, const char *nak_msg, struct dhcpd_out *out)
{
    struct dhcp_opt_val c[DHCPD_MAX_OPTS + 6];
    size_t n = 0;
    /* Live until the build: c[] points into them. */
    // cppcheck-suppress variableScope
    uint8_t lt[4], t1[4], t2[4], fqdn[3 + DNS_NAME_TEXT_MAX];
    if (type != DHCP_NAK) {
        uint32_t v1 = r->s->t1_s ? r->s->t1_s : lease_s / 2;
        uint32_t v2 = r->s->t2_s ? r->s->t2_s : (uint32_t)((uint64_t)lease_s * 7 / 8);
        if (v1 >= lease_s || v2 >= lease_s || v1 >= v2) { /* a short client-asked lease */
            v1 = lease_s / 2;
            v2 = (uint32_t)((uint64_t)lease_s * 7 / 8);
        }
        uint32_t be = htonl(lease_s), b1 = htonl(v1), b2 = htonl(v2);
        memcpy(lt, &be, 4);
        memcpy(t1, &b1, 4);
        memcpy(t2, &b2, 4);
        /* RFC 2131 table 3: the lease time is a MUST in OFFER and ACK. */
        c[n++] = (struct dhcp_opt_val){DHCP_OPT_LEASE_TIME, true, lt, 4};
        c[n++] = (struct dhcp_opt_val){DHCP_OPT_T1, false, t1, 4};
        c[n++] = (struct dhcp_opt_val){DHCP_OPT_T2, false, t2, 4};
        for (size_t i = 0; i < r->s->n_opts; i++)
            c[n++] = (struct dhcp_opt_val){r->s->opts[i].code, false,
                                           r->s->optbuf + r->s->opts[i].off, r->s->opts[i].len};
        if (r->host && r->host->hostname[0])
            c[n++] =
                (struct dhcp_opt_val){DHCP_OPT_HOST_NAME, false, (const uint8_t *)r->host->hostname,
                                      strlen(r->host->hostname)};
        if (r->has_fqdn) {
            size_t fqdn_len = fqdn_answer(e, r, fqdn);
            c[n++] = (struct dhcp_opt_val){DHCP_OPT_CLIENT_FQDN, true, fqdn, fqdn_len};
        }
    } else if (nak_msg) {
        c[n++] = (struct dhcp_opt_val){DHCP_OPT_MESSAGE, true, (const uint8_t *)nak_msg,
                                       strlen(nak_msg)};
    }
    /* RFC 3046 2.2: option 82 goes back as it came, last. */
    if (r->relay)
        c[n++] = (struct dhcp_opt_val){DHCP_OPT_RELAY_AGENT_INFO, true, r->relay, r->relay_len};
    struct dhcp_reply rep = {
        .type = type,
        .server_id = r->ifc->addr,
        .yiaddr = type == DHCP_NAK ? 0 : yiaddr,
        .opts = c,
        .nopts = n,
    };
    if (dhcp_build_reply(&r->m, &rep, out->buf, sizeof(out->buf), &out->len) != 0) {
        if (warn_allowed(e, 0))
            log_warn("%s from %s via %s: the reply does not fit the client's size limit",
                     type_name(r->type), r->mac, r->ifc->name);
        return 0;
    }
    out->type = type;
    route(r, type, yiaddr, out);
    return 1;
}

static int nak(struct dhcpd_engine *e, const struct req *r, uint32_t addr, const char *why,
               struct dhcpd_out *out)
{
    char a[INET_ADDRSTRLEN];
    log_info("%s for %s from %s via %s -> NAK (%s)", type_name(r->type), ip(addr, a), r->mac,
             r->ifc->name, why);
    e->st.naks++;
    return reply(e, r, DHCP_NAK, 0, 0, why, out);
}

static int on_discover(struct dhcpd_engine *e, const struct req *r, int64_t now,
                       struct dhcpd_out *out)
{
    char a[INET_ADDRSTRLEN];
    struct lease *l = allocate(e, r, now);
    if (!l) {
        e->st.pool_full++;
        if (warn_allowed(e, now))
            log_warn("DHCPDISCOVER from %s via %s -> no free address in %s/%u", r->mac,
                     r->ifc->name, ip(r->s->net, a), r->s->prefix);
        return 0;
    }
    bool probe = e->conf->ping_check && !l->used && !l->probed;
    /* An active binding stays as it is; otherwise hold the address for
     * this client for offer-hold seconds, in memory only: a flood of
     * DISCOVERs from made-up MACs holds nothing for long and writes
     * nothing (docs/dhcpd.md, "Flood defence"). */
    if (!(l->state == LEASE_BOUND && owns(l, r) && l->expires > now)) {
        lease_table_set_client(e->t, l, r->key, r->key_len);
        l->state = LEASE_OFFERED;
        l->expires = now + e->conf->offer_hold_s;
        l->htype = r->m.htype;
        l->hlen = r->m.hlen;
        memcpy(l->chaddr, r->m.chaddr, sizeof(l->chaddr));
    }
    if (probe) {
        /* Conflict detection: somebody may use the address without us
         * knowing (configured by hand); ask before the first offer. */
        log_info("DHCPDISCOVER from %s via %s -> probing %s first", r->mac, r->ifc->name,
                 ip(l->addr, a));
        out->probe_addr = l->addr;
        return DHCPD_PROBE;
    }
    log_info("DHCPDISCOVER from %s via %s -> OFFER %s", r->mac, r->ifc->name, ip(l->addr, a));
    e->st.offers++;
    int rc = reply(e, r, DHCP_OFFER, l->addr, lease_time(r), NULL, out);
    out->needs_commit = false;
    return rc;
}

/* Binds l to r's client and marks it for the next commit. */
static int ack(struct dhcpd_engine *e, const struct req *r, struct lease *l, int64_t now,
               struct dhcpd_out *out)
{
    char a[INET_ADDRSTRLEN];
    uint32_t secs = lease_time(r);
    lease_table_set_client(e->t, l, r->key, r->key_len);
    l->state = LEASE_BOUND;
    l->used = true;
    l->expires = now + secs;
    l->htype = r->m.htype;
    l->hlen = r->m.hlen;
    memcpy(l->chaddr, r->m.chaddr, sizeof(l->chaddr));
    if (r->host && r->host->hostname[0])
        snprintf(l->hostname, sizeof(l->hostname), "%s", r->host->hostname);
    else if (r->hostname[0])
        snprintf(l->hostname, sizeof(l->hostname), "%s", r->hostname);
    /* What to publish in DNS; the server sends the update after the ACK. */
    snprintf(l->ddns_label, sizeof(l->ddns_label), "%s", r->ddns_rc > 0 ? r->ddns_label : "");
    if (r->ddns_rc < 0 && e->conf->ddns.enabled && warn_allowed(e, now))
        log_info("%s via %s: its host name is not a valid DNS label; not published in DNS", r->mac,
                 r->ifc->name);
    lease_table_mark_dirty(e->t, l);
    log_info("%s for %s from %s via %s -> ACK %s (%us)%s%s", type_name(r->type), ip(l->addr, a),
             r->mac, r->ifc->name, a, secs, l->hostname[0] ? " " : "", l->hostname);
    e->st.acks++;
    int rc = reply(e, r, DHCP_ACK, l->addr, secs, NULL, out);
    out->needs_commit = true;
    return rc;
}

static int on_request(struct dhcpd_engine *e, const struct req *r, int64_t now,
                      struct dhcpd_out *out)
{
    const struct dhcp_msg *m = &r->m;
    char a[INET_ADDRSTRLEN];
    if (r->server_id) {
        /* RFC 2131 4.3.2 SELECTING: the client answers one OFFER; another
         * server's name means ours was turned down. */
        if (r->server_id != r->ifc->addr) {
            struct lease *mine = lease_table_find_client(e->t, r->subnet, r->key, r->key_len);
            if (mine && mine->state == LEASE_OFFERED) {
                mine->expires = now; /* the hold ends: free again */
                if (!mine->used)
                    lease_table_rewind(e->t, mine);
            }
            log_info("DHCPREQUEST from %s via %s for server %s -> not us", r->mac, r->ifc->name,
                     ip(r->server_id, a));
            e->st.ignored++;
            return 0;
        }
        if (!r->requested || m->ciaddr)
            return -EBADMSG;
        struct lease *l = lease_table_find_addr(e->t, r->requested);
        if (!l || !usable(e, r, l, now))
            return nak(e, r, r->requested, "address not available", out);
        return ack(e, r, l, now, out);
    }
    if (r->requested && !m->ciaddr) {
        /* RFC 2131 4.3.2 INIT-REBOOT: NAK a wrong address, stay silent
         * without a record of the client. */
        if ((r->requested & r->s->mask) != r->s->net)
            return nak(e, r, r->requested, "wrong network", out);
        struct lease *l = lease_table_find_addr(e->t, r->requested);
        struct lease *mine = lease_table_find_client(e->t, r->subnet, r->key, r->key_len);
        if (l && (reserved_to_other(e, r, l->addr) || (!owns(l, r) && !lease_is_free(l, now))))
            return nak(e, r, r->requested, "address in use", out);
        if (mine && mine->addr != r->requested)
            return nak(e, r, r->requested, "not your address", out);
        if (!mine || !l) {
            log_info("DHCPREQUEST for %s from %s via %s -> no record, silent", ip(r->requested, a),
                     r->mac, r->ifc->name);
            e->st.ignored++;
            return 0;
        }
        return ack(e, r, l, now, out);
    }
    if (m->ciaddr && !r->requested) {
        /* RFC 2131 4.3.2 RENEWING (unicast) and REBINDING (broadcast):
         * extend our client's lease; refuse an address that is not. */
        if ((m->ciaddr & r->s->mask) != r->s->net)
            return nak(e, r, m->ciaddr, "wrong network", out);
        struct lease *l = lease_table_find_addr(e->t, m->ciaddr);
        if (l && owns(l, r) && !reserved_to_other(e, r, l->addr))
            return ack(e, r, l, now, out);
        if (l && (reserved_to_other(e, r, l->addr) || !lease_is_free(l, now)))
            return nak(e, r, m->ciaddr, "address in use", out);
        log_info("DHCPREQUEST for %s from %s via %s -> no record, silent", ip(m->ciaddr, a), r->mac,
                 r->ifc->name);
        e->st.ignored++;
        return 0;
    }
    return -EBADMSG;
}

static int on_decline(struct dhcpd_engine *e, const struct req *r, int64_t now)
{
    /* RFC 2131 4.3.3: the client found the address in use (ARP). */
    if (!r->requested || (r->server_id && r->server_id != r->ifc->addr))
        return 0;
    struct lease *l = lease_table_find_addr(e->t, r->requested);
    /* Only an address the client was ACKed: a client declines after
     * checking what it was given (4.4.1).  Declining a mere OFFER would let
     * DISCOVER+DECLINE from made-up MACs quarantine the whole pool without
     * ever binding a lease (tests/integration/test_dhcpd_abuse.sh). */
    if (!l || !owns(l, r) || l->state != LEASE_BOUND)
        return 0;
    lease_table_set_client(e->t, l, NULL, 0);
    l->state = LEASE_DECLINED;
    l->expires = now + e->conf->decline_quarantine_s;
    l->hostname[0] = '\0';
    lease_table_mark_dirty(e->t, l);
    e->st.declines++;
    if (warn_allowed(e, now)) {
        char a[INET_ADDRSTRLEN];
        log_warn("DHCPDECLINE of %s from %s via %s -> quarantined for %us: another host uses it",
                 ip(l->addr, a), r->mac, r->ifc->name, e->conf->decline_quarantine_s);
    }
    return 0;
}

static int on_release(struct dhcpd_engine *e, const struct req *r, int64_t now)
{
    char a[INET_ADDRSTRLEN];
    if (r->server_id && r->server_id != r->ifc->addr)
        return 0;
    struct lease *l = lease_table_find_addr(e->t, r->m.ciaddr);
    if (!l || !owns(l, r))
        return 0;
    /* RFC 2131 4.3.4: free, but remembered for the client's return. */
    l->state = LEASE_RELEASED;
    l->expires = now;
    lease_table_mark_dirty(e->t, l);
    e->st.releases++;
    log_info("DHCPRELEASE of %s from %s via %s -> freed", ip(l->addr, a), r->mac, r->ifc->name);
    return 0;
}

static int on_inform(struct dhcpd_engine *e, const struct req *r, struct dhcpd_out *out)
{
    char a[INET_ADDRSTRLEN];
    /* RFC 2131 4.3.5: configuration only, no lease, reply to ciaddr. */
    log_info("DHCPINFORM from %s (%s) via %s -> ACK", r->mac, ip(r->m.ciaddr, a), r->ifc->name);
    e->st.informs++;
    int rc = reply(e, r, DHCP_ACK, 0, r->s->lease_s, NULL, out);
    out->needs_commit = false;
    return rc;
}

void dhcpd_engine_probe_done(struct dhcpd_engine *e, uint32_t addr, bool in_use, int64_t now)
{
    struct lease *l = lease_table_find_addr(e->t, addr);
    if (!l)
        return;
    if (!in_use) {
        l->probed = true;
        return;
    }
    lease_table_set_client(e->t, l, NULL, 0);
    l->state = LEASE_DECLINED;
    l->expires = now + e->conf->decline_quarantine_s;
    l->hostname[0] = '\0';
    lease_table_mark_dirty(e->t, l);
    e->st.conflicts++;
    if (warn_allowed(e, now)) {
        char a[INET_ADDRSTRLEN];
        log_warn("%s answers ping: in use by a host we did not configure; quarantined for %us",
                 ip(addr, a), e->conf->decline_quarantine_s);
    }
}

int dhcpd_engine_handle(struct dhcpd_engine *e, const struct dhcpd_iface *ifc, const uint8_t *pkt,
                        size_t len, int64_t now, struct dhcpd_out *out)
{
    struct req r;
    uint8_t relay_buf[255];
    e->st.received++;
    out->len = 0;
    out->needs_commit = false;
    out->probe_addr = 0;
    if (!ifc->addr) {
        e->st.ignored++;
        return 0; /* no address here: no server identifier to give */
    }
    int rc = decode(e, &r, ifc, pkt, len, relay_buf);
    if (rc == -ENOENT) {
        e->st.ignored++;
        return 0;
    }
    if (rc == 0) {
        switch (r.type) {
        case DHCP_DISCOVER:
            rc = on_discover(e, &r, now, out);
            break;
        case DHCP_REQUEST:
            rc = on_request(e, &r, now, out);
            break;
        case DHCP_DECLINE:
            rc = on_decline(e, &r, now);
            break;
        case DHCP_RELEASE:
            rc = on_release(e, &r, now);
            break;
        case DHCP_INFORM:
            rc = on_inform(e, &r, out);
            break;
        default:
            rc = -EBADMSG; /* a server's message type from a client */
        }
    }
    if (rc < 0)
        e->st.malformed++;
    return rc;
}
