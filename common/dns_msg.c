#include "common/dns_msg.h"

#include <errno.h>
#include <string.h>

void dns_hdr_set_flags(struct dns_hdr *h, uint16_t f)
{
    h->qr = (f & DNS_FLAG_QR) != 0;
    h->opcode = (uint8_t)((f >> 11) & 0x0f);
    h->aa = (f & DNS_FLAG_AA) != 0;
    h->tc = (f & DNS_FLAG_TC) != 0;
    h->rd = (f & DNS_FLAG_RD) != 0;
    h->ra = (f & DNS_FLAG_RA) != 0;
    h->z = (f & DNS_FLAG_Z) != 0;
    h->ad = (f & DNS_FLAG_AD) != 0;
    h->cd = (f & DNS_FLAG_CD) != 0;
    h->rcode = (uint8_t)(f & 0x0f);
}

uint16_t dns_hdr_flags(const struct dns_hdr *h)
{
    unsigned f = (unsigned)(h->opcode & 0x0f) << 11 | (unsigned)(h->rcode & 0x0f);
    f |= h->qr ? DNS_FLAG_QR : 0;
    f |= h->aa ? DNS_FLAG_AA : 0;
    f |= h->tc ? DNS_FLAG_TC : 0;
    f |= h->rd ? DNS_FLAG_RD : 0;
    f |= h->ra ? DNS_FLAG_RA : 0;
    f |= h->z ? DNS_FLAG_Z : 0;
    f |= h->ad ? DNS_FLAG_AD : 0;
    f |= h->cd ? DNS_FLAG_CD : 0;
    return (uint16_t)f;
}

int dns_hdr_parse(struct wire_rd *r, struct dns_hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->id = wire_rd_u16(r);
    uint16_t f = wire_rd_u16(r);
    for (int s = 0; s < DNS_SEC_COUNT; s++)
        h->count[s] = wire_rd_u16(r);
    if (!wire_rd_ok(r))
        return r->err;
    dns_hdr_set_flags(h, f);
    return 0;
}

bool dns_type_compressible(uint16_t type)
{
    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_MD:
    case DNS_TYPE_MF:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_SOA:
    case DNS_TYPE_MB:
    case DNS_TYPE_MG:
    case DNS_TYPE_MR:
    case DNS_TYPE_PTR:
    case DNS_TYPE_MINFO:
    case DNS_TYPE_MX:
        return true;
    default:
        return false;
    }
}

static size_t rdata_end(const struct dns_rr *rr)
{
    return rr->rdata_off + rr->rdlength;
}

/* A reader over the whole message, positioned at pos; RDATA names are
 * decompressed against the whole message, so they cannot use a sub-reader. */
static void msg_reader(const struct dns_msg *m, size_t pos, struct wire_rd *r)
{
    wire_rd_init(r, m->buf, m->len);
    wire_rd_seek(r, pos);
}

/* Decodes a name inside rr's RDATA at *pos (absolute), whose in-line part
 * must end within RDATA; advances *pos past it. */
static int rdata_name(const struct dns_msg *m, const struct dns_rr *rr, size_t *pos, uint8_t *out,
                      size_t *out_len)
{
    struct wire_rd r;
    msg_reader(m, *pos, &r);
    int err = dns_name_decode(&r, out, out_len);
    if (err)
        return err;
    if (r.pos > rdata_end(rr))
        return -EBADMSG;
    *pos = r.pos;
    return 0;
}

/* Reads fixed fields of RDATA at *pos through a reader confined to RDATA. */
static void rdata_fixed(const struct dns_msg *m, const struct dns_rr *rr, size_t pos,
                        struct wire_rd *r)
{
    wire_rd_init(r, m->buf + pos, rdata_end(rr) - pos);
}

void dns_rr_rdata(const struct dns_msg *m, const struct dns_rr *rr, struct wire_rd *rd)
{
    if (rr->rdata_off > m->len || rr->rdlength > m->len - rr->rdata_off) {
        wire_rd_init(rd, NULL, 0);
        rd->err = -EBADMSG;
        return;
    }
    wire_rd_init(rd, m->buf + rr->rdata_off, rr->rdlength);
}

/* Views must lie inside the message (they might not come from parse). */
static int rr_in_bounds(const struct dns_msg *m, const struct dns_rr *rr)
{
    if (rr->rdata_off > m->len || rr->rdlength > m->len - rr->rdata_off)
        return -EBADMSG;
    return 0;
}

int dns_rr_a(const struct dns_msg *m, const struct dns_rr *rr, uint8_t addr[4])
{
    if (rr->type != DNS_TYPE_A)
        return -ENOTSUP;
    /* RFC 1035 3.4.1: exactly a 32-bit address. */
    if (rr_in_bounds(m, rr) || rr->rdlength != 4)
        return -EBADMSG;
    memcpy(addr, m->buf + rr->rdata_off, 4);
    return 0;
}

int dns_rr_aaaa(const struct dns_msg *m, const struct dns_rr *rr, uint8_t addr[16])
{
    if (rr->type != DNS_TYPE_AAAA)
        return -ENOTSUP;
    /* RFC 3596 2.2: exactly a 128-bit address. */
    if (rr_in_bounds(m, rr) || rr->rdlength != 16)
        return -EBADMSG;
    memcpy(addr, m->buf + rr->rdata_off, 16);
    return 0;
}

int dns_rr_name(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out, size_t *out_len)
{
    switch (rr->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_PTR:
        break;
    default:
        return -ENOTSUP;
    }
    if (rr_in_bounds(m, rr))
        return -EBADMSG;
    size_t pos = rr->rdata_off;
    int err = rdata_name(m, rr, &pos, out, out_len);
    if (err)
        return err;
    /* The name must be all of RDATA: nothing may follow it. */
    return pos == rdata_end(rr) ? 0 : -EBADMSG;
}

int dns_rr_soa(const struct dns_msg *m, const struct dns_rr *rr, struct dns_soa *soa)
{
    if (rr->type != DNS_TYPE_SOA)
        return -ENOTSUP;
    if (rr_in_bounds(m, rr))
        return -EBADMSG;
    size_t pos = rr->rdata_off;
    int err = rdata_name(m, rr, &pos, soa->mname, &soa->mname_len);
    if (!err)
        err = rdata_name(m, rr, &pos, soa->rname, &soa->rname_len);
    if (err)
        return err;
    /* RFC 1035 3.3.13: five 32-bit fields, and nothing more. */
    if (rdata_end(rr) - pos != 20)
        return -EBADMSG;
    struct wire_rd r;
    rdata_fixed(m, rr, pos, &r);
    soa->serial = wire_rd_u32(&r);
    soa->refresh = wire_rd_u32(&r);
    soa->retry = wire_rd_u32(&r);
    soa->expire = wire_rd_u32(&r);
    soa->minimum = wire_rd_u32(&r);
    return r.err;
}

int dns_rr_mx(const struct dns_msg *m, const struct dns_rr *rr, struct dns_mx *mx)
{
    if (rr->type != DNS_TYPE_MX)
        return -ENOTSUP;
    if (rr_in_bounds(m, rr) || rr->rdlength < 3)
        return -EBADMSG;
    struct wire_rd r;
    rdata_fixed(m, rr, rr->rdata_off, &r);
    mx->preference = wire_rd_u16(&r);
    size_t pos = rr->rdata_off + 2;
    int err = rdata_name(m, rr, &pos, mx->exchange, &mx->exchange_len);
    if (err)
        return err;
    return pos == rdata_end(rr) ? 0 : -EBADMSG;
}

int dns_rr_srv(const struct dns_msg *m, const struct dns_rr *rr, struct dns_srv *srv)
{
    if (rr->type != DNS_TYPE_SRV)
        return -ENOTSUP;
    if (rr_in_bounds(m, rr) || rr->rdlength < 7)
        return -EBADMSG;
    struct wire_rd r;
    rdata_fixed(m, rr, rr->rdata_off, &r);
    srv->priority = wire_rd_u16(&r);
    srv->weight = wire_rd_u16(&r);
    srv->port = wire_rd_u16(&r);
    size_t pos = rr->rdata_off + 6;
    /* RFC 2782 says the target is not compressed; we accept a compressed
     * one all the same (see the header comment). */
    int err = rdata_name(m, rr, &pos, srv->target, &srv->target_len);
    if (err)
        return err;
    return pos == rdata_end(rr) ? 0 : -EBADMSG;
}

int dns_txt_next(struct wire_rd *it, const uint8_t **s, size_t *len)
{
    if (it->err)
        return it->err;
    if (wire_rd_remaining(it) == 0)
        return 0;
    uint8_t n = wire_rd_u8(it);
    const uint8_t *p = wire_rd_ptr(it, n);
    if (!p)
        return it->err;
    *s = p;
    *len = n;
    return 1;
}

int dns_rr_txt(const struct dns_msg *m, const struct dns_rr *rr, struct wire_rd *it)
{
    if (rr->type != DNS_TYPE_TXT)
        return -ENOTSUP;
    /* RFC 1035 3.3.14: one or more <character-string>s. */
    if (rr_in_bounds(m, rr) || rr->rdlength == 0)
        return -EBADMSG;
    /* Walk once so that a caller iterating later cannot meet a bad string
     * half way. */
    struct wire_rd r;
    dns_rr_rdata(m, rr, &r);
    const uint8_t *s;
    size_t n;
    int rc;
    while ((rc = dns_txt_next(&r, &s, &n)) == 1)
        ;
    if (rc < 0)
        return rc;
    dns_rr_rdata(m, rr, it);
    return 0;
}

int dns_edns_opt_next(struct wire_rd *it, uint16_t *code, const uint8_t **data, uint16_t *len)
{
    if (it->err)
        return it->err;
    if (wire_rd_remaining(it) == 0)
        return 0;
    uint16_t c = wire_rd_u16(it);
    uint16_t l = wire_rd_u16(it);
    /* RFC 6891 6.1.2: OPTION-LENGTH octets follow; they must be there. */
    const uint8_t *p = wire_rd_ptr(it, l);
    if (!wire_rd_ok(it))
        return it->err;
    *code = c;
    *len = l;
    *data = p;
    return 1;
}

int dns_rr_opt(const struct dns_msg *m, const struct dns_rr *rr, struct dns_edns *e)
{
    if (rr->type != DNS_TYPE_OPT)
        return -ENOTSUP;
    if (rr_in_bounds(m, rr))
        return -EBADMSG;
    /* RFC 6891 6.1.3: the TTL field holds EXTENDED-RCODE, VERSION, DO, Z. */
    e->udp_size = rr->rclass;
    e->ext_rcode = (uint8_t)(rr->ttl >> 24);
    e->version = (uint8_t)(rr->ttl >> 16);
    e->dnssec_ok = (rr->ttl & 0x8000u) != 0;
    e->z = (uint16_t)(rr->ttl & 0x7fffu);
    e->options = m->buf + rr->rdata_off;
    e->options_len = rr->rdlength;
    struct wire_rd it;
    wire_rd_init(&it, e->options, e->options_len);
    uint16_t code, len;
    const uint8_t *data;
    int rc;
    while ((rc = dns_edns_opt_next(&it, &code, &data, &len)) == 1)
        ;
    return rc;
}

int dns_rr_check(const struct dns_msg *m, const struct dns_rr *rr)
{
    uint8_t buf[16];
    uint8_t name[DNS_NAME_MAXLEN];
    size_t n;
    struct dns_soa soa;
    struct dns_mx mx;
    struct dns_srv srv;
    struct dns_edns e;
    struct wire_rd it;
    if (rr_in_bounds(m, rr))
        return -EBADMSG;
    /* DNS UPDATE's prerequisites and deletions name an RRset by class ANY
     * or NONE with empty RDATA (RFC 2136 2.4, 2.5.2, 2.5.3): no RDATA to
     * check.  The typed views still refuse such a record. */
    if (rr->rdlength == 0 && (rr->rclass == DNS_CLASS_ANY || rr->rclass == DNS_CLASS_NONE) &&
        rr->type != DNS_TYPE_OPT)
        return 0;
    switch (rr->type) {
    case DNS_TYPE_A:
        return dns_rr_a(m, rr, buf);
    case DNS_TYPE_AAAA:
        return dns_rr_aaaa(m, rr, buf);
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_PTR:
        return dns_rr_name(m, rr, name, &n);
    case DNS_TYPE_SOA:
        return dns_rr_soa(m, rr, &soa);
    case DNS_TYPE_MX:
        return dns_rr_mx(m, rr, &mx);
    case DNS_TYPE_SRV:
        return dns_rr_srv(m, rr, &srv);
    case DNS_TYPE_TXT:
        return dns_rr_txt(m, rr, &it);
    case DNS_TYPE_OPT:
        return dns_rr_opt(m, rr, &e);
    default:
        /* RFC 3597: any other type is opaque RDATA, already bounded. */
        return 0;
    }
}

int dns_msg_rr_owner(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out,
                     size_t *out_len)
{
    struct wire_rd r;
    msg_reader(m, rr->owner_off, &r);
    return dns_name_decode(&r, out, out_len);
}

int dns_msg_qname(const struct dns_msg *m, const struct dns_question *q, uint8_t *out,
                  size_t *out_len)
{
    struct wire_rd r;
    msg_reader(m, q->name_off, &r);
    return dns_name_decode(&r, out, out_len);
}

const struct dns_rr *dns_msg_section(const struct dns_msg *m, int sec, size_t *n)
{
    if (sec <= DNS_SEC_QD || sec >= DNS_SEC_COUNT || !m->rr) {
        *n = 0;
        return NULL;
    }
    *n = m->sec_n[sec];
    return m->rr + m->sec_first[sec];
}

uint16_t dns_msg_rcode(const struct dns_msg *m)
{
    uint16_t rc = m->hdr.rcode;
    if (m->has_opt)
        rc = (uint16_t)(rc | (unsigned)(m->opt.ttl >> 24) << 4);
    return rc;
}

/* Reads one RR's framing at r's position; validates the owner name. */
static int parse_rr(struct wire_rd *r, struct dns_rr *rr)
{
    rr->owner_off = r->pos;
    int err = dns_name_decode(r, NULL, NULL);
    if (err)
        return err;
    rr->type = wire_rd_u16(r);
    rr->rclass = wire_rd_u16(r);
    rr->ttl = wire_rd_u32(r);
    rr->rdlength = wire_rd_u16(r);
    if (!wire_rd_ok(r))
        return r->err;
    rr->rdata_off = r->pos;
    /* RFC 1035 4.1.3: RDLENGTH octets follow; they must be there. */
    wire_rd_skip(r, rr->rdlength);
    return r->err;
}

int dns_msg_parse(struct dns_msg *m, const void *buf, size_t len)
{
    m->buf = buf;
    m->len = buf ? len : 0;
    m->qd_n = m->rr_n = 0;
    memset(m->sec_first, 0, sizeof(m->sec_first));
    memset(m->sec_n, 0, sizeof(m->sec_n));
    m->has_opt = false;
    m->truncated = false;
    m->end = 0;
    struct wire_rd r;
    wire_rd_init(&r, m->buf, m->len);
    int err = dns_hdr_parse(&r, &m->hdr);
    if (err)
        return err;

    /* The counts drive loops, never allocations; each iteration consumes at
     * least 5 (question) or 11 (RR) octets, so a lying count ends at the
     * end of the message after at most len / 5 iterations. */
    for (unsigned i = 0; i < m->hdr.count[DNS_SEC_QD]; i++) {
        struct dns_question q;
        q.name_off = r.pos;
        err = dns_name_decode(&r, NULL, NULL);
        if (err)
            return err;
        q.qtype = wire_rd_u16(&r);
        q.qclass = wire_rd_u16(&r);
        if (!wire_rd_ok(&r))
            return r.err;
        if (m->qd_n < m->qd_cap && m->qd)
            m->qd[m->qd_n++] = q;
        else
            m->truncated = true;
    }

    for (int sec = DNS_SEC_AN; sec < DNS_SEC_COUNT; sec++) {
        m->sec_first[sec] = m->rr_n;
        for (unsigned i = 0; i < m->hdr.count[sec]; i++) {
            struct dns_rr rr;
            err = parse_rr(&r, &rr);
            if (err)
                return err;
            rr.section = (uint8_t)sec;
            err = dns_rr_check(m, &rr);
            if (err)
                return err;
            if (rr.type == DNS_TYPE_OPT) {
                /* RFC 6891 6.1.1: at most one OPT, in the additional
                 * section, owned by the root. */
                if (sec != DNS_SEC_AR || m->has_opt || m->buf[rr.owner_off] != 0)
                    return -EBADMSG;
                m->opt = rr;
                m->has_opt = true;
            }
            if (m->rr_n < m->rr_cap && m->rr) {
                m->rr[m->rr_n++] = rr;
                m->sec_n[sec]++;
            } else {
                m->truncated = true;
            }
        }
    }
    m->end = r.pos;
    return m->truncated ? -E2BIG : 0;
}
