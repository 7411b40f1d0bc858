#include "dnsd/localzone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/dns_text.h"

struct lz_rr {
    uint32_t owner_off; /* into data: the owner, lower case, uncompressed */
    uint32_t rdata_off; /* into data */
    uint32_t seq;       /* insertion order, to keep a sort stable */
    uint32_t ttl;
    uint16_t type, rdlen;
    bool from_hosts;
};

struct localzone {
    uint8_t zones[LOCALZONE_MAX_ZONES][DNS_NAME_MAXLEN];
    size_t nzones;
    struct lz_rr *rr;
    size_t n, cap;
    uint8_t *data; /* owners and RDATA, back to back */
    size_t data_len, data_cap;
    bool adding_hosts;
    uint32_t serial; /* of the synthesized SOA; 0 reads as 1 */
};

static void set_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

struct localzone *localzone_new(void)
{
    return calloc(1, sizeof(struct localzone));
}

void localzone_free(struct localzone *lz)
{
    if (!lz)
        return;
    free(lz->rr);
    free(lz->data);
    free(lz);
}

size_t localzone_count(const struct localzone *lz)
{
    return lz->n;
}

int localzone_zone_add(struct localzone *lz, const uint8_t *zone)
{
    for (size_t i = 0; i < lz->nzones; i++)
        if (dns_name_eq(lz->zones[i], zone))
            return 0;
    if (lz->nzones == LOCALZONE_MAX_ZONES)
        return -E2BIG;
    memcpy(lz->zones[lz->nzones], zone, dns_name_len(zone));
    dns_name_lower(lz->zones[lz->nzones]);
    lz->nzones++;
    return 0;
}

static int data_put(struct localzone *lz, const void *p, size_t n, uint32_t *off)
{
    if (lz->data_len + n > lz->data_cap) {
        size_t nc = lz->data_cap ? lz->data_cap * 2 : 4096;
        while (nc < lz->data_len + n)
            nc *= 2;
        if (nc > UINT32_MAX)
            return -E2BIG;
        uint8_t *nd = realloc(lz->data, nc);
        if (!nd)
            return -ENOMEM;
        lz->data = nd;
        lz->data_cap = nc;
    }
    *off = (uint32_t)lz->data_len;
    if (n)
        memcpy(lz->data + lz->data_len, p, n);
    lz->data_len += n;
    return 0;
}

/* Checks that an uncompressed wire name fills exactly rd[pos..pos+?) and
 * returns its length, or 0 if it is malformed. */
static size_t name_check(const uint8_t *rd, size_t len, size_t pos)
{
    struct wire_rd r;
    wire_rd_init(&r, rd, len);
    wire_rd_seek(&r, pos);
    size_t start = pos;
    for (;;) {
        uint8_t l = wire_rd_u8(&r);
        if (!wire_rd_ok(&r) || l > DNS_LABEL_MAXLEN)
            return 0; /* also rejects compression pointers: not allowed here */
        if (l == 0)
            break;
        wire_rd_skip(&r, l);
    }
    if (!wire_rd_ok(&r) || r.pos - start > DNS_NAME_MAXLEN)
        return 0;
    return r.pos - start;
}

/* Validates RDATA of a supported type. */
static int rdata_check(uint16_t type, const uint8_t *rd, uint16_t len)
{
    size_t n;
    switch (type) {
    case DNS_TYPE_A:
        return len == 4 ? 0 : -EBADMSG;
    case DNS_TYPE_AAAA:
        return len == 16 ? 0 : -EBADMSG;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        n = name_check(rd, len, 0);
        return n && n == len ? 0 : -EBADMSG;
    case DNS_TYPE_MX:
        n = len > 2 ? name_check(rd, len, 2) : 0;
        return n && n + 2 == len ? 0 : -EBADMSG;
    case DNS_TYPE_SRV:
        n = len > 6 ? name_check(rd, len, 6) : 0;
        return n && n + 6 == len ? 0 : -EBADMSG;
    case DNS_TYPE_DHCID:
        /* RFC 4701 3.1: opaque, at least the identifier type and digest
         * type; what DHCP servers publish beside a lease's names. */
        return len >= 3 ? 0 : -EBADMSG;
    case DNS_TYPE_TXT: {
        /* RFC 1035 3.3.14: one or more character-strings filling RDATA. */
        size_t pos = 0;
        if (len == 0)
            return -EBADMSG;
        while (pos < len) {
            size_t l = rd[pos];
            if (l > (size_t)len - pos - 1)
                return -EBADMSG;
            pos += 1 + l;
        }
        return 0;
    }
    default:
        return -ENOTSUP;
    }
}

static int rr_add(struct localzone *lz, const uint8_t *owner, uint16_t type, uint32_t ttl,
                  const uint8_t *rdata, uint16_t rdlen)
{
    int rc = rdata_check(type, rdata, rdlen);
    if (rc != 0)
        return rc;
    if (lz->n == LOCALZONE_MAX_RECORDS)
        return -E2BIG;
    if (lz->n == lz->cap) {
        size_t nc = lz->cap ? lz->cap * 2 : 64;
        struct lz_rr *nr = realloc(lz->rr, nc * sizeof(*nr));
        if (!nr)
            return -ENOMEM;
        lz->rr = nr;
        lz->cap = nc;
    }
    uint8_t low[DNS_NAME_MAXLEN];
    size_t olen = dns_name_len(owner);
    memcpy(low, owner, olen);
    dns_name_lower(low);
    struct lz_rr *r = &lz->rr[lz->n];
    if ((rc = data_put(lz, low, olen, &r->owner_off)) != 0 ||
        (rc = data_put(lz, rdata, rdlen, &r->rdata_off)) != 0)
        return rc;
    r->seq = (uint32_t)lz->n;
    r->ttl = ttl;
    r->type = type;
    r->rdlen = rdlen;
    r->from_hosts = lz->adding_hosts;
    lz->n++;
    return 0;
}

int localzone_rdata_check(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
    return rdata_check(type, rdata, rdlen);
}

int localzone_rr_add(struct localzone *lz, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen)
{
    return rr_add(lz, owner, type, ttl, rdata, rdlen);
}

/* ---- presentation-format records ---- */

#define MAX_TOKENS 64

struct token {
    const char *p;
    size_t len;
    bool quoted;
};

/* Splits line into white-space separated tokens; "..." is one token
 * (escapes kept, decoded later).  Returns the count or -EINVAL. */
static int tokenize(const char *line, struct token *t, size_t cap)
{
    size_t n = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == cap)
            return -EINVAL;
        if (*p == '"') {
            const char *s = ++p;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p != '"')
                return -EINVAL;
            t[n] = (struct token){s, (size_t)(p - s), true};
            p++;
        } else {
            const char *s = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            t[n] = (struct token){s, (size_t)(p - s), false};
        }
        n++;
    }
    return (int)n;
}

static bool tok_is(const struct token *t, const char *s)
{
    return !t->quoted && t->len == strlen(s) && strncasecmp(t->p, s, t->len) == 0;
}

static int tok_u32(const struct token *t, uint32_t max, uint32_t *out)
{
    if (t->quoted || t->len == 0 || t->len > 10)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->p[i] < '0' || t->p[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(t->p[i] - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int tok_name(const struct token *t, uint8_t *out)
{
    size_t len;
    if (t->quoted)
        return -EINVAL;
    return dns_name_from_text(t->p, t->len, out, &len) == 0 ? 0 : -EINVAL;
}

/* Decodes one TXT character-string (\X and \DDD escapes) into out.
 * Returns its length or -EINVAL (over 255 octets, bad escape). */
static int txt_string(const struct token *t, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++) {
        unsigned c = (unsigned char)t->p[i];
        if (c == '\\') {
            if (i + 1 >= t->len)
                return -EINVAL;
            if (t->p[i + 1] >= '0' && t->p[i + 1] <= '9') {
                /* RFC 1035 5.1: a digit starts exactly three. */
                if (i + 3 >= t->len)
                    return -EINVAL;
                unsigned v = 0;
                for (int k = 1; k <= 3; k++) {
                    char d = t->p[i + (size_t)k];
                    if (d < '0' || d > '9')
                        return -EINVAL;
                    v = v * 10 + (unsigned)(d - '0');
                }
                if (v > 255)
                    return -EINVAL;
                c = v;
                i += 3;
            } else {
                c = (unsigned char)t->p[++i];
            }
        }
        if (n == 255)
            return -EINVAL;
        out[n++] = (uint8_t)c;
    }
    return (int)n;
}

int localzone_record_parse(struct localzone *lz, const char *line, char *err, size_t errcap)
{
    struct token t[MAX_TOKENS];
    int nt = tokenize(line, t, MAX_TOKENS);
    if (nt < 0) {
        set_err(err, errcap, "unbalanced quotes or too many fields");
        return -EINVAL;
    }
    size_t n = (size_t)nt;
    uint8_t owner[DNS_NAME_MAXLEN];
    if (n < 3 || tok_name(&t[0], owner) != 0) {
        set_err(err, errcap, "expected \"NAME [TTL] [IN] TYPE RDATA\"");
        return -EINVAL;
    }
    /* n >= 3: a TTL and a class may both follow the name. */
    size_t i = 1;
    uint32_t ttl = LOCALZONE_DEFAULT_TTL;
    if (tok_u32(&t[i], INT32_MAX, &ttl) == 0)
        i++;
    if (i < n && tok_is(&t[i], "IN"))
        i++;
    char tname[DNS_MNEMONIC_MAX];
    uint16_t type = 0;
    if (i >= n || t[i].quoted || t[i].len >= sizeof(tname)) {
        set_err(err, errcap, "expected a record type after the name");
        return -EINVAL;
    }
    memcpy(tname, t[i].p, t[i].len);
    tname[t[i].len] = '\0';
    if (dns_type_from_text(tname, &type) != 0) {
        set_err(err, errcap, "\"%s\" is not a record type", tname);
        return -EINVAL;
    }
    i++;
    size_t nr = n - i; /* RDATA fields */
    const struct token *f = &t[i];
    uint8_t rd[4096];
    size_t rdlen = 0;
    bool ok = false;
    uint32_t v[3];
    switch (type) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA: {
        char a[64];
        if (nr == 1 && !f[0].quoted && f[0].len < sizeof(a)) {
            memcpy(a, f[0].p, f[0].len);
            a[f[0].len] = '\0';
            ok = inet_pton(type == DNS_TYPE_A ? AF_INET : AF_INET6, a, rd) == 1;
            rdlen = type == DNS_TYPE_A ? 4 : 16;
        }
        break;
    }
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        ok = nr == 1 && tok_name(&f[0], rd) == 0;
        if (ok)
            rdlen = dns_name_len(rd);
        break;
    case DNS_TYPE_MX:
        ok = nr == 2 && tok_u32(&f[0], 65535, &v[0]) == 0 && tok_name(&f[1], rd + 2) == 0;
        if (ok) {
            rd[0] = (uint8_t)(v[0] >> 8);
            rd[1] = (uint8_t)v[0];
            rdlen = 2 + dns_name_len(rd + 2);
        }
        break;
    case DNS_TYPE_SRV:
        ok = nr == 4 && tok_u32(&f[0], 65535, &v[0]) == 0 && tok_u32(&f[1], 65535, &v[1]) == 0 &&
             tok_u32(&f[2], 65535, &v[2]) == 0 && tok_name(&f[3], rd + 6) == 0;
        if (ok) {
            for (size_t k = 0; k < 3; k++) {
                rd[2 * k] = (uint8_t)(v[k] >> 8);
                rd[2 * k + 1] = (uint8_t)v[k];
            }
            rdlen = 6 + dns_name_len(rd + 6);
        }
        break;
    case DNS_TYPE_TXT:
        ok = nr >= 1;
        for (size_t k = 0; ok && k < nr; k++) {
            if (rdlen + 256 > sizeof(rd)) {
                ok = false;
                break;
            }
            int l = txt_string(&f[k], rd + rdlen + 1);
            if (l < 0) {
                ok = false;
                break;
            }
            rd[rdlen] = (uint8_t)l;
            rdlen += 1 + (size_t)l;
        }
        break;
    default:
        set_err(err, errcap,
                "type %s is not supported in local data "
                "(A, AAAA, PTR, CNAME, TXT, MX, SRV, NS)",
                tname);
        return -EINVAL;
    }
    if (!ok) {
        static const char *const forms[] = {
            [DNS_TYPE_A] = "an IPv4 address",
            [DNS_TYPE_AAAA] = "an IPv6 address",
            [DNS_TYPE_NS] = "a name",
            [DNS_TYPE_CNAME] = "a name",
            [DNS_TYPE_PTR] = "a name",
            [DNS_TYPE_MX] = "PREFERENCE NAME",
            [DNS_TYPE_TXT] = "one or more strings of up to 255 octets",
            [DNS_TYPE_SRV] = "PRIORITY WEIGHT PORT TARGET",
        };
        set_err(err, errcap, "%s RDATA: expected %s", tname, forms[type]);
        return -EINVAL;
    }
    int rc = rr_add(lz, owner, type, ttl, rd, (uint16_t)rdlen);
    if (rc == -E2BIG)
        set_err(err, errcap, "more than %d local records", LOCALZONE_MAX_RECORDS);
    else if (rc != 0)
        set_err(err, errcap, "%s", strerror(-rc));
    return rc == 0 ? 0 : rc == -E2BIG || rc == -ENOMEM ? rc : -EINVAL;
}

/* ---- hosts files ---- */

/* The reverse name of a (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa). */
static void reverse_name(const struct net_addr *a, uint8_t *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (a->family == AF_INET) {
        for (int i = 3; i >= 0; i--) {
            char s[4];
            int l = snprintf(s, sizeof(s), "%u", a->ip[i]);
            out[n++] = (uint8_t)l;
            memcpy(out + n, s, (size_t)l);
            n += (size_t)l;
        }
        memcpy(out + n, "\7in-addr\4arpa", 14);
    } else {
        for (int i = 15; i >= 0; i--) {
            out[n++] = 1;
            out[n++] = (uint8_t)hex[a->ip[i] & 15];
            out[n++] = 1;
            out[n++] = (uint8_t)hex[a->ip[i] >> 4];
        }
        memcpy(out + n, "\3ip6\4arpa", 10);
    }
}

static int hosts_line(struct localzone *lz, char *line, char *why, size_t whycap)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    char *addr = strtok_r(line, " \t\r", &save);
    if (!addr)
        return 0;
    struct net_addr a;
    if (net_addr_parse_ip(&a, addr) != 0 || a.scope_id != 0) {
        set_err(why, whycap, "\"%s\" is not an IP address", addr);
        return -EINVAL;
    }
    uint8_t rev[DNS_NAME_MAXLEN], first[DNS_NAME_MAXLEN];
    bool have_first = false;
    char *name;
    while ((name = strtok_r(NULL, " \t\r", &save))) {
        uint8_t wn[DNS_NAME_MAXLEN];
        size_t wl;
        if (dns_name_from_text(name, strlen(name), wn, &wl) != 0 || wl == 1) {
            set_err(why, whycap, "\"%s\" is not a host name", name);
            return -EINVAL;
        }
        int rc = a.family == AF_INET
                     ? rr_add(lz, wn, DNS_TYPE_A, LOCALZONE_DEFAULT_TTL, a.ip, 4)
                     : rr_add(lz, wn, DNS_TYPE_AAAA, LOCALZONE_DEFAULT_TTL, a.ip, 16);
        if (rc != 0) {
            set_err(why, whycap, "%s", rc == -E2BIG ? "too many records" : strerror(-rc));
            return rc;
        }
        if (!have_first) {
            memcpy(first, wn, wl);
            have_first = true;
        }
    }
    if (!have_first) {
        set_err(why, whycap, "address %s without a name", addr);
        return -EINVAL;
    }
    reverse_name(&a, rev);
    int rc =
        rr_add(lz, rev, DNS_TYPE_PTR, LOCALZONE_DEFAULT_TTL, first, (uint16_t)dns_name_len(first));
    if (rc != 0)
        set_err(why, whycap, "%s", rc == -E2BIG ? "too many records" : strerror(-rc));
    return rc;
}

int localzone_hosts_parse(struct localzone *lz, const char *name, const char *text, size_t len,
                          char *err, size_t errcap)
{
    size_t pos = 0;
    int lineno = 0;
    char buf[1024];
    lz->adding_hosts = true;
    int rc = 0;
    while (pos < len && rc == 0) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (l >= sizeof(buf)) {
            set_err(err, errcap, "%s:%d: line longer than %zu characters", name, lineno,
                    sizeof(buf) - 1);
            rc = -EINVAL;
            break;
        }
        memcpy(buf, text + pos, l);
        buf[l] = '\0';
        pos += l + (nl ? 1 : 0);
        if (memchr(buf, '\0', l)) {
            set_err(err, errcap, "%s:%d: NUL character", name, lineno);
            rc = -EINVAL;
            break;
        }
        char why[300];
        rc = hosts_line(lz, buf, why, sizeof(why));
        if (rc != 0)
            set_err(err, errcap, "%s:%d: %s", name, lineno, why);
    }
    lz->adding_hosts = false;
    return rc;
}

int localzone_hosts_load(struct localzone *lz, const char *path, char *err, size_t errcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        set_err(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)LOCALZONE_MAX_HOSTS) {
        set_err(err, errcap, "%s: not a regular file of at most %u MiB", path,
                LOCALZONE_MAX_HOSTS >> 20);
        close(fd);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size;
    char *text = malloc(size ? size : 1);
    if (!text) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, text + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int rc = localzone_hosts_parse(lz, path, text, got, err, errcap);
    free(text);
    return rc;
}

/* ---- index and answers ---- */

static const uint8_t *rr_owner(const struct localzone *lz, const struct lz_rr *r)
{
    return lz->data + r->owner_off;
}

static const struct localzone *sort_lz; /* qsort has no context argument */

static int rr_cmp(const void *pa, const void *pb)
{
    const struct lz_rr *a = pa, *b = pb;
    int c = dns_name_cmp(rr_owner(sort_lz, a), rr_owner(sort_lz, b));
    if (c)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool rr_same(const struct localzone *lz, const struct lz_rr *a, const struct lz_rr *b)
{
    return a->type == b->type && dns_name_eq(rr_owner(lz, a), rr_owner(lz, b)) &&
           a->rdlen == b->rdlen &&
           memcmp(lz->data + a->rdata_off, lz->data + b->rdata_off, a->rdlen) == 0;
}

int localzone_finish(struct localzone *lz, char *err, size_t errcap)
{
    if (lz->n == 0)
        return 0;
    /* Not thread-safe (sort_lz), but configuration loads on one thread. */
    sort_lz = lz;
    qsort(lz->rr, lz->n, sizeof(*lz->rr), rr_cmp);
    sort_lz = NULL;
    size_t out = 0;
    for (size_t i = 0; i < lz->n; i++) {
        const struct lz_rr *r = &lz->rr[i];
        if (out > 0) {
            const struct lz_rr *p = &lz->rr[out - 1];
            if (rr_same(lz, p, r))
                continue;
            /* A hosts lookup by address returns the first line's name. */
            if (r->type == DNS_TYPE_PTR && p->type == DNS_TYPE_PTR && r->from_hosts &&
                dns_name_eq(rr_owner(lz, p), rr_owner(lz, r)))
                continue;
        }
        lz->rr[out++] = *r;
    }
    lz->n = out;
    /* RFC 1034 3.6.2: a CNAME owner has no other data.  Records of one
     * owner are adjacent, types ascending. */
    for (size_t i = 0; i < lz->n; i++) {
        size_t j = i;
        bool cname = false;
        while (j < lz->n && dns_name_eq(rr_owner(lz, &lz->rr[i]), rr_owner(lz, &lz->rr[j]))) {
            cname |= lz->rr[j].type == DNS_TYPE_CNAME;
            j++;
        }
        if (cname && (j - i > 1)) {
            char txt[DNS_NAME_TEXT_MAX];
            dns_name_to_text(rr_owner(lz, &lz->rr[i]), txt, sizeof(txt), NULL);
            set_err(err, errcap, "%s has a CNAME and other data (RFC 1034 3.6.2)", txt);
            return -EINVAL;
        }
        i = j - 1;
    }
    return 0;
}

/* Index of the first record whose owner sorts at or after name. */
static size_t lower_bound(const struct localzone *lz, const uint8_t *name)
{
    size_t lo = 0, hi = lz->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dns_name_cmp(rr_owner(lz, &lz->rr[mid]), name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const uint8_t *localzone_zone_of(const struct localzone *lz, const uint8_t *name)
{
    const uint8_t *best = NULL;
    size_t best_labels = 0;
    for (size_t i = 0; i < lz->nzones; i++) {
        size_t l = dns_name_labels(lz->zones[i]);
        if ((!best || l > best_labels) && dns_name_is_sub(name, lz->zones[i])) {
            best = lz->zones[i];
            best_labels = l;
        }
    }
    return best;
}

static void write_rdata(struct dns_wr *d, const struct lz_rr *r, const uint8_t *rd)
{
    switch (r->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        dns_wr_rdata_name(d, rd);
        break;
    case DNS_TYPE_MX:
        wire_wr_bytes(&d->w, rd, 2);
        dns_wr_rdata_name(d, rd + 2);
        break;
    case DNS_TYPE_SRV:
        wire_wr_bytes(&d->w, rd, 6);
        dns_wr_rdata_name(d, rd + 6);
        break;
    default:
        wire_wr_bytes(&d->w, rd, r->rdlen);
    }
}

/* Writes records [from, to) of one type as one RRset, owner as given. */
static void write_rrset(const struct localzone *lz, struct dns_wr *d, int sec, size_t from,
                        size_t to, const uint8_t *owner)
{
    dns_wr_rrset_begin(d, sec);
    for (size_t i = from; i < to; i++) {
        const struct lz_rr *r = &lz->rr[i];
        dns_wr_rr_begin(d, owner, r->type, DNS_CLASS_IN, r->ttl);
        write_rdata(d, r, lz->data + r->rdata_off);
        dns_wr_rr_end(d);
    }
    dns_wr_rrset_end(d);
}

/* The zone's SOA, synthesized: RFC 2308 3 wants it in negative answers,
 * and its MINIMUM (and TTL) bound how long they are cached. */
static void write_soa(struct dns_wr *d, int sec, const uint8_t *zone, const uint8_t *owner,
                      uint32_t serial)
{
    uint8_t rname[DNS_NAME_MAXLEN];
    size_t zl = dns_name_len(zone);
    static const uint8_t hm[] = "\12hostmaster";
    if (zl + sizeof(hm) - 1 <= DNS_NAME_MAXLEN) {
        memcpy(rname, hm, sizeof(hm) - 1);
        memcpy(rname + sizeof(hm) - 1, zone, zl);
    } else {
        memcpy(rname, zone, zl);
    }
    dns_wr_rrset_begin(d, sec);
    dns_wr_rr_begin(d, owner, DNS_TYPE_SOA, DNS_CLASS_IN, LOCALZONE_NEG_TTL);
    dns_wr_rdata_name(d, zone);
    dns_wr_rdata_name(d, rname);
    wire_wr_u32(&d->w, serial ? serial : 1);
    wire_wr_u32(&d->w, 3600);   /* refresh */
    wire_wr_u32(&d->w, 900);    /* retry */
    wire_wr_u32(&d->w, 604800); /* expire */
    wire_wr_u32(&d->w, LOCALZONE_NEG_TTL);
    dns_wr_rr_end(d);
    dns_wr_rrset_end(d);
}

int localzone_answer(const struct localzone *lz, const uint8_t *qname, uint16_t qtype,
                     uint16_t qclass, struct dns_wr *d)
{
    if (qclass != DNS_CLASS_IN && qclass != DNS_CLASS_ANY)
        return 0;
    const uint8_t *name = qname;
    uint8_t target[DNS_NAME_MAXLEN];
    uint8_t rcode = DNS_RCODE_NOERROR;
    const uint8_t *neg_zone = NULL;
    for (int hop = 0; hop <= LOCALZONE_MAX_CHAIN; hop++) {
        const uint8_t *zone = localzone_zone_of(lz, name);
        size_t lo = lower_bound(lz, name), hi = lo;
        while (hi < lz->n && dns_name_eq(rr_owner(lz, &lz->rr[hi]), name))
            hi++;
        /* The first RRset is written as the question was asked. */
        const uint8_t *owner = hop == 0 ? qname : name;
        bool apex = zone && dns_name_eq(name, zone);
        if (lo == hi && !apex) {
            if (!zone) {
                if (hop == 0)
                    return 0; /* not ours: the resolver's */
                break;        /* the chain leaves local data; the client follows it */
            }
            /* An empty non-terminal (a name with data below it) exists:
             * canonical order puts its descendants right after it. */
            bool ent = lo < lz->n && dns_name_is_sub(rr_owner(lz, &lz->rr[lo]), name);
            if (!ent)
                rcode = DNS_RCODE_NXDOMAIN;
            neg_zone = zone;
            break;
        }
        bool found = false;
        size_t i = lo;
        while (i < hi) {
            size_t j = i;
            while (j < hi && lz->rr[j].type == lz->rr[i].type)
                j++;
            if (qtype == lz->rr[i].type || qtype == DNS_TYPE_ANY) {
                write_rrset(lz, d, DNS_SEC_AN, i, j, owner);
                found = true;
            }
            i = j;
        }
        if (apex && (qtype == DNS_TYPE_SOA || qtype == DNS_TYPE_ANY)) {
            bool have_soa = false;
            for (size_t k = lo; k < hi; k++)
                have_soa |= lz->rr[k].type == DNS_TYPE_SOA;
            if (!have_soa) {
                write_soa(d, DNS_SEC_AN, zone, owner, lz->serial);
                found = true;
            }
        }
        if (found)
            break;
        /* A CNAME is the only record at its name (checked at finish). */
        if (hi - lo == 1 && lz->rr[lo].type == DNS_TYPE_CNAME) {
            const struct lz_rr *c = &lz->rr[lo];
            write_rrset(lz, d, DNS_SEC_AN, lo, hi, owner);
            memcpy(target, lz->data + c->rdata_off, c->rdlen);
            name = target;
            continue;
        }
        neg_zone = zone; /* NODATA; outside zones without an SOA */
        break;
    }
    if (neg_zone)
        write_soa(d, DNS_SEC_NS, neg_zone, neg_zone, lz->serial);
    d->hdr.rcode = rcode;
    d->hdr.aa = true;
    return 1;
}

/* ---- access for the dynamic zone store (dnsd/dynzone.c) ---- */

void localzone_serial_set(struct localzone *lz, uint32_t serial)
{
    lz->serial = serial;
}

size_t localzone_zone_count(const struct localzone *lz)
{
    return lz->nzones;
}

const uint8_t *localzone_zone_get(const struct localzone *lz, size_t i)
{
    return i < lz->nzones ? lz->zones[i] : NULL;
}

int localzone_rr_get(const struct localzone *lz, size_t i, struct localzone_rr *out)
{
    if (i >= lz->n)
        return -ENOENT;
    const struct lz_rr *r = &lz->rr[i];
    out->owner = rr_owner(lz, r);
    out->type = r->type;
    out->ttl = r->ttl;
    out->rdata = lz->data + r->rdata_off;
    out->rdlen = r->rdlen;
    return 0;
}

void localzone_name_range(const struct localzone *lz, const uint8_t *name, size_t *lo, size_t *hi)
{
    size_t l = lower_bound(lz, name), h = l;
    while (h < lz->n && dns_name_eq(rr_owner(lz, &lz->rr[h]), name))
        h++;
    *lo = l;
    *hi = h;
}

int localzone_merge(struct localzone *dst, const struct localzone *src)
{
    for (size_t i = 0; i < src->nzones; i++) {
        int rc = localzone_zone_add(dst, src->zones[i]);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < src->n; i++) {
        const struct lz_rr *r = &src->rr[i];
        dst->adding_hosts = r->from_hosts;
        int rc = rr_add(dst, rr_owner(src, r), r->type, r->ttl, src->data + r->rdata_off, r->rdlen);
        dst->adding_hosts = false;
        if (rc != 0)
            return rc;
    }
    return 0;
}
