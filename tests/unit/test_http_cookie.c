#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/http_cookie.h"
#include "testutil.h"

/* ---- Cookie header ------------------------------------------------------ */

/* Collects all pairs of s (from an exact-size copy) as "name=value|...". */
static void collect(const char *s, char *out, size_t cap, bool *truncated)
{
    size_t n = strlen(s);
    char *in = test_exact_copy(s, n);
    struct http_cookie_iter it;
    struct http_cookie_pair p;
    size_t w = 0;
    out[0] = '\0';
    http_cookie_iter_init(&it, in, n);
    while (http_cookie_next(&it, &p)) {
        int k = snprintf(out + w, cap - w, "%.*s=%.*s|", (int)p.name_len, p.name, (int)p.value_len,
                         p.value);
        ck_assert(k > 0 && (size_t)k < cap - w);
        w += (size_t)k;
    }
    if (truncated)
        *truncated = it.truncated;
    free(in);
}

START_TEST(test_http_cookie_iter_golden)
{
    static const char *const cases[][2] = {
        {"a=1", "a=1|"},
        {"a=1; b=2", "a=1|b=2|"},
        {"a=1;b=2;c=3", "a=1|b=2|c=3|"},
        {"a = 1 ;  b= 2\t;c =3", "a=1|b=2|c=3|"},
        {"a=\"quoted value\"; b=\"\"", "a=quoted value|b=|"},
        {"a=\"", "a=\"|"},
        {"a=; b=", "a=|b=|"},
        {"a=x=y", "a=x=y|"},
        /* Malformed pieces skipped, the rest kept. */
        {"junk; a=1; =2; b c=3; ;; d=4", "a=1|d=4|"},
        {"a=1\x01; b=2", "b=2|"},
        {"n(x)=1; ok=2", "ok=2|"},
        {"", ""},
        {";;;", ""},
        {"   ", ""},
        {"__Host-id=abc.def; lang=en-US", "__Host-id=abc.def|lang=en-US|"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[256];
        collect(cases[i][0], got, sizeof(got), NULL);
        ck_assert_msg(strcmp(got, cases[i][1]) == 0, "'%s': got '%s' want '%s'", cases[i][0], got,
                      cases[i][1]);
    }
}
END_TEST

/* At most HTTP_COOKIE_MAX_PAIRS pieces are examined, good or bad. */
START_TEST(test_http_cookie_iter_bounded)
{
    char *hdr = malloc(8 * 1000 + 1);
    ck_assert_ptr_nonnull(hdr);
    size_t w = 0;
    for (int i = 0; i < 1000; i++)
        w += (size_t)sprintf(hdr + w, "c%03d=v; ", i);
    char *got = malloc(20000);
    ck_assert_ptr_nonnull(got);
    bool trunc = false;
    collect(hdr, got, 20000, &trunc);
    ck_assert(trunc);
    size_t count = 0;
    for (char *p = got; *p; p++)
        count += *p == '|';
    ck_assert_uint_eq(count, HTTP_COOKIE_MAX_PAIRS);

    /* Exactly the cap: everything, not truncated. */
    w = 0;
    for (int i = 0; i < HTTP_COOKIE_MAX_PAIRS; i++)
        w += (size_t)sprintf(hdr + w, "%sc%03d=v", i ? ";" : "", i);
    collect(hdr, got, 20000, &trunc);
    ck_assert(!trunc);

    /* Junk pieces count too: a wanted cookie hidden behind 200 empty
     * pieces is not found. */
    w = 0;
    for (int i = 0; i < 200; i++)
        hdr[w++] = ';';
    strcpy(hdr + w, "id=1");
    const char *v;
    size_t vl;
    ck_assert_int_eq(http_cookie_find(hdr, strlen(hdr), "id", 2, &v, &vl), -ENOENT);
    free(got);
    free(hdr);
}
END_TEST

START_TEST(test_http_cookie_find)
{
    const char *h = "a=1; uid=\"xyz\"; UID=no; uid=second";
    const char *v = NULL;
    size_t vl = 0;
    ck_assert_int_eq(http_cookie_find(h, strlen(h), "uid", 3, &v, &vl), 0);
    ck_assert_uint_eq(vl, 3);
    ck_assert(memcmp(v, "xyz", 3) == 0);
    ck_assert_int_eq(http_cookie_find(h, strlen(h), "UID", 3, &v, &vl), 0);
    ck_assert(vl == 2 && memcmp(v, "no", 2) == 0);
    ck_assert_int_eq(http_cookie_find(h, strlen(h), "ui", 2, &v, &vl), -ENOENT);
    ck_assert_int_eq(http_cookie_find(h, strlen(h), "b", 1, &v, &vl), -ENOENT);
    ck_assert_int_eq(http_cookie_find(NULL, 0, "b", 1, &v, &vl), -ENOENT);
}
END_TEST

/* ---- Set-Cookie building ------------------------------------------------ */

START_TEST(test_http_cookie_set_format_golden)
{
    char out[256];
    size_t n = 0;
    struct http_cookie_attrs a = {
        .path = "/",
        .domain = "example.org",
        .has_max_age = true,
        .max_age = 31536000,
        .has_expires = true,
        .expires = 784111777, /* RFC 9110 5.6.7's example date */
        .secure = true,
        .http_only = true,
        .samesite = HTTP_COOKIE_SAMESITE_LAX,
    };
    ck_assert_int_eq(http_cookie_set_format("uid", 3, "abc", 3, &a, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "uid=abc; Path=/; Domain=example.org; Max-Age=31536000; "
                          "Expires=Sun, 06 Nov 1994 08:49:37 GMT; Secure; HttpOnly; SameSite=Lax");
    ck_assert_uint_eq(n, strlen(out));

    ck_assert_int_eq(http_cookie_set_format("a", 1, "", 0, NULL, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=");
    ck_assert_int_eq(http_cookie_set_format("a", 1, "\"x\"", 3, NULL, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=\"x\"");

    struct http_cookie_attrs del = {.has_max_age = true,
                                    .max_age = 0,
                                    .has_expires = true,
                                    .expires = 0,
                                    .samesite = HTTP_COOKIE_SAMESITE_STRICT};
    ck_assert_int_eq(http_cookie_set_format("a", 1, "", 0, &del, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict");
    struct http_cookie_attrs none = {.secure = true, .samesite = HTTP_COOKIE_SAMESITE_NONE};
    ck_assert_int_eq(http_cookie_set_format("a", 1, "b", 1, &none, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=b; Secure; SameSite=None");
    /* Leap day and the last second of a four-digit year. */
    struct http_cookie_attrs e = {.has_expires = true, .expires = 951782400};
    ck_assert_int_eq(http_cookie_set_format("a", 1, "b", 1, &e, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=b; Expires=Tue, 29 Feb 2000 00:00:00 GMT");
    e.expires = 253402300799;
    ck_assert_int_eq(http_cookie_set_format("a", 1, "b", 1, &e, out, sizeof(out), &n), 0);
    ck_assert_str_eq(out, "a=b; Expires=Fri, 31 Dec 9999 23:59:59 GMT");
}
END_TEST

START_TEST(test_http_cookie_set_format_refuses_bad_input)
{
    char out[256];
    static const char *const bad_names[] = {"",      "a b", "a=b", "a;b",     "a\"",
                                            "a\r\n", "a,b", "(a)", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        ck_assert_msg(http_cookie_set_format(bad_names[i], strlen(bad_names[i]), "v", 1, NULL, out,
                                             sizeof(out), NULL) == -EINVAL,
                      "name '%s'", bad_names[i]);
    static const char *const bad_values[] = {"a b",  "a;b",  "a,b",      "a\\b", "\"a",    "a\"b",
                                             "\r\n", "\x7f", "\xc3\xa9", "a\tb", "\"a b\""};
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
        ck_assert_msg(http_cookie_set_format("n", 1, bad_values[i], strlen(bad_values[i]), NULL,
                                             out, sizeof(out), NULL) == -EINVAL,
                      "value '%s'", bad_values[i]);
    /* Every cookie-octet is accepted. */
    char all[128];
    size_t k = 0;
    for (int c = 0x21; c < 0x7f; c++)
        if (c != '"' && c != ',' && c != ';' && c != '\\')
            all[k++] = (char)c;
    ck_assert_int_eq(http_cookie_set_format("n", 1, all, k, NULL, out, sizeof(out), NULL), 0);

    struct http_cookie_attrs a = {.path = "/a;Domain=evil"};
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a.path = "/a\r\nX: y";
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a = (struct http_cookie_attrs){.domain = "ex ample.org"};
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a.domain = "";
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a = (struct http_cookie_attrs){.has_max_age = true, .max_age = -1};
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a = (struct http_cookie_attrs){.samesite = HTTP_COOKIE_SAMESITE_NONE};
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a = (struct http_cookie_attrs){.has_expires = true, .expires = -1};
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
    a.expires = 253402300800; /* year 10000 */
    ck_assert_int_eq(http_cookie_set_format("n", 1, "v", 1, &a, out, sizeof(out), NULL), -EINVAL);
}
END_TEST

/* Exact room works; any less is -EMSGSIZE with nothing past cap written. */
START_TEST(test_http_cookie_set_format_room)
{
    struct http_cookie_attrs a = {.path = "/x", .secure = true, .has_max_age = true, .max_age = 60};
    char ref[128];
    size_t n = 0;
    ck_assert_int_eq(http_cookie_set_format("id", 2, "v", 1, &a, ref, sizeof(ref), &n), 0);
    for (size_t cap = 0; cap <= n + 1; cap++) {
        char *out = malloc(cap ? cap : 1);
        ck_assert_ptr_nonnull(out);
        int rc = http_cookie_set_format("id", 2, "v", 1, &a, out, cap, NULL);
        if (cap == n + 1) {
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(out, ref);
        } else {
            ck_assert_int_eq(rc, -EMSGSIZE);
        }
        free(out);
    }
}
END_TEST

/* ---- Set-Cookie parsing -------------------------------------------------- */

static int set_parse(const char *s, struct http_set_cookie *sc, char **keep)
{
    size_t n = strlen(s);
    *keep = test_exact_copy(s, n);
    return http_cookie_set_parse(*keep, n, sc);
}

static bool slice_is(const char *p, size_t n, const char *want)
{
    if (!want)
        return p == NULL && n == 0;
    return p && n == strlen(want) && memcmp(p, want, n) == 0;
}

START_TEST(test_http_cookie_set_parse_golden)
{
    struct http_set_cookie sc;
    char *buf;
    ck_assert_int_eq(set_parse("SID=31d4d96e407aad42; Path=/; Domain=.example.com; Secure; "
                               "HttpOnly; Expires=Wed, 09 Jun 2021 10:18:14 GMT; "
                               "max-age=3600; SameSite=lax; Foo=bar; Partitioned",
                               &sc, &buf),
                     0);
    ck_assert(slice_is(sc.name, sc.name_len, "SID"));
    ck_assert(slice_is(sc.value, sc.value_len, "31d4d96e407aad42"));
    ck_assert(slice_is(sc.path, sc.path_len, "/"));
    ck_assert(slice_is(sc.domain, sc.domain_len, "example.com"));
    ck_assert(slice_is(sc.expires, sc.expires_len, "Wed, 09 Jun 2021 10:18:14 GMT"));
    ck_assert(sc.has_max_age);
    ck_assert_int_eq(sc.max_age, 3600);
    ck_assert(sc.secure && sc.http_only);
    ck_assert_int_eq(sc.samesite, HTTP_COOKIE_SAMESITE_LAX);
    ck_assert_uint_eq(sc.unknown, 2);
    free(buf);

    /* Minimal, quotes kept, blanks trimmed, empty value. */
    ck_assert_int_eq(set_parse("  a = \"q\"  ", &sc, &buf), 0);
    ck_assert(slice_is(sc.name, sc.name_len, "a"));
    ck_assert(slice_is(sc.value, sc.value_len, "\"q\""));
    ck_assert(!sc.secure && !sc.has_max_age && sc.samesite == HTTP_COOKIE_SAMESITE_UNSET);
    ck_assert_ptr_null(sc.path);
    free(buf);
    ck_assert_int_eq(set_parse("a=;", &sc, &buf), 0);
    ck_assert(slice_is(sc.value, sc.value_len, ""));
    free(buf);

    /* Last one wins; a relative Path resets to the default path. */
    ck_assert_int_eq(set_parse("a=b; Path=/x; Path=rel; Max-Age=5; Max-Age=7", &sc, &buf), 0);
    ck_assert_ptr_null(sc.path);
    ck_assert_int_eq(sc.max_age, 7);
    free(buf);
    ck_assert_int_eq(set_parse("a=b; Path=/x; Path=", &sc, &buf), 0);
    ck_assert_ptr_null(sc.path);
    free(buf);
    /* Bad Max-Age values are ignored; negatives mean now; huge saturates. */
    ck_assert_int_eq(set_parse("a=b; Max-Age=12x; Max-Age=; Max-Age=+5; Max-Age=-", &sc, &buf), 0);
    ck_assert(!sc.has_max_age);
    ck_assert_uint_eq(sc.unknown, 4);
    free(buf);
    ck_assert_int_eq(set_parse("a=b; Max-Age=-100", &sc, &buf), 0);
    ck_assert(sc.has_max_age && sc.max_age == 0);
    free(buf);
    ck_assert_int_eq(set_parse("a=b; Max-Age=99999999999999999999999", &sc, &buf), 0);
    ck_assert(sc.has_max_age && sc.max_age == INT64_MAX);
    free(buf);
    ck_assert_int_eq(set_parse("a=b; Max-Age=9223372036854775807", &sc, &buf), 0);
    ck_assert(sc.max_age == INT64_MAX);
    free(buf);
    ck_assert_int_eq(set_parse("a=b; Max-Age=9223372036854775806", &sc, &buf), 0);
    ck_assert(sc.max_age == INT64_MAX - 1);
    free(buf);
    /* Case-insensitive attribute names and SameSite values. */
    ck_assert_int_eq(set_parse("a=b;SECURE;httponly;SAMESITE=NONE;DOMAIN=x.org", &sc, &buf), 0);
    ck_assert(sc.secure && sc.http_only && sc.samesite == HTTP_COOKIE_SAMESITE_NONE);
    ck_assert(slice_is(sc.domain, sc.domain_len, "x.org"));
    free(buf);
    ck_assert_int_eq(set_parse("a=b; SameSite=Strict; SameSite=bogus; Domain=", &sc, &buf), 0);
    ck_assert_int_eq(sc.samesite, HTTP_COOKIE_SAMESITE_STRICT);
    ck_assert_ptr_null(sc.domain);
    free(buf);
}
END_TEST

START_TEST(test_http_cookie_set_parse_rejects)
{
    static const char *const bad[] = {
        "", "novalue", "=v", " = v", "; a=b", "a=b\r\nX: y", "a=b; Path=/\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_set_cookie sc;
        char *buf;
        ck_assert_msg(set_parse(bad[i], &sc, &buf) == -EBADMSG, "'%s'", bad[i]);
        free(buf);
    }
    struct http_set_cookie sc;
    ck_assert_int_eq(http_cookie_set_parse(NULL, 0, &sc), -EBADMSG);
}
END_TEST

START_TEST(test_http_cookie_set_parse_attr_cap)
{
    char hdr[1024] = "a=b";
    for (int i = 0; i < HTTP_COOKIE_MAX_ATTRS; i++)
        strcat(hdr, "; x");
    struct http_set_cookie sc;
    char *buf;
    ck_assert_int_eq(set_parse(hdr, &sc, &buf), 0);
    free(buf);
    strcat(hdr, "; Secure");
    ck_assert_int_eq(set_parse(hdr, &sc, &buf), -E2BIG);
    free(buf);
}
END_TEST

/* Round trip: what set_format builds, set_parse reads back. */
START_TEST(test_http_cookie_set_round_trip)
{
    struct http_cookie_attrs a = {.path = "/app",
                                  .domain = "example.net",
                                  .has_max_age = true,
                                  .max_age = 86400,
                                  .has_expires = true,
                                  .expires = 1700000000,
                                  .secure = true,
                                  .http_only = true,
                                  .samesite = HTTP_COOKIE_SAMESITE_STRICT};
    char out[256];
    size_t n;
    ck_assert_int_eq(http_cookie_set_format("k", 1, "v.1", 3, &a, out, sizeof(out), &n), 0);
    struct http_set_cookie sc;
    char *buf;
    ck_assert_int_eq(set_parse(out, &sc, &buf), 0);
    ck_assert(slice_is(sc.name, sc.name_len, "k"));
    ck_assert(slice_is(sc.value, sc.value_len, "v.1"));
    ck_assert(slice_is(sc.path, sc.path_len, "/app"));
    ck_assert(slice_is(sc.domain, sc.domain_len, "example.net"));
    ck_assert(slice_is(sc.expires, sc.expires_len, "Tue, 14 Nov 2023 22:13:20 GMT"));
    ck_assert(sc.has_max_age && sc.max_age == 86400);
    ck_assert(sc.secure && sc.http_only && sc.samesite == HTTP_COOKIE_SAMESITE_STRICT);
    ck_assert_uint_eq(sc.unknown, 0);
    free(buf);
}
END_TEST

/* ---- signed ids ------------------------------------------------------------- */

static void test_key(struct http_cookie_key *k)
{
    for (int i = 0; i < HTTP_COOKIE_KEY_LEN; i++)
        k->bytes[i] = (uint8_t)i;
}

static const uint8_t golden_id[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                      0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
/* Computed independently with Python's hmac/base64 and checked against
 * `openssl dgst -sha256 -mac HMAC` (b1489727...a2367). */
static const char golden_signed[] =
    "oKGio6SlpqeoqaqrrK2urw.sUiXJ7JgKg4EfLI3WApMeVqvkCPFvGsLhlx_oX4KI2c";

START_TEST(test_http_cookie_id_sign_golden)
{
    struct http_cookie_key k;
    test_key(&k);
    char out[HTTP_COOKIE_SIGNED_LEN + 1];
    ck_assert_int_eq(http_cookie_id_sign(&k, golden_id, out, sizeof(out)), 0);
    ck_assert_str_eq(out, golden_signed);
    ck_assert_int_eq(http_cookie_id_sign(&k, golden_id, out, sizeof(out) - 1), -EMSGSIZE);

    /* A second vector: all-ones key, zero id (Python oracle as above). */
    ck_assert_int_eq(http_cookie_key_from_hex("ffffffffffffffffffffffffffffffffFFFFFFFFFFFFFFFF"
                                              "FFFFFFFFFFFFFFFF",
                                              64, &k),
                     0);
    uint8_t zero[16] = {0};
    ck_assert_int_eq(http_cookie_id_sign(&k, zero, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "AAAAAAAAAAAAAAAAAAAAAA.ofgJzl6SwUk3EWTc85Ogc_EuTYIEL7uYif9A--M2pBo");
}
END_TEST

static int verify_str(const struct http_cookie_key *k, const char *s, size_t n, uint8_t *id)
{
    char *buf = test_exact_copy(s, n);
    int rc = http_cookie_id_verify(k, buf, n, id);
    free(buf);
    return rc;
}

START_TEST(test_http_cookie_id_verify)
{
    struct http_cookie_key k;
    test_key(&k);
    uint8_t id[16];
    size_t n = strlen(golden_signed);
    ck_assert_uint_eq(n, HTTP_COOKIE_SIGNED_LEN);
    ck_assert_int_eq(verify_str(&k, golden_signed, n, id), 0);
    ck_assert(memcmp(id, golden_id, 16) == 0);

    /* Every proper prefix and one byte more. */
    for (size_t len = 0; len < n; len++) {
        memset(id, 0x55, sizeof(id));
        ck_assert_int_eq(verify_str(&k, golden_signed, len, id), -EBADMSG);
        for (int i = 0; i < 16; i++)
            ck_assert_uint_eq(id[i], 0);
    }
    char longer[HTTP_COOKIE_SIGNED_LEN + 2];
    memcpy(longer, golden_signed, n);
    longer[n] = 'A';
    ck_assert_int_eq(verify_str(&k, longer, n + 1, id), -EBADMSG);

    /* Every single-byte change anywhere is caught: a flipped bit, a
     * character outside the alphabet, the other base64 alphabet. */
    char t[HTTP_COOKIE_SIGNED_LEN];
    static const char subst[] = {'A', 'B', 'z', '0', '-', '_', '+', '/', '=', '.', ' ', '\0'};
    for (size_t i = 0; i < n; i++) {
        for (size_t s = 0; s < sizeof(subst); s++) {
            memcpy(t, golden_signed, n);
            if (t[i] == subst[s])
                continue;
            t[i] = subst[s];
            ck_assert_msg(verify_str(&k, t, n, id) == -EBADMSG, "pos %zu char %d", i, subst[s]);
        }
        memcpy(t, golden_signed, n);
        t[i] = (char)(t[i] ^ 1);
        ck_assert_msg(verify_str(&k, t, n, id) == -EBADMSG, "flip pos %zu", i);
    }
    /* Non-canonical spelling of the same id bits ("w" -> "x" sets a bit the
     * decoder would drop) is refused. */
    memcpy(t, golden_signed, n);
    ck_assert(t[21] == 'w');
    t[21] = 'x';
    ck_assert_int_eq(verify_str(&k, t, n, id), -EBADMSG);
    /* Another key. */
    struct http_cookie_key k2 = k;
    k2.bytes[31] ^= 0x80;
    ck_assert_int_eq(verify_str(&k2, golden_signed, n, id), -EBADMSG);
    ck_assert_int_eq(http_cookie_id_verify(&k, NULL, 0, id), -EBADMSG);
}
END_TEST

START_TEST(test_http_cookie_id_new_round_trip)
{
    struct http_cookie_key k;
    test_key(&k);
    uint8_t a[16], b[16], got[16];
    ck_assert_int_eq(http_cookie_id_new(a), 0);
    ck_assert_int_eq(http_cookie_id_new(b), 0);
    ck_assert(memcmp(a, b, 16) != 0);
    for (int round = 0; round < 200; round++) {
        ck_assert_int_eq(http_cookie_id_new(a), 0);
        char out[HTTP_COOKIE_SIGNED_LEN + 1];
        ck_assert_int_eq(http_cookie_id_sign(&k, a, out, sizeof(out)), 0);
        ck_assert_uint_eq(strlen(out), HTTP_COOKIE_SIGNED_LEN);
        /* Usable as a cookie value as is. */
        ck_assert_int_eq(http_cookie_set_format("uid", 3, out, HTTP_COOKIE_SIGNED_LEN, NULL,
                                                (char[128]){0}, 128, NULL),
                         0);
        ck_assert_int_eq(verify_str(&k, out, HTTP_COOKIE_SIGNED_LEN, got), 0);
        ck_assert(memcmp(a, got, 16) == 0);
    }
}
END_TEST

START_TEST(test_http_cookie_key_from_hex)
{
    struct http_cookie_key k, ref;
    test_key(&ref);
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    ck_assert_int_eq(http_cookie_key_from_hex(hex, 64, &k), 0);
    ck_assert(memcmp(k.bytes, ref.bytes, 32) == 0);
    memset(&k, 0x77, sizeof(k));
    ck_assert_int_eq(http_cookie_key_from_hex(hex, 63, &k), -EINVAL);
    ck_assert_int_eq(http_cookie_key_from_hex(hex, 62, &k), -EINVAL);
    char bad[65];
    memcpy(bad, hex, 65);
    bad[10] = 'g';
    ck_assert_int_eq(http_cookie_key_from_hex(bad, 64, &k), -EINVAL);
    bad[10] = ' ';
    ck_assert_int_eq(http_cookie_key_from_hex(bad, 64, &k), -EINVAL);
    ck_assert_int_eq(http_cookie_key_from_hex(NULL, 64, &k), -EINVAL);
    /* A failed parse leaves the key untouched. */
    ck_assert_uint_eq(k.bytes[0], 0x77);
}
END_TEST

/* ---- key file ----------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/labnet-cookie-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert(write(fd, data, n) == (ssize_t)n);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

START_TEST(test_http_cookie_key_create_then_load)
{
    make_tmpdir();
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/cookie.key", tmpdir);
    struct http_cookie_key k1, k2;
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k1, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, 32);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k2, NULL, 0), 0);
    ck_assert(memcmp(k1.bytes, k2.bytes, 32) == 0);
    /* The file holds exactly the key, and no temporary file is left. */
    uint8_t raw[33];
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, raw, sizeof(raw)), 32);
    close(fd);
    ck_assert(memcmp(raw, k1.bytes, 32) == 0);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    unlink(path);
    /* A fresh file gets a fresh key. */
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k2, NULL, 0), 0);
    ck_assert(memcmp(k1.bytes, k2.bytes, 32) != 0);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

START_TEST(test_http_cookie_key_bad_files)
{
    make_tmpdir();
    char path[128], err[256];
    struct http_cookie_key k;
    uint8_t bytes[40] = {1};
    snprintf(path, sizeof(path), "%s/key", tmpdir);

    write_file(path, bytes, 31, 0600);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "31 bytes"));
    write_file(path, bytes, 33, 0600);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "33 bytes"));
    write_file(path, bytes, 0, 0600);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EINVAL);
    /* Right size, too open. */
    write_file(path, bytes, 32, 0644);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "0644"));
    write_file(path, bytes, 32, 0600);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), 0);
    ck_assert_uint_eq(k.bytes[0], 1);
    unlink(path);
    /* A directory at the path. */
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "regular"));
    rmdir(path);
    /* A FIFO does not hang the load. */
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EINVAL);
    unlink(path);
    /* Unreadable (not testable as root, who reads anything). */
    if (geteuid() != 0) {
        write_file(path, bytes, 32, 0000);
        ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -EACCES);
        ck_assert_ptr_nonnull(strstr(err, path));
        unlink(path);
    }
    /* Missing state directory: not created behind the admin's back. */
    snprintf(path, sizeof(path), "%s/nodir/key", tmpdir);
    ck_assert_int_eq(http_cookie_key_load_or_create(path, &k, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "nodir"));
    rmdir(tmpdir);
}
END_TEST

static Suite *http_cookie_suite(void)
{
    Suite *s = suite_create("http_cookie");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_http_cookie_iter_golden);
    tcase_add_test(tc, test_http_cookie_iter_bounded);
    tcase_add_test(tc, test_http_cookie_find);
    tcase_add_test(tc, test_http_cookie_set_format_golden);
    tcase_add_test(tc, test_http_cookie_set_format_refuses_bad_input);
    tcase_add_test(tc, test_http_cookie_set_format_room);
    tcase_add_test(tc, test_http_cookie_set_parse_golden);
    tcase_add_test(tc, test_http_cookie_set_parse_rejects);
    tcase_add_test(tc, test_http_cookie_set_parse_attr_cap);
    tcase_add_test(tc, test_http_cookie_set_round_trip);
    tcase_add_test(tc, test_http_cookie_id_sign_golden);
    tcase_add_test(tc, test_http_cookie_id_verify);
    tcase_add_test(tc, test_http_cookie_id_new_round_trip);
    tcase_add_test(tc, test_http_cookie_key_from_hex);
    tcase_add_test(tc, test_http_cookie_key_create_then_load);
    tcase_add_test(tc, test_http_cookie_key_bad_files);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_cookie_suite)
