/*
 * labnet-fetch: an HTTP/1.1 client on libuv, resolving names with c-ares.
 *
 *   labnet-fetch [options] URL...
 *
 * URLs are fetched in order; consecutive URLs on the same host and port
 * share one keep-alive connection.  Exit status (as curl's, where curl
 * has one): 0 ok, 2 usage, 3 bad URL, 6 name not resolved, 7 connection
 * failed, 8 malformed response, 18 body cut short, 22 HTTP status >= 400,
 * 23 write error, 28 timeout, 47 too many redirects; with several URLs,
 * the first failure's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "clients/cookiejar.h"
#include "clients/fetch_cache.h"
#include "common/ares_uv.h"
#include "common/cli.h"
#include "common/config.h"
#include "common/http_parse.h"
#include "common/http_url.h"
#include "common/log.h"
#include "labnet_version.h"

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 2,
    EXIT_URL = 3,
    EXIT_RESOLVE = 6,
    EXIT_CONNECT = 7,
    EXIT_BADRESP = 8,
    EXIT_PARTIAL = 18,
    EXIT_HTTP = 22,
    EXIT_WRITE = 23,
    EXIT_TIMEOUT = 28,
    EXIT_REDIRECTS = 47,
};

#define MAX_URLS    64
#define MAX_HEADERS 16
#define MAX_ADDRS   8
#define RESP_HDRS   128
#define HEAD_MAX    65536

struct opts {
    const char *urls[MAX_URLS];
    size_t n_urls;
    const char *out_path;
    const char *jar_in, *jar_out;
    const char *cache_dir;
    const char *range;
    const char *headers[MAX_HEADERS];
    size_t n_headers;
    bool head;       /* -I */
    bool verbose;    /* -v: request and response heads on stderr */
    bool follow;     /* -L */
    long max_redirs; /* --max-redirs */
    uint64_t timeout_ms;
    const char *user_agent;
};

/* One TCP connection.  Heap-allocated and freed only in its close
 * callback (libuv's two-phase close): callbacks that arrive for a
 * connection that is no longer f->conn (a connect cancelled by a timeout,
 * say) are ignored. */
struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    struct fetch *f;
    bool connected;
    char host[HTTP_URL_HOST_MAX];
    uint16_t port;
};

struct fetch {
    uv_loop_t loop;
    struct ares_uv ares;
    struct opts o;
    FILE *out;
    struct cookiejar jar;
    uv_timer_t timer;
    size_t idx;          /* URL being fetched */
    struct http_url url; /* current (after redirects) */
    long redirects;
    int exit_code;
    unsigned gen; /* counts start_url calls: stale lookups are ignored */

    /* connection */
    struct conn *conn; /* current connection, or NULL */
    struct sockaddr_storage addrs[MAX_ADDRS];
    size_t n_addrs, next_addr;
    char req[8192];

    /* response */
    char *rbuf;
    size_t rlen, rcap;
    struct http_resp resp;
    struct http_hdr hdrs[RESP_HDRS];
    uint64_t body_left;
    struct http_chunked chunked;
    struct fetch_cache_entry cache;
    /* Copied from the head: its slices die when the buffer moves on. */
    char location[HTTP_URL_PATH_MAX + HTTP_URL_HOST_MAX];
    char etag[256];
    char lastmod[64];

    bool ares_ok; /* the resolver is started */
    bool reused;  /* the current request went out on a reused connection */
    bool head_done;
    bool discard_body; /* redirect hop, 304 replay, -I */
    bool caching;
    bool complete;
};

static void start_url(struct fetch *f);
static void next_url(struct fetch *f);

static void vlog(const struct fetch *f, char dir, const char *text, size_t len)
{
    if (!f->o.verbose)
        return;
    /* One "> " / "< " line per header line, as curl -v prints them. */
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* l is 0 for an empty line (nl == p); cppcheck misses that. */
        // cppcheck-suppress knownConditionTrueFalse
        if (l && p[l - 1] == '\r')
            l--;
        fprintf(stderr, "%c %.*s\n", dir, (int)l, p);
        p = nl ? nl + 1 : end;
    }
}

static void fail(struct fetch *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct fetch *f, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "labnet-fetch: %s\n", msg);
    if (f->exit_code == 0)
        f->exit_code = code;
}

static void on_tcp_closed(uv_handle_t *h)
{
    free(h->data);
}

static void conn_close(struct fetch *f)
{
    if (f->conn) {
        uv_close((uv_handle_t *)&f->conn->tcp, on_tcp_closed);
        f->conn = NULL;
    }
    f->rlen = 0;
}

/* Ends the current URL (after an error too) and moves to the next. */
static void url_done(struct fetch *f, bool keep_conn)
{
    uv_timer_stop(&f->timer);
    if (f->caching) {
        fetch_cache_end(&f->cache, f->complete, f->etag, strlen(f->etag), f->lastmod,
                        strlen(f->lastmod));
        f->caching = false;
    }
    if (!keep_conn)
        conn_close(f);
    f->idx++;
    next_url(f);
}

static void on_timeout(uv_timer_t *t)
{
    struct fetch *f = t->data;
    fail(f, EXIT_TIMEOUT, "%s: timed out after %llu ms", f->o.urls[f->idx],
         (unsigned long long)f->o.timeout_ms);
    url_done(f, false);
}

static int out_write(struct fetch *f, const char *p, size_t n)
{
    if (n && fwrite(p, 1, n, f->out) != n) {
        fail(f, EXIT_WRITE, "write error: %s", strerror(errno));
        return -1;
    }
    if (f->caching)
        fetch_cache_write(&f->cache, p, n);
    return 0;
}

/* What to do once the response (head and body) is complete. */
static void response_done(struct fetch *f)
{
    f->complete = true;
    bool keep = f->resp.keep_alive;
    int st = f->resp.status;
    /* Consume the response from the buffer; keep anything after it. */
    f->rlen = 0;
    if (f->o.follow && (st == 301 || st == 302 || st == 303 || st == 307 || st == 308)) {
        if (f->location[0]) {
            if (++f->redirects > f->o.max_redirs) {
                fail(f, EXIT_REDIRECTS, "more than %ld redirects", f->o.max_redirs);
                url_done(f, keep);
                return;
            }
            struct http_url next;
            int rc = http_url_resolve(&f->url, f->location, strlen(f->location), &next);
            if (rc != 0) {
                fail(f, EXIT_URL, "cannot follow Location \"%s\"", f->location);
                url_done(f, keep);
                return;
            }
            if (!keep)
                conn_close(f);
            f->url = next;
            if (f->o.verbose)
                fprintf(stderr, "* following redirect to http://%s:%u%s\n", next.host, next.port,
                        next.target);
            uv_timer_stop(&f->timer);
            start_url(f);
            return;
        }
    }
    if (st >= 400)
        fail(f, EXIT_HTTP, "%s: HTTP status %d", f->o.urls[f->idx], st);
    url_done(f, keep);
}

/* Feeds body bytes from the receive buffer; returns true when complete. */
static bool body_feed(struct fetch *f, const char *p, size_t n)
{
    switch (f->resp.body) {
    case HTTP_BODY_NONE:
        return true;
    case HTTP_BODY_LENGTH: {
        size_t take = n < f->body_left ? n : (size_t)f->body_left;
        if (!f->discard_body && out_write(f, p, take) != 0)
            return true;
        f->body_left -= take;
        return f->body_left == 0;
    }
    case HTTP_BODY_CHUNKED:
        while (n > 0) {
            size_t used = 0;
            struct http_slice data;
            int rc = http_chunked_decode(&f->chunked, p, n, &used, &data);
            if (rc == 1 && !f->discard_body && out_write(f, data.ptr, data.len) != 0)
                return true;
            p += used;
            n -= used;
            if (rc == 0)
                return true;
            if (rc < 0 && rc != -EAGAIN) {
                fail(f, EXIT_BADRESP, "malformed chunked body");
                f->resp.keep_alive = false;
                return true;
            }
            if (rc == -EAGAIN)
                break;
        }
        return false;
    case HTTP_BODY_CLOSE:
        if (!f->discard_body)
            out_write(f, p, n);
        return false;
    }
    return false;
}

/* Copies a header's value (bounded) before the buffer is reused. */
static void copy_hdr(const struct fetch *f, const char *name, char *out, size_t cap)
{
    const struct http_hdr *h = http_hdr_find(f->hdrs, f->resp.nhdrs, name, NULL);
    out[0] = '\0';
    if (h && h->value.len < cap) {
        memcpy(out, h->value.ptr, h->value.len);
        out[h->value.len] = '\0';
    }
}

static void handle_head(struct fetch *f)
{
    int st = f->resp.status;
    copy_hdr(f, "Location", f->location, sizeof(f->location));
    copy_hdr(f, "ETag", f->etag, sizeof(f->etag));
    copy_hdr(f, "Last-Modified", f->lastmod, sizeof(f->lastmod));
    vlog(f, '<', f->rbuf, f->resp.scan.pos);
    time_t now = time(NULL);
    const struct http_hdr *h = NULL;
    while ((h = http_hdr_find(f->hdrs, f->resp.nhdrs, "Set-Cookie", h)) != NULL)
        cookiejar_store(&f->jar, &f->url, h->value.ptr, h->value.len, now);
    bool redirect = f->o.follow && st >= 300 && st < 400 && st != 304 && f->location[0];
    f->discard_body = redirect || f->o.head;
    if (f->o.head && !redirect) {
        /* -I prints the head itself. */
        out_write(f, f->rbuf, f->resp.scan.pos);
    }
    if (st == 304 && f->cache.present && !f->o.head) {
        if (f->o.verbose)
            fprintf(stderr, "* 304: using the cached body\n");
        if (fetch_cache_replay(&f->cache, f->out) != 0)
            fail(f, EXIT_WRITE, "cannot read the cached body %s", f->cache.body_path);
        f->discard_body = true;
    }
    if (f->o.cache_dir && st == 200 && !f->discard_body && !f->o.range &&
        (f->etag[0] || f->lastmod[0]))
        f->caching = fetch_cache_begin(&f->cache) == 0;
    f->body_left = f->resp.body == HTTP_BODY_LENGTH ? f->resp.content_length : 0;
    http_chunked_init(&f->chunked, NULL);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)sz;
    struct fetch *f = ((struct conn *)h->data)->f;
    if (f->rcap - f->rlen < 16384) {
        size_t ncap = f->rcap ? f->rcap * 2 : 65536;
        if (ncap > HEAD_MAX + 65536 && f->head_done)
            ncap = f->rcap; /* body bytes are consumed as they come */
        char *nb = ncap != f->rcap ? realloc(f->rbuf, ncap) : f->rbuf;
        if (nb) {
            f->rbuf = nb;
            f->rcap = ncap;
        }
    }
    *b = uv_buf_init(f->rbuf + f->rlen, (unsigned)(f->rcap - f->rlen));
}

/* Parses what the buffer holds: the head (skipping 1xx heads), then body. */
static void process(struct fetch *f)
{
    while (!f->head_done) {
        int rc = http_resp_parse(f->rbuf, f->rlen, &f->resp, f->hdrs, RESP_HDRS, NULL, f->o.head);
        if (rc == -EAGAIN) {
            if (f->rlen > HEAD_MAX) {
                fail(f, EXIT_BADRESP, "response head larger than %d bytes", HEAD_MAX);
                url_done(f, false);
            }
            return;
        }
        if (rc < 0) {
            fail(f, EXIT_BADRESP, "%s: malformed response (%s)", f->o.urls[f->idx], strerror(-rc));
            url_done(f, false);
            return;
        }
        if (f->resp.status >= 200) {
            f->head_done = true;
            handle_head(f);
        } else {
            vlog(f, '<', f->rbuf, (size_t)rc);
            http_resp_init(&f->resp); /* 1xx: another head follows */
        }
        memmove(f->rbuf, f->rbuf + rc, f->rlen - (size_t)rc);
        f->rlen -= (size_t)rc;
    }
    bool done = body_feed(f, f->rbuf, f->rlen);
    f->rlen = 0;
    if (done)
        response_done(f);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct conn *c = s->data;
    struct fetch *f = c->f;
    if (n == 0 || c != f->conn)
        return;
    if (n < 0) {
        uv_read_stop(s);
        if (f->head_done && f->resp.body == HTTP_BODY_CLOSE) {
            f->resp.keep_alive = false;
            response_done(f);
        } else if (!f->head_done && f->rlen == 0 && f->reused) {
            /* The server closed an idle keep-alive connection just as we
             * reused it: retry once on a fresh connection. */
            conn_close(f);
            f->reused = false;
            start_url(f);
        } else if (f->head_done) {
            fail(f, EXIT_PARTIAL, "%s: connection closed before the body was complete",
                 f->o.urls[f->idx]);
            url_done(f, false);
        } else {
            fail(f, EXIT_BADRESP, "%s: connection closed without a response", f->o.urls[f->idx]);
            url_done(f, false);
        }
        return;
    }
    f->rlen += (size_t)n;
    process(f);
}

static void on_written(uv_write_t *w, int status)
{
    struct conn *c = w->data;
    struct fetch *f = c->f;
    if (c != f->conn)
        return; /* cancelled with a connection we already gave up */
    if (status < 0) {
        if (f->reused) {
            conn_close(f);
            f->reused = false;
            start_url(f);
            return;
        }
        fail(f, EXIT_CONNECT, "%s: send failed: %s", f->o.urls[f->idx], uv_strerror(status));
        url_done(f, false);
    }
}

static void send_request(struct fetch *f)
{
    char host[HTTP_URL_HOST_MAX + 16];
    http_url_host_header(&f->url, host, sizeof(host));
    size_t n = 0;
    const size_t cap = sizeof(f->req);
#define ADD(...)                                             \
    do {                                                     \
        int w_ = snprintf(f->req + n, cap - n, __VA_ARGS__); \
        if (w_ > 0)                                          \
            n = (size_t)w_ < cap - n ? n + (size_t)w_ : cap; \
    } while (0)
    ADD("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n",
        f->o.head ? "HEAD" : "GET", f->url.target, host, f->o.user_agent);
    if (f->o.range)
        ADD("Range: bytes=%s\r\n", f->o.range);
    f->cache.present = false;
    if (f->o.cache_dir && !f->o.range) {
        fetch_cache_lookup(f->o.cache_dir, &f->url, &f->cache);
        if (f->cache.present && f->cache.etag[0])
            ADD("If-None-Match: %s\r\n", f->cache.etag);
        if (f->cache.present && f->cache.last_modified[0])
            ADD("If-Modified-Since: %s\r\n", f->cache.last_modified);
    }
    char cookies[4096];
    if (cookiejar_header(&f->jar, &f->url, time(NULL), cookies, sizeof(cookies)) > 0)
        ADD("Cookie: %s\r\n", cookies);
    for (size_t i = 0; i < f->o.n_headers; i++)
        ADD("%s\r\n", f->o.headers[i]);
    ADD("\r\n");
#undef ADD
    if (n >= cap) {
        fail(f, EXIT_USAGE, "request head too large");
        url_done(f, true);
        return;
    }
    vlog(f, '>', f->req, n);
    http_resp_init(&f->resp);
    f->head_done = false;
    f->complete = false;
    f->rlen = 0;
    uv_buf_t b = uv_buf_init(f->req, (unsigned)n);
    struct conn *c = f->conn;
    c->wreq.data = c;
    int rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc != 0 && rc != UV_EALREADY) {
        fail(f, EXIT_CONNECT, "%s: %s", f->o.urls[f->idx], uv_strerror(rc));
        url_done(f, false);
    }
}

static void try_connect(struct fetch *f);

static void on_connect(uv_connect_t *req, int status)
{
    struct conn *c = req->data;
    struct fetch *f = c->f;
    if (c != f->conn)
        return; /* a connect we cancelled (timeout) */
    if (status < 0) {
        if (f->o.verbose)
            fprintf(stderr, "* connect: %s\n", uv_strerror(status));
        conn_close(f);
        if (f->next_addr < f->n_addrs) {
            try_connect(f);
            return;
        }
        fail(f, EXIT_CONNECT, "%s: cannot connect to %s port %u: %s", f->o.urls[f->idx],
             f->url.host, f->url.port, uv_strerror(status));
        url_done(f, false);
        return;
    }
    c->connected = true;
    send_request(f);
}

static void try_connect(struct fetch *f)
{
    struct sockaddr_storage *sa = &f->addrs[f->next_addr++];
    if (f->o.verbose) {
        char ip[INET6_ADDRSTRLEN] = "?";
        const void *a = sa->ss_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)sa)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)sa)->sin6_addr;
        inet_ntop(sa->ss_family, a, ip, sizeof(ip));
        fprintf(stderr, "* connecting to %s port %u\n", ip, f->url.port);
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        fail(f, EXIT_CONNECT, "out of memory");
        url_done(f, false);
        return;
    }
    c->f = f;
    snprintf(c->host, sizeof(c->host), "%s", f->url.host);
    c->port = f->url.port;
    uv_tcp_init(&f->loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    f->conn = c;
    int rc = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)sa, on_connect);
    if (rc != 0)
        on_connect(&c->creq, rc);
}

static void add_addr(struct fetch *f, int family, const void *ip)
{
    if (f->n_addrs == MAX_ADDRS)
        return;
    struct sockaddr_storage *ss = &f->addrs[f->n_addrs++];
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(f->url.port);
        memcpy(&in->sin_addr, ip, 4);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(f->url.port);
        memcpy(&in6->sin6_addr, ip, 16);
    }
}

struct lookup {
    struct fetch *f;
    unsigned gen;
};

static void on_resolved(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    struct lookup *l = arg;
    struct fetch *f = l->f;
    bool stale = l->gen != f->gen;
    free(l);
    if (status == ARES_EDESTRUCTION || stale) {
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    if (status != ARES_SUCCESS || !res) {
        fail(f, EXIT_RESOLVE, "%s: could not resolve host %s: %s", f->o.urls[f->idx], f->url.host,
             ares_strerror(status));
        if (res)
            ares_freeaddrinfo(res);
        url_done(f, false);
        return;
    }
    for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
        if (n->ai_family == AF_INET)
            add_addr(f, AF_INET, &((struct sockaddr_in *)n->ai_addr)->sin_addr);
        else if (n->ai_family == AF_INET6)
            add_addr(f, AF_INET6, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr);
    }
    ares_freeaddrinfo(res);
    if (f->n_addrs == 0) {
        fail(f, EXIT_RESOLVE, "%s: no address for %s", f->o.urls[f->idx], f->url.host);
        url_done(f, false);
        return;
    }
    try_connect(f);
}

/* Fetches f->url: reuses the open connection when it goes to the same
 * host and port, else resolves (IP literals directly) and connects. */
static void start_url(struct fetch *f)
{
    f->gen++;
    uv_timer_start(&f->timer, on_timeout, f->o.timeout_ms, 0);
    if (f->conn && f->conn->connected && f->conn->port == f->url.port &&
        strcasecmp(f->conn->host, f->url.host) == 0) {
        f->reused = true;
        if (f->o.verbose)
            fprintf(stderr, "* reusing the connection to %s port %u\n", f->url.host, f->url.port);
        send_request(f);
        return;
    }
    conn_close(f);
    f->reused = false;
    f->n_addrs = f->next_addr = 0;
    unsigned char ip[16];
    if (inet_pton(AF_INET, f->url.host, ip) == 1) {
        add_addr(f, AF_INET, ip);
    } else if (inet_pton(AF_INET6, f->url.host, ip) == 1) {
        add_addr(f, AF_INET6, ip);
    } else {
        if (!f->ares_ok) {
            if (ares_uv_init(&f->ares, &f->loop, 2000, 2) != 0) {
                fail(f, EXIT_RESOLVE, "cannot start the resolver");
                url_done(f, false);
                return;
            }
            f->ares_ok = true;
        }
        struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct lookup *l = malloc(sizeof(*l));
        if (!l) {
            fail(f, EXIT_RESOLVE, "out of memory");
            url_done(f, false);
            return;
        }
        *l = (struct lookup){.f = f, .gen = f->gen};
        ares_getaddrinfo(f->ares.channel, f->url.host, NULL, &hints, on_resolved, l);
        ares_uv_kick(&f->ares);
        return;
    }
    try_connect(f);
}

static void next_url(struct fetch *f)
{
    while (f->idx < f->o.n_urls) {
        int rc = http_url_parse(f->o.urls[f->idx], &f->url);
        if (rc == 0) {
            f->redirects = 0;
            start_url(f);
            return;
        }
        fail(f, EXIT_URL, "%s: %s", f->o.urls[f->idx],
             rc == -ENOTSUP ? "only http:// URLs are supported (no TLS, no user@)"
                            : "not a valid URL");
        f->idx++;
    }
    /* All done: let the loop end. */
    conn_close(f);
    uv_close((uv_handle_t *)&f->timer, NULL);
    if (f->ares_ok) {
        f->ares_ok = false;
        ares_uv_close(&f->ares);
    }
}

/* ---- command line ---- */

enum { OPT_CACHE = 0x200, OPT_MAX_REDIRS, OPT_UA };

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct opts *o = ud;
    char *end;
    switch (opt) {
    case 'o':
        o->out_path = arg;
        return 0;
    case 'b':
        o->jar_in = arg;
        return 0;
    case 'c':
        o->jar_out = arg;
        return 0;
    case 'r':
        o->range = arg;
        return 0;
    case 'I':
        o->head = true;
        return 0;
    case 'L':
        o->follow = true;
        return 0;
    case 'H':
        if (o->n_headers == MAX_HEADERS || !strchr(arg, ':') || strpbrk(arg, "\r\n")) {
            fprintf(stderr, "labnet-fetch: -H needs \"Name: value\" (at most %d)\n", MAX_HEADERS);
            return -EINVAL;
        }
        o->headers[o->n_headers++] = arg;
        return 0;
    case 'm': {
        double s = strtod(arg, &end);
        if (*end || s <= 0 || s > 86400) {
            fprintf(stderr, "labnet-fetch: -m %s: seconds, up to 86400\n", arg);
            return -EINVAL;
        }
        o->timeout_ms = (uint64_t)(s * 1000);
        return 0;
    }
    case OPT_CACHE:
        o->cache_dir = arg;
        return 0;
    case OPT_MAX_REDIRS:
        o->max_redirs = strtol(arg, &end, 10);
        if (*end || o->max_redirs < 0 || o->max_redirs > 100) {
            fprintf(stderr, "labnet-fetch: --max-redirs: 0..100\n");
            return -EINVAL;
        }
        return 0;
    case OPT_UA:
        if (strpbrk(arg, "\r\n"))
            return -EINVAL;
        o->user_agent = arg;
        return 0;
    default:
        return -EINVAL;
    }
}

int main(int argc, char **argv)
{
    static struct fetch f;
    static char ua[64];
    snprintf(ua, sizeof(ua), "labnet-fetch/%s", LABNET_VERSION);
    f.o.user_agent = ua;
    f.o.timeout_ms = 30000;
    f.o.max_redirs = 10;
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"cookie", required_argument, NULL, 'b'},
        {"cookie-jar", required_argument, NULL, 'c'},
        {"range", required_argument, NULL, 'r'},
        {"head", no_argument, NULL, 'I'},
        {"location", no_argument, NULL, 'L'},
        {"header", required_argument, NULL, 'H'},
        {"max-time", required_argument, NULL, 'm'},
        {"cache", required_argument, NULL, OPT_CACHE},
        {"max-redirs", required_argument, NULL, OPT_MAX_REDIRS},
        {"user-agent", required_argument, NULL, OPT_UA},
        {NULL, 0, NULL, 0},
    };
    const struct cli_prog prog = {
        .name = "labnet-fetch",
        .summary = "Fetches http:// URLs (one keep-alive connection per host), like a small curl.",
        .args = "URL...",
        .extra_help = "  -o, --output FILE      write bodies to FILE instead of standard output\n"
                      "  -I, --head             HEAD request; print the response head\n"
                      "  -v                     show request and response heads on standard error\n"
                      "  -L, --location         follow redirects (--max-redirs N, default 10)\n"
                      "  -r, --range A-B        ask for a byte range\n"
                      "  -H, --header 'N: V'    add a request header (repeatable)\n"
                      "  -b, --cookie FILE      read cookies from a Netscape/curl cookie file\n"
                      "  -c, --cookie-jar FILE  write cookies to FILE at the end\n"
                      "      --cache DIR        keep bodies with ETag/Last-Modified in DIR and\n"
                      "                         revalidate them (304 reuses the stored body)\n"
                      "  -m, --max-time SECS    give up on a URL after SECS (default 30)\n"
                      "      --user-agent UA\n"
                      "Exit status: 0 ok, 2 usage, 3 bad URL, 6 unresolved name, 7 connection\n"
                      "failed, 8 malformed response, 18 body cut short, 22 HTTP status >= 400,\n"
                      "23 write error, 28 timeout, 47 too many redirects.\n",
        .config_long_only = true,
        .extra_short = "o:b:c:r:ILH:m:",
        .extra_long = longopts,
        .extra = parse_extra,
        .ud = &f.o,
        .default_level = LOG_LVL_WARN,
    };
    struct cli_opts co;
    int rc = cli_parse(&prog, argc, argv, &co);
    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    log_init(prog.name, co.log_level);
    f.o.verbose = co.log_level > LOG_LVL_WARN;
    struct cfg *cfg = cfg_new();
    if (!cfg)
        return 1;
    if (co.config_path)
        cfg_load_file(cfg, co.config_path);
    uint64_t ms = f.o.timeout_ms;
    if (cfg_get_duration(cfg, "fetch", "timeout", 1, 86400000, &ms) == 0 && f.o.timeout_ms == 30000)
        f.o.timeout_ms = ms;
    const char *s;
    if (cfg_get_str(cfg, "fetch", "user-agent", &s) == 0 && !strpbrk(s, "\r\n"))
        snprintf(ua, sizeof(ua), "%s", s);
    if (cfg_get_path(cfg, "fetch", "cache", &s) == 0 && !f.o.cache_dir)
        f.o.cache_dir = s;
    if (cfg_finish(cfg) != 0) {
        cfg_errors_print(cfg, stderr);
        cfg_free(cfg);
        return 1;
    }
    if (co.test_config) {
        printf("labnet-fetch: configuration %s is valid\n",
               co.config_path ? co.config_path : "(built-in defaults)");
        cfg_free(cfg);
        return 0;
    }
    for (int i = co.argi; i < argc; i++) {
        if (f.o.n_urls == MAX_URLS) {
            fprintf(stderr, "labnet-fetch: at most %d URLs\n", MAX_URLS);
            cfg_free(cfg);
            return EXIT_USAGE;
        }
        f.o.urls[f.o.n_urls++] = argv[i];
    }
    if (f.o.n_urls == 0) {
        cli_usage(&prog, stderr);
        cfg_free(cfg);
        return EXIT_USAGE;
    }
    f.out = stdout;
    if (f.o.out_path && !(f.out = fopen(f.o.out_path, "we"))) {
        fprintf(stderr, "labnet-fetch: %s: %s\n", f.o.out_path, strerror(errno));
        cfg_free(cfg);
        return EXIT_WRITE;
    }
    cookiejar_init(&f.jar);
    if (f.o.jar_in && (rc = cookiejar_load(&f.jar, f.o.jar_in)) != 0)
        fprintf(stderr, "labnet-fetch: cookie file %s: %s\n", f.o.jar_in, strerror(-rc));

    uv_loop_init(&f.loop);
    uv_timer_init(&f.loop, &f.timer);
    f.timer.data = &f;
    next_url(&f);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    uv_loop_close(&f.loop);

    if (fflush(f.out) != 0 || (f.out != stdout && fclose(f.out) != 0))
        fail(&f, EXIT_WRITE, "write error: %s", strerror(errno));
    if (f.o.jar_out && (rc = cookiejar_save(&f.jar, f.o.jar_out, time(NULL))) != 0)
        fail(&f, EXIT_WRITE, "cookie jar %s: %s", f.o.jar_out, strerror(-rc));
    cookiejar_free(&f.jar);
    free(f.rbuf);
    cfg_free(cfg);
    return f.exit_code;
}
