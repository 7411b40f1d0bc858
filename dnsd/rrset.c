#include "dnsd/rrset.h"

#include <errno.h>
#include <string.h>

#include "common/dns_name.h"

/* Fixed part after the owner: TYPE, CLASS, TTL, record count. */
#define FIXED_LEN 10

int rrset_view(const uint8_t *b, size_t len, struct rrset_view *v)
{
    struct wire_rd r;
    wire_rd_init(&r, b, len);
    size_t olen = 0;
    if (dns_name_decode(&r, NULL, &olen) < 0 || r.pos != olen)
        return -EBADMSG; /* a blob's owner is never compressed */
    v->owner = b;
    v->type = wire_rd_u16(&r);
    v->rclass = wire_rd_u16(&r);
    v->ttl = wire_rd_u32(&r);
    v->nrr = wire_rd_u16(&r);
    if (!wire_rd_ok(&r))
        return -EBADMSG;
    v->rdata = b + r.pos;
    v->rdata_len = len - r.pos;
    v->len = len;
    /* Walk the records once so every later iteration is known good. */
    struct wire_rd it;
    wire_rd_init(&it, v->rdata, v->rdata_len);
    const uint8_t *rd;
    uint16_t rdlen;
    uint16_t n = 0;
    int rc;
    while ((rc = rrset_rdata_next(&it, &rd, &rdlen)) == 1)
        n++;
    if (rc < 0 || n != v->nrr)
        return -EBADMSG;
    return 0;
}

int rrset_rdata_next(struct wire_rd *it, const uint8_t **rd, uint16_t *rdlen)
{
    *rd = NULL;
    *rdlen = 0;
    if (wire_rd_remaining(it) == 0)
        return it->err ? it->err : 0;
    uint16_t n = wire_rd_u16(it);
    const uint8_t *p = wire_rd_ptr(it, n);
    if (!p)
        return -EBADMSG;
    *rd = p;
    *rdlen = n;
    return 1;
}

void rrset_build_begin(struct rrset_build *b, void *buf, size_t cap, const uint8_t *owner,
                       uint16_t type, uint16_t rclass, uint32_t ttl)
{
    memset(b, 0, sizeof(*b));
    wire_wr_init(&b->w, buf, cap);
    wire_wr_bytes(&b->w, owner, dns_name_len(owner));
    wire_wr_u16(&b->w, type);
    wire_wr_u16(&b->w, rclass);
    b->ttl_at = b->w.pos;
    wire_wr_u32(&b->w, ttl);
    b->nrr_at = b->w.pos;
    wire_wr_u16(&b->w, 0);
    b->rdata_at = b->w.pos;
    b->ttl = ttl;
}

void rrset_build_add(struct rrset_build *b, const uint8_t *rdata, size_t rdlen, uint32_t ttl)
{
    if (b->err || !wire_wr_ok(&b->w))
        return;
    if (rdlen > UINT16_MAX) {
        b->err = -EMSGSIZE;
        return;
    }
    /* RFC 2181 5: duplicates collapse into one record. */
    struct wire_rd it;
    wire_rd_init(&it, b->w.buf + b->rdata_at, b->w.pos - b->rdata_at);
    const uint8_t *rd;
    uint16_t n;
    while (rrset_rdata_next(&it, &rd, &n) == 1) {
        if (n == rdlen && (rdlen == 0 || memcmp(rd, rdata, rdlen) == 0)) {
            if (ttl < b->ttl)
                b->ttl = ttl;
            return;
        }
    }
    if (b->nrr >= RRSET_MAX_RR) {
        b->err = -E2BIG;
        return;
    }
    wire_wr_u16(&b->w, (uint16_t)rdlen);
    wire_wr_bytes(&b->w, rdata, rdlen);
    b->nrr++;
    /* RFC 2181 5.2: differing TTLs in one RRset are treated as the lowest. */
    if (ttl < b->ttl)
        b->ttl = ttl;
}

int rrset_build_finish(struct rrset_build *b)
{
    if (b->err)
        return b->err;
    if (!wire_wr_ok(&b->w))
        return b->w.err;
    uint8_t *p = b->w.buf;
    p[b->ttl_at] = (uint8_t)(b->ttl >> 24);
    p[b->ttl_at + 1] = (uint8_t)(b->ttl >> 16);
    p[b->ttl_at + 2] = (uint8_t)(b->ttl >> 8);
    p[b->ttl_at + 3] = (uint8_t)b->ttl;
    p[b->nrr_at] = (uint8_t)(b->nrr >> 8);
    p[b->nrr_at + 1] = (uint8_t)b->nrr;
    return (int)b->w.pos;
}

/* RDATA layouts with embedded names: the number of fixed octets before the
 * first name, the number of names, and fixed octets after them.  Returns
 * false for types whose RDATA is opaque to us. */
static bool rdata_layout(uint16_t type, size_t *pre, size_t *names, size_t *post)
{
    *pre = 0;
    *post = 0;
    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_MD:
    case DNS_TYPE_MF:
    case DNS_TYPE_MB:
    case DNS_TYPE_MG:
    case DNS_TYPE_MR:
        *names = 1;
        return true;
    case DNS_TYPE_SOA:
        *names = 2;
        *post = 20;
        return true;
    case DNS_TYPE_MINFO:
        *names = 2;
        return true;
    case DNS_TYPE_MX:
        *pre = 2;
        *names = 1;
        return true;
    case DNS_TYPE_SRV:
        *pre = 6;
        *names = 1;
        return true;
    default:
        return false;
    }
}

int rrset_rdata_from_msg(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out, size_t cap,
                         size_t *len)
{
    size_t pre, names, post;
    struct wire_wr w;
    wire_wr_init(&w, out, cap);
    if (rr->rdata_off > m->len || rr->rdlength > m->len - rr->rdata_off)
        return -EBADMSG;
    if (!rdata_layout(rr->type, &pre, &names, &post)) {
        wire_wr_bytes(&w, m->buf + rr->rdata_off, rr->rdlength);
        if (!wire_wr_ok(&w))
            return w.err;
        *len = w.pos;
        return 0;
    }
    size_t end = rr->rdata_off + rr->rdlength;
    /* Names are decompressed against the whole message, but every part of
     * the RDATA must lie inside RDLENGTH. */
    struct wire_rd r;
    wire_rd_init(&r, m->buf, end);
    wire_rd_seek(&r, rr->rdata_off);
    const uint8_t *p = wire_rd_ptr(&r, pre);
    if (!p)
        return -EBADMSG;
    wire_wr_bytes(&w, p, pre);
    for (size_t i = 0; i < names; i++) {
        uint8_t name[DNS_NAME_MAXLEN];
        size_t nlen = 0;
        if (dns_name_decode(&r, name, &nlen) < 0)
            return -EBADMSG;
        wire_wr_bytes(&w, name, nlen);
    }
    p = wire_rd_ptr(&r, post);
    if (!p || r.pos != end)
        return -EBADMSG;
    wire_wr_bytes(&w, p, post);
    if (!wire_wr_ok(&w))
        return w.err;
    *len = w.pos;
    return 0;
}

int rrset_rdata_name(const uint8_t *rd, size_t rdlen, uint8_t *out)
{
    struct wire_rd r;
    wire_rd_init(&r, rd, rdlen);
    size_t n = 0;
    if (dns_name_decode(&r, out, &n) < 0 || r.pos != rdlen || n != rdlen)
        return -EBADMSG;
    return 0;
}

/* True if rdata (uncompressed) has the layout of its type. */
static bool rdata_valid(uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
    size_t pre, names, post;
    if (!rdata_layout(type, &pre, &names, &post))
        return true;
    struct wire_rd r;
    wire_rd_init(&r, rd, rdlen);
    wire_rd_skip(&r, pre);
    for (size_t i = 0; i < names; i++) {
        size_t start = r.pos, n = 0;
        if (dns_name_decode(&r, NULL, &n) < 0 || r.pos - start != n)
            return false; /* compressed or malformed */
    }
    wire_rd_skip(&r, post);
    return wire_rd_ok(&r) && r.pos == rdlen;
}

/* Whether dns_wr may compress names in this type's RDATA (RFC 3597 4);
 * the others are copied as they are. */
static bool rdata_compress(uint16_t type)
{
    return type != DNS_TYPE_SRV && type != DNS_TYPE_DNAME && dns_type_compressible(type);
}

int rrset_write(struct dns_wr *d, int sec, const struct rrset_view *v, const uint8_t *owner,
                uint32_t ttl)
{
    struct wire_rd it;
    const uint8_t *rd;
    uint16_t rdlen;
    int rc;
    /* Validate first: a record cannot be taken back once begun. */
    wire_rd_init(&it, v->rdata, v->rdata_len);
    while ((rc = rrset_rdata_next(&it, &rd, &rdlen)) == 1)
        if (!rdata_valid(v->type, rd, rdlen))
            return -EBADMSG;
    if (rc < 0)
        return rc;
    if (!owner)
        owner = v->owner;
    bool comp = rdata_compress(v->type);
    size_t pre = 0, names = 0, post = 0;
    if (comp)
        comp = rdata_layout(v->type, &pre, &names, &post);
    dns_wr_rrset_begin(d, sec);
    wire_rd_init(&it, v->rdata, v->rdata_len);
    while (rrset_rdata_next(&it, &rd, &rdlen) == 1) {
        if (!comp) {
            dns_wr_rr(d, owner, v->type, v->rclass, ttl, rd, rdlen);
            continue;
        }
        dns_wr_rr_begin(d, owner, v->type, v->rclass, ttl);
        struct wire_rd r;
        wire_rd_init(&r, rd, rdlen);
        const uint8_t *p = wire_rd_ptr(&r, pre);
        if (p && pre)
            wire_wr_bytes(&d->w, p, pre);
        for (size_t i = 0; i < names; i++) {
            uint8_t name[DNS_NAME_MAXLEN];
            if (dns_name_decode(&r, name, NULL) < 0)
                break; /* cannot happen: validated above */
            dns_wr_rdata_name(d, name);
        }
        p = wire_rd_ptr(&r, post);
        if (p && post)
            wire_wr_bytes(&d->w, p, post);
        dns_wr_rr_end(d);
    }
    return dns_wr_rrset_end(d);
}
