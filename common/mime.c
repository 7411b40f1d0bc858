/*
 * mime: the extension table.
 *
 * Storage: one string per distinct type line (the full Content-Type, the
 * charset already appended, so a lookup returns it without work) and an
 * open-addressing table of {lower-cased extension, type index} with linear
 * probing, kept at most half full.  A load builds a complete new set and
 * swaps it in only on success, so a failure leaves the old one intact.
 */
#include "common/mime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_slot {
    char ext[MIME_EXT_MAX + 1]; /* "" marks an empty slot */
    uint32_t type;
};

struct mime_set {
    struct mime_slot *slots;
    size_t cap; /* power of two */
    size_t count;
    char **types;
    size_t ntypes, types_cap;
};

struct mime_table {
    struct mime_set set;
    char *default_type; /* with charset when the rule says so */
    char *charset;      /* "" for none */
    size_t skipped;
};

static const struct {
    const char *type;
    const char *exts;
} builtin[] = {
    {"text/html", "html htm"},
    {"text/css", "css"},
    {"text/javascript", "js mjs"},
    {"application/json", "json map"},
    {"application/manifest+json", "webmanifest"},
    {"application/xml", "xml"},
    {"application/atom+xml", "atom"},
    {"application/rss+xml", "rss"},
    {"text/plain", "txt text"},
    {"text/markdown", "md"},
    {"text/csv", "csv"},
    {"image/svg+xml", "svg"},
    {"image/png", "png"},
    {"image/jpeg", "jpg jpeg"},
    {"image/gif", "gif"},
    {"image/webp", "webp"},
    {"image/avif", "avif"},
    {"image/vnd.microsoft.icon", "ico"},
    {"font/woff", "woff"},
    {"font/woff2", "woff2"},
    {"font/ttf", "ttf"},
    {"font/otf", "otf"},
    {"application/wasm", "wasm"},
    {"application/pdf", "pdf"},
    {"application/zip", "zip"},
    {"application/gzip", "gz"},
    {"application/x-tar", "tar"},
    {"application/x-xz", "xz"},
    {"application/zstd", "zst"},
    {"video/mp4", "mp4"},
    {"video/webm", "webm"},
    {"audio/mpeg", "mp3"},
    {"audio/ogg", "ogg oga"},
    {"audio/wav", "wav"},
};

static char lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c + ('a' - 'A'));
    return c;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 8.3.1: type "/" subtype, both tokens. */
static bool valid_type(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash || slash == s || slash == s + n - 1 || n > MIME_TYPE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s + i != slash && !is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* Extensions: token characters (RFC 9110 5.6.2), which covers what
 * mime.types holds ("3gpp2", "c++", "~", "%").  One with a '.' ("tar.gz")
 * is legal but never matches: lookups use the last extension only. */
static bool valid_ext(const char *s, size_t n)
{
    if (n == 0 || n > MIME_EXT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool wants_charset(const char *type)
{
    return strncasecmp(type, "text/", 5) == 0 || strcasecmp(type, "application/javascript") == 0 ||
           strcasecmp(type, "application/json") == 0 || strcasecmp(type, "image/svg+xml") == 0;
}

/* The full Content-Type for type[0..n), heap-allocated. */
static char *content_type(const char *type, size_t n, const char *charset)
{
    char base[MIME_TYPE_MAX + 1];
    if (n > MIME_TYPE_MAX)
        return NULL;
    memcpy(base, type, n);
    base[n] = '\0';
    bool cs = charset[0] && wants_charset(base);
    size_t len = n + (cs ? strlen("; charset=") + strlen(charset) : 0);
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    snprintf(s, len + 1, "%s%s%s", base, cs ? "; charset=" : "", cs ? charset : "");
    return s;
}

static uint32_t hash_ext(const char *ext)
{
    /* FNV-1a: the keys come from an admin's file, lookups only probe, so
     * no peer can choose what collides. */
    uint32_t h = 2166136261u;
    for (; *ext; ext++) {
        h ^= (unsigned char)*ext;
        h *= 16777619u;
    }
    return h;
}

static void set_free(struct mime_set *s)
{
    for (size_t i = 0; i < s->ntypes; i++)
        free(s->types[i]);
    free(s->types);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

static struct mime_slot *probe(struct mime_slot *slots, size_t cap, const char *ext)
{
    size_t mask = cap - 1;
    for (size_t i = hash_ext(ext) & mask;; i = (i + 1) & mask) {
        if (slots[i].ext[0] == '\0' || strcmp(slots[i].ext, ext) == 0)
            return &slots[i];
    }
}

static int set_grow(struct mime_set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    struct mime_slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].ext[0])
            *probe(ns, ncap, s->slots[i].ext) = s->slots[i];
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

static int set_add_type(struct mime_set *s, char *ct)
{
    if (s->ntypes == s->types_cap) {
        size_t ncap = s->types_cap ? s->types_cap * 2 : 32;
        char **nt = realloc(s->types, ncap * sizeof(*nt));
        if (!nt)
            return -ENOMEM;
        s->types = nt;
        s->types_cap = ncap;
    }
    s->types[s->ntypes++] = ct;
    return 0;
}

/* Maps ext[0..n) (valid) to the newest type; -E2BIG past the entry cap. */
static int set_add_ext(struct mime_set *s, const char *ext, size_t n)
{
    char key[MIME_EXT_MAX + 1];
    for (size_t i = 0; i < n; i++)
        key[i] = lower(ext[i]);
    key[n] = '\0';
    /* Keep the load factor at or below one half, so probes stay short and
     * the probe loop always finds an empty slot. */
    if (2 * (s->count + 1) > s->cap) {
        int rc = set_grow(s);
        if (rc)
            return rc;
    }
    struct mime_slot *slot = probe(s->slots, s->cap, key);
    if (slot->ext[0] == '\0') {
        if (s->count >= MIME_MAX_ENTRIES)
            return -E2BIG;
        memcpy(slot->ext, key, n + 1);
        s->count++;
    }
    slot->type = (uint32_t)(s->ntypes - 1); /* a later line wins */
    return 0;
}

/* Parses one line (NUL-terminated, newline removed) into s.  Returns the
 * number of items skipped, or -ENOMEM. */
static int parse_line(struct mime_set *s, char *line, const char *charset)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    static const char ws[] = " \t\r\v\f";
    char *p = line + strspn(line, ws);
    if (!*p)
        return 0;
    size_t tn = strcspn(p, ws);
    if (!valid_type(p, tn))
        return 1;
    const char *type = p;
    p += tn;
    p += strspn(p, ws);
    if (!*p)
        return 0; /* a type with no extensions: nothing to map */
    char *ct = content_type(type, tn, charset);
    if (!ct || set_add_type(s, ct) != 0) {
        free(ct);
        return -ENOMEM;
    }
    int skipped = 0;
    while (*p) {
        size_t n = strcspn(p, ws);
        if (!valid_ext(p, n)) {
            skipped++;
        } else {
            int rc = set_add_ext(s, p, n);
            if (rc == -ENOMEM)
                return rc;
            if (rc)
                skipped++;
        }
        p += n;
        p += strspn(p, ws);
    }
    return skipped;
}

static int load_builtin(struct mime_set *s, const char *charset)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "%s %s", builtin[i].type, builtin[i].exts);
        if (parse_line(s, line, charset) != 0)
            return -ENOMEM; /* the list is valid: only memory can fail */
    }
    return 0;
}

struct mime_table *mime_table_new(const char *default_type, const char *charset)
{
    if (!default_type)
        default_type = "application/octet-stream";
    if (!charset)
        charset = "utf-8";
    if (!valid_type(default_type, strlen(default_type)))
        return NULL;
    for (const char *c = charset; *c; c++)
        if (!is_tchar((unsigned char)*c))
            return NULL;
    struct mime_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->charset = strdup(charset);
    if (t->charset)
        t->default_type = content_type(default_type, strlen(default_type), t->charset);
    if (!t->charset || !t->default_type || load_builtin(&t->set, t->charset) != 0) {
        mime_table_free(t);
        return NULL;
    }
    return t;
}

void mime_table_free(struct mime_table *t)
{
    if (!t)
        return;
    set_free(&t->set);
    free(t->default_type);
    free(t->charset);
    free(t);
}

int mime_table_load(struct mime_table *t, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    struct mime_set s = {0};
    size_t skipped = 0;
    int rc = 0;
    char line[MIME_LINE_MAX];
    for (bool eof = false; !eof;) {
        /* Read one line by hand: fgets cannot tell an embedded NUL from
         * the end of the line. */
        size_t n = 0;
        bool bad = false;
        int c;
        while ((c = getc(f)) != EOF && c != '\n') {
            if (c == '\0' || n == sizeof(line) - 1)
                bad = true; /* over MIME_LINE_MAX or binary: skip it whole */
            else
                line[n++] = (char)c;
        }
        eof = c == EOF;
        if (eof && n == 0 && !bad)
            break;
        if (bad) {
            skipped++;
            continue;
        }
        line[n] = '\0';
        int k = parse_line(&s, line, t->charset);
        if (k < 0) {
            rc = k;
            break;
        }
        skipped += (size_t)k;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    (void)fclose(f); /* read-only: nothing to lose on close */
    if (rc != 0) {
        set_free(&s);
        return rc;
    }
    set_free(&t->set);
    t->set = s;
    t->skipped = skipped;
    return 0;
}

const char *mime_lookup(const struct mime_table *t, const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || t->set.count == 0)
        return t->default_type;
    const char *ext = dot + 1;
    char key[MIME_EXT_MAX + 1];
    size_t n = 0;
    for (; ext[n]; n++) {
        if (n == MIME_EXT_MAX)
            return t->default_type;
        key[n] = lower(ext[n]);
    }
    if (n == 0)
        return t->default_type;
    key[n] = '\0';
    const struct mime_slot *slot = probe(t->set.slots, t->set.cap, key);
    return slot->ext[0] ? t->set.types[slot->type] : t->default_type;
}

size_t mime_table_count(const struct mime_table *t)
{
    return t->set.count;
}

size_t mime_table_skipped(const struct mime_table *t)
{
    return t->skipped;
}
