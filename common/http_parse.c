/*
 * http_parse: HTTP/1.1 request and response heads and the chunked coding.
 *
 * Two passes over each head, both linear.  The scan (head_scan) runs on
 * every call but resumes where the previous call stopped: it finds line
 * ends with memchr, applies the size and count limits as bytes arrive, and
 * finds the empty line that ends the head.  The parse (parse_*) then runs
 * once over the complete head.  The scan and the parse agree on what a line
 * is (up to an LF, one CR before it stripped), so the scan's field count
 * bounds the parse's.
 */
#include "common/http_parse.h"
#include "common/http_chars.h"

#include <errno.h>
#include <string.h>

#define LIMIT_CAP ((size_t)1 << 28)

enum { SCAN_START = 0, SCAN_FIELDS, SCAN_DONE };

void http_limits_init(struct http_limits *lim)
{
    lim->max_start_line = HTTP_DEFAULT_MAX_START_LINE;
    lim->max_field_section = HTTP_DEFAULT_MAX_FIELD_SECTION;
    lim->max_fields = HTTP_DEFAULT_MAX_FIELDS;
    lim->max_chunk_line = HTTP_DEFAULT_MAX_CHUNK_LINE;
    lim->max_trailer = HTTP_DEFAULT_MAX_TRAILER;
    lim->reject_bare_lf = false;
}

/* The limits in force: defaults for NULL, each clamped to [1, LIMIT_CAP]. */
static struct http_limits limits_eff(const struct http_limits *lim)
{
    struct http_limits l;
    if (lim)
        l = *lim;
    else
        http_limits_init(&l);
    size_t *v[] = {&l.max_start_line, &l.max_field_section, &l.max_fields, &l.max_chunk_line,
                   &l.max_trailer};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (*v[i] < 1)
            *v[i] = 1;
        if (*v[i] > LIMIT_CAP)
            *v[i] = LIMIT_CAP;
    }
    return l;
}

void http_req_init(struct http_req *req)
{
    memset(req, 0, sizeof(*req));
}

void http_resp_init(struct http_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
}

static bool is_vchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* RFC 9110 5.5: field-vchar / SP / HTAB, obs-text included.  Excludes every
 * CTL but HTAB, so NUL, a bare CR and LF inside a value are rejected. */
static bool is_field_char(unsigned char c)
{
    return is_vchar(c) || c >= 0x80 || c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static bool eq_ci(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

static int fail(int *status, int code, int err)
{
    if (status)
        *status = code;
    return err;
}

/*
 * Looks for the end of the head from where the previous call stopped.
 * Returns the head length, -EAGAIN, or an error with *status set.  Each
 * byte is examined once over all calls (memchr from s->pos), and the
 * limits are enforced on partial lines too, so a client sending an endless
 * line or endless fields is stopped at the limit.
 */
static int head_scan(struct http_head_scan *s, const char *buf, size_t len,
                     const struct http_limits *l, size_t max_fields, bool leading_empty_ok,
                     int *status)
{
    if (s->pos > len || s->line > s->pos) {
        /* The buffer shrank: not the same message.  Start over. */
        memset(s, 0, sizeof(*s));
    }
    if (s->phase == SCAN_DONE)
        return (int)s->pos;
    while (s->pos < len) {
        const char *lf = memchr(buf + s->pos, '\n', len - s->pos);
        if (!lf) {
            s->pos = len;
            break;
        }
        size_t e = (size_t)(lf - buf);
        size_t ce = e;
        if (ce > s->line && buf[ce - 1] == '\r')
            ce--;
        bool empty = ce == s->line;
        s->pos = e + 1;
        if (s->phase == SCAN_START) {
            if (empty) {
                /* RFC 9112 2.2: a server SHOULD ignore at least one empty
                 * line before the request-line; a few, not an endless
                 * stream. */
                if (!leading_empty_ok || ++s->empties > HTTP_MAX_LEADING_EMPTY)
                    return fail(status, 400, -EBADMSG);
                s->line = s->start = e + 1;
                continue;
            }
            if (ce - s->line > l->max_start_line)
                return fail(status, 414, -E2BIG);
            s->phase = SCAN_FIELDS;
            s->fields = s->line = e + 1;
            continue;
        }
        if (e + 1 - s->fields > l->max_field_section)
            return fail(status, 431, -E2BIG);
        if (empty) {
            s->phase = SCAN_DONE;
            return (int)s->pos;
        }
        if (++s->nfields > max_fields)
            return fail(status, 431, -E2BIG);
        s->line = e + 1;
    }
    if (s->phase == SCAN_START) {
        /* A CR at the very end may be the start of the CRLF: do not count
         * it, so feeding byte by byte decides as feeding it all at once. */
        size_t part = len - s->line;
        if (part > 0 && buf[len - 1] == '\r')
            part--;
        if (part > l->max_start_line)
            return fail(status, 414, -E2BIG);
    } else if (len - s->fields > l->max_field_section) {
        return fail(status, 431, -E2BIG);
    }
    return -EAGAIN;
}

/* The line starting at pos in a complete head: content [pos, *ce), next
 * line at *next.  Returns false for a bare-LF ending when those are
 * refused.  The scan guarantees an LF before end. */
static bool next_line(const char *buf, size_t pos, size_t end, bool reject_bare_lf, size_t *ce,
                      size_t *next)
{
    const char *lf = memchr(buf + pos, '\n', end - pos);
    size_t e = lf ? (size_t)(lf - buf) : end;
    *next = e + 1;
    if (e > pos && buf[e - 1] == '\r') {
        *ce = e - 1;
        return true;
    }
    *ce = e;
    return !reject_bare_lf;
}

/*
 * RFC 9112 5: field lines from pos up to the head's final empty line.
 * Rejects obs-fold (a line starting with SP/HTAB, 5.2), whitespace between
 * name and colon (5.1), non-token names and values with CTLs -- which
 * include any CR not ending the line.
 */
static int parse_fields(const char *buf, size_t pos, size_t end, bool reject_bare_lf,
                        struct http_hdr *hdrs, size_t max_hdrs, size_t *nhdrs)
{
    size_t n = 0;
    while (pos < end) {
        size_t ce, next;
        if (!next_line(buf, pos, end, reject_bare_lf, &ce, &next))
            return -EBADMSG;
        if (ce == pos)
            break; /* the empty line ending the head */
        size_t i = pos;
        while (i < ce && http_is_tchar(buf[i]))
            i++;
        if (i == pos || i == ce || buf[i] != ':')
            return -EBADMSG;
        size_t name_end = i++;
        while (i < ce && http_is_ows(buf[i]))
            i++;
        size_t ve = ce;
        while (ve > i && http_is_ows(buf[ve - 1]))
            ve--;
        for (size_t k = i; k < ve; k++)
            if (!is_field_char((unsigned char)buf[k]))
                return -EBADMSG;
        if (n >= max_hdrs)
            return -E2BIG; /* the scan's count makes this unreachable */
        hdrs[n].name.ptr = buf + pos;
        hdrs[n].name.len = name_end - pos;
        hdrs[n].value.ptr = buf + i;
        hdrs[n].value.len = ve - i;
        n++;
        pos = next;
    }
    *nhdrs = n;
    return 0;
}

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3), case-sensitive.  Returns 0 with
 * *version 10/11, -EBADMSG, or -ENOTSUP for a major version other than 1. */
static int parse_version(const char *p, size_t len, unsigned *version)
{
    if (len != 8 || memcmp(p, "HTTP/", 5) != 0 || !http_is_digit(p[5]) || p[6] != '.' ||
        !http_is_digit(p[7]))
        return -EBADMSG;
    if (p[5] != '1')
        return -ENOTSUP;
    /* RFC 9110 2.5: a higher minor version is processed as the highest we
     * implement. */
    *version = p[7] == '0' ? 10 : 11;
    return 0;
}

struct list_it {
    const char *p;
    const char *end;
};

/* RFC 9110 5.6.1 list elements, OWS-trimmed, empty ones skipped.  Commas
 * inside quoted strings (with quoted-pairs) do not split. */
static bool list_next(struct list_it *it, struct http_slice *elem)
{
    while (it->p < it->end) {
        const char *s = it->p;
        bool quoted = false;
        while (it->p < it->end) {
            char c = *it->p;
            if (quoted && c == '\\' && it->end - it->p > 1) {
                it->p += 2;
                continue;
            }
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
                break;
            it->p++;
        }
        const char *e = it->p;
        if (it->p < it->end)
            it->p++; /* the comma */
        while (s < e && http_is_ows(*s))
            s++;
        while (e > s && http_is_ows(e[-1]))
            e--;
        if (e > s) {
            elem->ptr = s;
            elem->len = (size_t)(e - s);
            return true;
        }
    }
    return false;
}

/* Length of the leading token of a list element, and whether the rest is
 * empty or parameters (OWS ";" ...). */
static size_t elem_token(const struct http_slice *el, bool *rest_ok)
{
    size_t t = 0;
    while (t < el->len && http_is_tchar(el->ptr[t]))
        t++;
    size_t k = t;
    while (k < el->len && http_is_ows(el->ptr[k]))
        k++;
    *rest_ok = k == el->len || el->ptr[k] == ';';
    return t;
}

/* Sets found[k] when tokens[k] is an element of the list (its leading
 * token, case-insensitive, with nothing but parameters after it): one
 * pass however many tokens are asked for. */
static void list_mark_tokens(const char *val, size_t len, const char *const *tokens, bool *found,
                             size_t n)
{
    struct list_it it = {val, val + len};
    struct http_slice el;
    while (list_next(&it, &el)) {
        bool rest_ok;
        size_t t = elem_token(&el, &rest_ok);
        for (size_t k = 0; rest_ok && k < n; k++)
            if (eq_ci(el.ptr, t, tokens[k]))
                found[k] = true;
    }
}

bool http_list_has_token(const char *val, size_t len, const char *token)
{
    bool found = false;
    list_mark_tokens(val, len, &token, &found, 1);
    return found;
}

int http_content_length_parse(const char *val, size_t len, uint64_t *out)
{
    /* A plain split on commas: any quote or other byte fails the digit
     * check anyway, and an empty element (", 5") is refused rather than
     * skipped -- for a framing field we take no liberties. */
    uint64_t first = 0;
    bool have = false;
    size_t i = 0;
    for (;;) {
        while (i < len && http_is_ows(val[i]))
            i++;
        size_t s = i;
        uint64_t v = 0;
        while (i < len && http_is_digit(val[i])) {
            uint64_t d = (uint64_t)(val[i] - '0');
            if (v > (INT64_MAX - d) / 10)
                return -EBADMSG;
            v = v * 10 + d;
            i++;
        }
        if (i == s)
            return -EBADMSG;
        if (have && v != first)
            return -EBADMSG;
        first = v;
        have = true;
        while (i < len && http_is_ows(val[i]))
            i++;
        if (i == len)
            break;
        if (val[i] != ',')
            return -EBADMSG;
        i++;
    }
    *out = first;
    return 0;
}

const struct http_hdr *http_hdr_find(const struct http_hdr *hdrs, size_t n, const char *name,
                                     const struct http_hdr *after)
{
    size_t i = 0;
    if (after) {
        if (after < hdrs || after >= hdrs + n)
            return NULL;
        i = (size_t)(after - hdrs) + 1;
    }
    for (; i < n; i++)
        if (eq_ci(hdrs[i].name.ptr, hdrs[i].name.len, name))
            return &hdrs[i];
    return NULL;
}

/* What the fields say about framing, before request/response rules. */
struct framing {
    bool has_cl;
    uint64_t cl;
    bool has_te;
    bool chunked;    /* chunked is the final (and only once) coding */
    bool te_unknown; /* a coding other than chunked */
    bool conn_close;
    bool conn_keep_alive;
    int err; /* -EBADMSG for malformed framing fields */
};

/* RFC 9112 6.1: Transfer-Encoding is a list of codings; several field
 * lines form one list.  chunked must be last and appear once (7); after
 * chunked nothing may follow.  Unknown codings are noted, not errors. */
static void te_field(struct framing *f, const struct http_slice *v)
{
    struct list_it it = {v->ptr, v->ptr + v->len};
    struct http_slice el;
    bool any = false;
    while (list_next(&it, &el)) {
        any = true;
        bool rest_ok;
        size_t t = elem_token(&el, &rest_ok);
        if (t == 0 || !rest_ok || f->chunked) {
            f->err = -EBADMSG;
            return;
        }
        if (eq_ci(el.ptr, t, "chunked")) {
            if (t != el.len) { /* chunked takes no parameters */
                f->err = -EBADMSG;
                return;
            }
            f->chunked = true;
        } else {
            f->te_unknown = true;
        }
    }
    if (!any)
        f->err = -EBADMSG;
}

static void framing_scan(struct framing *f, const struct http_hdr *h, size_t n)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < n && f->err == 0; i++) {
        const struct http_slice *name = &h[i].name, *v = &h[i].value;
        if (eq_ci(name->ptr, name->len, "content-length")) {
            uint64_t cl = 0;
            /* RFC 9110 8.6, RFC 9112 6.3 item 5: an invalid or differing
             * Content-Length is unrecoverable framing. */
            if (http_content_length_parse(v->ptr, v->len, &cl) != 0 || (f->has_cl && cl != f->cl))
                f->err = -EBADMSG;
            f->has_cl = true;
            f->cl = cl;
        } else if (eq_ci(name->ptr, name->len, "transfer-encoding")) {
            f->has_te = true;
            te_field(f, v);
        } else if (eq_ci(name->ptr, name->len, "connection")) {
            /* Both tokens in one pass: every request of a client that
             * closes has this field. */
            static const char *const conn_tokens[] = {"close", "keep-alive"};
            bool found[2] = {false, false};
            list_mark_tokens(v->ptr, v->len, conn_tokens, found, 2);
            f->conn_close |= found[0];
            f->conn_keep_alive |= found[1];
        }
    }
}

static bool keep_alive(unsigned version, const struct framing *f)
{
    /* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with
     * "keep-alive" (the RFC 2068 convention 9.3 still describes). */
    if (f->conn_close)
        return false;
    return version >= 11 || f->conn_keep_alive;
}

static const struct {
    const char *name;
    enum http_method m;
} methods[] = {
    {"GET", HTTP_M_GET},       {"HEAD", HTTP_M_HEAD},   {"OPTIONS", HTTP_M_OPTIONS},
    {"POST", HTTP_M_POST},     {"PUT", HTTP_M_PUT},     {"PATCH", HTTP_M_PATCH},
    {"DELETE", HTTP_M_DELETE}, {"TRACE", HTTP_M_TRACE}, {"CONNECT", HTTP_M_CONNECT},
};

/* RFC 9110 9.1: method names are case-sensitive. */
static enum http_method method_lookup(const char *p, size_t len)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == len && memcmp(methods[i].name, p, len) == 0)
            return methods[i].m;
    return HTTP_M_OTHER;
}

/* RFC 9112 3.2.3: authority-form = uri-host ":" port, for CONNECT.  The
 * host is reg-name, IPv4 or a bracketed IP literal; we refuse only the
 * delimiters that would make it something else (userinfo, path, query). */
static bool authority_ok(const char *p, size_t len)
{
    size_t colon = len;
    while (colon > 0 && p[colon - 1] != ':')
        colon--;
    if (colon < 2 || colon == len || len - colon > 5)
        return false;
    unsigned port = 0;
    for (size_t i = colon; i < len; i++) {
        if (!http_is_digit(p[i]))
            return false;
        port = port * 10 + (unsigned)(p[i] - '0');
    }
    if (port > 65535)
        return false;
    for (size_t i = 0; i < colon - 1; i++)
        if (strchr("/?#@\\", p[i]))
            return false;
    return true;
}

/* RFC 3986 3.1: scheme ":" at the start makes absolute-form. */
static bool absolute_ok(const char *p, size_t len)
{
    if (len == 0 || !http_is_alpha(p[0]))
        return false;
    for (size_t i = 1; i < len; i++) {
        if (p[i] == ':')
            return true;
        if (!http_is_alpha(p[i]) && !http_is_digit(p[i]) && p[i] != '+' && p[i] != '-' &&
            p[i] != '.')
            return false;
    }
    return false;
}

/* RFC 9110 7.2: Host = uri-host [ ":" port ].  Refuse delimiters that
 * would let it smuggle a path, userinfo or a second authority. */
static bool host_ok(const struct http_slice *h)
{
    for (size_t i = 0; i < h->len; i++) {
        unsigned char c = (unsigned char)h->ptr[i];
        if (!is_vchar(c))
            return false;
        switch (c) {
        case '/':
        case '?':
        case '#':
        case '@':
        case '\\':
        case '"':
        case '<':
        case '>':
        case '{':
        case '}':
        case '|':
        case '^':
        case '`':
            return false;
        default:
            break;
        }
    }
    return true;
}

/* The request line [s, ce): method SP request-target SP HTTP-version
 * (RFC 9112 3), exactly one SP each: we are not lenient about whitespace
 * (3: "a recipient MAY ..." -- we do not). */
static int parse_request_line(const char *buf, size_t s, size_t ce, struct http_req *req)
{
    size_t i = s;
    while (i < ce && http_is_tchar(buf[i]))
        i++;
    if (i == s || i == ce || buf[i] != ' ')
        return fail(&req->status, 400, -EBADMSG);
    req->method.ptr = buf + s;
    req->method.len = i - s;
    req->meth = method_lookup(req->method.ptr, req->method.len);
    size_t ts = ++i;
    /* Visible ASCII only: no CTLs, spaces, DEL or raw 8-bit bytes (RFC
     * 3986 has none), and no '#' (a fragment is never sent, 9112 3.2). */
    while (i < ce && buf[i] != ' ') {
        if (!is_vchar((unsigned char)buf[i]) || buf[i] == '#')
            return fail(&req->status, 400, -EBADMSG);
        i++;
    }
    if (i == ts || i == ce)
        return fail(&req->status, 400, -EBADMSG);
    req->target.ptr = buf + ts;
    req->target.len = i - ts;
    i++;
    int r = parse_version(buf + i, ce - i, &req->version);
    if (r == -ENOTSUP)
        return fail(&req->status, 505, r);
    if (r)
        return fail(&req->status, 400, r);

    const char *t = req->target.ptr;
    size_t tl = req->target.len;
    if (req->meth == HTTP_M_CONNECT) {
        if (!authority_ok(t, tl))
            return fail(&req->status, 400, -EBADMSG);
        req->form = HTTP_TARGET_AUTHORITY;
    } else if (t[0] == '/') {
        req->form = HTTP_TARGET_ORIGIN;
    } else if (tl == 1 && t[0] == '*') {
        if (req->meth != HTTP_M_OPTIONS) /* RFC 9112 3.2.4 */
            return fail(&req->status, 400, -EBADMSG);
        req->form = HTTP_TARGET_ASTERISK;
    } else if (absolute_ok(t, tl)) {
        req->form = HTTP_TARGET_ABSOLUTE;
    } else {
        return fail(&req->status, 400, -EBADMSG);
    }
    return 0;
}

/* Clears every output field, keeping the scan state. */
static void req_clear(struct http_req *req)
{
    struct http_head_scan s = req->scan;
    memset(req, 0, sizeof(*req));
    req->scan = s;
}

int http_req_parse(const char *buf, size_t len, struct http_req *req, struct http_hdr *hdrs,
                   size_t max_hdrs, const struct http_limits *lim)
{
    struct http_limits l = limits_eff(lim);
    size_t max_fields = max_hdrs < l.max_fields ? max_hdrs : l.max_fields;
    req_clear(req);
    int n = head_scan(&req->scan, buf, len, &l, max_fields, true, &req->status);
    if (n < 0)
        return n;
    size_t end = (size_t)n, ce, next;
    if (!next_line(buf, req->scan.start, end, l.reject_bare_lf, &ce, &next))
        return fail(&req->status, 400, -EBADMSG);
    int r = parse_request_line(buf, req->scan.start, ce, req);
    if (r)
        return r;
    r = parse_fields(buf, next, end, l.reject_bare_lf, hdrs, max_fields, &req->nhdrs);
    if (r)
        return fail(&req->status, r == -E2BIG ? 431 : 400, r);
    req->hdrs = hdrs;

    struct framing f;
    framing_scan(&f, hdrs, req->nhdrs);
    if (f.err)
        return fail(&req->status, 400, f.err);
    /* RFC 9112 6.1: Transfer-Encoding in 1.0 means faulty framing; with
     * Content-Length it may be smuggling (6.3 item 3): refuse both. */
    if (f.has_te && (req->version == 10 || f.has_cl))
        return fail(&req->status, 400, -EBADMSG);
    if (f.has_te && f.te_unknown) /* RFC 9112 6.1: 501 */
        return fail(&req->status, 501, -ENOTSUP);
    if (f.has_te) {
        req->body = HTTP_BODY_CHUNKED;
    } else if (f.has_cl) {
        req->has_content_length = true;
        req->content_length = f.cl;
        req->body = f.cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    }
    req->keep_alive = keep_alive(req->version, &f);

    for (size_t i = 0; i < req->nhdrs; i++) {
        const struct http_hdr *h = &hdrs[i];
        if (eq_ci(h->name.ptr, h->name.len, "host")) {
            /* RFC 9112 3.2: exactly one valid Host, else 400. */
            if (req->has_host || !host_ok(&h->value))
                return fail(&req->status, 400, -EBADMSG);
            req->has_host = true;
            req->host = h->value;
        } else if (eq_ci(h->name.ptr, h->name.len, "expect")) {
            /* RFC 9110 10.1.1: ignored in 1.0 requests. */
            if (req->version == 10)
                continue;
            if (eq_ci(h->value.ptr, h->value.len, "100-continue"))
                req->expect_continue = true;
            else
                req->expect_other = true;
        }
    }
    if (req->version == 11 && !req->has_host)
        return fail(&req->status, 400, -EBADMSG);
    return n;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ]
 * (RFC 9112 4).  A missing SP before an empty reason is tolerated: it
 * changes nothing about framing. */
static int parse_status_line(const char *buf, size_t s, size_t ce, struct http_resp *resp)
{
    if (ce - s < 12 || buf[s + 8] != ' ')
        return -EBADMSG;
    int r = parse_version(buf + s, 8, &resp->version);
    if (r)
        return r;
    const char *c = buf + s + 9;
    if (!http_is_digit(c[0]) || !http_is_digit(c[1]) || !http_is_digit(c[2]))
        return -EBADMSG;
    resp->status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    if (resp->status < 100 || resp->status > 599)
        return -EBADMSG;
    size_t i = s + 12;
    if (i < ce && buf[i++] != ' ')
        return -EBADMSG;
    for (size_t k = i; k < ce; k++)
        if (!is_field_char((unsigned char)buf[k]))
            return -EBADMSG;
    resp->reason.ptr = buf + i;
    resp->reason.len = ce - i;
    return 0;
}

int http_resp_parse(const char *buf, size_t len, struct http_resp *resp, struct http_hdr *hdrs,
                    size_t max_hdrs, const struct http_limits *lim, bool head_request)
{
    struct http_limits l = limits_eff(lim);
    size_t max_fields = max_hdrs < l.max_fields ? max_hdrs : l.max_fields;
    struct http_head_scan s = resp->scan;
    memset(resp, 0, sizeof(*resp));
    resp->scan = s;
    /* No leading empty lines: 9112 2.2 allows them before a request only. */
    int n = head_scan(&resp->scan, buf, len, &l, max_fields, false, NULL);
    if (n < 0)
        return n;
    size_t end = (size_t)n, ce, next;
    if (!next_line(buf, 0, end, l.reject_bare_lf, &ce, &next))
        return -EBADMSG;
    int r = parse_status_line(buf, 0, ce, resp);
    if (r)
        return r;
    r = parse_fields(buf, next, end, l.reject_bare_lf, hdrs, max_fields, &resp->nhdrs);
    if (r)
        return r;
    resp->hdrs = hdrs;

    struct framing f;
    framing_scan(&f, hdrs, resp->nhdrs);
    if (f.err)
        return f.err;
    resp->has_content_length = f.has_cl;
    resp->content_length = f.cl;
    resp->keep_alive = keep_alive(resp->version, &f);
    /* RFC 9112 6.3 item 1: these never have a body, whatever the fields. */
    if (head_request || resp->status < 200 || resp->status == 204 || resp->status == 304)
        return n;
    if (f.has_te) {
        /* 6.1: faulty in 1.0; 6.3 item 3: with Content-Length it is a
         * response-splitting sign, "ought to be handled as an error". */
        if (resp->version == 10 || f.has_cl)
            return -EBADMSG;
        if (f.te_unknown) /* we could not decode it anyway */
            return -ENOTSUP;
        resp->body = HTTP_BODY_CHUNKED;
    } else if (f.has_cl) {
        resp->body = f.cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    } else {
        resp->body = HTTP_BODY_CLOSE; /* 6.3 item 8 */
        resp->keep_alive = false;
    }
    return n;
}

enum {
    CH_SIZE0 = 0, /* first hex digit of a chunk-size */
    CH_SIZE,      /* more hex digits */
    CH_BWS,       /* whitespace after the size: only before ';' */
    CH_EXT,       /* chunk-ext, up to CR */
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TR_START, /* start of a trailer line, or the final CRLF */
    CH_TR_NAME,
    CH_TR_VALUE,
    CH_TR_LF,
    CH_END_LF,
    CH_DONE,
    CH_ERROR,
};

void http_chunked_init(struct http_chunked *c, const struct http_limits *lim)
{
    struct http_limits l = limits_eff(lim);
    memset(c, 0, sizeof(*c));
    c->max_line = l.max_chunk_line;
    c->max_trailer = l.max_trailer;
    c->state = CH_SIZE0;
}

/* One byte outside chunk data.  Returns 0, 1 when the body is done, or an
 * error. */
static int chunked_byte(struct http_chunked *c, unsigned char ch)
{
    if (c->state <= CH_SIZE_LF && ++c->line > c->max_line)
        return -E2BIG;
    if (c->state >= CH_TR_START && c->state <= CH_END_LF && ++c->trailer > c->max_trailer)
        return -E2BIG;
    int h;
    switch (c->state) {
    case CH_SIZE0:
        /* RFC 9112 7.1: chunk-size = 1*HEXDIG */
        if ((h = http_hexval(ch)) < 0)
            return -EBADMSG;
        c->remaining = (uint64_t)h;
        c->state = CH_SIZE;
        return 0;
    case CH_SIZE:
        if ((h = http_hexval(ch)) >= 0) {
            /* 7.1: "anticipate potentially large hexadecimal numerals and
             * prevent parsing errors due to integer conversion overflows" */
            if (c->remaining > (UINT64_MAX >> 4))
                return -EBADMSG;
            c->remaining = c->remaining << 4 | (uint64_t)h;
        } else if (ch == ';') {
            c->state = CH_EXT;
        } else if (ch == ' ' || ch == '\t') {
            c->state = CH_BWS;
        } else if (ch == '\r') {
            c->state = CH_SIZE_LF;
        } else {
            return -EBADMSG;
        }
        return 0;
    case CH_BWS:
        /* 7.1.1: chunk-ext = *( BWS ";" ... ): whitespace only before ';' */
        if (ch == ';')
            c->state = CH_EXT;
        else if (ch != ' ' && ch != '\t')
            return -EBADMSG;
        return 0;
    case CH_EXT:
        /* Extensions are ignored, but a lone LF or CTL in one is how
         * parsers have been made to disagree on where the line ends. */
        if (ch == '\r')
            c->state = CH_SIZE_LF;
        else if (!is_field_char(ch))
            return -EBADMSG;
        return 0;
    case CH_SIZE_LF:
        if (ch != '\n')
            return -EBADMSG;
        c->state = c->remaining ? CH_DATA : CH_TR_START;
        return 0;
    case CH_DATA_CR:
        if (ch != '\r')
            return -EBADMSG;
        c->state = CH_DATA_LF;
        return 0;
    case CH_DATA_LF:
        if (ch != '\n')
            return -EBADMSG;
        c->state = CH_SIZE0;
        c->line = 0;
        return 0;
    case CH_TR_START:
        /* 7.1.2: trailer-section = *( field-line CRLF ), then CRLF */
        if (ch == '\r')
            c->state = CH_END_LF;
        else if (http_is_tchar(ch))
            c->state = CH_TR_NAME;
        else
            return -EBADMSG;
        return 0;
    case CH_TR_NAME:
        if (ch == ':')
            c->state = CH_TR_VALUE;
        else if (!http_is_tchar(ch))
            return -EBADMSG;
        return 0;
    case CH_TR_VALUE:
        if (ch == '\r')
            c->state = CH_TR_LF;
        else if (!is_field_char(ch))
            return -EBADMSG;
        return 0;
    case CH_TR_LF:
        if (ch != '\n')
            return -EBADMSG;
        c->state = CH_TR_START;
        return 0;
    case CH_END_LF:
        if (ch != '\n')
            return -EBADMSG;
        c->state = CH_DONE;
        return 1;
    default:
        return -EBADMSG;
    }
}

int http_chunked_decode(struct http_chunked *c, const char *in, size_t len, size_t *used,
                        struct http_slice *data)
{
    data->ptr = NULL;
    data->len = 0;
    *used = 0;
    if (c->state == CH_DONE)
        return 0;
    if (c->state == CH_ERROR)
        return c->err;
    size_t i = 0;
    while (i < len) {
        if (c->state == CH_DATA) {
            size_t avail = len - i;
            size_t n = c->remaining < avail ? (size_t)c->remaining : avail;
            data->ptr = in + i;
            data->len = n;
            c->remaining -= n;
            if (c->remaining == 0)
                c->state = CH_DATA_CR;
            *used = i + n;
            return 1;
        }
        int r = chunked_byte(c, (unsigned char)in[i++]);
        if (r < 0) {
            c->state = CH_ERROR;
            c->err = r;
            *used = i - 1;
            return r;
        }
        if (r == 1) {
            *used = i;
            return 0;
        }
    }
    *used = i;
    return -EAGAIN;
}
