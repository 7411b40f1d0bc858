#include "common/http_accept.h"
#include "common/http_chars.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static char lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
    return c;
}

/* Case-insensitive equality of s[0..n) and the lowercase literal lit. */
static bool eq_lit(const char *s, size_t n, const char *lit)
{
    size_t len = strlen(lit);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (lower(s[i]) != lit[i])
            return false;
    }
    return true;
}

/* One list member: its name as a slice of the value, and q in 1/1000. */
struct member {
    const char *v;
    size_t len;
    unsigned q;
};

struct list_iter {
    const char *s;
    size_t n;
    size_t pos;
};

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static bool scan_qvalue(const char *s, size_t n, size_t *p, unsigned *q)
{
    if (*p >= n || (s[*p] != '0' && s[*p] != '1'))
        return false;
    bool one = s[*p] == '1';
    unsigned v = one ? 1000 : 0;
    (*p)++;
    if (*p < n && s[*p] == '.') {
        (*p)++;
        unsigned scale = 100;
        for (size_t k = 0; *p < n && http_is_digit(s[*p]); k++) {
            unsigned d = (unsigned)(s[*p] - '0');
            if (k == 3 || (one && d != 0))
                return false;
            v += d * scale;
            scale /= 10;
            (*p)++;
        }
    }
    *q = v;
    return true;
}

/* Returns 1 with the next member, 0 at the end, -EBADMSG. */
static int list_next(struct list_iter *it, struct member *m)
{
    const char *s = it->s;
    size_t n = it->n, p = it->pos;
    while (p < n && (http_is_ows(s[p]) || s[p] == ','))
        p++;
    if (p == n) {
        it->pos = p;
        return 0;
    }
    size_t start = p;
    while (p < n && http_is_tchar(s[p]))
        p++;
    if (p == start)
        return -EBADMSG;
    m->v = s + start;
    m->len = p - start;
    m->q = 1000;
    while (p < n && http_is_ows(s[p]))
        p++;
    /* weight = OWS ";" OWS "q=" qvalue; "q=" is case-insensitive ABNF. */
    if (p < n && s[p] == ';') {
        p++;
        while (p < n && http_is_ows(s[p]))
            p++;
        if (p >= n || lower(s[p]) != 'q' || p + 1 >= n || s[p + 1] != '=')
            return -EBADMSG;
        p += 2;
        if (!scan_qvalue(s, n, &p, &m->q))
            return -EBADMSG;
        while (p < n && http_is_ows(s[p]))
            p++;
    }
    if (p < n && s[p] != ',')
        return -EBADMSG;
    it->pos = p;
    return 1;
}

/* A q for one coding: its own member's, found tells whether it was seen. */
struct qslot {
    bool seen;
    unsigned q;
};

static void note(struct qslot *slot, unsigned q)
{
    if (!slot->seen) {
        slot->seen = true;
        slot->q = q;
    }
}

int http_accept_encoding_choose(const char *s, size_t n, unsigned have, enum http_coding *out)
{
    *out = HTTP_CODING_IDENTITY;
    if (s == NULL)
        return 0;
    struct qslot br = {0}, gz = {0}, id = {0}, star = {0};
    struct list_iter it = {.s = s, .n = n, .pos = 0};
    struct member m;
    size_t members = 0;
    int r;
    while ((r = list_next(&it, &m)) == 1) {
        if (++members > HTTP_ACCEPT_MAX_MEMBERS)
            return -E2BIG;
        if (eq_lit(m.v, m.len, "br"))
            note(&br, m.q);
        else if (eq_lit(m.v, m.len, "gzip") || eq_lit(m.v, m.len, "x-gzip"))
            note(&gz, m.q); /* RFC 9110 8.4.1.3: x-gzip is gzip */
        else if (eq_lit(m.v, m.len, "identity"))
            note(&id, m.q);
        else if (eq_lit(m.v, m.len, "*"))
            note(&star, m.q);
    }
    if (r < 0)
        return r;

    /* "*" stands for every coding not listed by name (RFC 9110 12.5.3). */
    unsigned q_br = br.seen ? br.q : star.seen ? star.q : 0;
    unsigned q_gz = gz.seen ? gz.q : star.seen ? star.q : 0;
    /* identity unlisted and no "*": acceptable, as the last resort.  Half a
     * thousandth ranks it below any listed q > 0 without a separate case. */
    unsigned q_id2 = id.seen ? 2 * id.q : star.seen ? 2 * star.q : 1;
    if (!(have & HTTP_CODING_HAVE_BR))
        q_br = 0;
    if (!(have & HTTP_CODING_HAVE_GZIP))
        q_gz = 0;

    /* Highest q wins; strict comparisons give ties to br, then gzip. */
    enum http_coding best = HTTP_CODING_NONE;
    unsigned best_q2 = 0;
    if (q_br > 0) {
        best = HTTP_CODING_BR;
        best_q2 = 2 * q_br;
    }
    if (q_gz > 0 && 2 * q_gz > best_q2) {
        best = HTTP_CODING_GZIP;
        best_q2 = 2 * q_gz;
    }
    if (q_id2 > best_q2)
        best = HTTP_CODING_IDENTITY;
    *out = best;
    return 0;
}

/* RFC 4647 2.1: language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*" */
static bool valid_language_range(const char *s, size_t n)
{
    if (n == 1 && s[0] == '*')
        return true;
    size_t i = 0, sub = 0;
    bool first = true;
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != '-') {
            if (!(http_is_alpha(s[i]) || (!first && http_is_digit(s[i]))))
                return false;
            i++;
        }
        size_t len = i - start;
        if (len < 1 || len > 8)
            return false;
        sub++;
        first = false;
        if (i < n) {
            i++; /* the '-' */
            if (i == n)
                return false;
        }
    }
    return sub > 0;
}

/* RFC 4647 3.3.1 basic filtering: the range equals the tag or is a prefix
 * of it ending at a '-'; "*" matches anything. */
static bool range_matches(const struct member *r, const char *tag)
{
    if (r->len == 1 && r->v[0] == '*')
        return true;
    size_t tl = strlen(tag);
    if (r->len > tl)
        return false;
    for (size_t i = 0; i < r->len; i++) {
        if (lower(r->v[i]) != lower(tag[i]))
            return false;
    }
    return r->len == tl || tag[r->len] == '-';
}

int http_accept_language_choose(const char *s, size_t n, const char *const *tags, size_t ntags,
                                size_t *index)
{
    struct member ranges[HTTP_ACCEPT_MAX_MEMBERS];
    size_t nr = 0;
    struct list_iter it = {.s = s, .n = n, .pos = 0};
    struct member m;
    int r;
    while ((r = list_next(&it, &m)) == 1) {
        if (nr == HTTP_ACCEPT_MAX_MEMBERS)
            return -E2BIG;
        if (!valid_language_range(m.v, m.len))
            return -EBADMSG;
        ranges[nr++] = m;
    }
    if (r < 0)
        return r;

    bool found = false;
    size_t best = 0, best_spec = 0, best_pos = 0;
    unsigned best_q = 0;
    for (size_t j = 0; j < ntags; j++) {
        /* The tag's q is that of the longest matching range; "*" counts as
         * length 0, and the first of equal ranges wins. */
        bool matched = false;
        size_t spec = 0, pos = 0;
        unsigned q = 0;
        for (size_t i = 0; i < nr; i++) {
            if (!range_matches(&ranges[i], tags[j]))
                continue;
            size_t len = ranges[i].len == 1 && ranges[i].v[0] == '*' ? 0 : ranges[i].len;
            if (!matched || len > spec) {
                matched = true;
                spec = len;
                pos = i;
                q = ranges[i].q;
            }
        }
        if (!matched || q == 0)
            continue;
        bool better = !found || q > best_q || (q == best_q && spec > best_spec) ||
                      (q == best_q && spec == best_spec && pos < best_pos);
        if (better) {
            found = true;
            best = j;
            best_q = q;
            best_spec = spec;
            best_pos = pos;
        }
    }
    if (!found)
        return -ENOENT;
    *index = best;
    return 0;
}
