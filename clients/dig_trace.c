#include "clients/dig_trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/dns_roots.h"
#include "common/dns_text.h"

static struct dig_ns *ns_find(struct dig_zone *z, const uint8_t *name)
{
    for (size_t i = 0; i < z->n_ns; i++)
        if (dns_name_eq(z->ns[i].name, name))
            return &z->ns[i];
    return NULL;
}

static struct dig_ns *ns_add(struct dig_zone *z, const uint8_t *name)
{
    struct dig_ns *ns = ns_find(z, name);
    if (ns || z->n_ns == DIG_NS_MAX)
        return ns;
    ns = &z->ns[z->n_ns++];
    memset(ns, 0, sizeof(*ns));
    memcpy(ns->name, name, dns_name_len(name));
    return ns;
}

static void addr_add(struct dig_ns *ns, int family, const uint8_t *ip)
{
    size_t n = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < ns->n_addr; i++)
        if (ns->addr[i].family == family && memcmp(ns->addr[i].ip, ip, n) == 0)
            return;
    if (ns->n_addr == DIG_NS_ADDRS_MAX)
        return;
    struct dig_addr *a = &ns->addr[ns->n_addr++];
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->ip, ip, n);
}

size_t dig_zone_usable(const struct dig_zone *z)
{
    size_t n = 0;
    for (size_t i = 0; i < z->n_ns; i++)
        n += z->ns[i].n_addr > 0;
    return n;
}

/* ---- named.root ---- */

#define HINT_TOKENS 8
#define HINT_TOKLEN 256

struct hint_rec {
    uint8_t owner[DNS_NAME_MAXLEN];
    uint16_t type;
    char rdata[HINT_TOKLEN];
};

/* Splits one line into at most HINT_TOKENS white-space separated tokens
 * (copied, each under HINT_TOKLEN), stopping at a ';' comment.  Returns the
 * count, or -EBADMSG for a token too long or too many. */
static int tokenize(const char *p, size_t n, char tok[HINT_TOKENS][HINT_TOKLEN])
{
    int nt = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == n || p[i] == ';')
            break;
        size_t s = i;
        while (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != ';')
            i++;
        if (nt == HINT_TOKENS || i - s >= HINT_TOKLEN)
            return -EBADMSG;
        memcpy(tok[nt], p + s, i - s);
        tok[nt][i - s] = '\0';
        nt++;
    }
    return nt;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* "NAME [TTL] [CLASS] TYPE RDATA" (RFC 1035 5.1, TTL and class in either
 * order).  Returns 1 for a record, 0 for an empty line, -EBADMSG. */
static int hint_line(const char *p, size_t n, struct hint_rec *r)
{
    char tok[HINT_TOKENS][HINT_TOKLEN];
    int nt = tokenize(p, n, tok);
    if (nt <= 0)
        return nt;
    if (nt < 3 || dns_name_from_text(tok[0], strlen(tok[0]), r->owner, NULL) != 0)
        return -EBADMSG;
    int i = 1;
    uint16_t cls;
    for (int k = 0; k < 2 && i < nt - 2; k++) {
        bool ttl = all_digits(tok[i]);
        bool in = !ttl && dns_class_from_text(tok[i], &cls) == 0 && cls == DNS_CLASS_IN;
        if (ttl || in)
            i++;
    }
    if (nt - i != 2 || dns_type_from_text(tok[i], &r->type) != 0)
        return -EBADMSG;
    memcpy(r->rdata, tok[i + 1], sizeof(r->rdata));
    return 1;
}

int dig_hints_parse(const char *text, size_t len, struct dig_zone *z, size_t *bad_line)
{
    memset(z, 0, sizeof(*z));
    z->name[0] = 0;
    /* Two passes: the NS records first, so address records may come in any
     * order relative to them. */
    for (int pass = 0; pass < 2; pass++) {
        size_t pos = 0, line = 0;
        while (pos < len) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
            line++;
            struct hint_rec r;
            int rc = hint_line(text + pos, n, &r);
            pos += n + (nl ? 1 : 0);
            if (rc < 0) {
                if (bad_line)
                    *bad_line = line;
                return -EBADMSG;
            }
            if (rc == 0)
                continue;
            if (pass == 0 && r.type == DNS_TYPE_NS && r.owner[0] == 0) {
                uint8_t target[DNS_NAME_MAXLEN];
                if (dns_name_from_text(r.rdata, strlen(r.rdata), target, NULL) != 0) {
                    if (bad_line)
                        *bad_line = line;
                    return -EBADMSG;
                }
                ns_add(z, target);
            } else if (pass == 1 && (r.type == DNS_TYPE_A || r.type == DNS_TYPE_AAAA)) {
                uint8_t ip[16];
                int fam = r.type == DNS_TYPE_A ? AF_INET : AF_INET6;
                if (inet_pton(fam, r.rdata, ip) != 1) {
                    if (bad_line)
                        *bad_line = line;
                    return -EBADMSG;
                }
                struct dig_ns *ns = ns_find(z, r.owner);
                if (ns)
                    addr_add(ns, fam, ip);
            }
        }
    }
    if (bad_line)
        *bad_line = 0;
    return dig_zone_usable(z) > 0 ? 0 : -EBADMSG;
}

/* ---- replies ---- */

size_t dig_zone_collect(struct dig_zone *z, const struct dns_msg *m, int sec, const uint8_t *owner,
                        const uint8_t *bailiwick)
{
    memset(z, 0, sizeof(*z));
    memcpy(z->name, owner, dns_name_len(owner));
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, sec, &n);
    uint8_t name[DNS_NAME_MAXLEN];
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (rr[i].type != DNS_TYPE_NS || rr[i].rclass != DNS_CLASS_IN)
            continue;
        if (dns_msg_rr_owner(m, &rr[i], name, NULL) != 0 || !dns_name_eq(name, owner))
            continue;
        if (dns_rr_name(m, &rr[i], name, NULL) != 0)
            continue;
        if (first || rr[i].ttl < z->ttl)
            z->ttl = rr[i].ttl;
        first = false;
        ns_add(z, name);
    }
    if (z->n_ns == 0)
        return 0;
    const struct dns_rr *ar = dns_msg_section(m, DNS_SEC_AR, &n);
    for (size_t i = 0; i < n; i++) {
        if (ar[i].type != DNS_TYPE_A && ar[i].type != DNS_TYPE_AAAA)
            continue;
        if (ar[i].rclass != DNS_CLASS_IN || dns_msg_rr_owner(m, &ar[i], name, NULL) != 0)
            continue;
        struct dig_ns *ns = ns_find(z, name);
        /* Scrub: only what the replying server is authoritative for. */
        if (!ns || !dns_name_is_sub(name, bailiwick))
            continue;
        uint8_t ip[16];
        if (ar[i].type == DNS_TYPE_A && dns_rr_a(m, &ar[i], ip) == 0)
            addr_add(ns, AF_INET, ip);
        else if (ar[i].type == DNS_TYPE_AAAA && dns_rr_aaaa(m, &ar[i], ip) == 0)
            addr_add(ns, AF_INET6, ip);
    }
    return z->n_ns;
}

size_t dig_zone_fill(struct dig_zone *z, const struct dig_zone *from)
{
    for (size_t i = 0; i < z->n_ns; i++) {
        struct dig_ns *ns = &z->ns[i];
        if (ns->n_addr)
            continue;
        for (size_t j = 0; j < from->n_ns; j++) {
            if (!dns_name_eq(from->ns[j].name, ns->name))
                continue;
            for (size_t k = 0; k < from->ns[j].n_addr; k++)
                addr_add(ns, from->ns[j].addr[k].family, from->ns[j].addr[k].ip);
        }
    }
    return dig_zone_usable(z);
}

enum dig_step dig_trace_classify(const struct dns_msg *m, const uint8_t *qname,
                                 const struct dig_zone *cur, struct dig_zone *next)
{
    size_t n;
    if (dns_msg_rcode(m) != DNS_RCODE_NOERROR)
        return DIG_STEP_ANSWER;
    dns_msg_section(m, DNS_SEC_AN, &n);
    if (n > 0 || m->hdr.aa)
        return DIG_STEP_ANSWER;
    const struct dns_rr *ns = dns_msg_section(m, DNS_SEC_NS, &n);
    uint8_t cut[DNS_NAME_MAXLEN];
    bool any_ns = false;
    for (size_t i = 0; i < n; i++) {
        if (ns[i].type != DNS_TYPE_NS)
            continue;
        any_ns = true;
        if (dns_msg_rr_owner(m, &ns[i], cut, NULL) != 0)
            continue;
        /* RFC 1034 4.3.2: a referral names a zone closer to qname.  Strictly
         * below the current cut, so every step makes progress. */
        if (dns_name_is_sub(qname, cut) && dns_name_is_sub(cut, cur->name) &&
            !dns_name_eq(cut, cur->name))
            return dig_zone_collect(next, m, DNS_SEC_NS, cut, cur->name) > 0 ? DIG_STEP_REFERRAL
                                                                             : DIG_STEP_BAD;
    }
    return any_ns ? DIG_STEP_BAD : DIG_STEP_ANSWER;
}
