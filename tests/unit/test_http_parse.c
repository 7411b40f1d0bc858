#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_parse.h"
#include "testutil.h"

#define NHDRS 128

/* ---- the shared request corpus (tests/data/http/requests.txt) ---- */

struct corpus_case {
    int expect; /* 0: valid, one complete head; else the status */
    char *msg;
    size_t len;
};

static struct corpus_case cases[256];
static size_t ncases;

static void corpus_load(void)
{
    if (ncases)
        return;
    FILE *f = fopen(TEST_DATA_DIR "/http/requests.txt", "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *t1 = strchr(line, '\t');
        ck_assert_ptr_nonnull(t1);
        char *t2 = strchr(t1 + 1, '\t');
        ck_assert_ptr_nonnull(t2);
        ck_assert_uint_lt(ncases, sizeof(cases) / sizeof(cases[0]));
        struct corpus_case *c = &cases[ncases++];
        c->expect = strncmp(line, "ok", 2) == 0 ? 0 : atoi(line);
        c->msg = malloc(strlen(t2 + 1) + 1);
        ck_assert_ptr_nonnull(c->msg);
        c->len = test_unescape(t2 + 1, c->msg);
    }
    fclose(f);
    ck_assert_uint_gt(ncases, 50);
}

static int expect_err(int status)
{
    switch (status) {
    case 400:
        return -EBADMSG;
    case 414:
    case 431:
        return -E2BIG;
    default:
        return -ENOTSUP;
    }
}

/* Parses msg[0..len) in an exact-size copy with a fresh request. */
static int parse_exact(const char *msg, size_t len, struct http_req *req, struct http_hdr *hdrs,
                       size_t max_hdrs, const struct http_limits *lim)
{
    char *buf = test_exact_copy(msg, len);
    http_req_init(req);
    int r = http_req_parse(buf, len, req, hdrs, max_hdrs, lim);
    free(buf);
    return r;
}

/* Feeds msg one byte more per call, keeping the state, as a slow client
 * would; every buffer is an exact-size copy.  Returns the first result
 * other than -EAGAIN (or -EAGAIN), with *at the length it came at. */
static int parse_trickle(const char *msg, size_t len, struct http_req *req, size_t *at,
                         const struct http_limits *lim)
{
    struct http_hdr hdrs[NHDRS];
    http_req_init(req);
    int r = -EAGAIN;
    for (size_t n = 1; n <= len; n++) {
        char *buf = test_exact_copy(msg, n);
        r = http_req_parse(buf, n, req, hdrs, NHDRS, lim);
        free(buf);
        if (r != -EAGAIN) {
            *at = n;
            return r;
        }
    }
    *at = len;
    return r;
}

START_TEST(test_http_req_parse_corpus_whole)
{
    corpus_load();
    for (size_t i = 0; i < ncases; i++) {
        struct http_req req;
        struct http_hdr hdrs[NHDRS];
        int r = parse_exact(cases[i].msg, cases[i].len, &req, hdrs, NHDRS, NULL);
        if (cases[i].expect == 0) {
            ck_assert_msg(r == (int)cases[i].len, "case %zu: got %d status %d", i, r, req.status);
            ck_assert_int_eq(req.status, 0);
        } else {
            ck_assert_msg(r == expect_err(cases[i].expect) && req.status == cases[i].expect,
                          "case %zu: got %d status %d, want %d", i, r, req.status, cases[i].expect);
        }
    }
}
END_TEST

/* Every proper prefix of a valid head is -EAGAIN, with a fresh request
 * (no scan state) and with the state kept from the previous prefix. */
START_TEST(test_http_req_parse_every_prefix_is_eagain)
{
    corpus_load();
    for (size_t i = 0; i < ncases; i++) {
        if (cases[i].expect != 0)
            continue;
        for (size_t n = 0; n < cases[i].len; n++) {
            struct http_req req;
            struct http_hdr hdrs[NHDRS];
            int r = parse_exact(cases[i].msg, n, &req, hdrs, NHDRS, NULL);
            ck_assert_msg(r == -EAGAIN, "case %zu prefix %zu: %d", i, n, r);
        }
        struct http_req req;
        size_t at;
        ck_assert_int_eq(parse_trickle(cases[i].msg, cases[i].len, &req, &at, NULL),
                         (int)cases[i].len);
        ck_assert_uint_eq(at, cases[i].len);
    }
}
END_TEST

/* Byte-at-a-time feeding reaches the same verdict, and for valid heads the
 * same parsed fields, as the whole buffer at once. */
START_TEST(test_http_req_parse_trickle_matches_whole)
{
    corpus_load();
    for (size_t i = 0; i < ncases; i++) {
        struct http_req whole, slow;
        struct http_hdr hdrs[NHDRS];
        int rw = parse_exact(cases[i].msg, cases[i].len, &whole, hdrs, NHDRS, NULL);
        size_t at;
        int rs = parse_trickle(cases[i].msg, cases[i].len, &slow, &at, NULL);
        ck_assert_msg(rw == rs && whole.status == slow.status, "case %zu: %d/%d vs %d/%d", i, rw,
                      whole.status, rs, slow.status);
        if (rw > 0) {
            ck_assert_uint_eq(whole.method.len, slow.method.len);
            ck_assert_uint_eq(whole.target.len, slow.target.len);
            ck_assert_uint_eq(whole.nhdrs, slow.nhdrs);
            ck_assert_int_eq(whole.body, slow.body);
            ck_assert_int_eq(whole.keep_alive, slow.keep_alive);
        }
    }
}
END_TEST

START_TEST(test_http_req_parse_fields)
{
    static const char msg[] = "\r\nPOST /up?x=1 HTTP/1.1\r\nHost: example.com:80\r\n"
                              "X-Sp:   v  w \t\r\nContent-Length: 5, 5\r\n"
                              "Connection: foo, Close\r\nExpect: 100-Continue\r\n\r\nhello";
    size_t head = sizeof(msg) - 1 - 5;
    char *buf = test_exact_copy(msg, sizeof(msg) - 1);
    struct http_req req;
    struct http_hdr hdrs[8];
    http_req_init(&req);
    ck_assert_int_eq(http_req_parse(buf, sizeof(msg) - 1, &req, hdrs, 8, NULL), (int)head);
    ck_assert_int_eq(req.meth, HTTP_M_POST);
    ck_assert_uint_eq(req.method.len, 4);
    ck_assert_ptr_eq(req.method.ptr, buf + 2);
    ck_assert_uint_eq(req.target.len, 7);
    ck_assert_mem_eq(req.target.ptr, "/up?x=1", 7);
    ck_assert_int_eq(req.form, HTTP_TARGET_ORIGIN);
    ck_assert_uint_eq(req.version, 11);
    ck_assert_uint_eq(req.nhdrs, 5);
    ck_assert_ptr_eq(req.hdrs, hdrs);
    ck_assert_uint_eq(hdrs[1].name.len, 4);
    ck_assert_mem_eq(hdrs[1].name.ptr, "X-Sp", 4);
    ck_assert_uint_eq(hdrs[1].value.len, 4);
    ck_assert_mem_eq(hdrs[1].value.ptr, "v  w", 4);
    ck_assert_int_eq(req.body, HTTP_BODY_LENGTH);
    ck_assert(req.has_content_length);
    ck_assert_uint_eq(req.content_length, 5);
    ck_assert(!req.keep_alive);
    ck_assert(req.expect_continue);
    ck_assert(!req.expect_other);
    ck_assert(req.has_host);
    ck_assert_uint_eq(req.host.len, 14);
    ck_assert_mem_eq(req.host.ptr, "example.com:80", 14);
    ck_assert_int_eq(req.status, 0);
    free(buf);
}
END_TEST

START_TEST(test_http_req_parse_methods_forms_versions)
{
    static const struct {
        const char *msg;
        enum http_method meth;
        enum http_target_form form;
        unsigned version;
        bool keep_alive;
        enum http_body body;
    } t[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_M_GET, HTTP_TARGET_ORIGIN, 11, true,
         HTTP_BODY_NONE},
        {"HEAD / HTTP/1.0\r\n\r\n", HTTP_M_HEAD, HTTP_TARGET_ORIGIN, 10, false, HTTP_BODY_NONE},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_M_GET, HTTP_TARGET_ORIGIN, 10,
         true, HTTP_BODY_NONE},
        {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_M_OPTIONS, HTTP_TARGET_ASTERISK, 11, true,
         HTTP_BODY_NONE},
        {"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", HTTP_M_CONNECT, HTTP_TARGET_AUTHORITY, 11,
         true, HTTP_BODY_NONE},
        {"PUT http://h/x HTTP/1.9\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_M_PUT,
         HTTP_TARGET_ABSOLUTE, 11, true, HTTP_BODY_CHUNKED},
        {"PATCH / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", HTTP_M_PATCH,
         HTTP_TARGET_ORIGIN, 11, true, HTTP_BODY_NONE},
        {"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_M_DELETE, HTTP_TARGET_ORIGIN, 11, true,
         HTTP_BODY_NONE},
        {"TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_M_TRACE, HTTP_TARGET_ORIGIN, 11, true,
         HTTP_BODY_NONE},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n", HTTP_M_POST, HTTP_TARGET_ORIGIN,
         11, true, HTTP_BODY_LENGTH},
        /* Methods are case-sensitive (RFC 9110 9.1). */
        {"get / HTTP/1.1\r\nHost: a\r\n\r\n", HTTP_M_OTHER, HTTP_TARGET_ORIGIN, 11, true,
         HTTP_BODY_NONE},
        {"PROPFIND / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", HTTP_M_OTHER,
         HTTP_TARGET_ORIGIN, 11, false, HTTP_BODY_NONE},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct http_req req;
        struct http_hdr hdrs[4];
        size_t len = strlen(t[i].msg);
        ck_assert_int_eq(parse_exact(t[i].msg, len, &req, hdrs, 4, NULL), (int)len);
        ck_assert_msg(req.meth == t[i].meth, "case %zu", i);
        ck_assert_int_eq(req.form, t[i].form);
        ck_assert_uint_eq(req.version, t[i].version);
        ck_assert_int_eq(req.keep_alive, t[i].keep_alive);
        ck_assert_int_eq(req.body, t[i].body);
    }
}
END_TEST

/* Expect is ignored in 1.0 (RFC 9110 10.1.1); other values are flagged. */
START_TEST(test_http_req_parse_expect)
{
    struct http_req req;
    struct http_hdr hdrs[4];
    const char *m1 = "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n";
    ck_assert_int_gt(parse_exact(m1, strlen(m1), &req, hdrs, 4, NULL), 0);
    ck_assert(!req.expect_continue && !req.expect_other);
    const char *m2 = "GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n";
    ck_assert_int_gt(parse_exact(m2, strlen(m2), &req, hdrs, 4, NULL), 0);
    ck_assert(!req.expect_continue && req.expect_other);
}
END_TEST

/* Two requests in one buffer: the first's length is exact, the second
 * parses from there with a fresh state, and the bodies are not touched. */
START_TEST(test_http_req_parse_pipelined)
{
    static const char a[] = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
    static const char b[] = "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    char msg[256];
    size_t la = sizeof(a) - 1, lb = sizeof(b) - 1;
    memcpy(msg, a, la);
    memcpy(msg + la, "xyz", 3);
    memcpy(msg + la + 3, b, lb);
    size_t total = la + 3 + lb;
    char *buf = test_exact_copy(msg, total);
    struct http_req req;
    struct http_hdr hdrs[4];
    http_req_init(&req);
    ck_assert_int_eq(http_req_parse(buf, total, &req, hdrs, 4, NULL), (int)la);
    ck_assert_uint_eq(req.content_length, 3);
    http_req_init(&req);
    ck_assert_int_eq(http_req_parse(buf + la + 3, lb, &req, hdrs, 4, NULL), (int)lb);
    ck_assert_mem_eq(req.target.ptr, "/b", 2);
    /* Without a body between them, and fed byte by byte. */
    memcpy(msg, b, lb);
    memcpy(msg + lb, b, lb);
    size_t at;
    ck_assert_int_eq(parse_trickle(msg, 2 * lb, &req, &at, NULL), (int)lb);
    ck_assert_uint_eq(at, lb);
    free(buf);
}
END_TEST

/* Builds "GET /aaa... HTTP/1.1\r\nHost: a\r\n" + fields, with the request
 * line exactly line_len bytes (without CRLF). */
static char *build_req(size_t line_len, size_t nfields, size_t field_len, size_t *len)
{
    size_t cap = line_len + 64 + nfields * (field_len + 2);
    char *m = malloc(cap);
    ck_assert_ptr_nonnull(m);
    size_t n = 0;
    ck_assert_uint_ge(line_len, 14);
    memcpy(m, "GET /", 5);
    n = 5;
    memset(m + n, 'a', line_len - 14);
    n += line_len - 14;
    memcpy(m + n, " HTTP/1.1\r\nHost: a\r\n", 20);
    n += 20;
    for (size_t i = 0; i < nfields; i++) {
        ck_assert_uint_ge(field_len, 8);
        int w = snprintf(m + n, cap - n, "X%05zu: ", i);
        ck_assert_int_eq(w, 8);
        n += 8;
        memset(m + n, 'v', field_len - 8);
        n += field_len - 8;
        m[n++] = '\r';
        m[n++] = '\n';
    }
    m[n++] = '\r';
    m[n++] = '\n';
    *len = n;
    return m;
}

START_TEST(test_http_req_parse_limits_request_line)
{
    struct http_req req;
    struct http_hdr hdrs[NHDRS];
    size_t len;
    char *m = build_req(HTTP_DEFAULT_MAX_START_LINE, 0, 0, &len);
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS, NULL), (int)len);
    free(m);
    m = build_req(HTTP_DEFAULT_MAX_START_LINE + 1, 0, 0, &len);
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS, NULL), -E2BIG);
    ck_assert_int_eq(req.status, 414);
    /* Reported as soon as the partial line is over the limit, without
     * waiting for a line end that may never come. */
    ck_assert_int_eq(parse_exact(m, HTTP_DEFAULT_MAX_START_LINE + 1, &req, hdrs, NHDRS, NULL),
                     -E2BIG);
    ck_assert_int_eq(req.status, 414);
    ck_assert_int_eq(parse_exact(m, HTTP_DEFAULT_MAX_START_LINE, &req, hdrs, NHDRS, NULL), -EAGAIN);
    free(m);
    /* A configured limit. */
    struct http_limits lim;
    http_limits_init(&lim);
    lim.max_start_line = 20;
    const char *ok = "GET /123456 HTTP/1.1\r\nHost: a\r\n\r\n"; /* line of 20 */
    ck_assert_int_eq(parse_exact(ok, strlen(ok), &req, hdrs, NHDRS, &lim), (int)strlen(ok));
    const char *bad = "GET /1234567 HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(parse_exact(bad, strlen(bad), &req, hdrs, NHDRS, &lim), -E2BIG);
    ck_assert_int_eq(req.status, 414);
    /* A line of exactly the limit followed only by its CR is still
     * undecided. */
    ck_assert_int_eq(parse_exact(ok, 21, &req, hdrs, NHDRS, &lim), -EAGAIN);
}
END_TEST

START_TEST(test_http_req_parse_limits_fields)
{
    struct http_req req;
    struct http_hdr hdrs[NHDRS + 8];
    size_t len;
    /* 100 field lines (Host + 99) pass, 101 do not. */
    char *m = build_req(14, HTTP_DEFAULT_MAX_FIELDS - 1, 10, &len);
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS + 8, NULL), (int)len);
    ck_assert_uint_eq(req.nhdrs, HTTP_DEFAULT_MAX_FIELDS);
    /* The caller's array is a limit too. */
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, HTTP_DEFAULT_MAX_FIELDS - 1, NULL), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    free(m);
    m = build_req(14, HTTP_DEFAULT_MAX_FIELDS, 10, &len);
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS + 8, NULL), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    free(m);

    /* Field section: "Host: a\r\n" (9) + fields + final CRLF (2). */
    struct http_limits lim;
    http_limits_init(&lim);
    size_t fl = (HTTP_DEFAULT_MAX_FIELD_SECTION - 11) / 2 - 2;
    m = build_req(14, 2, fl, &len);
    size_t section = len - 16;
    ck_assert_uint_eq(section, 9 + 2 * (fl + 2) + 2);
    lim.max_field_section = section;
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS, &lim), (int)len);
    lim.max_field_section = section - 1;
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS, &lim), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    /* Before the head is complete, as soon as the section is too big. */
    ck_assert_int_eq(parse_exact(m, len - 1, &req, hdrs, NHDRS, &lim), -EAGAIN);
    lim.max_field_section = section - 2;
    ck_assert_int_eq(parse_exact(m, len - 1, &req, hdrs, NHDRS, &lim), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    free(m);
    /* The default: a 40 KiB field is refused. */
    m = build_req(14, 1, 40000, &len);
    ck_assert_int_eq(parse_exact(m, len, &req, hdrs, NHDRS, NULL), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    size_t at;
    ck_assert_int_eq(parse_trickle(m, len, &req, &at, NULL), -E2BIG);
    ck_assert_uint_eq(at, 16 + HTTP_DEFAULT_MAX_FIELD_SECTION + 1);
    free(m);
}
END_TEST

/* A client that never ends its head is refused at the limit however it
 * sends the bytes, and the scan state shows no rescanning. */
START_TEST(test_http_req_parse_slow_client_is_linear)
{
    size_t len = HTTP_DEFAULT_MAX_FIELD_SECTION + 200;
    char *m = malloc(len);
    ck_assert_ptr_nonnull(m);
    memcpy(m, "GET / HTTP/1.1\r\nX: ", 19);
    memset(m + 19, 'v', len - 19);
    struct http_req req;
    struct http_hdr hdrs[4];
    http_req_init(&req);
    int r = -EAGAIN;
    size_t n;
    for (n = 1; n <= len && r == -EAGAIN; n++) {
        r = http_req_parse(m, n, &req, hdrs, 4, NULL);
        if (r == -EAGAIN)
            ck_assert_uint_eq(req.scan.pos, n);
    }
    ck_assert_int_eq(r, -E2BIG);
    ck_assert_int_eq(req.status, 431);
    free(m);
}
END_TEST

/* The scan resumes where the previous call stopped, as picohttpparser's
 * last_len does: bytes it has already looked at are not looked at again
 * (the caller promises not to change them).  Proven by changing them. */
START_TEST(test_http_req_parse_does_not_rescan)
{
    char buf[] = "GET / HTTP/1.1\r\nHost: a\r\nX: bbbbbbc";
    size_t len = sizeof(buf) - 2; /* without the final 'c' */
    struct http_req req;
    struct http_hdr hdrs[4];
    http_req_init(&req);
    ck_assert_int_eq(http_req_parse(buf, len, &req, hdrs, 4, NULL), -EAGAIN);
    memcpy(buf + len - 5, "\r\n\r\n", 4); /* an end of head behind the scan */
    ck_assert_int_eq(http_req_parse(buf, len + 1, &req, hdrs, 4, NULL), -EAGAIN);
    /* A fresh state does see it. */
    http_req_init(&req);
    ck_assert_int_eq(http_req_parse(buf, len + 1, &req, hdrs, 4, NULL), (int)len - 1);
}
END_TEST

/* Too many field lines are refused before the head ends. */
START_TEST(test_http_req_parse_field_count_early)
{
    size_t len;
    char *m = build_req(14, HTTP_DEFAULT_MAX_FIELDS, 10, &len);
    struct http_req req;
    struct http_hdr hdrs[NHDRS + 8];
    /* Without the final CRLF the head is incomplete, yet over the count. */
    ck_assert_int_eq(parse_exact(m, len - 2, &req, hdrs, NHDRS + 8, NULL), -E2BIG);
    ck_assert_int_eq(req.status, 431);
    ck_assert_int_eq(parse_exact(m, len - 2 - 12, &req, hdrs, NHDRS + 8, NULL), -EAGAIN);
    free(m);
}
END_TEST

START_TEST(test_http_req_parse_bare_lf_policy)
{
    struct http_req req;
    struct http_hdr hdrs[4];
    struct http_limits lim;
    http_limits_init(&lim);
    lim.reject_bare_lf = true;
    const char *lf = "GET / HTTP/1.1\nHost: a\n\n";
    ck_assert_int_eq(parse_exact(lf, strlen(lf), &req, hdrs, 4, NULL), (int)strlen(lf));
    ck_assert_int_eq(parse_exact(lf, strlen(lf), &req, hdrs, 4, &lim), -EBADMSG);
    ck_assert_int_eq(req.status, 400);
    const char *mixed = "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n";
    ck_assert_int_eq(parse_exact(mixed, strlen(mixed), &req, hdrs, 4, &lim), -EBADMSG);
    const char *crlf = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(parse_exact(crlf, strlen(crlf), &req, hdrs, 4, &lim), (int)strlen(crlf));
}
END_TEST

START_TEST(test_http_req_parse_content_length_max)
{
    struct http_req req;
    struct http_hdr hdrs[4];
    const char *ok = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n";
    ck_assert_int_gt(parse_exact(ok, strlen(ok), &req, hdrs, 4, NULL), 0);
    ck_assert_uint_eq(req.content_length, (uint64_t)INT64_MAX);
    const char *big = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n";
    ck_assert_int_eq(parse_exact(big, strlen(big), &req, hdrs, 4, NULL), -EBADMSG);
    ck_assert_int_eq(req.status, 400);
}
END_TEST

/* ---- responses ---- */

static int resp_exact(const char *msg, size_t len, struct http_resp *resp, bool head)
{
    static struct http_hdr hdrs[16];
    char *buf = test_exact_copy(msg, len);
    http_resp_init(resp);
    int r = http_resp_parse(buf, len, resp, hdrs, 16, NULL, head);
    free(buf);
    return r;
}

START_TEST(test_http_resp_parse_framing)
{
    static const struct {
        const char *msg;
        bool head;
        int status;
        enum http_body body;
        bool keep_alive;
        uint64_t cl;
    } t[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", false, 200, HTTP_BODY_LENGTH, true, 12},
        {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", true, 200, HTTP_BODY_NONE, true, 12},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, 200, HTTP_BODY_CHUNKED,
         true, 0},
        {"HTTP/1.1 200 OK\r\n\r\n", false, 200, HTTP_BODY_CLOSE, false, 0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", false, 200, HTTP_BODY_LENGTH, false, 3},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n", false, 200,
         HTTP_BODY_LENGTH, true, 3},
        {"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", false, 204, HTTP_BODY_NONE, true,
         3},
        {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", false, 304,
         HTTP_BODY_NONE, true, 0},
        {"HTTP/1.1 100 Continue\r\n\r\n", false, 100, HTTP_BODY_NONE, true, 0},
        {"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n", false, 101,
         HTTP_BODY_NONE, true, 0},
        {"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, 404,
         HTTP_BODY_NONE, false, 0},
        {"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", false, 200, HTTP_BODY_LENGTH, true, 1},
        {"HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n", false, 200, HTTP_BODY_LENGTH, true, 1},
        {"HTTP/1.1 599 Odd\nContent-Length: 1\n\n", false, 599, HTTP_BODY_LENGTH, true, 1},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct http_resp resp;
        size_t len = strlen(t[i].msg);
        ck_assert_msg(resp_exact(t[i].msg, len, &resp, t[i].head) == (int)len, "case %zu", i);
        ck_assert_int_eq(resp.status, t[i].status);
        ck_assert_int_eq(resp.body, t[i].body);
        ck_assert_int_eq(resp.keep_alive, t[i].keep_alive);
        ck_assert_uint_eq(resp.content_length, t[i].cl);
        for (size_t n = 0; n < len; n++)
            ck_assert_int_eq(resp_exact(t[i].msg, n, &resp, t[i].head), -EAGAIN);
    }
    struct http_resp resp;
    static const char m[] = "HTTP/1.1 418 I'm a teapot\r\nA: b\r\n\r\nbody";
    struct http_hdr hdrs[2];
    http_resp_init(&resp);
    ck_assert_int_eq(http_resp_parse(m, sizeof(m) - 1, &resp, hdrs, 2, NULL, false),
                     (int)sizeof(m) - 1 - 4);
    ck_assert_uint_eq(resp.reason.len, 12);
    ck_assert_mem_eq(resp.reason.ptr, "I'm a teapot", 12);
    ck_assert_uint_eq(resp.nhdrs, 1);
    ck_assert_uint_eq(resp.version, 11);
}
END_TEST

START_TEST(test_http_resp_parse_rejects)
{
    static const struct {
        const char *msg;
        int err;
    } t[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG},
        {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -ENOTSUP},
        {"HTTP/2.0 200 OK\r\n\r\n", -ENOTSUP},
        {"HTTP/1.1 20 OK\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 2000 OK\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 099 OK\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 600 OK\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 O\x01K\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", -EBADMSG},
        {"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", -EBADMSG},
        {"\r\nHTTP/1.1 200 OK\r\n\r\n", -EBADMSG},
        {"HTTP/1.1  200 OK\r\n\r\n", -EBADMSG},
        {"http/1.1 200 OK\r\n\r\n", -EBADMSG},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct http_resp resp;
        int r = resp_exact(t[i].msg, strlen(t[i].msg), &resp, false);
        ck_assert_msg(r == t[i].err, "case %zu: %d", i, r);
    }
}
END_TEST

/* ---- chunked ---- */

/* Decodes in[0..len) split into pieces at the given cut points (each piece
 * in an exact-size copy, unconsumed bytes carried over as a real receive
 * buffer would).  Returns the final result; out gets the data, *used_total
 * the body length consumed. */
static int chunked_run(const char *in, size_t len, const size_t *cuts, size_t ncuts, char *out,
                       size_t *outlen, size_t *used_total)
{
    struct http_chunked c;
    http_chunked_init(&c, NULL);
    size_t start = 0, o = 0, total = 0;
    int r = -EAGAIN;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        char *buf = test_exact_copy(in + start, end - start);
        size_t off = 0;
        for (;;) {
            size_t used;
            struct http_slice d;
            r = http_chunked_decode(&c, buf + off, end - start - off, &used, &d);
            ck_assert_uint_le(used, end - start - off);
            off += used;
            total += used;
            if (r == 1) {
                ck_assert_uint_gt(d.len, 0);
                memcpy(out + o, d.ptr, d.len);
                o += d.len;
                continue;
            }
            break;
        }
        free(buf);
        if (r != -EAGAIN)
            break;
        ck_assert_uint_eq(off, end - start);
        start = end;
    }
    *outlen = o;
    *used_total = total;
    return r;
}

START_TEST(test_http_chunked_split_everywhere)
{
    static const char msg[] = "5;name=val;q=\"a b\"\r\nhello\r\n"
                              "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                              "000\t ;x\r\nTrailer-A: 1\r\nB: two words\r\n\r\n"
                              "GET /next HTTP/1.1\r\n";
    static const char want[] = "helloabcdefghijklmnopqrstuvwxyz";
    size_t next = strlen(msg) - strlen("GET /next HTTP/1.1\r\n");
    size_t len = sizeof(msg) - 1;
    char out[64];
    size_t outlen, used;
    ck_assert_int_eq(chunked_run(msg, len, NULL, 0, out, &outlen, &used), 0);
    ck_assert_uint_eq(outlen, sizeof(want) - 1);
    ck_assert_mem_eq(out, want, outlen);
    ck_assert_uint_eq(used, next);
    for (size_t cut = 0; cut <= len; cut++) {
        ck_assert_int_eq(chunked_run(msg, len, &cut, 1, out, &outlen, &used), 0);
        ck_assert_uint_eq(outlen, sizeof(want) - 1);
        ck_assert_mem_eq(out, want, outlen);
        ck_assert_uint_eq(used, next);
    }
    /* Every proper prefix of the body needs more. */
    for (size_t n = 0; n < next; n++)
        ck_assert_int_eq(chunked_run(msg, n, NULL, 0, out, &outlen, &used), -EAGAIN);
    /* Byte at a time. */
    size_t cuts[sizeof(msg)];
    for (size_t i = 0; i < len - 1; i++)
        cuts[i] = i + 1;
    ck_assert_int_eq(chunked_run(msg, len, cuts, len - 1, out, &outlen, &used), 0);
    ck_assert_mem_eq(out, want, outlen);
    ck_assert_uint_eq(used, next);
}
END_TEST

START_TEST(test_http_chunked_done_is_sticky)
{
    struct http_chunked c;
    http_chunked_init(&c, NULL);
    size_t used;
    struct http_slice d;
    ck_assert_int_eq(http_chunked_decode(&c, "0\r\n\r\nX", 6, &used, &d), 0);
    ck_assert_uint_eq(used, 5);
    ck_assert_int_eq(http_chunked_decode(&c, "X", 1, &used, &d), 0);
    ck_assert_uint_eq(used, 0);
}
END_TEST

START_TEST(test_http_chunked_rejects)
{
#define S(lit) lit, sizeof(lit) - 1
    static const struct {
        const char *msg;
        size_t len;
        int err;
    } t[] = {
        {S("g\r\n"), -EBADMSG},
        {S("\r\n"), -EBADMSG},
        {S(";x\r\n"), -EBADMSG},
        {S("5\nhello\r\n0\r\n\r\n"), -EBADMSG},    /* LF without CR */
        {S("5\r\nhelloX\r\n0\r\n\r\n"), -EBADMSG}, /* data longer than size */
        {S("5\r\nhello\n0\r\n\r\n"), -EBADMSG},    /* missing CR after data */
        {S("5\r\nhello\r0\r\n\r\n"), -EBADMSG},    /* missing LF after data */
        {S("5 \r\nhello\r\n"), -EBADMSG},          /* whitespace without ext */
        {S("5;a\nb\r\nhello\r\n"), -EBADMSG},      /* LF inside an extension */
        {S("5;a\x01\r\nhello\r\n"), -EBADMSG},     /* CTL inside an extension */
        {S("-5\r\n"), -EBADMSG},
        {S("0x5\r\n"), -EBADMSG},
        {S("10000000000000000\r\n"), -EBADMSG}, /* 2^64 */
        {S("0\r\nX : y\r\n\r\n"), -EBADMSG},    /* trailer syntax */
        {S("0\r\n y\r\n\r\n"), -EBADMSG},       /* obs-fold in trailers */
        {S("0\r\nA: b\x00\r\n\r\n"), -EBADMSG},
        {S("0\r\n\n"), -EBADMSG},
        {S("0\r\nA: b\n\r\n"), -EBADMSG},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char out[64];
        size_t outlen, used;
        int r = chunked_run(t[i].msg, t[i].len, NULL, 0, out, &outlen, &used);
        ck_assert_msg(r == t[i].err, "case %zu: %d", i, r);
    }
    /* The largest size that fits is not an error by itself. */
    struct http_chunked c;
    http_chunked_init(&c, NULL);
    size_t used;
    struct http_slice d;
    ck_assert_int_eq(http_chunked_decode(&c, "ffffffffffffffff\r\nab", 20, &used, &d), 1);
    ck_assert_uint_eq(c.remaining, UINT64_MAX - 2);
    /* Errors are sticky. */
    http_chunked_init(&c, NULL);
    ck_assert_int_eq(http_chunked_decode(&c, "z", 1, &used, &d), -EBADMSG);
    ck_assert_int_eq(http_chunked_decode(&c, "0\r\n\r\n", 5, &used, &d), -EBADMSG);
#undef S
}
END_TEST

START_TEST(test_http_chunked_limits)
{
    struct http_limits lim;
    http_limits_init(&lim);
    lim.max_chunk_line = 8;
    lim.max_trailer = 10;
    struct http_chunked c;
    size_t used;
    struct http_slice d;
    /* "5;abcde\r\n": 7 bytes + CRLF = 9 counted: over 8. */
    http_chunked_init(&c, &lim);
    ck_assert_int_eq(http_chunked_decode(&c, "5;abcd\r\nhello\r\n", 15, &used, &d), 1);
    http_chunked_init(&c, &lim);
    ck_assert_int_eq(http_chunked_decode(&c, "5;abcde\r\n", 9, &used, &d), -E2BIG);
    /* Endless leading zeros are stopped by the line limit too. */
    http_chunked_init(&c, &lim);
    ck_assert_int_eq(http_chunked_decode(&c, "000000000", 9, &used, &d), -E2BIG);
    /* Trailers: "A: 123\r\n\r\n" is 10 bytes. */
    http_chunked_init(&c, &lim);
    ck_assert_int_eq(http_chunked_decode(&c, "0\r\nA: 123\r\n\r\n", 13, &used, &d), 0);
    http_chunked_init(&c, &lim);
    ck_assert_int_eq(http_chunked_decode(&c, "0\r\nA: 1234\r\n\r\n", 14, &used, &d), -E2BIG);
    /* Default limits hold a 64 KiB extension off. */
    http_chunked_init(&c, NULL);
    char *big = malloc(65536);
    ck_assert_ptr_nonnull(big);
    memset(big, 'e', 65536);
    big[0] = '1';
    big[1] = ';';
    ck_assert_int_eq(http_chunked_decode(&c, big, 65536, &used, &d), -E2BIG);
    ck_assert_uint_eq(used, HTTP_DEFAULT_MAX_CHUNK_LINE);
    free(big);
}
END_TEST

/* ---- helpers ---- */

START_TEST(test_http_hdr_find)
{
    static const char msg[] = "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nX-B: 3\r\n\r\n";
    struct http_req req;
    struct http_hdr hdrs[8];
    http_req_init(&req);
    ck_assert_int_gt(http_req_parse(msg, sizeof(msg) - 1, &req, hdrs, 8, NULL), 0);
    const struct http_hdr *h = http_hdr_find(hdrs, req.nhdrs, "X-a", NULL);
    ck_assert_ptr_eq(h, &hdrs[1]);
    h = http_hdr_find(hdrs, req.nhdrs, "X-a", h);
    ck_assert_ptr_eq(h, &hdrs[2]);
    ck_assert_ptr_null(http_hdr_find(hdrs, req.nhdrs, "X-a", h));
    ck_assert_ptr_null(http_hdr_find(hdrs, req.nhdrs, "X-", NULL));
    ck_assert_ptr_null(http_hdr_find(hdrs, req.nhdrs, "X-AB", NULL));
    ck_assert_ptr_null(http_hdr_find(hdrs, 0, "Host", NULL));
}
END_TEST

START_TEST(test_http_list_has_token)
{
#define HAS(v, t) http_list_has_token(v, strlen(v), t)
    ck_assert(HAS("close", "close"));
    ck_assert(HAS("Keep-Alive, CLOSE", "close"));
    ck_assert(HAS(" , ,upgrade ,\tclose\t", "close"));
    ck_assert(HAS("trailers, deflate;q=0.5", "deflate"));
    ck_assert(HAS("a;x=\"1,close\", b", "b"));
    ck_assert(!HAS("a;x=\"1,close\", b", "close"));
    ck_assert(!HAS("closed", "close"));
    ck_assert(!HAS("clos", "close"));
    ck_assert(!HAS("close-ish, x", "close"));
    ck_assert(!HAS("\"close\"", "close"));
    ck_assert(!HAS("", "close"));
    ck_assert(!HAS("close x", "close"));
    ck_assert(HAS("close ;p", "close"));
    /* An unterminated quote or a trailing backslash stays in bounds. */
    char *v = test_exact_copy("x, \"abc\\", 8);
    ck_assert(!http_list_has_token(v, 8, "abc"));
    free(v);
#undef HAS
}
END_TEST

START_TEST(test_http_content_length_parse)
{
    uint64_t v;
#define CL(s) http_content_length_parse(s, strlen(s), &v)
    ck_assert_int_eq(CL("0"), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(CL("42"), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(CL("5, 5"), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(CL("5,5 ,\t5"), 0);
    ck_assert_int_eq(CL("9223372036854775807"), 0);
    ck_assert_uint_eq(v, (uint64_t)INT64_MAX);
    ck_assert_int_eq(CL("9223372036854775808"), -EBADMSG);
    ck_assert_int_eq(CL("18446744073709551616"), -EBADMSG);
    ck_assert_int_eq(CL("5, 6"), -EBADMSG);
    ck_assert_int_eq(CL("5,"), -EBADMSG);
    ck_assert_int_eq(CL(",5"), -EBADMSG);
    ck_assert_int_eq(CL(""), -EBADMSG);
    ck_assert_int_eq(CL(" "), -EBADMSG);
    ck_assert_int_eq(CL("+1"), -EBADMSG);
    ck_assert_int_eq(CL("1e3"), -EBADMSG);
    ck_assert_int_eq(CL("\"1\""), -EBADMSG);
#undef CL
}
END_TEST

static Suite *http_parse_suite(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_http_req_parse_corpus_whole);
    tcase_add_test(tc, test_http_req_parse_every_prefix_is_eagain);
    tcase_add_test(tc, test_http_req_parse_trickle_matches_whole);
    tcase_add_test(tc, test_http_req_parse_fields);
    tcase_add_test(tc, test_http_req_parse_methods_forms_versions);
    tcase_add_test(tc, test_http_req_parse_expect);
    tcase_add_test(tc, test_http_req_parse_pipelined);
    tcase_add_test(tc, test_http_req_parse_limits_request_line);
    tcase_add_test(tc, test_http_req_parse_limits_fields);
    tcase_add_test(tc, test_http_req_parse_slow_client_is_linear);
    tcase_add_test(tc, test_http_req_parse_does_not_rescan);
    tcase_add_test(tc, test_http_req_parse_field_count_early);
    tcase_add_test(tc, test_http_req_parse_bare_lf_policy);
    tcase_add_test(tc, test_http_req_parse_content_length_max);
    tcase_add_test(tc, test_http_resp_parse_framing);
    tcase_add_test(tc, test_http_resp_parse_rejects);
    tcase_add_test(tc, test_http_chunked_split_everywhere);
    tcase_add_test(tc, test_http_chunked_done_is_sticky);
    tcase_add_test(tc, test_http_chunked_rejects);
    tcase_add_test(tc, test_http_chunked_limits);
    tcase_add_test(tc, test_http_hdr_find);
    tcase_add_test(tc, test_http_list_has_token);
    tcase_add_test(tc, test_http_content_length_parse);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_parse_suite)
