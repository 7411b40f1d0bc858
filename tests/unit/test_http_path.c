#include <errno.h>
#include <stdio.h>

#include "common/http_path.h"
#include "testutil.h"

/* Normalises s from an exact-size copy (no NUL after it, so ASan catches
 * any read past the end) into a 256-byte buffer. */
static int norm(const char *s, const struct http_path_opts *o, char *out, struct http_path *r)
{
    size_t n = strlen(s);
    char *in = test_exact_copy(s, n);
    int rc = http_path_normalize(in, n, o, out, 256, r);
    if (r->query) /* make the slice point at the caller's string */
        r->query = s + (r->query - in);
    free(in);
    return rc;
}

struct ok_case {
    const char *in;
    const char *out;
    unsigned flags;
};

START_TEST(test_http_path_normalize_golden)
{
    static const struct ok_case cases[] = {
        {"/", ".", HTTP_PATH_DIR},
        {"/index.html", "index.html", 0},
        {"/a/b/c", "a/b/c", 0},
        {"/a/b/", "a/b", HTTP_PATH_DIR},
        {"/a//b///c", "a/b/c", 0},
        {"//etc/passwd", "etc/passwd", 0},
        {"/./././", ".", HTTP_PATH_DIR},
        {"/a/./b", "a/b", 0},
        {"/a/b/..", "a", HTTP_PATH_DIR},
        {"/a/b/.", "a/b", HTTP_PATH_DIR},
        {"/a/b/../c", "a/c", 0},
        {"/a/../b/../c/", "c", HTTP_PATH_DIR},
        {"/a/..", ".", HTTP_PATH_DIR},
        {"/a%20b", "a b", 0},
        {"/%41%62c", "Abc", 0},
        {"/%7e/%7E", "~/~", 0},
        /* Decoded once: "%252e%252e" is the name "%2e%2e", not "..". */
        {"/%252e%252e", "%2e%2e", 0},
        {"/%252e%252e/x", "%2e%2e/x", 0},
        {"/%25", "%", 0},
        /* Encoded dots are dots, in any case. */
        {"/a/%2e%2e/b", "b", 0},
        {"/a/%2E%2e/", ".", HTTP_PATH_DIR},
        {"/a/%2e/b", "a/b", 0},
        /* Overlong UTF-8 for '.': bytes stay bytes. */
        {"/%c0%ae%c0%ae", "\xc0\xae\xc0\xae", 0},
        {"/%C0%AE%c0%AE/x", "\xc0\xae\xc0\xae/x", 0},
        {"/caf\xc3\xa9", "caf\xc3\xa9", 0},
        /* Names that merely contain dots. */
        {"/...", "...", HTTP_PATH_DOTFILE},
        {"/..a", "..a", HTTP_PATH_DOTFILE},
        {"/a..", "a..", 0},
        {"/a/.git/config", "a/.git/config", HTTP_PATH_DOTFILE},
        {"/.well-known/x/", ".well-known/x", HTTP_PATH_DOTFILE | HTTP_PATH_DIR},
        {"/.git/..", ".", HTTP_PATH_DIR},
        {"/a.b/c", "a.b/c", 0},
        /* Decoded '?' and '#' are ordinary name bytes. */
        {"/a%3Fb%23c", "a?b#c", 0},
        {"/x?", "x", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        struct http_path r;
        int rc = norm(cases[i].in, NULL, out, &r);
        ck_assert_msg(rc == 0, "%s: rc %d", cases[i].in, rc);
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "%s: got '%s' want '%s'", cases[i].in, out,
                      cases[i].out);
        ck_assert_uint_eq(r.len, strlen(cases[i].out));
        ck_assert_msg(r.flags == cases[i].flags, "%s: flags %u want %u", cases[i].in, r.flags,
                      cases[i].flags);
    }
}
END_TEST

/* Every classic traversal and smuggling trick, under default options. */
START_TEST(test_http_path_normalize_rejects_traversal)
{
    static const char *const bad[] = {
        "..",
        "/..",
        "/../",
        "/../x",
        "/%2e%2e",
        "/%2e%2e/",
        "/%2E%2e/",
        "/%2e%2E/etc/passwd",
        "/.%2e/x",
        "/%2e./x",
        "/a/b/../../../etc",
        "/a/../../etc",
        "/a/./../..",
        "/..%2f",
        "/..%2F",
        "/%2f..",
        "/a%2Fb",
        "/..\\",
        "/..\\x",
        "/%5c..",
        "/%5C..%5Cetc",
        "/a\\b",
        "/%00",
        "/a%00.html",
        "/a%00",
        "/a%0a",
        "/a%0D%0Ax",
        "/a%1b[31m",
        "/a%7f",
        "/a\tb",
        "/a b",
        "/a\x01",
        "/a\x7f",
        "/%",
        "/%2",
        "/%zz",
        "/%2g",
        "/%g2",
        "/a%",
        "/a#frag",
        "/a?q#frag",
        "",
        "a/b",
        "*",
        "http://host/x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[256];
        struct http_path r;
        int rc = norm(bad[i], NULL, out, &r);
        ck_assert_msg(rc == -EBADMSG, "'%s': rc %d (out '%s')", bad[i], rc, rc == 0 ? out : "");
    }
}
END_TEST

/* An embedded raw NUL (length-delimited input) is rejected too. */
START_TEST(test_http_path_normalize_rejects_raw_nul)
{
    static const char in[] = {'/', 'a', '\0', 'b'};
    char *buf = test_exact_copy(in, sizeof(in));
    char out[16];
    struct http_path r;
    ck_assert_int_eq(http_path_normalize(buf, sizeof(in), NULL, out, sizeof(out), &r), -EBADMSG);
    free(buf);
}
END_TEST

START_TEST(test_http_path_normalize_query_split)
{
    char out[256];
    struct http_path r;
    const char *t = "/a/b?x=1&y=/../..";
    ck_assert_int_eq(norm(t, NULL, out, &r), 0);
    ck_assert_str_eq(out, "a/b");
    ck_assert_ptr_eq(r.query, t + 5);
    ck_assert_uint_eq(r.query_len, strlen("x=1&y=/../.."));
    ck_assert_int_eq(norm("/a?", NULL, out, &r), 0);
    ck_assert_ptr_nonnull(r.query);
    ck_assert_uint_eq(r.query_len, 0);
    ck_assert_int_eq(norm("/a", NULL, out, &r), 0);
    ck_assert_ptr_null(r.query);
    /* A '?' decoded from %3F is a name byte, never the query. */
    ck_assert_int_eq(norm("/a%3Fb", NULL, out, &r), 0);
    ck_assert_ptr_null(r.query);
    /* The query is not decoded nor checked beyond the fragment ban. */
    ck_assert_int_eq(norm("/?%zz", NULL, out, &r), 0);
    ck_assert_str_eq(out, ".");
}
END_TEST

START_TEST(test_http_path_normalize_keep_encoded_slash)
{
    struct http_path_opts o = {.keep_encoded_slash = true};
    char out[256];
    struct http_path r;
    ck_assert_int_eq(norm("/a%2Fb", &o, out, &r), 0);
    ck_assert_str_eq(out, "a%2Fb");
    ck_assert_int_eq(norm("/a%2fb", &o, out, &r), 0);
    ck_assert_str_eq(out, "a%2Fb");
    /* Kept slashes never split: "..%2f" is one odd name, not a "..". */
    ck_assert_int_eq(norm("/..%2f", &o, out, &r), 0);
    ck_assert_str_eq(out, "..%2F");
    ck_assert_int_eq(norm("/%2f..", &o, out, &r), 0);
    ck_assert_str_eq(out, "%2F..");
    ck_assert_int_eq(norm("/%2f../%2e%2e", &o, out, &r), 0);
    ck_assert_str_eq(out, ".");
    ck_assert_ptr_null(strchr(out, '/'));
    /* Still no climbing out. */
    ck_assert_int_eq(norm("/%2f/../..", &o, out, &r), -EBADMSG);
}
END_TEST

START_TEST(test_http_path_normalize_allow_backslash)
{
    struct http_path_opts o = {.allow_backslash = true};
    char out[256];
    struct http_path r;
    ck_assert_int_eq(norm("/..\\x", &o, out, &r), 0);
    ck_assert_str_eq(out, "..\\x");
    ck_assert_int_eq(norm("/%5c..", &o, out, &r), 0);
    ck_assert_str_eq(out, "\\..");
    ck_assert_int_eq(norm("/a\\..\\..\\etc", &o, out, &r), 0);
    ck_assert_str_eq(out, "a\\..\\..\\etc");
    ck_assert_uint_eq(r.flags, 0);
    /* A backslash is never a separator: "/..\\" is a name, but "/.." still fails. */
    ck_assert_int_eq(norm("/../\\", &o, out, &r), -EBADMSG);
}
END_TEST

/* The output must fit with its NUL: exactly enough room works, one byte
 * less is -E2BIG, and nothing is written past cap. */
START_TEST(test_http_path_normalize_size_limit)
{
    static const char *const ins[] = {"/abc/def", "/a", "/", "/a/b/../c", "/x%2Fy", "/abc/"};
    struct http_path_opts o = {.keep_encoded_slash = true};
    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        char big[64];
        struct http_path r;
        ck_assert_int_eq(norm(ins[i], &o, big, &r), 0);
        size_t need = r.len + 1;
        for (size_t cap = 0; cap < need + 2; cap++) {
            size_t n = strlen(ins[i]);
            char *in = test_exact_copy(ins[i], n);
            char *out = malloc(cap ? cap : 1);
            ck_assert_ptr_nonnull(out);
            int rc = http_path_normalize(in, n, &o, out, cap, &r);
            if (cap >= need) {
                ck_assert_int_eq(rc, 0);
                ck_assert_str_eq(out, big);
            } else {
                ck_assert_msg(rc == -E2BIG, "%s cap %zu: rc %d", ins[i], cap, rc);
            }
            free(out);
            free(in);
        }
    }
}
END_TEST

/* A long hostile target does linear work and stays within cap. */
START_TEST(test_http_path_normalize_long_inputs)
{
    size_t n = 3 * 20000 + 1;
    char *in = malloc(n);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < n - 1; i += 3)
        memcpy(in + i, "/..", 3);
    in[n - 1] = '/';
    char out[64];
    struct http_path r;
    ck_assert_int_eq(http_path_normalize(in, n, NULL, out, sizeof(out), &r), -EBADMSG);
    for (size_t i = 0; i < n; i++)
        in[i] = '/';
    ck_assert_int_eq(http_path_normalize(in, n, NULL, out, sizeof(out), &r), 0);
    ck_assert_str_eq(out, ".");
    for (size_t i = 1; i < n; i++)
        in[i] = 'a';
    ck_assert_int_eq(http_path_normalize(in, n, NULL, out, sizeof(out), &r), -E2BIG);
    free(in);
}
END_TEST

/* The normalised output, fed back as "/" + output, is a fixed point: no
 * second decode can change it (except names holding '%', which is why the
 * server must never decode twice). */
START_TEST(test_http_path_normalize_idempotent)
{
    static const char *const ins[] = {"/a//b/./c/../d/", "/%2e%2e%2fx", "/x/%2E/y", "/q"};
    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        char out[256], again[260], out2[256];
        struct http_path r;
        if (norm(ins[i], NULL, out, &r) != 0)
            continue;
        snprintf(again, sizeof(again), "/%s", out);
        ck_assert_int_eq(norm(again, NULL, out2, &r), 0);
        ck_assert_str_eq(out, out2);
    }
}
END_TEST

START_TEST(test_http_path_encode)
{
    char out[128];
    size_t n = 0;
    const char *in = "a/b c/%?#\"<\xc3\xa9~._-";
    ck_assert_int_eq(http_path_encode(in, strlen(in), out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a/b%20c/%25%3F%23%22%3C%C3%A9~._-");
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_int_eq(http_path_encode("", 0, out, 1, &n), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(http_path_encode("", 0, out, 0, &n), -EMSGSIZE);
    /* Tight capacities: exact fit works, one less fails. */
    ck_assert_int_eq(http_path_encode("ab", 2, out, 3, &n), 0);
    ck_assert_int_eq(http_path_encode("ab", 2, out, 2, &n), -EMSGSIZE);
    ck_assert_int_eq(http_path_encode(" ", 1, out, 4, &n), 0);
    ck_assert_str_eq(out, "%20");
    ck_assert_int_eq(http_path_encode(" ", 1, out, 3, &n), -EMSGSIZE);
    /* CR LF cannot survive into a header. */
    ck_assert_int_eq(http_path_encode("a\r\nSet-Cookie: x", 16, out, sizeof(out), NULL), 0);
    ck_assert_ptr_null(strpbrk(out, "\r\n :"));
}
END_TEST

/* Round trip: encoding a path and normalising "/" + it gives the path back. */
START_TEST(test_http_path_encode_round_trip)
{
    static const char *const names[] = {"a b/c", "x%y", "caf\xc3\xa9/\xc0\xae", "q?r#s"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char enc[128], tgt[130], out[256];
        struct http_path r;
        ck_assert_int_eq(http_path_encode(names[i], strlen(names[i]), enc, sizeof(enc), NULL), 0);
        snprintf(tgt, sizeof(tgt), "/%s", enc);
        ck_assert_int_eq(norm(tgt, NULL, out, &r), 0);
        ck_assert_str_eq(out, names[i]);
    }
}
END_TEST

START_TEST(test_http_path_html_escape)
{
    char out[128];
    size_t n = 0;
    const char *s = "<script>alert('x')</script>&\"";
    ck_assert_int_eq(http_path_html_escape(s, strlen(s), out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_int_eq(http_path_html_escape("&", 1, out, 6, &n), 0);
    ck_assert_str_eq(out, "&amp;");
    ck_assert_int_eq(http_path_html_escape("&", 1, out, 5, &n), -EMSGSIZE);
    ck_assert_int_eq(http_path_html_escape("ab", 2, out, 2, &n), -EMSGSIZE);
    ck_assert_int_eq(http_path_html_escape("", 0, out, 0, &n), -EMSGSIZE);
    ck_assert_int_eq(http_path_html_escape("", 0, out, 1, &n), 0);
}
END_TEST

static Suite *http_path_suite(void)
{
    Suite *s = suite_create("http_path");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_path_normalize_golden);
    tcase_add_test(tc, test_http_path_normalize_rejects_traversal);
    tcase_add_test(tc, test_http_path_normalize_rejects_raw_nul);
    tcase_add_test(tc, test_http_path_normalize_query_split);
    tcase_add_test(tc, test_http_path_normalize_keep_encoded_slash);
    tcase_add_test(tc, test_http_path_normalize_allow_backslash);
    tcase_add_test(tc, test_http_path_normalize_size_limit);
    tcase_add_test(tc, test_http_path_normalize_long_inputs);
    tcase_add_test(tc, test_http_path_normalize_idempotent);
    tcase_add_test(tc, test_http_path_encode);
    tcase_add_test(tc, test_http_path_encode_round_trip);
    tcase_add_test(tc, test_http_path_html_escape);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_path_suite)
