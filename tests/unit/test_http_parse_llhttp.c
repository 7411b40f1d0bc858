/*
 * Differential test: common/http_parse against llhttp 8.1 (Debian package
 * node-llhttp ships its C sources; tests/CMakeLists.txt compiles them into
 * this test with LLHTTP_STRICT_MODE=1 and defines LABNET_HAVE_LLHTTP).
 * Both parsers get every request of tests/data/http/requests.txt; they
 * must agree on accept/reject, and on accepted heads on the method,
 * target, version, field lines, Content-Length, chunked and keep-alive.
 * Where they deliberately disagree the corpus says so (column 2) and why.
 * Without the package the test reports itself skipped (exit 77).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LABNET_HAVE_LLHTTP

int main(void)
{
    fprintf(stderr, "unit.http_parse_llhttp: SKIPPED: llhttp C sources not found "
                    "(install Debian package node-llhttp and reconfigure)\n");
    return 77;
}

#else

#include <llhttp.h>

#include "common/http_parse.h"
#include "testutil.h"

#define NHDRS 128

enum oracle_says { SAME, LLHTTP_ACCEPTS, LLHTTP_REJECTS };

struct corpus_case {
    bool ok;
    enum oracle_says oracle;
    char *msg;
    size_t len;
    int lineno;
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
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *t1 = strchr(line, '\t');
        ck_assert_ptr_nonnull(t1);
        char *t2 = strchr(t1 + 1, '\t');
        ck_assert_ptr_nonnull(t2);
        ck_assert_uint_lt(ncases, sizeof(cases) / sizeof(cases[0]));
        struct corpus_case *c = &cases[ncases++];
        c->ok = strncmp(line, "ok", 2) == 0;
        *t2 = '\0';
        if (strcmp(t1 + 1, "=") == 0)
            c->oracle = SAME;
        else if (strcmp(t1 + 1, "accepts") == 0)
            c->oracle = LLHTTP_ACCEPTS;
        else if (strcmp(t1 + 1, "rejects") == 0)
            c->oracle = LLHTTP_REJECTS;
        else
            ck_abort_msg("line %d: bad oracle column", lineno);
        c->msg = malloc(strlen(t2 + 1) + 1);
        ck_assert_ptr_nonnull(c->msg);
        c->len = test_unescape(t2 + 1, c->msg);
        c->lineno = lineno;
    }
    fclose(f);
    ck_assert_uint_gt(ncases, 50);
}

/* What llhttp reported, collected by its callbacks. */
struct seen {
    char method[32];
    size_t method_len;
    char url[256];
    size_t url_len;
    char names[32][64];
    char values[32][256];
    size_t name_len[32], value_len[32];
    size_t n;      /* field lines */
    bool in_value; /* last span was a value: a name span starts a new line */
    bool complete; /* on_headers_complete ran */
    bool keep_alive;
    uint16_t flags;
    uint64_t content_length;
    const char *reason; /* llhttp's error reason, static storage */
};

static void append(char *dst, size_t cap, size_t *len, const char *at, size_t n)
{
    ck_assert_uint_le(*len + n, cap);
    memcpy(dst + *len, at, n);
    *len += n;
}

static int on_method(llhttp_t *p, const char *at, size_t n)
{
    struct seen *s = p->data;
    append(s->method, sizeof(s->method), &s->method_len, at, n);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
    struct seen *s = p->data;
    append(s->url, sizeof(s->url), &s->url_len, at, n);
    return 0;
}

static int on_field(llhttp_t *p, const char *at, size_t n)
{
    struct seen *s = p->data;
    if (s->in_value || s->n == 0) {
        ck_assert_uint_lt(s->n, 32);
        s->n++;
        s->in_value = false;
    }
    append(s->names[s->n - 1], 64, &s->name_len[s->n - 1], at, n);
    return 0;
}

static int on_value(llhttp_t *p, const char *at, size_t n)
{
    struct seen *s = p->data;
    s->in_value = true;
    append(s->values[s->n - 1], 256, &s->value_len[s->n - 1], at, n);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    struct seen *s = p->data;
    s->complete = true;
    s->flags = p->flags;
    s->content_length = p->content_length;
    s->keep_alive = llhttp_should_keep_alive(p) != 0;
    return 0;
}

/* llhttp accepts the head when it reached on_headers_complete without an
 * error; a CONNECT pauses there for the tunnel. */
static bool llhttp_head(const char *buf, size_t len, struct seen *s)
{
    llhttp_settings_t st;
    llhttp_settings_init(&st);
    st.on_method = on_method;
    st.on_url = on_url;
    st.on_header_field = on_field;
    st.on_header_value = on_value;
    st.on_headers_complete = on_headers_complete;
    llhttp_t p;
    llhttp_init(&p, HTTP_REQUEST, &st);
    memset(s, 0, sizeof(*s));
    p.data = s;
    llhttp_errno_t e = llhttp_execute(&p, buf, len);
    if (e != HPE_OK)
        s->reason = llhttp_get_error_reason(&p);
    return s->complete && (e == HPE_OK || e == HPE_PAUSED_UPGRADE);
}

static bool slice_eq(struct http_slice a, const char *b, size_t blen)
{
    return a.len == blen && memcmp(a.ptr, b, blen) == 0;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

START_TEST(test_http_parse_llhttp_agree_on_corpus)
{
    corpus_load();
    size_t compared = 0, deliberate = 0, mismatches = 0;
    for (size_t i = 0; i < ncases; i++) {
        const struct corpus_case *c = &cases[i];
        char *buf = test_exact_copy(c->msg, c->len);
        struct http_req req;
        struct http_hdr hdrs[NHDRS];
        http_req_init(&req);
        int r = http_req_parse(buf, c->len, &req, hdrs, NHDRS, NULL);
        bool ours = r > 0;
        ck_assert_msg(ours == c->ok, "line %d: corpus says %s, parser %d", c->lineno,
                      c->ok ? "ok" : "error", r);
        struct seen s;
        bool theirs = llhttp_head(buf, c->len, &s);
        bool expect_theirs = c->oracle == SAME ? ours : c->oracle == LLHTTP_ACCEPTS ? true : false;
        if (theirs != expect_theirs) {
            /* Report every disagreement before failing, with llhttp's
             * reason, so the corpus can be reviewed in one pass. */
            fprintf(stderr, "line %d: llhttp %s (%s), we %s (status %d)\n", c->lineno,
                    theirs ? "accepts" : "rejects", s.reason ? s.reason : "-",
                    ours ? "accept" : "reject", req.status);
            mismatches++;
        }
        if (c->oracle != SAME)
            deliberate++;
        if (ours && theirs) {
            compared++;
            ck_assert_msg(slice_eq(req.method, s.method, s.method_len), "line %d: method",
                          c->lineno);
            ck_assert_msg(slice_eq(req.target, s.url, s.url_len), "line %d: target", c->lineno);
            ck_assert_msg(req.nhdrs == s.n, "line %d: %zu fields vs %zu", c->lineno, req.nhdrs,
                          s.n);
            for (size_t k = 0; k < s.n; k++) {
                const char *v = s.values[k];
                size_t vl = s.value_len[k];
                trim(&v, &vl); /* llhttp 8.1 keeps trailing OWS */
                ck_assert_msg(slice_eq(hdrs[k].name, s.names[k], s.name_len[k]),
                              "line %d: name %zu", c->lineno, k);
                ck_assert_msg(slice_eq(hdrs[k].value, v, vl), "line %d: value %zu", c->lineno, k);
            }
            bool cl = (s.flags & F_CONTENT_LENGTH) != 0;
            ck_assert_msg(req.has_content_length == cl, "line %d: has CL", c->lineno);
            if (cl)
                ck_assert_uint_eq(req.content_length, s.content_length);
            ck_assert_msg((req.body == HTTP_BODY_CHUNKED) == ((s.flags & F_CHUNKED) != 0),
                          "line %d: chunked", c->lineno);
            ck_assert_msg(req.keep_alive == s.keep_alive, "line %d: keep-alive", c->lineno);
        }
        free(buf);
    }
    ck_assert_uint_eq(mismatches, 0);
    /* The comparison must have had something to compare. */
    ck_assert_uint_gt(compared, 15);
    ck_assert_uint_lt(deliberate, ncases / 3);
}
END_TEST

static Suite *http_parse_llhttp_suite(void)
{
    Suite *s = suite_create("http_parse_llhttp");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_parse_llhttp_agree_on_corpus);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_parse_llhttp_suite)

#endif
