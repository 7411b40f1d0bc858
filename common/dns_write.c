#include "common/dns_write.h"

#include <errno.h>
#include <string.h>

/* RFC 1035 4.1.4: a pointer holds a 14-bit offset. */
#define PTR_MAX_OFF 0x3fff

static void fail(struct dns_wr *d, int err)
{
    if (d->err == 0)
        d->err = err;
}

void dns_wr_init(struct dns_wr *d, void *buf, size_t cap, size_t limit)
{
    memset(d, 0, sizeof(*d));
    wire_wr_init(&d->w, buf, cap);
    d->limit = limit < d->w.cap ? limit : d->w.cap;
    d->sec = DNS_SEC_QD;
}

void dns_wr_reserve(struct dns_wr *d, size_t n)
{
    d->reserve = n;
}

void dns_wr_header(struct dns_wr *d, const struct dns_hdr *h)
{
    if (d->started) {
        fail(d, -EINVAL);
        return;
    }
    d->started = true;
    d->hdr = *h;
    wire_wr_zero(&d->w, DNS_HDR_LEN);
    if (wire_wr_ok(&d->w) && wire_wr_len(&d->w) > d->limit)
        d->w.err = -EMSGSIZE;
    /* Outside an RRset nothing can be rolled back: keep the error here, as
     * a later RRset roll-back clears the buffer's own. */
    if (!wire_wr_ok(&d->w))
        fail(d, d->w.err);
}

/* True if the name written at off in the message (possibly ending in a
 * pointer) is octet for octet the uncompressed name s.  Only names this
 * writer wrote are followed, and its pointers always point backwards. */
static bool match_at(const struct dns_wr *d, size_t off, const uint8_t *s)
{
    const uint8_t *buf = d->w.buf;
    size_t p = off, i = 0;
    for (;;) {
        uint8_t c = buf[p];
        if ((c & 0xc0) == 0xc0) {
            p = (size_t)(c & 0x3f) << 8 | buf[p + 1];
            continue;
        }
        if (c != s[i])
            return false;
        if (c == 0)
            return true;
        if (memcmp(buf + p + 1, s + i + 1, c) != 0)
            return false;
        p += (size_t)c + 1;
        i += (size_t)c + 1;
    }
}

static int comp_find(const struct dns_wr *d, const uint8_t *s, size_t slen)
{
    for (size_t k = 0; k < d->ncomp; k++)
        if (d->comp[k].len == slen && match_at(d, d->comp[k].off, s))
            return (int)k;
    return -1;
}

/* Writes name, compressed if compress, and remembers its in-line labels as
 * pointer targets if remember. */
static void put_name(struct dns_wr *d, const uint8_t *name, bool compress, bool remember)
{
    size_t total = dns_name_len(name);
    size_t start = wire_wr_len(&d->w);
    size_t i = 0; /* offset in name of the first label not written */
    int hit = -1;
    for (; name[i] != 0; i += (size_t)name[i] + 1) {
        if (compress && (hit = comp_find(d, name + i, total - i)) >= 0)
            break;
    }
    /* Labels name[0..i) go in line. */
    wire_wr_bytes(&d->w, name, i);
    if (hit >= 0)
        wire_wr_u16(&d->w, (uint16_t)(0xc000u | d->comp[hit].off));
    else
        wire_wr_u8(&d->w, 0);
    if (!wire_wr_ok(&d->w) || !remember)
        return;
    for (size_t k = 0; k < i; k += (size_t)name[k] + 1) {
        if (d->ncomp == DNS_WR_COMP_MAX || start + k > PTR_MAX_OFF)
            break;
        d->comp[d->ncomp].off = (uint16_t)(start + k);
        d->comp[d->ncomp].len = (uint8_t)(total - k);
        d->ncomp++;
    }
}

void dns_wr_question(struct dns_wr *d, const uint8_t *qname, uint16_t qtype, uint16_t qclass)
{
    if (d->sec != DNS_SEC_QD || !d->started) {
        fail(d, -EINVAL);
        return;
    }
    if (d->count[DNS_SEC_QD] == UINT16_MAX) {
        fail(d, -E2BIG);
        return;
    }
    put_name(d, qname, true, true);
    wire_wr_u16(&d->w, qtype);
    wire_wr_u16(&d->w, qclass);
    /* The question is never dropped: one that does not fit the limit is an
     * error, like one that does not fit the buffer. */
    if (wire_wr_ok(&d->w) && wire_wr_len(&d->w) > d->limit)
        d->w.err = -EMSGSIZE;
    if (wire_wr_ok(&d->w))
        d->count[DNS_SEC_QD]++;
    else
        fail(d, d->w.err);
}

void dns_wr_rrset_begin(struct dns_wr *d, int sec)
{
    if (d->stopped)
        return;
    if (d->in_rrset || sec <= DNS_SEC_QD || sec >= DNS_SEC_COUNT || sec < d->sec || !d->started) {
        fail(d, -EINVAL);
        return;
    }
    d->sec = sec;
    d->in_rrset = true;
    d->mark_pos = wire_wr_len(&d->w);
    d->mark_ncomp = d->ncomp;
    d->mark_count = d->count[sec];
}

int dns_wr_rrset_end(struct dns_wr *d)
{
    if (d->stopped)
        return -EMSGSIZE;
    if (!d->in_rrset || d->in_rr) {
        fail(d, -EINVAL);
        return -EINVAL;
    }
    d->in_rrset = false;
    size_t room = d->limit > d->reserve ? d->limit - d->reserve : 0;
    if (wire_wr_ok(&d->w) && wire_wr_len(&d->w) <= room)
        return 0;
    /* The RRset does not fit: drop all of it, never part of one
     * (RFC 2181 9), and stop. */
    wire_wr_truncate(&d->w, d->mark_pos);
    d->ncomp = d->mark_ncomp;
    d->count[d->sec] = d->mark_count;
    d->stopped = true;
    if (d->sec != DNS_SEC_AR)
        d->hdr.tc = true;
    return -EMSGSIZE;
}

void dns_wr_rr_begin(struct dns_wr *d, const uint8_t *owner, uint16_t type, uint16_t rclass,
                     uint32_t ttl)
{
    if (d->stopped)
        return;
    if (!d->in_rrset || d->in_rr) {
        fail(d, -EINVAL);
        return;
    }
    d->in_rr = true;
    d->rr_type = type;
    put_name(d, owner, true, true);
    wire_wr_u16(&d->w, type);
    wire_wr_u16(&d->w, rclass);
    wire_wr_u32(&d->w, ttl);
    d->rdlen_at = wire_wr_len(&d->w);
    wire_wr_u16(&d->w, 0);
}

void dns_wr_rdata_name(struct dns_wr *d, const uint8_t *name)
{
    if (d->stopped)
        return;
    if (!d->in_rr) {
        fail(d, -EINVAL);
        return;
    }
    /* RFC 3597 4: only the RFC 1035 types may carry compressed names. */
    bool c = dns_type_compressible(d->rr_type);
    put_name(d, name, c, c);
}

void dns_wr_rr_end(struct dns_wr *d)
{
    if (d->stopped)
        return;
    if (!d->in_rr) {
        fail(d, -EINVAL);
        return;
    }
    d->in_rr = false;
    if (!wire_wr_ok(&d->w))
        return; /* the RRset will be rolled back */
    size_t rdlen = wire_wr_len(&d->w) - d->rdlen_at - 2;
    if (rdlen > UINT16_MAX || d->count[d->sec] == UINT16_MAX) {
        fail(d, -E2BIG);
        return;
    }
    wire_wr_patch_u16(&d->w, d->rdlen_at, (uint16_t)rdlen);
    d->count[d->sec]++;
}

void dns_wr_rr(struct dns_wr *d, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
               const void *rdata, uint16_t rdlen)
{
    dns_wr_rr_begin(d, owner, type, rclass, ttl);
    if (!d->stopped)
        wire_wr_bytes(&d->w, rdata, rdlen);
    dns_wr_rr_end(d);
}

int dns_wr_rr_copy(struct dns_wr *d, const struct dns_msg *m, const struct dns_rr *rr)
{
    uint8_t owner[DNS_NAME_MAXLEN];
    int err = dns_msg_rr_owner(m, rr, owner, NULL);
    if (err)
        return err;
    /* DNS UPDATE's empty RDATA of class ANY or NONE (RFC 2136 2.4-2.5),
     * which dns_msg_parse accepts for every type but OPT: nothing to
     * decode, copied empty. */
    if (rr->rdlength == 0 && (rr->rclass == DNS_CLASS_ANY || rr->rclass == DNS_CLASS_NONE) &&
        rr->type != DNS_TYPE_OPT) {
        static const uint8_t none[1];
        if (!d->stopped)
            dns_wr_rr(d, owner, rr->type, rr->rclass, rr->ttl, none, 0);
        return 0;
    }
    /* Decode first, so a bad record writes nothing. */
    uint8_t name[DNS_NAME_MAXLEN];
    struct dns_soa soa;
    struct dns_mx mx;
    struct dns_srv srv;
    switch (rr->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_PTR:
        err = dns_rr_name(m, rr, name, NULL);
        break;
    case DNS_TYPE_SOA:
        err = dns_rr_soa(m, rr, &soa);
        break;
    case DNS_TYPE_MX:
        err = dns_rr_mx(m, rr, &mx);
        break;
    case DNS_TYPE_SRV:
        err = dns_rr_srv(m, rr, &srv);
        break;
    default: {
        struct wire_rd rd;
        dns_rr_rdata(m, rr, &rd);
        err = rd.err;
        break;
    }
    }
    if (err)
        return err;
    if (d->stopped)
        return 0;
    dns_wr_rr_begin(d, owner, rr->type, rr->rclass, rr->ttl);
    switch (rr->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_PTR:
        dns_wr_rdata_name(d, name);
        break;
    case DNS_TYPE_SOA:
        dns_wr_rdata_name(d, soa.mname);
        dns_wr_rdata_name(d, soa.rname);
        wire_wr_u32(&d->w, soa.serial);
        wire_wr_u32(&d->w, soa.refresh);
        wire_wr_u32(&d->w, soa.retry);
        wire_wr_u32(&d->w, soa.expire);
        wire_wr_u32(&d->w, soa.minimum);
        break;
    case DNS_TYPE_MX:
        wire_wr_u16(&d->w, mx.preference);
        dns_wr_rdata_name(d, mx.exchange);
        break;
    case DNS_TYPE_SRV:
        wire_wr_u16(&d->w, srv.priority);
        wire_wr_u16(&d->w, srv.weight);
        wire_wr_u16(&d->w, srv.port);
        dns_wr_rdata_name(d, srv.target);
        break;
    default:
        wire_wr_bytes(&d->w, m->buf + rr->rdata_off, rr->rdlength);
        break;
    }
    dns_wr_rr_end(d);
    return 0;
}

int dns_wr_opt(struct dns_wr *d, const struct dns_edns *e)
{
    if (d->in_rrset || !d->started) {
        fail(d, -EINVAL);
        return -EINVAL;
    }
    if (d->count[DNS_SEC_AR] == UINT16_MAX) {
        fail(d, -E2BIG);
        return -E2BIG;
    }
    d->sec = DNS_SEC_AR;
    size_t mark = wire_wr_len(&d->w);
    /* RFC 6891 6.1.2 and 6.1.3: root owner, CLASS = UDP payload size, TTL =
     * EXTENDED-RCODE, VERSION, DO and Z. */
    uint32_t ttl = (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 |
                   (e->dnssec_ok ? 0x8000u : 0) | (e->z & 0x7fffu);
    wire_wr_u8(&d->w, 0);
    wire_wr_u16(&d->w, DNS_TYPE_OPT);
    wire_wr_u16(&d->w, e->udp_size);
    wire_wr_u32(&d->w, ttl);
    wire_wr_u16(&d->w, e->options_len);
    wire_wr_bytes(&d->w, e->options, e->options_len);
    if (!wire_wr_ok(&d->w) || wire_wr_len(&d->w) > d->limit) {
        wire_wr_truncate(&d->w, mark);
        fail(d, -EMSGSIZE);
        return -EMSGSIZE;
    }
    d->count[DNS_SEC_AR]++;
    return 0;
}

int dns_wr_finish(struct dns_wr *d, size_t *len)
{
    if (d->in_rr) {
        d->in_rr = false;
        fail(d, -EINVAL);
    }
    if (d->in_rrset)
        (void)dns_wr_rrset_end(d);
    if (d->err == 0 && d->w.err)
        d->err = d->w.err;
    if (d->err)
        return d->err;
    if (!d->started)
        return -EINVAL;
    wire_wr_patch_u16(&d->w, 0, d->hdr.id);
    wire_wr_patch_u16(&d->w, 2, dns_hdr_flags(&d->hdr));
    for (int s = 0; s < DNS_SEC_COUNT; s++)
        wire_wr_patch_u16(&d->w, 4 + 2 * (size_t)s, d->count[s]);
    if (len)
        *len = wire_wr_len(&d->w);
    return 0;
}

int dns_query_make(void *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype,
                   uint16_t qclass, bool rd, const struct dns_edns *edns, size_t *len)
{
    struct dns_wr d;
    struct dns_hdr h;
    memset(&h, 0, sizeof(h));
    h.id = id;
    h.rd = rd;
    dns_wr_init(&d, buf, cap, cap);
    dns_wr_header(&d, &h);
    dns_wr_question(&d, qname, qtype, qclass);
    if (edns)
        (void)dns_wr_opt(&d, edns);
    return dns_wr_finish(&d, len);
}

int dns_reply_begin(struct dns_wr *d, void *buf, size_t cap, size_t limit, const struct dns_msg *q)
{
    struct dns_hdr h;
    memset(&h, 0, sizeof(h));
    h.id = q->hdr.id;
    h.opcode = q->hdr.opcode;
    h.rd = q->hdr.rd;
    h.cd = q->hdr.cd;
    h.qr = true;
    dns_wr_init(d, buf, cap, limit);
    dns_wr_header(d, &h);
    if (q->qd_n > 0) {
        uint8_t name[DNS_NAME_MAXLEN];
        int err = dns_msg_qname(q, &q->qd[0], name, NULL);
        if (err)
            return err;
        dns_wr_question(d, name, q->qd[0].qtype, q->qd[0].qclass);
    }
    if (d->err)
        return d->err;
    return d->w.err;
}
