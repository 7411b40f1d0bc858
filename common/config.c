#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds on what one file may hold, so a hostile or broken file costs
 * bounded memory and output. */
#define CFG_MAX_ENTRIES       4096
#define CFG_MAX_ERRORS        32
#define CFG_MAX_SECTION_KNOWN 256

struct cfg_entry {
    char *section;
    char *key;
    char *value;
    char *resolved; /* cfg_get_path's result, made on first use */
    int line;
    bool used;
};

struct cfg {
    struct cfg_entry *entries;
    size_t n_entries, cap_entries;
    char *errors[CFG_MAX_ERRORS];
    size_t n_errors;
    size_t n_errors_dropped;
    char *known[CFG_MAX_SECTION_KNOWN];
    size_t n_known;
    char *source; /* file name for messages, NULL for none */
    char *dir;    /* directory relative paths are resolved against */
};

struct cfg *cfg_new(void)
{
    return calloc(1, sizeof(struct cfg));
}

void cfg_free(struct cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_entries; i++) {
        free(c->entries[i].section);
        free(c->entries[i].key);
        free(c->entries[i].value);
        free(c->entries[i].resolved);
    }
    free(c->entries);
    for (size_t i = 0; i < c->n_errors; i++)
        free(c->errors[i]);
    for (size_t i = 0; i < c->n_known; i++)
        free(c->known[i]);
    free(c->source);
    free(c->dir);
    free(c);
}

static void add_error(struct cfg *c, int line, const char *sec, const char *key, const char *fmt,
                      va_list ap) __attribute__((format(printf, 5, 0)));

static void add_error(struct cfg *c, int line, const char *sec, const char *key, const char *fmt,
                      va_list ap)
{
    if (c->n_errors == CFG_MAX_ERRORS) {
        c->n_errors_dropped++;
        return;
    }
    char where[320], what[512];
    const char *src = c->source ? c->source : "(built-in defaults)";
    int n = line > 0 ? snprintf(where, sizeof(where), "%s:%d: ", src, line)
                     : snprintf(where, sizeof(where), "%s: ", src);
    if (n > 0 && (size_t)n < sizeof(where) && key) {
        if (sec && *sec)
            snprintf(where + n, sizeof(where) - (size_t)n, "[%s] %s: ", sec, key);
        else
            snprintf(where + n, sizeof(where) - (size_t)n, "%s: ", key);
    }
    /* A long message is cut, never lost. */
    (void)vsnprintf(what, sizeof(what), fmt, ap);
    size_t len = strlen(where) + strlen(what) + 1;
    char *msg = malloc(len);
    if (!msg) {
        c->n_errors_dropped++;
        return;
    }
    snprintf(msg, len, "%s%s", where, what);
    c->errors[c->n_errors++] = msg;
}

static void errorf(struct cfg *c, int line, const char *sec, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void errorf(struct cfg *c, int line, const char *sec, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, line, sec, key, fmt, ap);
    va_end(ap);
}

size_t cfg_error_count(const struct cfg *c)
{
    return c->n_errors + c->n_errors_dropped;
}

const char *cfg_error(const struct cfg *c, size_t i)
{
    return i < c->n_errors ? c->errors[i] : NULL;
}

void cfg_errors_print(const struct cfg *c, FILE *f)
{
    for (size_t i = 0; i < c->n_errors; i++)
        fprintf(f, "%s\n", c->errors[i]);
    if (c->n_errors_dropped)
        fprintf(f, "... and %zu more errors\n", c->n_errors_dropped);
}

/* ---- loading ---- */

struct load_state {
    struct cfg *c;
    FILE *f;          /* reading a file, or */
    const char *text; /* reading a string */
    int line;
    int last_bad_line; /* a line this module already reported */
    bool too_many;     /* CFG_MAX_ENTRIES reached and reported */
};

/* Classifies a line the way inih will, so every syntax error is reported
 * with its own line rather than only the first one inih returns. */
static bool line_syntax_ok(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    if (*s == '\0' || *s == '\n' || *s == ';' || *s == '#')
        return true;
    if (*s == '[')
        return strchr(s, ']') != NULL;
    size_t name_len = strcspn(s, "=:");
    return s[name_len] != '\0';
}

/* Reads one line into str (at most num - 1 bytes) for inih and counts
 * lines.  A line that does not fit is reported and replaced by an empty one,
 * because inih would otherwise cut it silently into two. */
static char *reader(char *str, int num, void *stream)
{
    struct load_state *st = stream;
    size_t cap = num > 1 ? (size_t)num - 1 : 0;
    size_t n = 0;
    bool nl = false, eof = false;

    while (n < cap) {
        int ch;
        if (st->f) {
            ch = fgetc(st->f);
        } else {
            ch = *st->text ? (unsigned char)*st->text : EOF;
            if (ch != EOF)
                st->text++;
        }
        if (ch == EOF) {
            eof = true;
            break;
        }
        str[n++] = (char)ch;
        if (ch == '\n') {
            nl = true;
            break;
        }
    }
    if (n == 0 && eof)
        return NULL;
    st->line++;
    str[n] = '\0';
    if (memchr(str, '\0', n)) {
        errorf(st->c, st->line, NULL, NULL, "NUL byte in line");
        st->last_bad_line = st->line;
        str[0] = '\0';
        return str;
    }
    if (!nl && !eof) {
        /* Discard the rest of the overlong line. */
        int ch;
        do {
            if (st->f) {
                ch = fgetc(st->f);
            } else {
                ch = *st->text ? (unsigned char)*st->text : EOF;
                if (ch != EOF)
                    st->text++;
            }
        } while (ch != EOF && ch != '\n');
        errorf(st->c, st->line, NULL, NULL, "line longer than %zu characters", cap - 2);
        st->last_bad_line = st->line;
        str[0] = '\0';
        return str;
    }
    if (!line_syntax_ok(str)) {
        errorf(st->c, st->line, NULL, NULL,
               "syntax error: expected \"[section]\" or \"key = value\"");
        st->last_bad_line = st->line;
    }
    return str;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct load_state *st = user;
    struct cfg *c = st->c;
    if (c->n_entries == CFG_MAX_ENTRIES) {
        if (!st->too_many)
            errorf(c, st->line, NULL, NULL, "more than %d settings", CFG_MAX_ENTRIES);
        st->too_many = true;
        return 1;
    }
    if (c->n_entries == c->cap_entries) {
        size_t ncap = c->cap_entries ? c->cap_entries * 2 : 32;
        struct cfg_entry *ne = realloc(c->entries, ncap * sizeof(*ne));
        if (!ne)
            return 0;
        c->entries = ne;
        c->cap_entries = ncap;
    }
    struct cfg_entry *e = &c->entries[c->n_entries];
    memset(e, 0, sizeof(*e));
    e->section = xstrdup(section);
    e->key = xstrdup(name);
    e->value = xstrdup(value ? value : "");
    e->line = st->line;
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        return 0;
    }
    c->n_entries++;
    return 1;
}

static int load(struct cfg *c, struct load_state *st)
{
    /* Continuation lines would silently glue text onto a value; reject them
     * as syntax errors instead.  These are libinih's process-wide settings. */
    ini_allow_multiline = false;
    ini_allow_inline_comments = true;
    size_t before = cfg_error_count(c);
    int rc = ini_parse_stream(reader, st, handler, st);
    if (rc > 0 && rc != st->last_bad_line && cfg_error_count(c) == before)
        errorf(c, rc, NULL, NULL, "syntax error");
    if (rc < 0) {
        errorf(c, 0, NULL, NULL, "out of memory");
        return -ENOMEM;
    }
    return cfg_error_count(c) > before ? -EINVAL : 0;
}

static void set_source(struct cfg *c, const char *name)
{
    free(c->source);
    free(c->dir);
    c->source = xstrdup(name);
    c->dir = NULL;
    const char *slash = strrchr(name, '/');
    if (slash) {
        size_t n = (size_t)(slash - name);
        c->dir = malloc(n + 2);
        if (c->dir) {
            memcpy(c->dir, name, n ? n : 1);
            c->dir[n ? n : 1] = '\0';
        }
    }
}

int cfg_load_file(struct cfg *c, const char *path)
{
    set_source(c, path);
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        errorf(c, 0, NULL, NULL, "cannot open: %s", strerror(e));
        return -e;
    }
    struct load_state st = {.c = c, .f = f};
    int rc = load(c, &st);
    if (ferror(f)) {
        errorf(c, 0, NULL, NULL, "read error");
        rc = -EIO;
    }
    (void)fclose(f); /* read-only: nothing to lose on close */
    return rc;
}

int cfg_load_string(struct cfg *c, const char *name, const char *text)
{
    set_source(c, name);
    struct load_state st = {.c = c, .text = text};
    return load(c, &st);
}

/* ---- lookup ---- */

static void mark_known(struct cfg *c, const char *sec)
{
    for (size_t i = 0; i < c->n_known; i++)
        if (strcmp(c->known[i], sec) == 0)
            return;
    if (c->n_known < CFG_MAX_SECTION_KNOWN) {
        char *d = xstrdup(sec);
        if (d)
            c->known[c->n_known++] = d;
    }
}

void cfg_section_known(struct cfg *c, const char *sec)
{
    mark_known(c, sec);
}

static bool is_known(const struct cfg *c, const char *sec)
{
    for (size_t i = 0; i < c->n_known; i++)
        if (strcmp(c->known[i], sec) == 0)
            return true;
    return false;
}

/* The single occurrence of sec/key, marked used; a second occurrence is
 * reported, since silently taking either would hide a mistake. */
static struct cfg_entry *find_one(struct cfg *c, const char *sec, const char *key)
{
    mark_known(c, sec);
    struct cfg_entry *found = NULL;
    for (size_t i = 0; i < c->n_entries; i++) {
        struct cfg_entry *e = &c->entries[i];
        if (strcmp(e->section, sec) != 0 || strcmp(e->key, key) != 0)
            continue;
        if (found && !e->used)
            errorf(c, e->line, sec, key, "set more than once (first at line %d)", found->line);
        e->used = true;
        if (!found)
            found = e;
    }
    return found;
}

int cfg_line(const struct cfg *c, const char *sec, const char *key)
{
    for (size_t i = 0; i < c->n_entries; i++)
        if (strcmp(c->entries[i].section, sec) == 0 && strcmp(c->entries[i].key, key) == 0)
            return c->entries[i].line;
    return 0;
}

void cfg_error_at(struct cfg *c, const char *sec, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, cfg_line(c, sec, key), sec, key, fmt, ap);
    va_end(ap);
}

bool cfg_section_next(const struct cfg *c, size_t *iter, const char **name)
{
    while (*iter < c->n_entries) {
        const char *s = c->entries[(*iter)++].section;
        bool seen = false;
        for (size_t j = 0; j + 1 < *iter; j++) {
            if (strcmp(c->entries[j].section, s) == 0) {
                seen = true;
                break;
            }
        }
        if (!seen) {
            *name = s;
            return true;
        }
    }
    return false;
}

int cfg_finish(struct cfg *c)
{
    for (size_t i = 0; i < c->n_entries; i++) {
        struct cfg_entry *e = &c->entries[i];
        if (e->used)
            continue;
        if (!is_known(c, e->section)) {
            bool first = true;
            for (size_t j = 0; j < i; j++)
                if (strcmp(c->entries[j].section, e->section) == 0)
                    first = false;
            if (first)
                errorf(c, e->line, NULL, NULL, "unknown section [%s]", e->section);
        } else {
            errorf(c, e->line, e->section, e->key, "unknown key");
        }
    }
    return cfg_error_count(c) ? -EINVAL : 0;
}

/* ---- typed getters ---- */

int cfg_get_str(struct cfg *c, const char *sec, const char *key, const char **out)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    *out = e->value;
    return 0;
}

/* Parses a signed decimal integer that fills all of s. */
static int parse_i64(const char *s, int64_t *out)
{
    if (!*s || isspace((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

int cfg_get_int(struct cfg *c, const char *sec, const char *key, int64_t min, int64_t max,
                int64_t *out)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    int64_t v;
    if (parse_i64(e->value, &v) != 0) {
        errorf(c, e->line, sec, key, "\"%s\" is not an integer", e->value);
        return -EINVAL;
    }
    if (v < min || v > max) {
        errorf(c, e->line, sec, key, "%s is out of range %lld..%lld", e->value, (long long)min,
               (long long)max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int cfg_get_bool(struct cfg *c, const char *sec, const char *key, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(e->value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(e->value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    errorf(c, e->line, sec, key, "\"%s\" is not a boolean (use yes or no)", e->value);
    return -EINVAL;
}

/* Parses "<digits><unit>" groups; units are looked up in a caller table.
 * A bare number takes bare_mult.  Rejects overflow, empty input, signs. */
struct unit {
    const char *name;
    uint64_t mult;
};

static int parse_units(const char *s, const struct unit *units, size_t n_units, uint64_t bare_mult,
                       bool allow_groups, uint64_t *out)
{
    uint64_t total = 0;
    unsigned groups = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; groups++) {
        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        uint64_t v = 0;
        while (isdigit((unsigned char)*s)) {
            uint64_t d = (uint64_t)(*s - '0');
            if (v > (UINT64_MAX - d) / 10)
                return -ERANGE;
            v = v * 10 + d;
            s++;
        }
        size_t ul = 0;
        while (isalpha((unsigned char)s[ul]))
            ul++;
        uint64_t mult = 0;
        if (ul == 0) {
            /* A bare number stands alone: "1h1" is a typo, not 1h + 1s. */
            if (*s || groups != 0)
                return -EINVAL;
            mult = bare_mult;
        } else {
            for (size_t i = 0; i < n_units; i++) {
                if (strlen(units[i].name) == ul && strncasecmp(s, units[i].name, ul) == 0) {
                    mult = units[i].mult;
                    break;
                }
            }
            if (mult == 0)
                return -EINVAL;
        }
        if (v != 0 && mult > UINT64_MAX / v)
            return -ERANGE;
        if (total > UINT64_MAX - v * mult)
            return -ERANGE;
        total += v * mult;
        s += ul;
        if (!allow_groups && *s)
            return -EINVAL;
    }
    *out = total;
    return 0;
}

static const struct unit duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000},
};

int cfg_parse_duration(const char *s, uint64_t *out_ms)
{
    uint64_t v;
    if (parse_units(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]), 1000,
                    true, &v) != 0)
        return -EINVAL;
    *out_ms = v;
    return 0;
}

int cfg_get_duration(struct cfg *c, const char *sec, const char *key, uint64_t min_ms,
                     uint64_t max_ms, uint64_t *out_ms)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    uint64_t v;
    if (cfg_parse_duration(e->value, &v) != 0) {
        errorf(c, e->line, sec, key,
               "\"%s\" is not a duration (examples: 500ms, 30s, 5m, 12h, 7d, 1h30m)", e->value);
        return -EINVAL;
    }
    if (v < min_ms || v > max_ms) {
        errorf(c, e->line, sec, key, "%s is out of range %llums..%llums", e->value,
               (unsigned long long)min_ms, (unsigned long long)max_ms);
        return -EINVAL;
    }
    *out_ms = v;
    return 0;
}

int cfg_get_size(struct cfg *c, const char *sec, const char *key, uint64_t min, uint64_t max,
                 uint64_t *out)
{
    static const struct unit units[] = {
        {"k", 1024ull},
        {"m", 1024ull * 1024},
        {"g", 1024ull * 1024 * 1024},
    };
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    uint64_t v;
    if (parse_units(e->value, units, sizeof(units) / sizeof(units[0]), 1, false, &v) != 0) {
        errorf(c, e->line, sec, key, "\"%s\" is not a size (examples: 4096, 64k, 16M, 1G)",
               e->value);
        return -EINVAL;
    }
    if (v < min || v > max) {
        errorf(c, e->line, sec, key, "%s is out of range %llu..%llu bytes", e->value,
               (unsigned long long)min, (unsigned long long)max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int cfg_get_addr(struct cfg *c, const char *sec, const char *key, uint16_t default_port,
                 struct net_addr *out)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    if (net_addr_parse_hostport(out, e->value, default_port) != 0) {
        errorf(c, e->line, sec, key,
               "\"%s\" is not an address (examples: 192.0.2.1, 192.0.2.1:53, [2001:db8::1]:53)",
               e->value);
        return -EINVAL;
    }
    return 0;
}

int cfg_get_cidr(struct cfg *c, const char *sec, const char *key, struct net_cidr *out)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    if (net_cidr_parse(out, e->value) != 0) {
        errorf(c, e->line, sec, key,
               "\"%s\" is not a network (examples: 10.0.0.0/8, 2001:db8::/32)", e->value);
        return -EINVAL;
    }
    return 0;
}

int cfg_get_path(struct cfg *c, const char *sec, const char *key, const char **out)
{
    struct cfg_entry *e = find_one(c, sec, key);
    if (!e)
        return -ENOENT;
    if (e->value[0] == '\0') {
        errorf(c, e->line, sec, key, "empty path");
        return -EINVAL;
    }
    if (e->value[0] == '/' || !c->dir) {
        *out = e->value;
        return 0;
    }
    if (!e->resolved) {
        size_t n = strlen(c->dir) + 1 + strlen(e->value) + 1;
        e->resolved = malloc(n);
        if (!e->resolved) {
            errorf(c, e->line, sec, key, "out of memory");
            return -EINVAL;
        }
        snprintf(e->resolved, n, "%s/%s", c->dir, e->value);
    }
    *out = e->resolved;
    return 0;
}

/* The next occurrence of sec/key at or after *i (marked used), or NULL. */
static struct cfg_entry *next_entry(struct cfg *c, const char *sec, const char *key, size_t *i)
{
    for (; *i < c->n_entries; (*i)++) {
        struct cfg_entry *e = &c->entries[*i];
        if (strcmp(e->section, sec) == 0 && strcmp(e->key, key) == 0) {
            (*i)++;
            e->used = true;
            return e;
        }
    }
    return NULL;
}

/* Walks every occurrence of sec/key and every comma- or space-separated
 * token in it, calling parse for each.  parse returns 0 or -EINVAL. */
typedef int (*token_fn)(const char *tok, void *arr, size_t i, const void *arg);

static int get_list(struct cfg *c, const char *sec, const char *key, token_fn parse,
                    const void *arg, void *arr, size_t cap, size_t *n, const char *what)
{
    mark_known(c, sec);
    size_t count = 0, i = 0;
    bool any = false, bad = false;
    struct cfg_entry *e;
    while ((e = next_entry(c, sec, key, &i)) != NULL) {
        any = true;
        const char *p = e->value;
        for (;;) {
            p += strspn(p, ", \t");
            size_t tl = strcspn(p, ", \t");
            if (tl == 0)
                break;
            char tok[128];
            if (tl >= sizeof(tok)) {
                errorf(c, e->line, sec, key, "value too long");
                bad = true;
            } else if (count == cap) {
                errorf(c, e->line, sec, key, "more than %zu values", cap);
                bad = true;
                break;
            } else {
                memcpy(tok, p, tl);
                tok[tl] = '\0';
                if (parse(tok, arr, count, arg) != 0) {
                    errorf(c, e->line, sec, key, "\"%s\" is not %s", tok, what);
                    bad = true;
                } else {
                    count++;
                }
            }
            p += tl;
        }
    }
    if (!any)
        return -ENOENT;
    if (bad)
        return -EINVAL;
    *n = count;
    return 0;
}

static int parse_addr_tok(const char *tok, void *arr, size_t i, const void *arg)
{
    struct net_addr a;
    if (net_addr_parse_hostport(&a, tok, *(const uint16_t *)arg) != 0)
        return -EINVAL;
    ((struct net_addr *)arr)[i] = a;
    return 0;
}

static int parse_cidr_tok(const char *tok, void *arr, size_t i, const void *arg)
{
    (void)arg;
    struct net_cidr cidr;
    if (net_cidr_parse(&cidr, tok) != 0)
        return -EINVAL;
    ((struct net_cidr *)arr)[i] = cidr;
    return 0;
}

int cfg_get_str_list(struct cfg *c, const char *sec, const char *key, const char **arr, int *lines,
                     size_t cap, size_t *n)
{
    mark_known(c, sec);
    size_t count = 0, i = 0;
    bool any = false, bad = false;
    struct cfg_entry *e;
    while ((e = next_entry(c, sec, key, &i)) != NULL) {
        any = true;
        if (count == cap) {
            if (!bad)
                errorf(c, e->line, sec, key, "more than %zu values", cap);
            bad = true;
            continue;
        }
        arr[count] = e->value;
        if (lines)
            lines[count] = e->line;
        count++;
    }
    if (!any)
        return -ENOENT;
    if (bad)
        return -EINVAL;
    *n = count;
    return 0;
}

void cfg_error_line(struct cfg *c, int line, const char *sec, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, line, sec, key, fmt, ap);
    va_end(ap);
}

int cfg_get_addr_list(struct cfg *c, const char *sec, const char *key, uint16_t default_port,
                      struct net_addr *arr, size_t cap, size_t *n)
{
    return get_list(c, sec, key, parse_addr_tok, &default_port, arr, cap, n, "an address");
}

int cfg_get_cidr_list(struct cfg *c, const char *sec, const char *key, struct net_cidr *arr,
                      size_t cap, size_t *n)
{
    return get_list(c, sec, key, parse_cidr_tok, NULL, arr, cap, n, "a network");
}
