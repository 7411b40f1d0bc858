/*
 * dns_update: RFC 2136 message checks and construction.  See dns_update.h.
 */
#include "common/dns_update.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Types that name no RRset and may not be added or deleted as such
 * (RFC 2136 3.4.1.3: ANY, AXFR, MAILA, MAILB; IXFR and OPT likewise). */
static bool meta_type(uint16_t t)
{
    return t == DNS_TYPE_ANY || t == DNS_TYPE_AXFR || t == DNS_TYPE_IXFR || t == 253 || t == 254 ||
           t == DNS_TYPE_OPT || t == 250 /* TSIG */;
}

static bool owner_in_zone(const struct dns_msg *m, const struct dns_rr *rr, const uint8_t *zone)
{
    uint8_t owner[DNS_NAME_MAXLEN];
    if (dns_msg_rr_owner(m, rr, owner, NULL) < 0)
        return false;
    return dns_name_is_sub(owner, zone);
}

enum dns_prereq dns_update_prereq(const struct dns_rr *rr)
{
    if (rr->rclass == DNS_CLASS_ANY)
        return rr->type == DNS_TYPE_ANY ? DNS_PRE_NAME_IN_USE : DNS_PRE_RRSET_EXISTS;
    if (rr->rclass == DNS_CLASS_NONE)
        return rr->type == DNS_TYPE_ANY ? DNS_PRE_NAME_NOT_IN_USE : DNS_PRE_RRSET_ABSENT;
    return DNS_PRE_RRSET_EQUALS;
}

enum dns_update_op dns_update_op(const struct dns_rr *rr)
{
    if (rr->rclass == DNS_CLASS_ANY)
        return rr->type == DNS_TYPE_ANY ? DNS_UPD_DELETE_NAME : DNS_UPD_DELETE_RRSET;
    if (rr->rclass == DNS_CLASS_NONE)
        return DNS_UPD_DELETE_RR;
    return DNS_UPD_ADD;
}

uint8_t dns_update_prescan(const struct dns_msg *m, uint8_t *zone)
{
    if (m->truncated || m->hdr.opcode != DNS_OPCODE_UPDATE)
        return DNS_RCODE_FORMERR;
    /* 3.1.1: exactly one zone, named by an SOA "question" of our class. */
    if (m->qd_n != 1 || m->qd[0].qtype != DNS_TYPE_SOA || m->qd[0].qclass != DNS_CLASS_IN)
        return DNS_RCODE_FORMERR;
    if (dns_msg_qname(m, &m->qd[0], zone, NULL) < 0)
        return DNS_RCODE_FORMERR;
    dns_name_lower(zone);

    size_t n;
    const struct dns_rr *pr = dns_msg_section(m, DNS_UPD_SEC_PR, &n);
    for (size_t i = 0; i < n; i++) {
        const struct dns_rr *rr = &pr[i];
        /* 3.2.1: TTL zero; then by class. */
        if (rr->ttl != 0)
            return DNS_RCODE_FORMERR;
        if (!owner_in_zone(m, rr, zone))
            return DNS_RCODE_NOTZONE;
        if (rr->rclass == DNS_CLASS_ANY || rr->rclass == DNS_CLASS_NONE) {
            if (rr->rdlength != 0)
                return DNS_RCODE_FORMERR;
        } else if (rr->rclass != DNS_CLASS_IN || meta_type(rr->type)) {
            return DNS_RCODE_FORMERR;
        }
    }
    const struct dns_rr *up = dns_msg_section(m, DNS_UPD_SEC_UP, &n);
    for (size_t i = 0; i < n; i++) {
        const struct dns_rr *rr = &up[i];
        if (!owner_in_zone(m, rr, zone))
            return DNS_RCODE_NOTZONE;
        switch (rr->rclass) {
        case DNS_CLASS_IN: /* add */
            if (meta_type(rr->type))
                return DNS_RCODE_FORMERR;
            break;
        case DNS_CLASS_ANY: /* delete an RRset or a name */
            if (rr->ttl != 0 || rr->rdlength != 0 ||
                (meta_type(rr->type) && rr->type != DNS_TYPE_ANY))
                return DNS_RCODE_FORMERR;
            break;
        case DNS_CLASS_NONE: /* delete one RR */
            if (rr->ttl != 0 || meta_type(rr->type))
                return DNS_RCODE_FORMERR;
            break;
        default:
            return DNS_RCODE_FORMERR;
        }
    }
    /* Additional data: only a TSIG, and only last, is ours to judge;
     * other records there are ignored (RFC 2136 3.8 leaves them open). */
    return DNS_RCODE_NOERROR;
}

int dns_update_begin(struct dns_wr *d, void *buf, size_t cap, uint16_t id, const uint8_t *zone)
{
    dns_wr_init(d, buf, cap, cap);
    struct dns_hdr h = {.id = id, .opcode = DNS_OPCODE_UPDATE};
    dns_wr_header(d, &h);
    dns_wr_question(d, zone, DNS_TYPE_SOA, DNS_CLASS_IN);
    return wire_wr_ok(&d->w) ? 0 : -EMSGSIZE;
}
