#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "common/mime.h"
#include "testutil.h"

#define FIXTURE TEST_DATA_DIR "/http/mime.types"

START_TEST(test_mime_builtin_table)
{
    struct mime_table *t = mime_table_new(NULL, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_gt(mime_table_count(t), 30);
    ck_assert_str_eq(mime_lookup(t, "index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "/a/b/app.JS"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "data.json"), "application/json; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "logo.svg"), "image/svg+xml; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "x.webmanifest"), "application/manifest+json");
    ck_assert_str_eq(mime_lookup(t, "pic.PNG"), "image/png");
    ck_assert_str_eq(mime_lookup(t, "a.tar.gz"), "application/gzip");
    ck_assert_str_eq(mime_lookup(t, "mod.wasm"), "application/wasm");
    ck_assert_str_eq(mime_lookup(t, "unknown.zzz"), "application/octet-stream");
    mime_table_free(t);
    mime_table_free(NULL);
}
END_TEST

/* The last extension only; a leading or trailing dot is no extension;
 * a directory's dot does not count. */
START_TEST(test_mime_lookup_name_rules)
{
    struct mime_table *t = mime_table_new(NULL, NULL);
    ck_assert_ptr_nonnull(t);
    const char *def = "application/octet-stream";
    ck_assert_str_eq(mime_lookup(t, "x.html.bak"), def);
    ck_assert_str_eq(mime_lookup(t, "x.txt.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, ".html"), def);
    ck_assert_str_eq(mime_lookup(t, "dir/.css"), def);
    ck_assert_str_eq(mime_lookup(t, "x."), def);
    ck_assert_str_eq(mime_lookup(t, "x.html."), def);
    ck_assert_str_eq(mime_lookup(t, ""), def);
    ck_assert_str_eq(mime_lookup(t, "noext"), def);
    ck_assert_str_eq(mime_lookup(t, "a.html/README"), def);
    ck_assert_str_eq(mime_lookup(t, "a.html/"), def);
    ck_assert_str_eq(mime_lookup(t, "..css"), "text/css; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "x.HtMl"), "text/html; charset=utf-8");
    /* Long or odd extensions never match, never overflow. */
    char longname[300];
    memset(longname, 'h', sizeof(longname));
    longname[0] = 'x';
    longname[1] = '.';
    longname[sizeof(longname) - 1] = '\0';
    ck_assert_str_eq(mime_lookup(t, longname), def);
    ck_assert_str_eq(mime_lookup(t, "x.h\xc3\xa9"), def);
    mime_table_free(t);
}
END_TEST

START_TEST(test_mime_options)
{
    struct mime_table *t = mime_table_new("text/plain", "iso-8859-1");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(mime_lookup(t, "x.unknown"), "text/plain; charset=iso-8859-1");
    ck_assert_str_eq(mime_lookup(t, "x.css"), "text/css; charset=iso-8859-1");
    ck_assert_str_eq(mime_lookup(t, "x.png"), "image/png");
    mime_table_free(t);
    t = mime_table_new("application/x-unknown", "");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(mime_lookup(t, "x"), "application/x-unknown");
    ck_assert_str_eq(mime_lookup(t, "x.html"), "text/html");
    mime_table_free(t);
    ck_assert_ptr_null(mime_table_new("nosubtype", NULL));
    ck_assert_ptr_null(mime_table_new("text/plain\r\nX: y", NULL));
    ck_assert_ptr_null(mime_table_new(NULL, "utf-8\r\nX: y"));
    ck_assert_ptr_null(mime_table_new(NULL, "utf 8"));
}
END_TEST

START_TEST(test_mime_load_fixture)
{
    struct mime_table *t = mime_table_new(NULL, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mime_table_load(t, FIXTURE), 0);
    ck_assert_uint_eq(mime_table_skipped(t), 9);
    /* The file replaced the built-ins: "css" is not in it. */
    ck_assert_str_eq(mime_lookup(t, "a.css"), "application/octet-stream");
    ck_assert_str_eq(mime_lookup(t, "a.htm"), "text/html; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "a.cust"), "Text/X-Custom; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "a.js"), "application/javascript; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "a.svgz"), "image/svg+xml; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "a.dup"), "application/x-second");
    ck_assert_str_eq(mime_lookup(t, "a.ok1"), "application/x-ok");
    ck_assert_str_eq(mime_lookup(t, "a.ok2"), "application/x-ok");
    ck_assert_str_eq(mime_lookup(t, "a.b@d"), "application/octet-stream");
    char name[64];
    snprintf(name, sizeof(name), "a.%032d", 0);
    memset(name + 2, 'x', 32);
    ck_assert_str_eq(mime_lookup(t, name), "application/x-long");
    ck_assert_str_eq(mime_lookup(t, "a.txt"), "text/plain; charset=utf-8");
    ck_assert_str_eq(mime_lookup(t, "a.last"), "application/x-last");
    ck_assert_str_eq(mime_lookup(t, "a.longline"), "application/octet-stream");
    ck_assert_str_eq(mime_lookup(t, "a.nul"), "application/octet-stream");
    ck_assert_str_eq(mime_lookup(t, "a.bad1"), "application/octet-stream");
    ck_assert_uint_eq(mime_table_count(t), 16);
    mime_table_free(t);
}
END_TEST

START_TEST(test_mime_load_missing_keeps_builtin)
{
    struct mime_table *t = mime_table_new(NULL, NULL);
    ck_assert_ptr_nonnull(t);
    size_t n = mime_table_count(t);
    ck_assert_int_eq(mime_table_load(t, "/nonexistent/mime.types"), -ENOENT);
    ck_assert_uint_eq(mime_table_count(t), n);
    ck_assert_str_eq(mime_lookup(t, "a.css"), "text/css; charset=utf-8");
    /* A directory opens but cannot be read. */
    ck_assert_int_lt(mime_table_load(t, "/"), 0);
    ck_assert_str_eq(mime_lookup(t, "a.css"), "text/css; charset=utf-8");
    /* An empty file is a valid, empty table. */
    ck_assert_int_eq(mime_table_load(t, "/dev/null"), 0);
    ck_assert_uint_eq(mime_table_count(t), 0);
    ck_assert_str_eq(mime_lookup(t, "a.css"), "application/octet-stream");
    mime_table_free(t);
}
END_TEST

/* MIME_MAX_ENTRIES bounds the table; the rest is skipped and counted. */
START_TEST(test_mime_load_entry_cap)
{
    char path[] = "/tmp/labnet-mime-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    size_t total = MIME_MAX_ENTRIES + 100;
    for (size_t i = 0; i < total; i++)
        fprintf(f, "application/x-%zu e%zu E%zu\n", i, i, i); /* E%zu duplicates e%zu */
    fclose(f);
    struct mime_table *t = mime_table_new(NULL, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mime_table_load(t, path), 0);
    ck_assert_uint_eq(mime_table_count(t), MIME_MAX_ENTRIES);
    ck_assert_uint_eq(mime_table_skipped(t), 2 * (total - MIME_MAX_ENTRIES));
    ck_assert_str_eq(mime_lookup(t, "a.e0"), "application/x-0");
    ck_assert_str_eq(mime_lookup(t, "a.E8191"), "application/x-8191");
    ck_assert_str_eq(mime_lookup(t, "a.e8192"), "application/octet-stream");
    mime_table_free(t);
    unlink(path);
}
END_TEST

/* Differential check against the system's /etc/mime.types read by a
 * deliberately naive reference (strtok, linear search, last line wins):
 * every extension the reference sees maps to the same type. */
START_TEST(test_mime_load_system_file_matches_reference)
{
    const char *path = "/etc/mime.types";
    FILE *f = fopen(path, "r");
    if (!f)
        return; /* media-types not installed: nothing to compare */
    struct mime_table *t = mime_table_new(NULL, "");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mime_table_load(t, path), 0);
    ck_assert_uint_eq(mime_table_skipped(t), 0);
    ck_assert_uint_gt(mime_table_count(t), 1000);
    static char exts[4096][40], types[4096][128];
    size_t n = 0;
    char line[2048];
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *type = strtok_r(line, " \t\r\n", &save);
        if (!type)
            continue;
        for (char *e; (e = strtok_r(NULL, " \t\r\n", &save));) {
            size_t k = 0;
            while (k < n && strcasecmp(exts[k], e) != 0)
                k++;
            if (k == n) {
                ck_assert_uint_lt(n, 4096);
                n++;
            }
            snprintf(exts[k], sizeof(exts[k]), "%s", e);
            snprintf(types[k], sizeof(types[k]), "%s", type);
        }
    }
    fclose(f);
    ck_assert_uint_eq(n, mime_table_count(t));
    for (size_t k = 0; k < n; k++) {
        /* "cwl.json" is stored but "file.cwl.json" is a ".json" file:
         * only the last extension counts. */
        if (strchr(exts[k], '.'))
            continue;
        char name[sizeof(exts[k]) + 8];
        snprintf(name, sizeof(name), "file.%.39s", exts[k]);
        ck_assert_msg(strcmp(mime_lookup(t, name), types[k]) == 0, "%s: %s vs %s", exts[k],
                      mime_lookup(t, name), types[k]);
    }
    mime_table_free(t);
}
END_TEST

static Suite *mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_mime_builtin_table);
    tcase_add_test(tc, test_mime_lookup_name_rules);
    tcase_add_test(tc, test_mime_options);
    tcase_add_test(tc, test_mime_load_fixture);
    tcase_add_test(tc, test_mime_load_missing_keeps_builtin);
    tcase_add_test(tc, test_mime_load_entry_cap);
    tcase_add_test(tc, test_mime_load_system_file_matches_reference);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(mime_suite)
