#include "clients/dig_trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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

/* ---- named.root (parsed by common/roothints) ---- */

void dig_zone_from_hints(struct dig_zone *z, const struct roothints *h)
{
    memset(z, 0, sizeof(*z));
    z->name[0] = 0;
    for (size_t i = 0; i < h->nns && z->n_ns < DIG_NS_MAX; i++) {
        struct dig_ns *ns = ns_add(z, h->ns[i].name);
        for (size_t k = 0; ns && k < h->ns[i].naddr; k++)
            addr_add(ns, h->ns[i].addr[k].family, h->ns[i].addr[k].ip);
    }
}

int dig_hints_parse(const char *text, size_t len, struct dig_zone *z, char *err, size_t errcap)
{
    /* Some 12 KiB: static, as the trace runs one at a time. */
    static struct roothints h;
    int rc = roothints_parse(&h, text, len, err, errcap);
    if (rc != 0) {
        memset(z, 0, sizeof(*z));
        return rc;
    }
    dig_zone_from_hints(z, &h);
    return 0;
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
