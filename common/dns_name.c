#include "common/dns_name.h"

#include <errno.h>
#include <string.h>

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

int dns_name_decode(struct wire_rd *r, uint8_t *out, size_t *out_len)
{
    if (r->err)
        return r->err;
    const uint8_t *msg = r->buf;
    const size_t len = r->len;
    size_t pos = r->pos;
    /* Where the current run of in-line labels began: the name's start, then
     * each pointer's target.  RFC 1035 4.1.4 lets a pointer refer only to a
     * prior occurrence of a name, so a pointer must land before this, which
     * makes every jump strictly decrease the position. */
    size_t run_start = pos;
    size_t after = 0; /* reader position to leave: after the first pointer */
    bool jumped = false;
    unsigned jumps = 0;
    size_t n = 0; /* octets of the decoded name so far */

    for (;;) {
        if (pos >= len)
            return wire_rd_fail(r, -EBADMSG);
        uint8_t c = msg[pos];
        switch (c & 0xc0) {
        case 0x00:
            if (c == 0) {
                /* n <= 254 here: every label below keeps room for the root. */
                if (out)
                    out[n] = 0;
                n++;
                if (!jumped)
                    after = pos + 1;
                r->pos = after;
                if (out_len)
                    *out_len = n;
                return 0;
            }
            /* A label with its length octet, and still room for the root:
             * RFC 1035 2.3.4 caps the whole name at 255 octets. */
            if ((size_t)c >= len - pos)
                return wire_rd_fail(r, -EBADMSG);
            if (n + 1 + c + 1 > DNS_NAME_MAXLEN)
                return wire_rd_fail(r, -EBADMSG);
            if (out)
                memcpy(out + n, msg + pos, (size_t)c + 1);
            n += (size_t)c + 1;
            pos += (size_t)c + 1;
            break;
        case 0xc0: {
            if (len - pos < 2)
                return wire_rd_fail(r, -EBADMSG);
            size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (target >= run_start)
                return wire_rd_fail(r, -EBADMSG);
            if (++jumps > DNS_NAME_MAXJUMPS)
                return wire_rd_fail(r, -EBADMSG);
            if (!jumped) {
                after = pos + 2;
                jumped = true;
            }
            pos = run_start = target;
            break;
        }
        default:
            /* 0x40 (extended label types, retired by RFC 6891 5) and 0x80
             * are reserved. */
            return wire_rd_fail(r, -EBADMSG);
        }
    }
}

size_t dns_name_len(const uint8_t *name)
{
    size_t n = 0;
    while (name[n] != 0)
        n += (size_t)name[n] + 1;
    return n + 1;
}

size_t dns_name_labels(const uint8_t *name)
{
    size_t k = 0;
    for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1)
        k++;
    return k;
}

bool dns_name_eq(const uint8_t *a, const uint8_t *b)
{
    /* Both names are valid, so comparing octet by octet also compares the
     * length octets, which are never letters. */
    size_t i = 0;
    for (;;) {
        if (a[i] != b[i])
            return false;
        if (a[i] == 0)
            return true;
        size_t l = a[i];
        for (size_t k = 1; k <= l; k++)
            if (lower(a[i + k]) != lower(b[i + k]))
                return false;
        i += l + 1;
    }
}

/* Offsets of each label of name, the root excluded; returns the count. */
static size_t label_offsets(const uint8_t *name, size_t offs[DNS_NAME_MAXLABELS])
{
    size_t k = 0;
    for (size_t n = 0; name[n] != 0 && k < DNS_NAME_MAXLABELS; n += (size_t)name[n] + 1)
        offs[k++] = n;
    return k;
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
    size_t oa[DNS_NAME_MAXLABELS], ob[DNS_NAME_MAXLABELS];
    size_t na = label_offsets(a, oa), nb = label_offsets(b, ob);
    /* RFC 4034 6.1: the most significant label is the rightmost one. */
    while (na > 0 && nb > 0) {
        const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
        size_t m = la[0] < lb[0] ? la[0] : lb[0];
        for (size_t k = 1; k <= m; k++) {
            uint8_t ca = lower(la[k]), cb = lower(lb[k]);
            if (ca != cb)
                return ca < cb ? -1 : 1;
        }
        if (la[0] != lb[0])
            return la[0] < lb[0] ? -1 : 1;
    }
    if (na == nb)
        return 0;
    return na < nb ? -1 : 1;
}

void dns_name_lower(uint8_t *name)
{
    for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1)
        for (size_t k = 1; k <= name[n]; k++)
            name[n + k] = lower(name[n + k]);
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *zone)
{
    size_t ln = dns_name_labels(name), lz = dns_name_labels(zone);
    if (ln < lz)
        return false;
    /* Drop whole labels from the left until both have as many, then the
     * rest must be the same name: "badexample.com." never matches
     * "example.com." because labels are never split. */
    const uint8_t *p = name;
    for (size_t k = lz; k < ln; k++)
        p += (size_t)p[0] + 1;
    return dns_name_eq(p, zone);
}

const uint8_t *dns_name_parent(const uint8_t *name)
{
    if (name[0] == 0)
        return NULL;
    return name + name[0] + 1;
}

/* RFC 1035 5.1 special characters, escaped with a backslash; the same set
 * dig and Unbound escape. */
static bool is_special(uint8_t c)
{
    return c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
           c == '$';
}

int dns_name_to_text(const uint8_t *name, char *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    /* Appends up to 4 characters plus the final NUL; checked per octet. */
#define PUT(ch)                \
    do {                       \
        if (o + 1 >= cap)      \
            goto nospace;      \
        out[o++] = (char)(ch); \
    } while (0)
    if (name[0] == 0)
        PUT('.');
    for (size_t n = 0; name[n] != 0; n += (size_t)name[n] + 1) {
        for (size_t k = 1; k <= name[n]; k++) {
            uint8_t c = name[n + k];
            if (is_special(c)) {
                PUT('\\');
                PUT(c);
            } else if (c < 0x21 || c > 0x7e) {
                PUT('\\');
                PUT('0' + c / 100);
                PUT('0' + c / 10 % 10);
                PUT('0' + c % 10);
            } else {
                PUT(c);
            }
        }
        PUT('.');
    }
#undef PUT
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
nospace:
    if (cap > 0)
        out[0] = '\0';
    return -EMSGSIZE;
}

int dns_name_from_text(const char *text, size_t len, uint8_t *out, size_t *out_len)
{
    if (len == 0)
        return -EBADMSG;
    if (len == 1 && text[0] == '.') {
        out[0] = 0;
        if (out_len)
            *out_len = 1;
        return 0;
    }
    size_t n = 0;    /* octets written */
    size_t lab = 0;  /* offset of the current label's length octet */
    size_t llen = 0; /* octets in the current label */
    out[0] = 0;
    for (size_t i = 0; i < len;) {
        uint8_t c = (uint8_t)text[i++];
        if (c == '.') {
            if (llen == 0)
                return -EBADMSG; /* empty label: "..", ".a" */
            out[lab] = (uint8_t)llen;
            n = lab + 1 + llen;
            lab = n;
            llen = 0;
            continue;
        }
        if (c == '\\') {
            if (i >= len)
                return -EBADMSG;
            uint8_t e = (uint8_t)text[i];
            if (e >= '0' && e <= '9') {
                if (len - i < 3)
                    return -EBADMSG;
                unsigned v = 0;
                for (size_t k = 0; k < 3; k++) {
                    uint8_t d = (uint8_t)text[i + k];
                    if (d < '0' || d > '9')
                        return -EBADMSG;
                    v = v * 10 + (unsigned)(d - '0');
                }
                if (v > 255)
                    return -EBADMSG;
                c = (uint8_t)v;
                i += 3;
            } else {
                c = e;
                i++;
            }
        }
        if (llen == DNS_LABEL_MAXLEN)
            return -EBADMSG;
        /* Room for this octet, the label's length octet, and the root. */
        if (lab + 1 + llen + 1 + 1 > DNS_NAME_MAXLEN)
            return -EBADMSG;
        out[lab + 1 + llen] = c;
        llen++;
    }
    if (llen > 0) { /* no trailing dot: the name is absolute all the same */
        out[lab] = (uint8_t)llen;
        n = lab + 1 + llen;
    }
    out[n] = 0;
    if (out_len)
        *out_len = n + 1;
    return 0;
}
