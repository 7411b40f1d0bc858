/*
 * dhcp_opt: typed DHCPv4 option values.  See dhcp_opt.h for the contract.
 */
#include "common/dhcp_opt.h"

#include <errno.h>
#include <string.h>

/* RFC 1035 section 3.1: labels up to 63 bytes, names up to 255 in wire
 * form (length bytes and root label included). */
#define LABEL_MAX     63
#define NAME_MAX_WIRE 255

int dhcp_opt_addrs_decode(const uint8_t *val, size_t len, uint32_t *out, size_t cap, size_t *n)
{
    *n = 0;
    if (len == 0 || len % 4 != 0)
        return -EBADMSG;
    struct wire_rd r;
    wire_rd_init(&r, val, len);
    size_t k = 0;
    while (wire_rd_remaining(&r) >= 4 && k < cap) {
        wire_rd_bytes(&r, &out[k], 4);
        k++;
    }
    *n = k;
    return 0;
}

int dhcp_opt_text_decode(const uint8_t *val, size_t len, const uint8_t **text, size_t *text_len)
{
    /* Some clients NUL-terminate host names; the NUL is not part of it. */
    while (len > 0 && val[len - 1] == '\0')
        len--;
    if (len == 0 || memchr(val, '\0', len) != NULL)
        return -EBADMSG;
    *text = val;
    *text_len = len;
    return 0;
}

int dhcp_opt_prl_decode(const uint8_t *val, size_t len)
{
    (void)val;
    return len == 0 ? -EBADMSG : 0;
}

int dhcp_opt_client_id_decode(const uint8_t *val, size_t len, uint8_t *type, const uint8_t **id,
                              size_t *id_len)
{
    /* RFC 2132 section 9.14: minimum length 2. */
    if (len < 2)
        return -EBADMSG;
    *type = val[0];
    *id = val + 1;
    *id_len = len - 1;
    return 0;
}

/* Checks an uncompressed wire name in val[0..len) (RFC 4702 section 2.3.1:
 * a fully qualified name ends with the root label, a partial one stops
 * after its last label).  Returns 1 fully qualified, 0 partial, -EBADMSG. */
static int wire_name_check(const uint8_t *val, size_t len)
{
    if (len > NAME_MAX_WIRE)
        return -EBADMSG;
    struct wire_rd r;
    wire_rd_init(&r, val, len);
    while (wire_rd_remaining(&r) > 0) {
        uint8_t l = wire_rd_u8(&r);
        if (l == 0)
            return wire_rd_remaining(&r) == 0 ? 1 : -EBADMSG;
        /* RFC 1035 section 4.1.4: the top bits mark pointers (11) and
         * reserved types (01, 10); none belongs in this option. */
        if (l > LABEL_MAX)
            return -EBADMSG;
        wire_rd_skip(&r, l);
        if (!wire_rd_ok(&r))
            return -EBADMSG;
    }
    return 0;
}

int dhcp_opt_fqdn_decode(const uint8_t *val, size_t len, struct dhcp_fqdn *f)
{
    /* RFC 4702 section 2: code, len, flags, rcode1, rcode2, name. */
    if (len < 3)
        return -EBADMSG;
    f->flags = val[0];
    f->rcode1 = val[1];
    f->rcode2 = val[2];
    f->name = val + 3;
    f->name_len = len - 3;
    if (!(f->flags & DHCP_FQDN_E)) {
        f->form = DHCP_FQDN_ASCII;
        return 0;
    }
    int rc = wire_name_check(f->name, f->name_len);
    if (rc < 0)
        return rc;
    f->form = rc ? DHCP_FQDN_WIRE : DHCP_FQDN_WIRE_PARTIAL;
    return 0;
}

/*
 * Writes the dotted name as wire labels (w == NULL only measures), with a
 * root label when root is set.  A trailing dot is accepted and adds nothing.
 * Returns the wire length, or -EINVAL for an empty label or a name or label
 * over the RFC 1035 limits.
 */
static int name_to_wire(struct wire_wr *w, const char *name, bool root)
{
    size_t total = root ? 1 : 0;
    const char *p = name;
    size_t nlen = strlen(name);
    if (nlen > 0 && name[nlen - 1] == '.')
        nlen--;
    const char *end = name + nlen;
    while (p < end) {
        size_t l = 0;
        while (p + l < end && p[l] != '.')
            l++;
        bool dot = p + l < end;
        /* "a..b" or ".a": an empty label. */
        if (l == 0 || l > LABEL_MAX)
            return -EINVAL;
        total += 1 + l;
        if (total > NAME_MAX_WIRE)
            return -EINVAL;
        if (w) {
            wire_wr_u8(w, (uint8_t)l);
            wire_wr_bytes(w, p, l);
        }
        p += l + (dot ? 1 : 0);
        /* "a.." (after the trailing dot is dropped): an empty last label. */
        if (dot && p == end)
            return -EINVAL;
    }
    if (w && root)
        wire_wr_u8(w, 0);
    return (int)total;
}

int dhcp_opt_fqdn_encode(struct wire_wr *w, uint8_t flags, const char *name, bool fully_qualified)
{
    /* Measure first so that a bad name writes nothing. */
    int rc = name_to_wire(NULL, name, fully_qualified);
    if (rc < 0)
        return rc;
    wire_wr_u8(w, (uint8_t)(flags | DHCP_FQDN_E));
    /* RFC 4702 section 2.2: clients send 0 in both RCODEs. */
    wire_wr_u8(w, 0);
    wire_wr_u8(w, 0);
    name_to_wire(w, name, fully_qualified);
    return wire_wr_ok(w) ? 0 : w->err;
}

int dhcp_opt_relay_decode(const uint8_t *val, size_t len, struct dhcp_relay_info *ri)
{
    memset(ri, 0, sizeof(*ri));
    /* RFC 3046 section 2.0: at least one sub-option. */
    if (len == 0)
        return -EBADMSG;
    struct wire_rd r;
    wire_rd_init(&r, val, len);
    while (wire_rd_remaining(&r) > 0) {
        uint8_t code = wire_rd_u8(&r);
        uint8_t n = wire_rd_u8(&r);
        const uint8_t *v = wire_rd_ptr(&r, n);
        if (!wire_rd_ok(&r))
            return -EBADMSG;
        if (code == DHCP_RELAY_CIRCUIT_ID && ri->circuit_id == NULL) {
            ri->circuit_id = v;
            ri->circuit_id_len = n;
        } else if (code == DHCP_RELAY_REMOTE_ID && ri->remote_id == NULL) {
            ri->remote_id = v;
            ri->remote_id_len = n;
        }
    }
    return 0;
}

int dhcp_opt_search_decode(const uint8_t *val, size_t len)
{
    (void)val;
    /* RFC 3397 section 2: the option carries at least one name. */
    return len == 0 ? -EBADMSG : 0;
}

int dhcp_opt_search_encode(struct wire_wr *w, const char *const *names, size_t n)
{
    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i];
        /* A search entry is a real domain: no empty name, no root. */
        if (s[0] == '\0' || s[0] == '.')
            return -EINVAL;
        int rc = name_to_wire(NULL, s, true);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < n; i++)
        name_to_wire(w, names[i], true);
    return wire_wr_ok(w) ? 0 : w->err;
}

/* Network-order mask of the prefix's host bits. */
static uint32_t host_bits(uint8_t prefix)
{
    uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
    uint8_t b[4] = {(uint8_t)(host >> 24), (uint8_t)(host >> 16), (uint8_t)(host >> 8),
                    (uint8_t)host};
    uint32_t v;
    memcpy(&v, b, 4);
    return v;
}

int dhcp_opt_routes_decode(const uint8_t *val, size_t len, struct dhcp_route *out, size_t cap,
                           size_t *n)
{
    *n = 0;
    /* RFC 3442 section 3: the minimum length is 5 (a default route). */
    if (len == 0)
        return -EBADMSG;
    struct wire_rd r;
    wire_rd_init(&r, val, len);
    size_t k = 0;
    while (wire_rd_remaining(&r) > 0) {
        uint8_t width = wire_rd_u8(&r);
        if (width > 32)
            return -EBADMSG;
        /* Only the significant octets of the destination are sent. */
        uint8_t d[4] = {0, 0, 0, 0};
        wire_rd_bytes(&r, d, (size_t)(width + 7) / 8);
        struct dhcp_route rt;
        wire_rd_bytes(&r, &rt.router, 4);
        if (!wire_rd_ok(&r))
            return -EBADMSG;
        memcpy(&rt.dest, d, 4);
        rt.prefix = width;
        /* Bits past the width in the last octet would name a different
         * destination than the width says: refuse rather than guess. */
        if (rt.dest & host_bits(width))
            return -EBADMSG;
        if (k == cap)
            return -E2BIG;
        out[k++] = rt;
    }
    *n = k;
    return 0;
}

int dhcp_opt_routes_encode(struct wire_wr *w, const struct dhcp_route *routes, size_t n)
{
    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (routes[i].prefix > 32 || (routes[i].dest & host_bits(routes[i].prefix)))
            return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        wire_wr_u8(w, routes[i].prefix);
        wire_wr_bytes(w, &routes[i].dest, (size_t)(routes[i].prefix + 7) / 8);
        wire_wr_bytes(w, &routes[i].router, 4);
    }
    return wire_wr_ok(w) ? 0 : w->err;
}
