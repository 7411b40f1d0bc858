#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "common/config.h"
#include "testutil.h"

static struct cfg *load(const char *text)
{
    struct cfg *c = cfg_new();
    ck_assert_ptr_nonnull(c);
    cfg_load_string(c, "test.conf", text);
    return c;
}

/* True when some recorded error contains all of the given fragments. */
static int has_error(const struct cfg *c, const char *a, const char *b)
{
    for (size_t i = 0; i < cfg_error_count(c); i++) {
        const char *e = cfg_error(c, i);
        if (e && strstr(e, a) && (!b || strstr(e, b)))
            return 1;
    }
    return 0;
}

START_TEST(test_config_defaults_without_file)
{
    struct cfg *c = cfg_new();
    int64_t port = 5353;
    bool on = true;
    ck_assert_int_eq(cfg_get_int(c, "server", "port", 1, 65535, &port), -ENOENT);
    ck_assert_int_eq(cfg_get_bool(c, "server", "verbose", &on), -ENOENT);
    ck_assert_int_eq(port, 5353);
    ck_assert(on);
    ck_assert_int_eq(cfg_finish(c), 0);
    ck_assert_uint_eq(cfg_error_count(c), 0);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_typed_getters)
{
    struct cfg *c = load("# comment\n"
                         "[server]\n"
                         "port = 5353\n"
                         "ipv6 = no ; inline comment\n"
                         "timeout = 1h30m\n"
                         "short = 250ms\n"
                         "bare = 30\n"
                         "cache = 64M\n"
                         "listen = [::1]:53\n"
                         "allow = 10.0.0.0/8\n"
                         "root = /srv/www\n"
                         "hints = root.hints\n"
                         "name = labnet lab\n");
    int64_t port = 0;
    bool ipv6 = true;
    uint64_t ms = 0, ms2 = 0, ms3 = 0, size = 0;
    struct net_addr a;
    struct net_cidr cidr;
    const char *root = NULL, *hints = NULL, *name = NULL;
    ck_assert_int_eq(cfg_get_int(c, "server", "port", 1, 65535, &port), 0);
    ck_assert_int_eq(port, 5353);
    ck_assert_int_eq(cfg_get_bool(c, "server", "ipv6", &ipv6), 0);
    ck_assert(!ipv6);
    ck_assert_int_eq(cfg_get_duration(c, "server", "timeout", 0, UINT64_MAX, &ms), 0);
    ck_assert_uint_eq(ms, 5400000);
    ck_assert_int_eq(cfg_get_duration(c, "server", "short", 0, UINT64_MAX, &ms2), 0);
    ck_assert_uint_eq(ms2, 250);
    ck_assert_int_eq(cfg_get_duration(c, "server", "bare", 0, UINT64_MAX, &ms3), 0);
    ck_assert_uint_eq(ms3, 30000);
    ck_assert_int_eq(cfg_get_size(c, "server", "cache", 0, UINT64_MAX, &size), 0);
    ck_assert_uint_eq(size, 64u << 20);
    ck_assert_int_eq(cfg_get_addr(c, "server", "listen", 5353, &a), 0);
    ck_assert_int_eq(a.port, 53);
    ck_assert_int_eq(cfg_get_cidr(c, "server", "allow", &cidr), 0);
    ck_assert_uint_eq(cidr.prefix, 8);
    ck_assert_int_eq(cfg_get_path(c, "server", "root", &root), 0);
    ck_assert_str_eq(root, "/srv/www");
    ck_assert_int_eq(cfg_get_str(c, "server", "name", &name), 0);
    ck_assert_str_eq(name, "labnet lab");
    /* No directory in the source name: a relative path stays as given. */
    ck_assert_int_eq(cfg_get_path(c, "server", "hints", &hints), 0);
    ck_assert_str_eq(hints, "root.hints");
    ck_assert_int_eq(cfg_finish(c), 0);
    cfg_free(c);
}
END_TEST

/* The acceptance check of the foundation issue: an error names file, line
 * and key. */
START_TEST(test_config_bad_value_names_file_line_key)
{
    struct cfg *c = load("[server]\n"
                         "\n"
                         "port = 70000\n"
                         "verbose = maybe\n"
                         "timeout = 5 minutes\n"
                         "listen = 1.2.3.4:99999\n"
                         "allow = 10.0.0.0/40\n"
                         "cache = 12Q\n");
    int64_t port = 53;
    bool b = false;
    uint64_t ms = 7, sz = 9;
    struct net_addr a = {0};
    struct net_cidr cidr = {0};
    ck_assert_int_eq(cfg_get_int(c, "server", "port", 1, 65535, &port), -EINVAL);
    ck_assert_int_eq(port, 53); /* unchanged on error */
    ck_assert_int_eq(cfg_get_bool(c, "server", "verbose", &b), -EINVAL);
    ck_assert_int_eq(cfg_get_duration(c, "server", "timeout", 0, UINT64_MAX, &ms), -EINVAL);
    ck_assert_uint_eq(ms, 7);
    ck_assert_int_eq(cfg_get_addr(c, "server", "listen", 53, &a), -EINVAL);
    ck_assert_int_eq(cfg_get_cidr(c, "server", "allow", &cidr), -EINVAL);
    ck_assert_int_eq(cfg_get_size(c, "server", "cache", 0, UINT64_MAX, &sz), -EINVAL);
    ck_assert_uint_eq(sz, 9);
    ck_assert(has_error(c, "test.conf:3: [server] port: 70000 is out of range 1..65535", NULL));
    ck_assert(has_error(c, "test.conf:4: [server] verbose:", "not a boolean"));
    ck_assert(has_error(c, "test.conf:5: [server] timeout:", "not a duration"));
    ck_assert(has_error(c, "test.conf:6: [server] listen:", "not an address"));
    ck_assert(has_error(c, "test.conf:7: [server] allow:", "not a network"));
    ck_assert(has_error(c, "test.conf:8: [server] cache:", "not a size"));
    ck_assert_int_eq(cfg_finish(c), -EINVAL);
    ck_assert_uint_eq(cfg_error_count(c), 6);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_int_edge_cases)
{
    struct cfg *c = load("[a]\nx = -5\ny = 9223372036854775808\nz = 12abc\nw =\nv = +7\n");
    int64_t v = 0;
    ck_assert_int_eq(cfg_get_int(c, "a", "x", -10, 10, &v), 0);
    ck_assert_int_eq(v, -5);
    ck_assert_int_eq(cfg_get_int(c, "a", "y", INT64_MIN, INT64_MAX, &v), -EINVAL);
    ck_assert_int_eq(cfg_get_int(c, "a", "z", 0, 100, &v), -EINVAL);
    ck_assert_int_eq(cfg_get_int(c, "a", "w", 0, 100, &v), -EINVAL);
    ck_assert_int_eq(cfg_get_int(c, "a", "v", 0, 100, &v), 0);
    ck_assert_int_eq(v, 7);
    ck_assert(has_error(c, "test.conf:3: [a] y:", "not an integer"));
    cfg_free(c);
}
END_TEST

START_TEST(test_config_duration_overflow_rejected)
{
    struct cfg *c = load("[a]\nd = 99999999999999999999w\ne = 3000000000000w\nf = 10x\ng = 1h1\n");
    uint64_t ms = 1;
    ck_assert_int_eq(cfg_get_duration(c, "a", "d", 0, UINT64_MAX, &ms), -EINVAL);
    ck_assert_int_eq(cfg_get_duration(c, "a", "e", 0, UINT64_MAX, &ms), -EINVAL);
    ck_assert_int_eq(cfg_get_duration(c, "a", "f", 0, UINT64_MAX, &ms), -EINVAL);
    ck_assert_int_eq(cfg_get_duration(c, "a", "g", 0, UINT64_MAX, &ms), -EINVAL);
    ck_assert_uint_eq(ms, 1);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_unknown_section_and_key)
{
    struct cfg *c = load("[server]\nport = 53\nprot = 54\n[sevrer]\nport = 1\nx = 2\n");
    int64_t port = 0;
    ck_assert_int_eq(cfg_get_int(c, "server", "port", 1, 65535, &port), 0);
    ck_assert_int_eq(cfg_finish(c), -EINVAL);
    ck_assert(has_error(c, "test.conf:3: [server] prot: unknown key", NULL));
    ck_assert(has_error(c, "test.conf:5: unknown section [sevrer]", NULL));
    /* One message for the unknown section, not one per key in it. */
    ck_assert_uint_eq(cfg_error_count(c), 2);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_duplicate_key)
{
    struct cfg *c = load("[s]\nport = 1\nport = 2\n");
    int64_t v = 0;
    ck_assert_int_eq(cfg_get_int(c, "s", "port", 0, 10, &v), 0);
    ck_assert(has_error(c, "test.conf:3: [s] port: set more than once (first at line 2)", NULL));
    cfg_free(c);
}
END_TEST

START_TEST(test_config_syntax_errors_every_line)
{
    struct cfg *c = cfg_new();
    int rc = cfg_load_string(c, "bad.conf", "[ok]\njunk line\n[unclosed\nk = v\nmore junk\n");
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert(has_error(c, "bad.conf:2:", "syntax error"));
    ck_assert(has_error(c, "bad.conf:3:", "syntax error"));
    ck_assert(has_error(c, "bad.conf:5:", "syntax error"));
    cfg_free(c);
}
END_TEST

START_TEST(test_config_continuation_line_is_error)
{
    /* inih would glue an indented line onto the previous value; we refuse. */
    struct cfg *c = cfg_new();
    ck_assert_int_eq(cfg_load_string(c, "t.conf", "[a]\nx = 1\n  2\n"), -EINVAL);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_long_line_reported_not_cut)
{
    char text[600];
    int n = snprintf(text, sizeof(text), "[a]\nname = ");
    memset(text + n, 'x', 400);
    snprintf(text + n + 400, sizeof(text) - (size_t)n - 400, "\nafter = 1\n");
    struct cfg *c = cfg_new();
    ck_assert_int_eq(cfg_load_string(c, "t.conf", text), -EINVAL);
    ck_assert(has_error(c, "t.conf:2:", "line longer than"));
    const char *v;
    ck_assert_int_eq(cfg_get_str(c, "a", "name", &v), -ENOENT);
    int64_t after = 0;
    ck_assert_int_eq(cfg_get_int(c, "a", "after", 0, 9, &after), 0);
    ck_assert_int_eq(after, 1);
    ck_assert_int_eq(cfg_line(c, "a", "after"), 3); /* line count survives */
    cfg_free(c);
}
END_TEST

START_TEST(test_config_file_relative_path_and_missing_file)
{
    char dir[] = "/tmp/labnet-cfg-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/d.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[dns]\nroot-hints = hints/named.root\n", f);
    fclose(f);
    struct cfg *c = cfg_new();
    ck_assert_int_eq(cfg_load_file(c, path), 0);
    const char *p;
    ck_assert_int_eq(cfg_get_path(c, "dns", "root-hints", &p), 0);
    char want[160];
    snprintf(want, sizeof(want), "%s/hints/named.root", dir);
    ck_assert_str_eq(p, want);
    cfg_free(c);
    unlink(path);
    rmdir(dir);

    c = cfg_new();
    ck_assert_int_eq(cfg_load_file(c, "/nonexistent/labnet.conf"), -ENOENT);
    ck_assert(has_error(c, "/nonexistent/labnet.conf: cannot open", NULL));
    cfg_free(c);
}
END_TEST

START_TEST(test_config_lists)
{
    struct cfg *c = load("[s]\nlisten = 127.0.0.1, [::1]:5353\nlisten = 10.0.0.1\n"
                         "allow = 10.0.0.0/8 192.168.0.0/16\nbad = 1.2.3.4, nope\n");
    struct net_addr a[4];
    struct net_cidr cidr[1];
    size_t n = 0;
    ck_assert_int_eq(cfg_get_addr_list(c, "s", "listen", 53, a, 4, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(a[0].port, 53);
    ck_assert_int_eq(a[1].port, 5353);
    ck_assert_int_eq(a[2].family, AF_INET);
    ck_assert_int_eq(cfg_get_cidr_list(c, "s", "allow", cidr, 1, &n), -EINVAL);
    ck_assert(has_error(c, "test.conf:4: [s] allow: more than 1 values", NULL));
    ck_assert_int_eq(cfg_get_addr_list(c, "s", "bad", 53, a, 4, &n), -EINVAL);
    ck_assert(has_error(c, "test.conf:5: [s] bad: \"nope\" is not an address", NULL));
    ck_assert_int_eq(cfg_get_addr_list(c, "s", "none", 53, a, 4, &n), -ENOENT);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_str_list_keeps_lines)
{
    struct cfg *c = load("[cache]\nrule = /static/ 7d\n\nrule = .css 1h\nrule = x\n");
    const char *v[2];
    int lines[2];
    size_t n = 0;
    ck_assert_int_eq(cfg_get_str_list(c, "cache", "rule", v, lines, 2, &n), -EINVAL);
    ck_assert(has_error(c, "test.conf:5: [cache] rule: more than 2 values", NULL));
    ck_assert_int_eq(cfg_get_str_list(c, "cache", "rule", v, lines, 3 - 1, &n), -EINVAL);
    const char *w[3];
    int wl[3];
    ck_assert_int_eq(cfg_get_str_list(c, "cache", "rule", w, wl, 3, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(w[1], ".css 1h");
    ck_assert_int_eq(wl[1], 4);
    cfg_error_line(c, wl[2], "cache", "rule", "\"%s\" needs a duration", w[2]);
    ck_assert(has_error(c, "test.conf:5: [cache] rule: \"x\" needs a duration", NULL));
    ck_assert_int_eq(cfg_get_str_list(c, "cache", "none", w, wl, 3, &n), -ENOENT);
    cfg_free(c);
}
END_TEST

START_TEST(test_config_sections_and_program_errors)
{
    struct cfg *c = load("[subnet a]\nx=1\n[subnet b]\ny=2\n[subnet a]\nz=3\n");
    size_t it = 0;
    const char *name;
    ck_assert(cfg_section_next(c, &it, &name));
    ck_assert_str_eq(name, "subnet a");
    ck_assert(cfg_section_next(c, &it, &name));
    ck_assert_str_eq(name, "subnet b");
    ck_assert(!cfg_section_next(c, &it, &name));
    cfg_error_at(c, "subnet b", "y", "pool lies outside the subnet");
    ck_assert(has_error(c, "test.conf:4: [subnet b] y: pool lies outside the subnet", NULL));
    cfg_free(c);
}
END_TEST

START_TEST(test_config_error_cap)
{
    char text[8192] = "[a]\n";
    for (int i = 0; i < 100; i++)
        strcat(text, "junk\n");
    struct cfg *c = cfg_new();
    ck_assert_int_eq(cfg_load_string(c, "t", text), -EINVAL);
    ck_assert_uint_eq(cfg_error_count(c), 100);
    ck_assert_ptr_null(cfg_error(c, 40)); /* only the first ones are kept */
    cfg_free(c);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_config_defaults_without_file);
    tcase_add_test(tc, test_config_typed_getters);
    tcase_add_test(tc, test_config_bad_value_names_file_line_key);
    tcase_add_test(tc, test_config_int_edge_cases);
    tcase_add_test(tc, test_config_duration_overflow_rejected);
    tcase_add_test(tc, test_config_unknown_section_and_key);
    tcase_add_test(tc, test_config_duplicate_key);
    tcase_add_test(tc, test_config_syntax_errors_every_line);
    tcase_add_test(tc, test_config_continuation_line_is_error);
    tcase_add_test(tc, test_config_long_line_reported_not_cut);
    tcase_add_test(tc, test_config_file_relative_path_and_missing_file);
    tcase_add_test(tc, test_config_lists);
    tcase_add_test(tc, test_config_sections_and_program_errors);
    tcase_add_test(tc, test_config_str_list_keeps_lines);
    tcase_add_test(tc, test_config_error_cap);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(config_suite)
