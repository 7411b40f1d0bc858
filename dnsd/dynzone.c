/*
 * dynzone: RFC 2136 prerequisites and updates on the shared dynamic
 * records, snapshots for the workers, and the state file.  See dynzone.h.
 */
#include "dnsd/dynzone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "common/dns_name.h"
#include "common/dns_text.h"
#include "common/dns_update.h"
#include "common/log.h"
#include "dnsd/conf.h"
#include "dnsd/localzone.h"
#include "dnsd/rrset.h"

struct dz_rec {
    uint8_t owner[DNS_NAME_MAXLEN]; /* lower case */
    uint32_t ttl;
    uint16_t type, rdlen;
    bool fresh; /* made by the update in progress: freed on rollback */
    bool keep;  /* scratch for commit */
    uint8_t rdata[];
};

struct dynzone {
    uv_mutex_t lock; /* everything below but gen */
    struct dz_rec **rec;
    size_t n;
    uint32_t serial;
    struct dnsd_conf *base;
    struct dynzone_snap *snap;
    atomic_uint_fast64_t gen;
    char *path; /* NULL: not persisted */
};

/* The records as one update sees them: a copy of the array (pointers
 * shared with the store until changed: copy on write). */
struct work {
    struct dz_rec **rec;
    size_t n, cap;
    bool changed;
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

static struct dz_rec *rec_new(const uint8_t *owner, uint16_t type, uint32_t ttl,
                              const uint8_t *rdata, uint16_t rdlen)
{
    struct dz_rec *r = malloc(sizeof(*r) + rdlen);
    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    memcpy(r->owner, owner, dns_name_len(owner));
    dns_name_lower(r->owner);
    r->type = type;
    r->ttl = ttl;
    r->rdlen = rdlen;
    r->fresh = true;
    if (rdlen)
        memcpy(r->rdata, rdata, rdlen);
    return r;
}

/* ---- snapshots ---- */

void dynzone_snap_release(struct dynzone_snap *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        localzone_free(s->lz);
        free(s);
    }
}

/* Does static data lz have a record of type at name (type 0: any type
 * but skip)? */
static bool static_has(const struct localzone *lz, const uint8_t *name, uint16_t type,
                       uint16_t skip)
{
    size_t lo, hi;
    localzone_name_range(lz, name, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        struct localzone_rr r;
        localzone_rr_get(lz, i, &r);
        if (type ? r.type == type : r.type != skip)
            return true;
    }
    return false;
}

/* Static + dynamic records into a new snapshot.  Locked. */
static struct dynzone_snap *snap_build(struct dynzone *dz, struct dz_rec *const *rec, size_t n,
                                       uint32_t serial)
{
    const struct localzone *base = dz->base->local;
    struct dynzone_snap *s = calloc(1, sizeof(*s));
    struct localzone *lz = localzone_new();
    if (!s || !lz || localzone_merge(lz, base) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct dz_rec *r = rec[i];
        if (!localzone_zone_of(base, r->owner))
            continue; /* its zone was removed from the configuration */
        /* RFC 1034 3.6.2, against data a reload brought in. */
        if (r->type == DNS_TYPE_CNAME ? static_has(base, r->owner, 0, DNS_TYPE_CNAME)
                                      : static_has(base, r->owner, DNS_TYPE_CNAME, 0))
            continue;
        if (localzone_rr_add(lz, r->owner, r->type, r->ttl, r->rdata, r->rdlen) != 0)
            goto fail;
    }
    if (localzone_finish(lz, NULL, 0) != 0)
        goto fail;
    localzone_serial_set(lz, serial);
    atomic_init(&s->refs, 1);
    s->lz = lz;
    return s;
fail:
    localzone_free(lz);
    free(s);
    return NULL;
}

/* Publishes s (locked). */
static void snap_publish(struct dynzone *dz, struct dynzone_snap *s)
{
    s->gen = atomic_load(&dz->gen) + 1;
    struct dynzone_snap *old = dz->snap;
    dz->snap = s;
    atomic_store_explicit(&dz->gen, s->gen, memory_order_release);
    dynzone_snap_release(old);
}

const struct localzone *dynzone_snap_refresh(struct dynzone *dz, struct dynzone_snap **held)
{
    uint64_t g = atomic_load_explicit(&dz->gen, memory_order_acquire);
    if (*held && (*held)->gen == g)
        return (*held)->lz;
    uv_mutex_lock(&dz->lock);
    struct dynzone_snap *s = dz->snap;
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    uv_mutex_unlock(&dz->lock);
    dynzone_snap_release(*held);
    *held = s;
    return s ? s->lz : NULL;
}

int dynzone_rebase(struct dynzone *dz, struct dnsd_conf *c)
{
    uv_mutex_lock(&dz->lock);
    struct dnsd_conf *old = dz->base;
    dz->base = dnsd_conf_retain(c);
    struct dynzone_snap *s = snap_build(dz, dz->rec, dz->n, dz->serial);
    if (!s) {
        dnsd_conf_release(dz->base);
        dz->base = old;
        uv_mutex_unlock(&dz->lock);
        return -ENOMEM;
    }
    snap_publish(dz, s);
    uv_mutex_unlock(&dz->lock);
    dnsd_conf_release(old);
    return 0;
}

uint32_t dynzone_serial(struct dynzone *dz)
{
    uv_mutex_lock(&dz->lock);
    uint32_t s = dz->serial;
    uv_mutex_unlock(&dz->lock);
    return s;
}

size_t dynzone_count(struct dynzone *dz)
{
    uv_mutex_lock(&dz->lock);
    size_t n = dz->n;
    uv_mutex_unlock(&dz->lock);
    return n;
}

/* ---- the state file ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes rec[0..n) and serial to dz->path atomically: a crash leaves the
 * old file or the new one, never a mix. */
static int file_save(const struct dynzone *dz, struct dz_rec *const *rec, size_t n, uint32_t serial)
{
    if (!dz->path)
        return 0;
    size_t plen = strlen(dz->path);
    char *tmp = malloc(plen + 8);
    if (!tmp)
        return -ENOMEM;
    memcpy(tmp, dz->path, plen);
    memcpy(tmp + plen, ".new", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = -errno;
        free(tmp);
        return e;
    }
    /* One line at most: name text, numbers, and 2 hex digits an octet. */
    size_t cap = DNS_NAME_TEXT_MAX + 64 + 2 * 65535 + 2;
    char *line = malloc(cap);
    int rc = line ? 0 : -ENOMEM;
    if (rc == 0) {
        int l = snprintf(line, cap,
                         "; labnet-dnsd dynamic records (DNS UPDATE), rewritten on each change\n"
                         "$SERIAL %u\n",
                         serial);
        rc = write_all(fd, line, (size_t)l);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct dz_rec *r = rec[i];
        char name[DNS_NAME_TEXT_MAX], type[DNS_MNEMONIC_MAX];
        dns_name_to_text(r->owner, name, sizeof(name), NULL);
        dns_type_to_text(r->type, type);
        int l = snprintf(line, cap, "%s %u IN %s \\# %u ", name, r->ttl, type, r->rdlen);
        size_t pos = (size_t)l;
        static const char hex[] = "0123456789abcdef";
        for (size_t k = 0; k < r->rdlen; k++) {
            line[pos++] = hex[r->rdata[k] >> 4];
            line[pos++] = hex[r->rdata[k] & 15];
        }
        line[pos++] = '\n';
        rc = write_all(fd, line, pos);
    }
    free(line);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, dz->path) != 0)
        rc = -errno;
    if (rc != 0) {
        (void)unlink(tmp);
    } else {
        /* The rename itself is durable once the directory is synced. */
        char *slash = strrchr(tmp, '/');
        if (slash) {
            *slash = '\0';
            int dfd = open(slash == tmp ? "/" : tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
            }
        }
    }
    free(tmp);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Splits off the next blank-separated token of *p. */
static char *next_tok(char **p)
{
    char *s = *p + strspn(*p, " \t\r");
    if (!*s)
        return NULL;
    char *e = s + strcspn(s, " \t\r");
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
    if (!s || !*s || strlen(s) > 10 || strspn(s, "0123456789") != strlen(s))
        return -EINVAL;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v > max)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int store_add(struct dynzone *dz, struct dz_rec *r)
{
    if (dz->n == DYNZONE_MAX_RECORDS)
        return -E2BIG;
    struct dz_rec **nr = realloc(dz->rec, (dz->n + 1) * sizeof(struct dz_rec *));
    if (!nr)
        return -ENOMEM;
    dz->rec = nr;
    dz->rec[dz->n++] = r;
    return 0;
}

/* One line of the state file; why gets the reason. */
static int load_line(struct dynzone *dz, char *line, uint8_t *rd, char *why, size_t whycap)
{
    char *p = line;
    char *t = next_tok(&p);
    if (!t || t[0] == ';')
        return 0;
    if (strcmp(t, "$SERIAL") == 0) {
        if (parse_u32(next_tok(&p), UINT32_MAX, &dz->serial) != 0 || next_tok(&p)) {
            set_err(why, whycap, "$SERIAL needs one number");
            return -EINVAL;
        }
        return 0;
    }
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t olen;
    if (dns_name_from_text(t, strlen(t), owner, &olen) != 0) {
        set_err(why, whycap, "\"%s\" is not a domain name", t);
        return -EINVAL;
    }
    uint32_t ttl, rdlen;
    uint16_t type;
    char *in, *ty, *gen, *len, *hex;
    if (parse_u32(next_tok(&p), INT32_MAX, &ttl) != 0 || !(in = next_tok(&p)) ||
        strcmp(in, "IN") != 0 || !(ty = next_tok(&p)) || dns_type_from_text(ty, &type) != 0 ||
        !(gen = next_tok(&p)) || strcmp(gen, "\\#") != 0 || !(len = next_tok(&p)) ||
        parse_u32(len, 65535, &rdlen) != 0) {
        set_err(why, whycap, "expected \"NAME TTL IN TYPE \\# LENGTH HEX\"");
        return -EINVAL;
    }
    hex = next_tok(&p);
    size_t hl = hex ? strlen(hex) : 0;
    if (hl != 2 * (size_t)rdlen || next_tok(&p)) {
        set_err(why, whycap, "RDATA is not %u octets in hex", rdlen);
        return -EINVAL;
    }
    for (size_t k = 0; k < rdlen; k++) {
        int hi = hexval(hex[2 * k]), lo = hexval(hex[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            set_err(why, whycap, "RDATA is not hex");
            return -EINVAL;
        }
        rd[k] = (uint8_t)(hi << 4 | lo);
    }
    if (type == DNS_TYPE_SOA || localzone_rdata_check(type, rd, (uint16_t)rdlen) != 0) {
        set_err(why, whycap, "%s record with bad or unsupported RDATA", ty);
        return -EINVAL;
    }
    struct dz_rec *r = rec_new(owner, type, ttl, rd, (uint16_t)rdlen);
    int rc = r ? store_add(dz, r) : -ENOMEM;
    if (rc != 0) {
        free(r);
        set_err(why, whycap, "%s", rc == -E2BIG ? "too many records" : strerror(-rc));
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    r->fresh = false;
    return 0;
}

static int file_load(struct dynzone *dz, char *err, size_t errcap)
{
    int fd = open(dz->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        int e = errno;
        set_err(err, errcap, "%s: %s", dz->path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)DYNZONE_MAX_FILE) {
        set_err(err, errcap, "%s: not a regular file of at most %u MiB", dz->path,
                DYNZONE_MAX_FILE >> 20);
        close(fd);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *text = malloc(size + 1);
    uint8_t *rd = malloc(65535);
    if (!text || !rd) {
        free(text);
        free(rd);
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t r = read(fd, text + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    text[got] = '\0';
    int rc = 0, lineno = 0;
    if (memchr(text, '\0', got)) {
        set_err(err, errcap, "%s: NUL character: not a labnet-dnsd state file", dz->path);
        rc = -EINVAL;
    }
    for (char *p = text; rc == 0 && p < text + got;) {
        lineno++;
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        char why[256];
        rc = load_line(dz, p, rd, why, sizeof(why));
        if (rc != 0)
            set_err(err, errcap, "%s:%d: %s", dz->path, lineno, why);
        p = nl ? nl + 1 : text + got;
    }
    free(text);
    free(rd);
    return rc;
}

int dynzone_new(const char *path, struct dynzone **out, char *err, size_t errcap)
{
    struct dynzone *dz = calloc(1, sizeof(*dz));
    if (!dz)
        return -ENOMEM;
    if (uv_mutex_init(&dz->lock) != 0) {
        free(dz);
        return -ENOMEM;
    }
    atomic_init(&dz->gen, 0);
    dz->serial = 1;
    if (path && !(dz->path = strdup(path))) {
        dynzone_free(dz);
        return -ENOMEM;
    }
    int rc = dz->path ? file_load(dz, err, errcap) : 0;
    if (rc != 0) {
        dynzone_free(dz);
        return rc;
    }
    *out = dz;
    return 0;
}

void dynzone_free(struct dynzone *dz)
{
    if (!dz)
        return;
    for (size_t i = 0; i < dz->n; i++)
        free(dz->rec[i]);
    free(dz->rec);
    dynzone_snap_release(dz->snap);
    dnsd_conf_release(dz->base);
    free(dz->path);
    uv_mutex_destroy(&dz->lock);
    free(dz);
}

/* ---- RFC 2136 on a working copy ---- */

/* What the zone holds at name: static records of base, then the working
 * set.  The apex also has the synthesized SOA. */
struct view {
    const struct localzone *base;
    struct work *w;
    const uint8_t *zone;
};

static bool rdata_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

/* Counts records at name: of type (DNS_TYPE_ANY: every type; with
 * not_type set, every type but that one), and with rdata when rd is not
 * NULL.  Counts the synthesized apex SOA. */
static size_t view_count(const struct view *v, const uint8_t *name, uint16_t type,
                         uint16_t not_type, const uint8_t *rd, size_t rdlen)
{
    size_t n = 0;
#define MATCHES(t, d, dl)                                                    \
    ((not_type ? (t) != not_type : (type == DNS_TYPE_ANY || (t) == type)) && \
     (!rd || rdata_eq(d, dl, rd, rdlen)))
    size_t lo, hi;
    localzone_name_range(v->base, name, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        struct localzone_rr r;
        localzone_rr_get(v->base, i, &r);
        if (MATCHES(r.type, r.rdata, r.rdlen))
            n++;
    }
    for (size_t i = 0; i < v->w->n; i++) {
        const struct dz_rec *r = v->w->rec[i];
        if (dns_name_eq(r->owner, name) && MATCHES(r->type, r->rdata, r->rdlen))
            n++;
    }
    if (dns_name_eq(name, v->zone) && !rd && MATCHES(DNS_TYPE_SOA, NULL, 0))
        n++;
#undef MATCHES
    return n;
}

/* Removes working record i (order kept: the file stays readable). */
static void work_remove(struct work *w, size_t i)
{
    if (w->rec[i]->fresh)
        free(w->rec[i]);
    memmove(&w->rec[i], &w->rec[i + 1], (w->n - i - 1) * sizeof(struct dz_rec *));
    w->n--;
    w->changed = true;
}

/* Removes the dynamic records at name of type (ANY: all but keep_apex
 * types at the apex) with rdata rd when not NULL. */
static void work_delete(struct view *v, const uint8_t *name, uint16_t type, const uint8_t *rd,
                        size_t rdlen)
{
    bool apex = dns_name_eq(name, v->zone);
    for (size_t i = 0; i < v->w->n;) {
        const struct dz_rec *r = v->w->rec[i];
        bool hit = dns_name_eq(r->owner, name) && (type == DNS_TYPE_ANY || r->type == type) &&
                   (!rd || rdata_eq(r->rdata, r->rdlen, rd, rdlen));
        /* RFC 2136 3.4.2.3: deleting the apex name spares SOA and NS. */
        if (hit && !(apex && type == DNS_TYPE_ANY && r->type == DNS_TYPE_NS))
            work_remove(v->w, i);
        else
            i++;
    }
}

static int work_push(struct work *w, struct dz_rec *r)
{
    if (w->n == DYNZONE_MAX_RECORDS)
        return -E2BIG;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 16;
        struct dz_rec **nr = realloc(w->rec, nc * sizeof(struct dz_rec *));
        if (!nr)
            return -ENOMEM;
        w->rec = nr;
        w->cap = nc;
    }
    w->rec[w->n++] = r;
    w->changed = true;
    return 0;
}

/* RFC 2181 5.2: one TTL per RRset; the last added sets it (as BIND does).
 * Shared records are copied before they change. */
static int work_set_ttl(struct work *w, const uint8_t *name, uint16_t type, uint32_t ttl)
{
    for (size_t i = 0; i < w->n; i++) {
        struct dz_rec *r = w->rec[i];
        if (r->type != type || r->ttl == ttl || !dns_name_eq(r->owner, name))
            continue;
        if (!r->fresh) {
            struct dz_rec *c = rec_new(r->owner, r->type, r->ttl, r->rdata, r->rdlen);
            if (!c)
                return -ENOMEM;
            w->rec[i] = r = c;
        }
        r->ttl = ttl;
        w->changed = true;
    }
    return 0;
}

/* RFC 2136 3.2: the prerequisites, in order; the first failure decides. */
static uint8_t check_prereqs(const struct dns_msg *m, struct view *v, uint8_t *rd)
{
    size_t n;
    const struct dns_rr *pr = dns_msg_section(m, DNS_UPD_SEC_PR, &n);
    for (size_t i = 0; i < n; i++) {
        uint8_t name[DNS_NAME_MAXLEN];
        if (dns_msg_rr_owner(m, &pr[i], name, NULL) < 0)
            return DNS_RCODE_FORMERR;
        dns_name_lower(name);
        switch (dns_update_prereq(&pr[i])) {
        case DNS_PRE_NAME_IN_USE: /* 2.4.4 */
            if (view_count(v, name, DNS_TYPE_ANY, 0, NULL, 0) == 0)
                return DNS_RCODE_NXDOMAIN;
            break;
        case DNS_PRE_NAME_NOT_IN_USE: /* 2.4.5 */
            if (view_count(v, name, DNS_TYPE_ANY, 0, NULL, 0) != 0)
                return DNS_RCODE_YXDOMAIN;
            break;
        case DNS_PRE_RRSET_EXISTS: /* 2.4.1 */
            if (view_count(v, name, pr[i].type, 0, NULL, 0) == 0)
                return DNS_RCODE_NXRRSET;
            break;
        case DNS_PRE_RRSET_ABSENT: /* 2.4.3 */
            if (view_count(v, name, pr[i].type, 0, NULL, 0) != 0)
                return DNS_RCODE_YXRRSET;
            break;
        case DNS_PRE_RRSET_EQUALS: {
            /* 2.4.2 / 3.2.3: the records of one name and type in the
             * prerequisites form an RRset that must equal the zone's
             * (TTLs aside).  Judged once, at its first record. */
            bool first = true;
            for (size_t j = 0; j < i && first; j++) {
                uint8_t o[DNS_NAME_MAXLEN];
                if (dns_update_prereq(&pr[j]) == DNS_PRE_RRSET_EQUALS && pr[j].type == pr[i].type &&
                    dns_msg_rr_owner(m, &pr[j], o, NULL) == 0 && dns_name_eq(o, name))
                    first = false;
            }
            if (!first)
                break;
            size_t distinct = 0;
            for (size_t j = i; j < n; j++) {
                uint8_t o[DNS_NAME_MAXLEN];
                size_t rl;
                if (dns_update_prereq(&pr[j]) != DNS_PRE_RRSET_EQUALS || pr[j].type != pr[i].type ||
                    dns_msg_rr_owner(m, &pr[j], o, NULL) < 0 || !dns_name_eq(o, name))
                    continue;
                if (rrset_rdata_from_msg(m, &pr[j], rd, 65535, &rl) != 0)
                    return DNS_RCODE_FORMERR;
                if (pr[i].type == DNS_TYPE_SOA || view_count(v, name, pr[i].type, 0, rd, rl) == 0)
                    return DNS_RCODE_NXRRSET;
                /* Count each value once: a repeated one is not a second
                 * member of the set (RFC 2181 5). */
                bool dup = false;
                for (size_t k = i; k < j && !dup; k++) {
                    uint8_t o2[DNS_NAME_MAXLEN], rd2[512];
                    size_t rl2;
                    if (dns_update_prereq(&pr[k]) == DNS_PRE_RRSET_EQUALS &&
                        pr[k].type == pr[i].type && pr[k].rdlength == pr[j].rdlength &&
                        dns_msg_rr_owner(m, &pr[k], o2, NULL) == 0 && dns_name_eq(o2, name) &&
                        rrset_rdata_from_msg(m, &pr[k], rd2, sizeof(rd2), &rl2) == 0 &&
                        rdata_eq(rd2, rl2, rd, rl))
                        dup = true;
                }
                distinct += !dup;
            }
            if (view_count(v, name, pr[i].type, 0, NULL, 0) != distinct)
                return DNS_RCODE_NXRRSET;
            break;
        }
        }
    }
    return DNS_RCODE_NOERROR;
}

/* RFC 2136 3.4.2: one update record on the working set. */
static uint8_t apply_one(const struct dns_msg *m, const struct dns_rr *rr, struct view *v,
                         uint8_t *rd)
{
    uint8_t name[DNS_NAME_MAXLEN];
    if (dns_msg_rr_owner(m, rr, name, NULL) < 0)
        return DNS_RCODE_FORMERR;
    dns_name_lower(name);
    /* A name in a deeper local zone is that zone's, not this one's. */
    const uint8_t *zo = localzone_zone_of(v->base, name);
    if (!zo || !dns_name_eq(zo, v->zone))
        return DNS_RCODE_NOTZONE;
    bool apex = dns_name_eq(name, v->zone);
    size_t rl = 0;
    enum dns_update_op op = dns_update_op(rr);
    if ((op == DNS_UPD_ADD || op == DNS_UPD_DELETE_RR) &&
        rrset_rdata_from_msg(m, rr, rd, 65535, &rl) != 0)
        return DNS_RCODE_FORMERR;
    switch (op) {
    case DNS_UPD_ADD: {
        if (rr->type == DNS_TYPE_SOA)
            return DNS_RCODE_NOERROR; /* ours is synthesized: 3.4.2.2 lets us keep it */
        int rc = localzone_rdata_check(rr->type, rd, (uint16_t)rl);
        if (rc == -ENOTSUP)
            return DNS_RCODE_REFUSED;
        if (rc != 0)
            return DNS_RCODE_FORMERR;
        /* 3.4.2.2: a CNAME never joins other data, nor other data a
         * CNAME; such an addition is silently ignored. */
        if (rr->type == DNS_TYPE_CNAME) {
            if (view_count(v, name, 0, DNS_TYPE_CNAME, NULL, 0) != 0)
                return DNS_RCODE_NOERROR;
            if (view_count(v, name, DNS_TYPE_CNAME, 0, NULL, 0) != 0 &&
                view_count(v, name, DNS_TYPE_CNAME, 0, rd, rl) == 0) {
                /* A new CNAME replaces the old one, unless that is the
                 * configuration's. */
                size_t lo, hi;
                localzone_name_range(v->base, name, &lo, &hi);
                if (hi > lo)
                    return DNS_RCODE_NOERROR;
                work_delete(v, name, DNS_TYPE_CNAME, NULL, 0);
            }
        } else if (view_count(v, name, DNS_TYPE_CNAME, 0, NULL, 0) != 0) {
            return DNS_RCODE_NOERROR;
        }
        if (work_set_ttl(v->w, name, rr->type, rr->ttl) != 0)
            return DNS_RCODE_SERVFAIL;
        /* An RR already there is not added twice (RFC 2181 5). */
        if (view_count(v, name, rr->type, 0, rd, rl) != 0)
            return DNS_RCODE_NOERROR;
        struct dz_rec *r = rec_new(name, rr->type, rr->ttl, rd, (uint16_t)rl);
        if (!r)
            return DNS_RCODE_SERVFAIL;
        rc = work_push(v->w, r);
        if (rc != 0) {
            free(r);
            return rc == -E2BIG ? DNS_RCODE_REFUSED : DNS_RCODE_SERVFAIL;
        }
        return DNS_RCODE_NOERROR;
    }
    case DNS_UPD_DELETE_RRSET:
        /* 3.4.2.3: the apex SOA and NS RRsets stay. */
        if (apex && (rr->type == DNS_TYPE_SOA || rr->type == DNS_TYPE_NS))
            return DNS_RCODE_NOERROR;
        work_delete(v, name, rr->type, NULL, 0);
        return DNS_RCODE_NOERROR;
    case DNS_UPD_DELETE_NAME:
        work_delete(v, name, DNS_TYPE_ANY, NULL, 0);
        return DNS_RCODE_NOERROR;
    case DNS_UPD_DELETE_RR:
        /* 3.4.2.4: never the SOA, nor the apex's last NS. */
        if (rr->type == DNS_TYPE_SOA)
            return DNS_RCODE_NOERROR;
        if (apex && rr->type == DNS_TYPE_NS && view_count(v, name, DNS_TYPE_NS, 0, NULL, 0) <= 1)
            return DNS_RCODE_NOERROR;
        work_delete(v, name, rr->type, rd, rl);
        return DNS_RCODE_NOERROR;
    }
    return DNS_RCODE_NOERROR;
}

static void work_rollback(struct work *w)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->rec[i]->fresh)
            free(w->rec[i]);
    free(w->rec);
}

uint8_t dynzone_update(struct dynzone *dz, const struct dns_msg *m, const uint8_t *zone)
{
    uint8_t *rd = malloc(65535); /* one RDATA, decompressed */
    if (!rd)
        return DNS_RCODE_SERVFAIL;
    uv_mutex_lock(&dz->lock);
    uint8_t rcode = DNS_RCODE_SERVFAIL;
    struct work w = {0};
    if (!dz->base)
        goto out;
    w.cap = dz->n + 16;
    w.rec = malloc(w.cap * sizeof(struct dz_rec *));
    if (!w.rec)
        goto out;
    if (dz->n)
        memcpy(w.rec, dz->rec, dz->n * sizeof(struct dz_rec *));
    w.n = dz->n;
    struct view v = {.base = dz->base->local, .w = &w, .zone = zone};

    rcode = check_prereqs(m, &v, rd);
    size_t n;
    const struct dns_rr *up = dns_msg_section(m, DNS_UPD_SEC_UP, &n);
    for (size_t i = 0; rcode == DNS_RCODE_NOERROR && i < n; i++)
        rcode = apply_one(m, &up[i], &v, rd);
    if (rcode != DNS_RCODE_NOERROR || !w.changed) {
        work_rollback(&w);
        goto out;
    }
    /* RFC 2136 3.6: the serial moves with every change (skipping 0). */
    uint32_t serial = dz->serial + 1 ? dz->serial + 1 : 1;
    int rc = file_save(dz, w.rec, w.n, serial);
    struct dynzone_snap *s = rc == 0 ? snap_build(dz, w.rec, w.n, serial) : NULL;
    if (!s) {
        if (rc != 0)
            log_err("%s: %s: update not applied", dz->path, strerror(-rc));
        /* The file may hold the new state while memory keeps the old: put
         * the old back (best effort; a failure here was logged above). */
        if (rc == 0)
            (void)file_save(dz, dz->rec, dz->n, dz->serial);
        work_rollback(&w);
        rcode = DNS_RCODE_SERVFAIL;
        goto out;
    }
    /* Commit: free what the new set no longer holds. */
    for (size_t i = 0; i < dz->n; i++)
        dz->rec[i]->keep = false;
    for (size_t i = 0; i < w.n; i++) {
        w.rec[i]->keep = true;
        w.rec[i]->fresh = false;
    }
    for (size_t i = 0; i < dz->n; i++)
        if (!dz->rec[i]->keep)
            free(dz->rec[i]);
    free(dz->rec);
    dz->rec = w.rec;
    dz->n = w.n;
    dz->serial = serial;
    snap_publish(dz, s);
out:
    uv_mutex_unlock(&dz->lock);
    free(rd);
    return rcode;
}
