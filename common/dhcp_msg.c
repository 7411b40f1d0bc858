/*
 * dhcp_msg: DHCPv4 message parsing.  See dhcp_msg.h for the contract.
 *
 * Parsing is one pass: the fixed header through a wire reader, then each
 * option area in the order RFC 2131 section 4.1 gives (options, then 'file',
 * then 'sname' when option 52 hands them over), building the per-code index
 * as it goes.  Everything after the parse relies on that validation but still
 * reads through bounded readers, so a logic slip cannot become an over-read.
 */
#include "common/dhcp_msg.h"

#include <errno.h>
#include <string.h>

#include "common/wire.h"

enum { AREA_OPTIONS, AREA_FILE, AREA_SNAME, AREA_DONE };

/* Bounds [*start, *end) of an option area, or false when the message does
 * not use it for options. */
static bool area_bounds(const struct dhcp_msg *m, unsigned area, size_t *start, size_t *end)
{
    switch (area) {
    case AREA_OPTIONS:
        *start = DHCP_OPT_OFF;
        *end = m->len;
        return true;
    case AREA_FILE:
        *start = DHCP_FILE_OFF;
        *end = DHCP_FILE_OFF + DHCP_FILE_LEN;
        return (m->overload & DHCP_OVERLOAD_FILE) != 0;
    case AREA_SNAME:
        *start = DHCP_SNAME_OFF;
        *end = DHCP_SNAME_OFF + DHCP_SNAME_LEN;
        return (m->overload & DHCP_OVERLOAD_SNAME) != 0;
    default:
        return false;
    }
}

/* The area an option's offset lies in (offsets come from the index). */
static unsigned area_of(size_t at)
{
    if (at >= DHCP_OPT_OFF)
        return AREA_OPTIONS;
    if (at >= DHCP_FILE_OFF)
        return AREA_FILE;
    return AREA_SNAME;
}

/*
 * Reads the next option of the area ending at end, starting at *pos.
 * Returns 1 with *o filled (*at = offset of its code byte, *pos past it),
 * 0 at the end option, -EBADMSG when the area runs out before an end option
 * or a length crosses the end of the area.  Pads are skipped; the loop
 * advances at least one byte per turn, so work is bounded by the area.
 */
static int area_next(const uint8_t *buf, size_t end, size_t *pos, struct dhcp_opt *o, size_t *at)
{
    struct wire_rd r;
    wire_rd_init(&r, buf, end);
    wire_rd_seek(&r, *pos);
    for (;;) {
        /* RFC 2131 section 4.1: an area must finish with the end option. */
        if (wire_rd_remaining(&r) == 0)
            return -EBADMSG;
        size_t here = r.pos;
        uint8_t code = wire_rd_u8(&r);
        if (code == DHCP_OPT_PAD)
            continue;
        if (code == DHCP_OPT_END) {
            *pos = r.pos;
            return 0;
        }
        uint8_t n = wire_rd_u8(&r);
        const uint8_t *v = wire_rd_ptr(&r, n);
        /* RFC 2132 section 2: an option's length never crosses its area. */
        if (!wire_rd_ok(&r))
            return -EBADMSG;
        o->code = code;
        o->len = n;
        o->val = v;
        *at = here;
        *pos = r.pos;
        return 1;
    }
}

static int index_area(struct dhcp_msg *m, unsigned area)
{
    size_t pos, end, at = 0;
    if (!area_bounds(m, area, &pos, &end))
        return 0;
    struct dhcp_opt o;
    int rc;
    while ((rc = area_next(m->buf, end, &pos, &o, &at)) > 0) {
        /* RFC 2132 section 9.3: option 52 belongs in the options field.
         * Refusing it elsewhere makes an overload loop impossible. */
        if (o.code == DHCP_OPT_OVERLOAD && area != AREA_OPTIONS)
            return -EBADMSG;
        if (m->opt_first[o.code] == 0)
            m->opt_first[o.code] = (uint16_t)at; /* at < DHCP_MSG_MAX */
        /* At most len/2 instances and len bytes: neither can wrap. */
        m->opt_count[o.code]++;
        m->opt_total[o.code] += o.len;
    }
    return rc;
}

int dhcp_msg_parse(struct dhcp_msg *m, const void *buf, size_t len)
{
    memset(m, 0, sizeof(*m));
    if (len > DHCP_MSG_MAX)
        return -E2BIG;
    m->buf = buf;
    m->len = len;

    struct wire_rd r;
    wire_rd_init(&r, buf, len);
    m->op = wire_rd_u8(&r);
    m->htype = wire_rd_u8(&r);
    m->hlen = wire_rd_u8(&r);
    m->hops = wire_rd_u8(&r);
    m->xid = wire_rd_u32(&r);
    m->secs = wire_rd_u16(&r);
    m->flags = wire_rd_u16(&r);
    /* Addresses stay in network order: copy the wire bytes as they are. */
    wire_rd_bytes(&r, &m->ciaddr, 4);
    wire_rd_bytes(&r, &m->yiaddr, 4);
    wire_rd_bytes(&r, &m->siaddr, 4);
    wire_rd_bytes(&r, &m->giaddr, 4);
    wire_rd_bytes(&r, m->chaddr, DHCP_CHADDR_LEN);
    const uint8_t *sname = wire_rd_ptr(&r, DHCP_SNAME_LEN);
    const uint8_t *file = wire_rd_ptr(&r, DHCP_FILE_LEN);
    uint32_t cookie = wire_rd_u32(&r);
    if (!wire_rd_ok(&r))
        return -EBADMSG;
    /* RFC 2131 section 3: DHCP messages carry the RFC 1497 magic cookie;
     * plain BOOTP is not served. */
    if (cookie != DHCP_COOKIE)
        return -EBADMSG;
    if (m->op != DHCP_OP_REQUEST && m->op != DHCP_OP_REPLY)
        return -EBADMSG;
    if (m->hlen > DHCP_CHADDR_LEN)
        return -EBADMSG;

    int rc = index_area(m, AREA_OPTIONS);
    if (rc < 0)
        return rc;
    if (dhcp_msg_opt_has(m, DHCP_OPT_OVERLOAD)) {
        /* RFC 3396 joining applies to 52 too; the joined value is 1 byte. */
        uint8_t v = 0;
        const uint8_t *val;
        size_t n;
        if (dhcp_msg_opt_len(m, DHCP_OPT_OVERLOAD) != 1 ||
            dhcp_msg_opt_get(m, DHCP_OPT_OVERLOAD, &v, 1, &val, &n) != 0)
            return -EBADMSG;
        if (val[0] < 1 || val[0] > 3)
            return -EBADMSG;
        m->overload = val[0];
    }
    /* RFC 2131 section 4.1: 'file' is interpreted before 'sname'. */
    rc = index_area(m, AREA_FILE);
    if (rc < 0)
        return rc;
    rc = index_area(m, AREA_SNAME);
    if (rc < 0)
        return rc;
    m->sname = (m->overload & DHCP_OVERLOAD_SNAME) ? NULL : sname;
    m->file = (m->overload & DHCP_OVERLOAD_FILE) ? NULL : file;
    return 0;
}

bool dhcp_msg_opt_has(const struct dhcp_msg *m, uint8_t code)
{
    return m->opt_count[code] != 0;
}

size_t dhcp_msg_opt_count(const struct dhcp_msg *m, uint8_t code)
{
    return m->opt_count[code];
}

size_t dhcp_msg_opt_len(const struct dhcp_msg *m, uint8_t code)
{
    return m->opt_total[code];
}

void dhcp_msg_opt_iter_init(struct dhcp_opt_iter *it, const struct dhcp_msg *m)
{
    it->m = m;
    it->area = AREA_OPTIONS;
    it->pos = DHCP_OPT_OFF;
}

bool dhcp_msg_opt_next(struct dhcp_opt_iter *it, struct dhcp_opt *o)
{
    while (it->area < AREA_DONE) {
        size_t start, end, at;
        if (area_bounds(it->m, it->area, &start, &end) && it->pos >= start && it->pos <= end &&
            area_next(it->m->buf, end, &it->pos, o, &at) > 0)
            return true;
        /* End option reached (or area unused): move on to the next area. */
        it->area++;
        if (area_bounds(it->m, it->area, &start, &end))
            it->pos = start;
    }
    return false;
}

int dhcp_msg_opt_get(const struct dhcp_msg *m, uint8_t code, uint8_t *scratch, size_t cap,
                     const uint8_t **val, size_t *len)
{
    size_t count = m->opt_count[code];
    if (count == 0)
        return -ENOENT;
    size_t first = m->opt_first[code];
    if (count == 1) {
        *val = m->buf + first + 2;
        *len = m->buf[first + 1];
        return 0;
    }
    size_t total = m->opt_total[code];
    if (total > cap)
        return -EMSGSIZE;
    /* RFC 3396 section 5: concatenate the instances in the order they
     * appear, continuing across areas; start at the first one so the walk
     * touches no byte before it. */
    struct dhcp_opt_iter it = {.m = m, .area = (uint8_t)area_of(first), .pos = first};
    struct dhcp_opt o;
    size_t got = 0, n = 0;
    while (n < count && dhcp_msg_opt_next(&it, &o)) {
        if (o.code != code)
            continue;
        if (o.len > cap - got) /* cannot happen after the index; stay safe */
            return -EBADMSG;
        if (o.len)
            memcpy(scratch + got, o.val, o.len);
        got += o.len;
        n++;
    }
    if (n != count)
        return -EBADMSG;
    *val = scratch;
    *len = got;
    return 0;
}

/* Joins a fixed-size option into out[0..want). */
static int get_fixed(const struct dhcp_msg *m, uint8_t code, uint8_t *out, size_t want)
{
    if (!dhcp_msg_opt_has(m, code))
        return -ENOENT;
    if (dhcp_msg_opt_len(m, code) != want)
        return -EBADMSG;
    uint8_t tmp[4];
    const uint8_t *val;
    size_t n;
    int rc = dhcp_msg_opt_get(m, code, tmp, sizeof(tmp), &val, &n);
    if (rc < 0 || n != want)
        return -EBADMSG;
    memcpy(out, val, want);
    return 0;
}

int dhcp_msg_get_addr(const struct dhcp_msg *m, uint8_t code, uint32_t *addr)
{
    uint8_t b[4];
    int rc = get_fixed(m, code, b, 4);
    if (rc == 0)
        memcpy(addr, b, 4);
    return rc;
}

int dhcp_msg_get_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *v)
{
    uint8_t b[4];
    int rc = get_fixed(m, code, b, 4);
    if (rc == 0)
        *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return rc;
}

int dhcp_msg_get_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *v)
{
    uint8_t b[2];
    int rc = get_fixed(m, code, b, 2);
    if (rc == 0)
        *v = (uint16_t)((unsigned)b[0] << 8 | b[1]);
    return rc;
}

int dhcp_msg_type(const struct dhcp_msg *m, uint8_t *type)
{
    uint8_t b;
    int rc = get_fixed(m, DHCP_OPT_MSG_TYPE, &b, 1);
    if (rc < 0)
        return rc;
    *type = b;
    if (b == 0)
        return -EBADMSG;
    if (b > DHCP_INFORM)
        return -ENOTSUP;
    return 0;
}

uint16_t dhcp_msg_max_size(const struct dhcp_msg *m)
{
    uint16_t v;
    if (dhcp_msg_get_u16(m, DHCP_OPT_MAX_SIZE, &v) != 0 || v < DHCP_MAX_SIZE_MIN)
        return DHCP_MAX_SIZE_MIN;
    return v;
}
