#include "httpd/handler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/http_accept.h"
#include "common/http_cookie.h"
#include "common/http_date.h"
#include "common/http_etag.h"
#include "common/http_parse.h"
#include "common/http_path.h"
#include "common/http_range.h"
#include "common/mime.h"
#include "httpd/filecache.h"
#include "labnet_version.h"

#define MAX_HDRS        256
#define PATH_CAP        4096
#define LISTING_MAX     10000 /* directory entries shown */
#define ALLOW_METHODS   "GET, HEAD, OPTIONS"
#define MULTIPART_BOUND "LABNET_BYTERANGES_3d6b1f"

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 412:
        return "Precondition Failed";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

/* ---- bounded text: every head, listing and multipart header ---- */

/* Appends to a fixed buffer; the first append that does not fit sets a
 * sticky overflow and nothing more is written, so no caller ever adds an
 * unchecked snprintf length to a position. */
struct sbuf {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void sbuf_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbuf_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        b->overflow = true;
    else
        b->len += (size_t)n;
}

/* Appends the strings, up to a NULL, with the same sticky overflow as
 * sbuf_add: the fields every response carries go through here, since a
 * printf per field costs more than the rest of a 304. */
static void sbuf_puts(struct sbuf *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
        size_t n = strlen(p);
        if (b->overflow || n >= b->cap - b->len) {
            b->overflow = true;
            break;
        }
        memcpy(b->buf + b->len, p, n);
        b->len += n;
    }
    va_end(ap);
}

/* Appends n bytes (same sticky overflow).  With sbuf_lit, a literal's
 * length is known when compiling: the fields of every head go this way,
 * without a strlen or a varargs walk per piece. */
static inline void sbuf_put(struct sbuf *b, const char *p, size_t n)
{
    if (b->overflow || n >= b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

#define sbuf_lit(b, lit) sbuf_put((b), "" lit, sizeof(lit) - 1)

/* v in decimal, into out[21]; returns out. */
static const char *fmt_u64(uint64_t v, char out[21])
{
    char *p = out + 20;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* The response head: status line and fields in r->head. */
struct head {
    struct httpd_resp *r;
    struct sbuf s;
};

#define head_add(h, ...)  sbuf_add(&(h)->s, __VA_ARGS__)
#define head_puts(h, ...) sbuf_puts(&(h)->s, __VA_ARGS__, (const char *)NULL)
#define head_lit(h, lit)  sbuf_lit(&(h)->s, lit)
#define head_str(h, str)  sbuf_put(&(h)->s, (str), strlen(str))

static void head_begin(struct head *h, const struct handler_ctx *ctx, struct httpd_resp *r,
                       int status)
{
    h->r = r;
    h->s = (struct sbuf){.buf = r->head, .cap = sizeof(r->head)};
    r->status = status;
    r->head_len = 0;
    switch (status) { /* the usual ones without a number to format */
    case 200:
        head_lit(h, "HTTP/1.1 200 OK\r\nDate: ");
        break;
    case 304:
        head_lit(h, "HTTP/1.1 304 Not Modified\r\nDate: ");
        break;
    default: {
        char num[21];
        head_puts(h, "HTTP/1.1 ", fmt_u64((uint64_t)(status >= 0 ? status : 0), num), " ",
                  reason(status), "\r\nDate: ");
    }
    }
    head_str(h, ctx->date);
    if (ctx->conf->server_tokens)
        head_lit(h, "\r\nServer: labnet-httpd/" LABNET_VERSION "\r\n");
    else
        head_lit(h, "\r\nServer: labnet-httpd\r\n");
    if (r->extra_hdrs[0])
        head_str(h, r->extra_hdrs);
}

/* Ends the head.  version10_keepalive: an HTTP/1.0 client asked for
 * keep-alive and gets it, which 1.0 needs said explicitly. */
static void head_end(struct head *h, bool version10_keepalive)
{
    if (h->r->close)
        head_lit(h, "Connection: close\r\n\r\n");
    else if (version10_keepalive)
        head_lit(h, "Connection: keep-alive\r\n\r\n");
    else
        head_lit(h, "\r\n");
    /* A head that did not fit is dropped; handler_request answers 500. */
    h->r->head_len = h->s.overflow ? 0 : h->s.len;
}

/* ---- small bodies (errors, listings, multipart headers) ---- */

static void body_mem(struct httpd_resp *r, char *mem, size_t len)
{
    free(r->mem);
    r->mem = mem;
    r->n_segs = 0;
    if (len) {
        r->segs[0] = (struct resp_seg){.mem = mem, .len = len};
        r->n_segs = 1;
    }
    r->body_len = len;
}

/* An error or redirect page.  The connection's fate is r->close, decided
 * by the caller; extra is more header lines ("Location: ...\r\n"). */
static void error_page(const struct handler_ctx *ctx, int status, bool head_only, bool v10_ka,
                       struct httpd_resp *r, const char *extra)
{
    resp_drop_file(r);
    char *page = malloc(256);
    int n = page ? snprintf(page, 256,
                            "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
                            "<body><h1>%d %s</h1></body></html>\n",
                            status, reason(status), status, reason(status))
                 : 0;
    size_t len = n > 0 ? (size_t)n : 0;
    struct head h;
    head_begin(&h, ctx, r, status);
    head_add(&h, "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n", len);
    if (status == 405)
        head_add(&h, "Allow: " ALLOW_METHODS "\r\n");
    if (extra)
        head_add(&h, "%s", extra);
    head_end(&h, v10_ka);
    if (head_only) {
        free(page);
        body_mem(r, NULL, 0);
    } else {
        body_mem(r, page, len);
    }
}

void handler_error(const struct handler_ctx *ctx, int status, bool head_only, struct httpd_resp *r)
{
    r->close = true;
    error_page(ctx, status, head_only, false, r, NULL);
}

/* ---- access-log fields ---- */

/* Appends s[0..n) to out as nginx does: '"', '\' and bytes outside
 * printable ASCII become \xHH, so a log line can't be forged. */
static size_t log_escape(char *out, size_t cap, size_t pos, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n && pos + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            out[pos++] = '\\';
            out[pos++] = 'x';
            out[pos++] = hex[ch >> 4];
            out[pos++] = hex[ch & 15];
        } else {
            out[pos++] = (char)ch;
        }
    }
    return pos;
}

static void log_quoted(char *out, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (*pos + 3 >= cap)
        return;
    out[(*pos)++] = '"';
    if (!s) {
        out[(*pos)++] = '-';
    } else {
        *pos = log_escape(out, cap, *pos, s, n);
    }
    out[(*pos)++] = '"';
    out[*pos] = '\0';
}

static void fill_log(struct httpd_resp *r, const struct http_req *req)
{
    size_t pos = 0;
    r->log_request[0] = '"';
    pos = 1;
    pos = log_escape(r->log_request, sizeof(r->log_request), pos, req->method.ptr, req->method.len);
    r->log_request[pos++] = ' ';
    pos = log_escape(r->log_request, sizeof(r->log_request), pos, req->target.ptr, req->target.len);
    snprintf(r->log_request + pos, sizeof(r->log_request) - pos, " HTTP/1.%u\"",
             req->version == 10 ? 0u : 1u);
    const struct http_hdr *ref = http_hdr_find(req->hdrs, req->nhdrs, "Referer", NULL);
    const struct http_hdr *ua = http_hdr_find(req->hdrs, req->nhdrs, "User-Agent", NULL);
    pos = 0;
    log_quoted(r->log_tail, sizeof(r->log_tail), &pos, ref ? ref->value.ptr : NULL,
               ref ? ref->value.len : 0);
    if (pos + 1 < sizeof(r->log_tail))
        r->log_tail[pos++] = ' ';
    log_quoted(r->log_tail, sizeof(r->log_tail), &pos, ua ? ua->value.ptr : NULL,
               ua ? ua->value.len : 0);
}

/* ---- files ---- */

static int open_errno_status(int err)
{
    switch (err) {
    case -ENOENT:
    case -ENOTDIR:
        return 404;
    case -EACCES:
    case -EPERM:
    case -EXDEV: /* a symlink or ".." leading out of the root */
    case -ELOOP:
        return 403;
    case -ENAMETOOLONG:
        return 414;
    default:
        return 500;
    }
}

static void content_type(const struct handler_ctx *ctx, const char *name, char *out, size_t cap)
{
    const char *t = ctx->mime ? mime_lookup(ctx->mime, name) : NULL;
    if (!t)
        t = ctx->conf->default_type;
    /* Truncated to cap - 1 bytes, as snprintf would. */
    size_t n = strlen(t);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, t, n);
    out[n] = '\0';
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory listing (autoindex), HTML-escaped names, links
 * percent-encoded, dotfiles hidden unless enabled. */
static int listing(const struct handler_ctx *ctx, int dir_fd, const char *target, size_t tlen,
                   char **out, size_t *out_len)
{
    int d = dup(dir_fd);
    if (d < 0)
        return -errno;
    DIR *dir = fdopendir(d);
    if (!dir) {
        close(d);
        return -errno;
    }
    /* dup shares the file offset, and the directory fd may be a cached
     * one that listed before: start from the first entry. */
    rewinddir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < LISTING_MAX) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.' && !ctx->conf->dotfiles)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        bool is_dir = e->d_type == DT_DIR;
        size_t l = strlen(e->d_name);
        names[n] = malloc(l + 2);
        if (!names[n])
            break;
        memcpy(names[n], e->d_name, l);
        names[n][l] = is_dir ? '/' : '\0';
        names[n][l + 1] = '\0';
        n++;
    }
    closedir(dir);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);

    /* Room for the worst case: HTML escaping grows a byte to at most 6
     * ("&quot;"), percent-encoding to 3, and the title is shown twice. */
    char title[1024];
    if (http_path_html_escape(target, tlen, title, sizeof(title), NULL) != 0)
        snprintf(title, sizeof(title), "index");
    size_t room = 256 + 2 * strlen(title);
    for (size_t i = 0; i < n; i++)
        room += 64 + 9 * strlen(names[i]);
    struct sbuf b = {.buf = malloc(room), .cap = room};
    if (b.buf) {
        sbuf_add(&b,
                 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                 "<title>Index of %s</title></head>\n<body><h1>Index of %s</h1>"
                 "<ul>\n<li><a href=\"../\">../</a></li>\n",
                 title, title);
        for (size_t i = 0; i < n; i++) {
            char href[768], text[1536];
            size_t nl = strlen(names[i]);
            if (http_path_encode(names[i], nl, href, sizeof(href), NULL) != 0 ||
                http_path_html_escape(names[i], nl, text, sizeof(text), NULL) != 0)
                continue;
            sbuf_add(&b, "<li><a href=\"%s\">%s</a></li>\n", href, text);
        }
        sbuf_add(&b, "</ul></body></html>\n");
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (!b.buf || b.overflow) {
        free(b.buf);
        return b.buf ? -EMSGSIZE : -ENOMEM;
    }
    *out = b.buf;
    *out_len = b.len;
    return 0;
}

/* ---- conditional requests (RFC 9110 13.2.2 order) ---- */

static const struct http_hdr *find(const struct http_req *req, const char *name)
{
    return http_hdr_find(req->hdrs, req->nhdrs, name, NULL);
}

/* Returns 0 to go on, or the status (304 or 412) that answers now. */
static int preconditions(const struct http_req *req, const char *etag, time_t mtime, time_t now)
{
    bool get_head = req->meth == HTTP_M_GET || req->meth == HTTP_M_HEAD;
    /* The first field of each name, as find() would give, in one pass
     * over the fields instead of four (this runs for every file served). */
    const struct http_hdr *im = NULL, *ius = NULL, *inm = NULL, *ims = NULL;
    for (size_t i = 0; i < req->nhdrs; i++) {
        const struct http_hdr *hd = &req->hdrs[i];
        const char *n = hd->name.ptr;
        size_t len = hd->name.len;
        if (len < 8 || (n[0] | 0x20) != 'i' || (n[1] | 0x20) != 'f' || n[2] != '-')
            continue;
#define NAME_IS(lit) (len == sizeof(lit) - 1 && strncasecmp(n, lit, len) == 0)
        if (!im && NAME_IS("If-Match"))
            im = hd;
        else if (!ius && NAME_IS("If-Unmodified-Since"))
            ius = hd;
        else if (!inm && NAME_IS("If-None-Match"))
            inm = hd;
        else if (!ims && NAME_IS("If-Modified-Since"))
            ims = hd;
#undef NAME_IS
    }
    time_t t;
    /* Step 1 and 2: If-Match, else If-Unmodified-Since. */
    if (im) {
        if (http_etag_if_match(im->value.ptr, im->value.len, etag, strlen(etag)) != 1)
            return 412;
    } else if (ius && http_date_parse(ius->value.ptr, ius->value.len, now, &t) == 0) {
        if (mtime > t)
            return 412;
    }
    /* Step 3 and 4: If-None-Match, else If-Modified-Since (GET/HEAD only). */
    if (inm) {
        if (http_etag_if_none_match(inm->value.ptr, inm->value.len, etag, strlen(etag)) == 1)
            return get_head ? 304 : 412;
    } else if (ims && get_head && http_date_parse(ims->value.ptr, ims->value.len, now, &t) == 0) {
        /* A date in the future is invalid (RFC 9110 13.1.3) and ignored. */
        if (t <= now && mtime <= t)
            return 304;
    }
    return 0;
}

/* ---- the file response ---- */

struct file_ctx {
    const struct handler_ctx *ctx;
    const struct http_req *req;
    struct httpd_resp *r;
    bool head_only;
    bool v10_ka;
};

/* Opens path.suffix below the root if it is a regular file. */
static int open_sibling(const struct handler_ctx *ctx, const char *path, const char *suffix,
                        struct fc_file *out)
{
    char p[PATH_CAP + 40];
    int n = snprintf(p, sizeof(p), "%s.%s", path, suffix);
    if (n < 0 || (size_t)n >= sizeof(p))
        return -ENAMETOOLONG;
    int rc = filecache_open(ctx->fc, ctx->root_fd, p, ctx->now_ms, out);
    if (rc != 0)
        return rc;
    if (!S_ISREG(out->st.st_mode)) {
        filecache_release(out);
        return -ENOENT;
    }
    return 0;
}

/* Cache-Control (and Expires) from the first [cache] rule matching the
 * URL path or the type name's extension. */
static void cache_headers(struct head *h, const struct httpd_conf *conf, const char *path,
                          const char *type_name, time_t now)
{
    const char *ext = strrchr(type_name, '.');
    for (size_t i = 0; i < conf->n_cache; i++) {
        const struct httpd_cache_rule *rule = &conf->cache[i];
        bool match;
        if (strcmp(rule->pattern, "*") == 0)
            match = true;
        else if (rule->is_ext)
            match = ext && strcasecmp(ext, rule->pattern) == 0;
        else /* "/prefix": path is relative to the root, without its '/' */
            match = strncmp(path, rule->pattern + 1, strlen(rule->pattern) - 1) == 0 ||
                    (strcmp(path, ".") == 0 && strcmp(rule->pattern, "/") == 0);
        if (!match)
            continue;
        if (rule->kind == CACHE_NO_CACHE) {
            head_add(h, "Cache-Control: no-cache\r\n");
        } else if (rule->kind == CACHE_NO_STORE) {
            head_add(h, "Cache-Control: no-store\r\n");
        } else {
            char exp[HTTP_DATE_BUFSZ];
            head_add(h, "Cache-Control: max-age=%llu\r\n", (unsigned long long)rule->max_age_s);
            if (http_date_format(now + (time_t)rule->max_age_s, exp, sizeof(exp)) == 0)
                head_add(h, "Expires: %s\r\n", exp);
        }
        return;
    }
}

/* What every 200/206/304 of one representation carries besides its
 * framing: validators, negotiation results and the cache rule's inputs. */
struct rep {
    const char *etag;    /* in the file's cache memo, or in the buffers below */
    const char *lastmod; /* set once the response needs it */
    char etag_buf[HTTP_ETAG_BUFSZ];
    char lastmod_buf[HTTP_DATE_BUFSZ];
    const char *encoding; /* "br", "gzip" or NULL */
    const char *lang;     /* language variant tag or NULL */
    bool vary_ae;         /* a precompressed sibling exists */
    const char *path;     /* for [cache] prefix rules */
    const char *type_name;
    time_t now;
};

static void vary_header(struct head *h, const struct rep *p)
{
    if (p->vary_ae || p->lang)
        head_add(h, "Vary: %s%s%s\r\n", p->vary_ae ? "Accept-Encoding" : "",
                 p->vary_ae && p->lang ? ", " : "", p->lang ? "Accept-Language" : "");
}

/* The fields a 200 and a 206 share (RFC 9110 8.8, 12.5, 14.3). */
static void rep_headers(struct head *h, const struct handler_ctx *ctx, const struct rep *p)
{
    head_lit(h, "Last-Modified: ");
    head_str(h, p->lastmod);
    head_lit(h, "\r\nETag: ");
    head_str(h, p->etag);
    head_lit(h, "\r\nAccept-Ranges: bytes\r\n");
    vary_header(h, p);
    if (p->encoding)
        head_add(h, "Content-Encoding: %s\r\n", p->encoding);
    if (p->lang)
        head_add(h, "Content-Language: %s\r\n", p->lang);
    cache_headers(h, ctx->conf, p->path, p->type_name, p->now);
}

/* Whether memo still describes this file and variant; if not, it is
 * re-keyed to them with nothing formatted yet (the caller fills etag;
 * lastmod is filled when a response first needs it). */
static bool memo_fresh(struct fc_memo *m, const struct stat *st, int64_t mtime_ns,
                       const char *variant, size_t vlen)
{
    if (m->set && m->ino == (uint64_t)st->st_ino && m->size == (uint64_t)st->st_size &&
        m->mtime_ns == mtime_ns && m->variant_len == vlen && memcmp(m->variant, variant, vlen) == 0)
        return true;
    m->set = true;
    m->lastmod_set = false;
    m->ino = (uint64_t)st->st_ino;
    m->size = (uint64_t)st->st_size;
    m->mtime_ns = mtime_ns;
    m->variant_len = (uint8_t)vlen;
    memcpy(m->variant, variant, vlen);
    return false;
}

/*
 * Serves the regular file *file (opened at path below the root, through the
 * worker's file cache); it is released here or handed to the response.
 * type_name gives the Content-Type (for a language variant, the name
 * without the ".<tag>"); lang is the variant's tag or NULL.  With
 * precompressed on, a ".br" or ".gz" sibling is sent instead when
 * Accept-Encoding prefers it (common/http_accept.h has the rules), with
 * Content-Encoding, its own ETag, and Vary: Accept-Encoding.
 */
static void serve_file(struct file_ctx *f, const struct fc_file *file, const char *path,
                       const char *type_name, const char *lang)
{
    const struct handler_ctx *ctx = f->ctx;
    struct httpd_resp *r = f->r;
    time_t now = time(NULL);
    struct fc_file cur = *file;
    const char *encoding = NULL;
    bool vary_ae = false;
    if (ctx->conf->precompressed) {
        struct fc_file fbr, fgz;
        bool br = open_sibling(ctx, path, "br", &fbr) == 0;
        bool gz = open_sibling(ctx, path, "gz", &fgz) == 0;
        unsigned have = (br ? HTTP_CODING_HAVE_BR : 0u) | (gz ? HTTP_CODING_HAVE_GZIP : 0u);
        vary_ae = have != 0;
        enum http_coding coding = HTTP_CODING_IDENTITY;
        if (have) {
            const struct http_hdr *ae = find(f->req, "Accept-Encoding");
            http_accept_encoding_choose(ae ? ae->value.ptr : NULL, ae ? ae->value.len : 0, have,
                                        &coding);
        }
        if (coding == HTTP_CODING_BR) {
            filecache_release(&cur);
            cur = fbr;
            br = false;
            encoding = "br";
        } else if (coding == HTTP_CODING_GZIP) {
            filecache_release(&cur);
            cur = fgz;
            gz = false;
            encoding = "gzip";
        }
        if (br)
            filecache_release(&fbr);
        if (gz)
            filecache_release(&fgz);
    }
    const struct stat *st = &cur.st;
    struct rep rep = {.encoding = encoding,
                      .lang = lang,
                      .vary_ae = vary_ae,
                      .path = path,
                      .type_name = type_name,
                      .now = now};
    /* A distinct strong ETag per variant (RFC 9110 8.8.3.3): "<lang>",
     * "<lang>.gz", "br", ...; empty for the file itself.  '.' because
     * http_etag_make takes [A-Za-z0-9._-] only, and a tag cut to fit its
     * 32 bytes (language tags may have 35): anything else would be refused
     * and leave the response without an ETag.  Built by hand: a printf
     * here was a visible part of a 304's cost. */
    char variant[HTTP_ETAG_VARIANT_MAX + 1];
    size_t vlen = 0;
    if (lang) {
        size_t l = strnlen(lang, HTTP_ETAG_VARIANT_MAX - 3);
        memcpy(variant, lang, l);
        vlen = l;
        if (encoding)
            variant[vlen++] = '.';
    }
    if (encoding) {
        memcpy(variant + vlen, encoding[0] == 'g' ? "gz" : "br", 2);
        vlen += 2;
    }
    variant[vlen] = '\0';
    int64_t mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    /* The validators of a cached file are formatted once per identity
     * and variant (a tenth of the work of a small response otherwise). */
    struct fc_memo *memo = filecache_memo(&cur);
    char *et = memo ? memo->etag : rep.etag_buf;
    if (!memo || !memo_fresh(memo, st, mtime_ns, variant, vlen)) {
        if (http_etag_make(et, HTTP_ETAG_BUFSZ, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                           mtime_ns, variant, vlen) != 0)
            et[0] = '\0';
    }
    rep.etag = et;
    const char *etag = rep.etag;

    /* Conditions first: a 304 needs neither Last-Modified nor the type. */
    int pre = preconditions(f->req, etag, st->st_mtim.tv_sec, now);
    struct head h;
    if (pre == 304) {
        /* RFC 9110 15.4.5: the fields a 200 would carry for caches.  The
         * file is released after: etag may point into its cache entry. */
        head_begin(&h, ctx, r, 304);
        head_lit(&h, "ETag: ");
        head_str(&h, etag);
        head_lit(&h, "\r\n");
        vary_header(&h, &rep);
        cache_headers(&h, ctx->conf, path, type_name, now);
        head_end(&h, f->v10_ka);
        filecache_release(&cur);
        return;
    }
    if (pre == 412) {
        filecache_release(&cur);
        error_page(ctx, 412, f->head_only, f->v10_ka, r, NULL);
        return;
    }
    char *lm = memo ? memo->lastmod : rep.lastmod_buf;
    if (!memo || !memo->lastmod_set) {
        if (http_date_format(st->st_mtim.tv_sec, lm, HTTP_DATE_BUFSZ) != 0)
            lm[0] = '\0';
        if (memo)
            memo->lastmod_set = true;
    }
    rep.lastmod = lm;
    char ctype[192];
    content_type(ctx, type_name, ctype, sizeof(ctype));
    uint64_t size = (uint64_t)st->st_size;

    /* Ranges: GET only (RFC 9110 14.2), If-Range permitting. */
    struct http_range ranges[HTTP_RANGE_MAX];
    size_t n_ranges = 0;
    const struct http_hdr *rh = f->req->meth == HTTP_M_GET ? find(f->req, "Range") : NULL;
    if (rh) {
        const struct http_hdr *ir = find(f->req, "If-Range");
        time_t mt = st->st_mtim.tv_sec;
        if (ir && !http_range_if_range(ir->value.ptr, ir->value.len, etag, strlen(etag), &mt, now))
            rh = NULL;
    }
    if (rh) {
        int rc =
            http_range_parse(rh->value.ptr, rh->value.len, size, ranges, HTTP_RANGE_MAX, &n_ranges);
        if (rc == -ERANGE) {
            filecache_release(&cur);
            char cr[HTTP_RANGE_CONTENT_RANGE_BUFSZ + 32];
            char v[HTTP_RANGE_CONTENT_RANGE_BUFSZ];
            http_range_format_unsatisfied(v, sizeof(v), size);
            snprintf(cr, sizeof(cr), "Content-Range: %s\r\n", v);
            error_page(ctx, 416, f->head_only, f->v10_ka, r, cr);
            return;
        }
        if (rc != 0)
            n_ranges = 0; /* malformed or abusive: ignore it, send 200 */
    }

    resp_take_file(r, cur.fd, cur.entry);
    if (n_ranges == 1) {
        char v[HTTP_RANGE_CONTENT_RANGE_BUFSZ];
        http_range_format(v, sizeof(v), &ranges[0], size);
        uint64_t len = ranges[0].last - ranges[0].first + 1;
        head_begin(&h, ctx, r, 206);
        head_add(&h, "Content-Type: %s\r\nContent-Length: %llu\r\nContent-Range: %s\r\n", ctype,
                 (unsigned long long)len, v);
        rep_headers(&h, ctx, &rep);
        head_end(&h, f->v10_ka);
        if (!f->head_only) {
            r->segs[0] = (struct resp_seg){.off = ranges[0].first, .len = len};
            r->n_segs = 1;
            r->body_len = len;
        }
        return;
    }
    if (n_ranges > 1) {
        /* multipart/byteranges (RFC 9110 14.6): part headers in one memory
         * block, data as file segments, in ascending order. */
        size_t part = 64 + sizeof(MULTIPART_BOUND) + sizeof(ctype) + HTTP_RANGE_CONTENT_RANGE_BUFSZ;
        struct sbuf b = {.buf = malloc(n_ranges * part + 64), .cap = n_ranges * part + 64};
        uint64_t total = 0;
        size_t s = 0;
        for (size_t i = 0; b.buf && i < n_ranges; i++) {
            char v[HTTP_RANGE_CONTENT_RANGE_BUFSZ];
            http_range_format(v, sizeof(v), &ranges[i], size);
            size_t at = b.len;
            sbuf_add(&b, "%s--" MULTIPART_BOUND "\r\nContent-Type: %s\r\nContent-Range: %s\r\n\r\n",
                     i ? "\r\n" : "", ctype, v);
            r->segs[s++] = (struct resp_seg){.mem = b.buf + at, .len = b.len - at};
            uint64_t len = ranges[i].last - ranges[i].first + 1;
            r->segs[s++] = (struct resp_seg){.off = ranges[i].first, .len = len};
            total += (b.len - at) + len;
        }
        size_t at = b.len;
        if (b.buf)
            sbuf_add(&b, "\r\n--" MULTIPART_BOUND "--\r\n");
        if (!b.buf || b.overflow) {
            free(b.buf);
            r->n_segs = 0;
            resp_drop_file(r);
            handler_error(ctx, 500, f->head_only, r);
            return;
        }
        r->segs[s++] = (struct resp_seg){.mem = b.buf + at, .len = b.len - at};
        total += b.len - at;
        char *mem = b.buf;
        r->mem = mem;
        head_begin(&h, ctx, r, 206);
        head_add(&h,
                 "Content-Type: multipart/byteranges; boundary=" MULTIPART_BOUND "\r\n"
                 "Content-Length: %llu\r\n",
                 (unsigned long long)total);
        rep_headers(&h, ctx, &rep);
        head_end(&h, f->v10_ka);
        if (f->head_only) {
            r->n_segs = 0;
        } else {
            r->n_segs = s;
            r->body_len = total;
        }
        return;
    }
    head_begin(&h, ctx, r, 200);
    char num[21];
    head_lit(&h, "Content-Type: ");
    head_str(&h, ctype);
    head_lit(&h, "\r\nContent-Length: ");
    head_str(&h, fmt_u64(size, num));
    head_lit(&h, "\r\n");
    rep_headers(&h, ctx, &rep);
    head_end(&h, f->v10_ka);
    if (!f->head_only && size > 0) {
        r->segs[0] = (struct resp_seg){.off = 0, .len = size};
        r->n_segs = 1;
        r->body_len = size;
    }
}

/* 301 to the same path with a trailing slash (and the query kept). */
static void redirect_dir(struct file_ctx *f, const struct http_path *p)
{
    const struct http_req *req = f->req;
    size_t plen = p->query ? (size_t)(p->query - 1 - req->target.ptr) : req->target.len;
    char loc[PATH_CAP + 16];
    int n =
        snprintf(loc, sizeof(loc), "%.*s/%s%.*s", (int)plen, req->target.ptr, p->query ? "?" : "",
                 p->query ? (int)p->query_len : 0, p->query ? p->query : "");
    if (n < 0 || (size_t)n >= sizeof(loc)) {
        error_page(f->ctx, 414, f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    /* The target was validated by http_path_normalize: no CR/LF/CTLs. */
    char extra[PATH_CAP + 32];
    snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
    error_page(f->ctx, 301, f->head_only, f->v10_ka, f->r, extra);
}

/*
 * "page.html" that does not exist, with languages configured: the variants
 * "page.html.<tag>" on disk compete by Accept-Language (RFC 4647 basic
 * filtering, common/http_accept.h); with no acceptable one, or no header,
 * the first configured language that exists is sent.
 */
static void serve_language_variant(struct file_ctx *f, const char *path)
{
    const struct handler_ctx *ctx = f->ctx;
    const char *tags[HTTPD_MAX_LANGS];
    struct fc_file files[HTTPD_MAX_LANGS];
    size_t n = 0;
    for (size_t i = 0; i < ctx->conf->n_langs; i++) {
        if (open_sibling(ctx, path, ctx->conf->langs[i], &files[n]) == 0)
            tags[n++] = ctx->conf->langs[i];
    }
    if (n == 0) {
        error_page(ctx, 404, f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    size_t pick = 0;
    const struct http_hdr *al = find(f->req, "Accept-Language");
    if (al)
        http_accept_language_choose(al->value.ptr, al->value.len, tags, n, &pick);
    for (size_t i = 0; i < n; i++)
        if (i != pick)
            filecache_release(&files[i]);
    char vpath[PATH_CAP + 40];
    snprintf(vpath, sizeof(vpath), "%s.%s", path, tags[pick]);
    const char *base = strrchr(path, '/');
    serve_file(f, &files[pick], vpath, base ? base + 1 : path, tags[pick]);
}

static void serve_path(struct file_ctx *f, const char *target, size_t tlen)
{
    const struct handler_ctx *ctx = f->ctx;
    char path[PATH_CAP];
    struct http_path p;
    int rc = http_path_normalize(target, tlen, NULL, path, sizeof(path), &p);
    if (rc != 0) {
        error_page(ctx, rc == -E2BIG ? 414 : 400, f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    if ((p.flags & HTTP_PATH_DOTFILE) && !ctx->conf->dotfiles) {
        error_page(ctx, 404, f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    struct fc_file file;
    int rc2 = filecache_open(ctx->fc, ctx->root_fd, path, ctx->now_ms, &file);
    if (rc2 == -ENOENT && ctx->conf->n_langs && !(p.flags & HTTP_PATH_DIR)) {
        serve_language_variant(f, path);
        return;
    }
    if (rc2 < 0) {
        error_page(ctx, open_errno_status(rc2), f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    if (S_ISDIR(file.st.st_mode)) {
        if (!(p.flags & HTTP_PATH_DIR)) {
            filecache_release(&file);
            redirect_dir(f, &p);
            return;
        }
        if (ctx->conf->index[0]) {
            char ipath[PATH_CAP + 72];
            snprintf(ipath, sizeof(ipath), "%s/%s", path, ctx->conf->index);
            struct fc_file ifile;
            if (filecache_open(ctx->fc, ctx->root_fd, ipath, ctx->now_ms, &ifile) == 0) {
                if (S_ISREG(ifile.st.st_mode)) {
                    filecache_release(&file);
                    serve_file(f, &ifile, ipath, ctx->conf->index, NULL);
                    return;
                }
                filecache_release(&ifile);
            }
        }
        if (!ctx->conf->autoindex) {
            filecache_release(&file);
            error_page(ctx, 403, f->head_only, f->v10_ka, f->r, NULL);
            return;
        }
        char *page = NULL;
        size_t len = 0;
        size_t shown = p.query ? (size_t)(p.query - 1 - target) : tlen;
        rc = listing(ctx, file.fd, target, shown, &page, &len);
        filecache_release(&file);
        if (rc != 0) {
            error_page(ctx, 500, f->head_only, f->v10_ka, f->r, NULL);
            return;
        }
        struct head h;
        head_begin(&h, ctx, f->r, 200);
        head_add(&h, "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n", len);
        head_end(&h, f->v10_ka);
        body_mem(f->r, page, f->head_only ? 0 : len);
        return;
    }
    if (!S_ISREG(file.st.st_mode)) {
        filecache_release(&file); /* devices, sockets, FIFOs are never served */
        error_page(ctx, 403, f->head_only, f->v10_ka, f->r, NULL);
        return;
    }
    const char *base = strrchr(path, '/');
    serve_file(f, &file, path, base ? base + 1 : path, NULL);
}

/*
 * Virtual hosts: the Host header (without its port, case-insensitive)
 * picks a [vhost]'s root and file cache; any other host gets the [server]
 * root.  Returns ctx itself or *tmp filled for the vhost.
 */
static const struct handler_ctx *choose_vhost(const struct handler_ctx *ctx,
                                              const struct http_req *req, struct handler_ctx *tmp)
{
    const struct httpd_conf *c = ctx->conf;
    if (c->n_vhosts == 0 || !req->has_host)
        return ctx;
    const char *h = req->host.ptr;
    size_t n = req->host.len;
    if (n && h[0] == '[') {
        const char *close = memchr(h, ']', n);
        n = close ? (size_t)(close - h + 1) : n;
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon)
            n = (size_t)(colon - h);
    }
    for (size_t i = 0; i < c->n_vhosts; i++) {
        for (size_t k = 0; k < c->vhosts[i].n_names; k++) {
            const char *name = c->vhosts[i].names[k];
            if (strlen(name) == n && strncasecmp(name, h, n) == 0) {
                *tmp = *ctx;
                tmp->root_fd = c->vhosts[i].root_fd;
                tmp->fc = ctx->fcs ? ctx->fcs[1 + i] : NULL;
                return tmp;
            }
        }
    }
    return ctx;
}

/*
 * Visitor ids, like nginx's userid module: a valid signed cookie names the
 * visitor; a missing, tampered or forged one counts as absent and a new id
 * is issued with Set-Cookie.  The id goes to the access log either way.
 */
static void visitor_cookie(const struct handler_ctx *ctx, const struct http_req *req,
                           struct httpd_resp *r)
{
    const struct httpd_conf *c = ctx->conf;
    if (!c->cookie_enabled)
        return;
    uint8_t id[HTTP_COOKIE_ID_LEN];
    const struct http_hdr *ck = NULL;
    while ((ck = http_hdr_find(req->hdrs, req->nhdrs, "Cookie", ck)) != NULL) {
        const char *v;
        size_t vl;
        if (http_cookie_find(ck->value.ptr, ck->value.len, c->cookie_name, strlen(c->cookie_name),
                             &v, &vl) == 0 &&
            http_cookie_id_verify(&c->cookie_key, v, vl, id) == 0) {
            /* The id half of "ID.SIG" (22 base64url characters). */
            snprintf(r->visitor, sizeof(r->visitor), "%.22s", v);
            return;
        }
    }
    char signed_id[HTTP_COOKIE_SIGNED_LEN + 1];
    if (http_cookie_id_new(id) != 0 ||
        http_cookie_id_sign(&c->cookie_key, id, signed_id, sizeof(signed_id)) != 0)
        return;
    struct http_cookie_attrs a = {
        .path = c->cookie_path[0] ? c->cookie_path : NULL,
        .domain = c->cookie_domain[0] ? c->cookie_domain : NULL,
        .has_max_age = true,
        .max_age = (int64_t)c->cookie_max_age_s,
        .has_expires = true,
        .expires = time(NULL) + (time_t)c->cookie_max_age_s,
        .secure = c->cookie_secure,
        .http_only = c->cookie_httponly,
        .samesite = (enum http_cookie_samesite)c->cookie_samesite,
    };
    char val[sizeof(r->extra_hdrs) - 16];
    if (http_cookie_set_format(c->cookie_name, strlen(c->cookie_name), signed_id, strlen(signed_id),
                               &a, val, sizeof(val), NULL) != 0)
        return;
    snprintf(r->extra_hdrs, sizeof(r->extra_hdrs), "Set-Cookie: %s\r\n", val);
    snprintf(r->visitor, sizeof(r->visitor), "%.22s", signed_id);
}

/* The path part of an absolute-form target ("http://host/x?y" -> "/x?y"). */
static bool origin_of_absolute(const struct http_slice *t, const char **out, size_t *out_len)
{
    const char *p = memchr(t->ptr, ':', t->len);
    if (!p || (size_t)(t->ptr + t->len - p) < 3 || p[1] != '/' || p[2] != '/')
        return false;
    const char *auth = p + 3;
    const char *end = t->ptr + t->len;
    const char *slash = memchr(auth, '/', (size_t)(end - auth));
    if (!slash) {
        *out = "/";
        *out_len = 1;
    } else {
        *out = slash;
        *out_len = (size_t)(end - slash);
    }
    return true;
}

int handler_request(const struct handler_ctx *ctx, const char *buf, size_t len,
                    struct http_req *req, struct httpd_resp *r, struct handler_info *info)
{
    struct http_hdr hdrs[MAX_HDRS];
    struct http_limits lim;
    http_limits_init(&lim);
    lim.max_start_line = ctx->conf->max_request_line;
    lim.max_field_section = ctx->conf->max_header_size;
    lim.max_fields = ctx->conf->max_headers < MAX_HDRS ? ctx->conf->max_headers : MAX_HDRS;
    int rc = http_req_parse(buf, len, req, hdrs, MAX_HDRS, &lim);
    if (rc == -EAGAIN)
        return -EAGAIN;
    if (rc < 0) {
        handler_error(ctx, req->status ? req->status : 400, false, r);
        return 0;
    }
    if (ctx->access_log)
        fill_log(r, req);
    info->keep_alive = req->keep_alive && !ctx->stopping;
    info->body_chunked = req->body == HTTP_BODY_CHUNKED;
    info->body_len = req->body == HTTP_BODY_LENGTH ? req->content_length : 0;
    /* A client that sent "Expect: 100-continue" waits for our word before
     * sending its body.  No resource here needs a body, so the final status
     * goes out at once instead of 100 (RFC 9110 10.1.1), sparing the upload;
     * but the client may then send the body or not, so the bytes after the
     * head can't be told apart: the connection closes after the answer,
     * rather than risk reading a body as the next request. */
    bool unsent_body = req->expect_continue && (info->body_len > 0 || info->body_chunked);
    /* Every reason to close after this response, decided here so the head
     * says "Connection: close" whenever the connection will close. */
    r->close = !info->keep_alive || info->body_chunked || info->body_len > HANDLER_DISCARD_MAX ||
               unsent_body || ctx->n_requests + 1 >= ctx->conf->max_keepalive_requests;
    bool v10_ka = req->version == 10 && info->keep_alive;
    bool head_only = req->meth == HTTP_M_HEAD;

    visitor_cookie(ctx, req, r);
    struct handler_ctx vctx;
    ctx = choose_vhost(ctx, req, &vctx);
    struct file_ctx f = {.ctx = ctx, .req = req, .r = r, .head_only = head_only, .v10_ka = v10_ka};
    switch (req->meth) {
    case HTTP_M_GET:
    case HTTP_M_HEAD:
        break;
    case HTTP_M_OPTIONS: {
        struct head h;
        head_begin(&h, ctx, r, 200);
        head_add(&h, "Allow: " ALLOW_METHODS "\r\nContent-Length: 0\r\n");
        head_end(&h, v10_ka);
        return rc;
    }
    case HTTP_M_OTHER:
        error_page(ctx, 501, false, v10_ka, r, NULL);
        return rc;
    default:
        error_page(ctx, 405, false, v10_ka, r, NULL);
        return rc;
    }
    if (req->expect_other) {
        error_page(ctx, 417, head_only, v10_ka, r, NULL);
        return rc;
    }
    const char *target = req->target.ptr;
    size_t tlen = req->target.len;
    if (req->form == HTTP_TARGET_ABSOLUTE) {
        if (!origin_of_absolute(&req->target, &target, &tlen)) {
            error_page(ctx, 400, head_only, v10_ka, r, NULL);
            return rc;
        }
    } else if (req->form != HTTP_TARGET_ORIGIN) {
        error_page(ctx, 400, head_only, v10_ka, r, NULL);
        return rc;
    }
    serve_path(&f, target, tlen);
    if (r->head_len == 0) {
        /* The head overflowed RESP_HEAD_MAX: never send a cut head. */
        resp_reset(r);
        handler_error(ctx, 500, head_only, r);
    }
    return rc;
}
