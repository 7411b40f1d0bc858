/* labnet-httpd's open-file cache: hits within the validity, revalidation
 * after it, eviction, references that outlive a clear, confinement. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "httpd/filecache.h"
#include "testutil.h"

static char root[64];
static int root_fd;

static void put(const char *rel, const char *text)
{
    char p[256], tmp[272];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    snprintf(tmp, sizeof(tmp), "%s.new", p);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(rename(tmp, p), 0); /* replaced, as deploy tools do */
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/labnet-fc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    put("a.txt", "aaaa");
    put("b.txt", "bb");
    put("c.txt", "c");
    char p[128];
    snprintf(p, sizeof(p), "%s/out", root);
    ck_assert_int_eq(symlink("/etc/hostname", p), 0);
    root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(root_fd, 0);
}

static void teardown(void)
{
    close(root_fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_filecache_hit_then_revalidate)
{
    struct filecache *fc = filecache_new(8, 1000);
    ck_assert_ptr_nonnull(fc);
    struct fc_file f1, f2, f3, f4;
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 0, &f1), 0);
    ck_assert_int_eq(f1.st.st_size, 4);
    ck_assert_ptr_nonnull(f1.entry);
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 500, &f2), 0);
    ck_assert_int_eq(f2.fd, f1.fd); /* a hit: no new descriptor */
    put("a.txt", "changed!");
    /* Still within validity: the cached (old) file. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 999, &f3), 0);
    ck_assert_int_eq(f3.st.st_size, 4);
    /* After it: reopened and seen to have changed. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 1000, &f4), 0);
    ck_assert_int_eq(f4.st.st_size, 8);
    ck_assert_int_ne(f4.fd, f1.fd);
    /* The old descriptor stays usable for responses still sending it. */
    char buf[8];
    ck_assert_int_eq(pread(f1.fd, buf, sizeof(buf), 0), 4);
    filecache_release(&f1);
    filecache_release(&f2);
    filecache_release(&f3);
    filecache_release(&f4);
    filecache_free(fc);
}
END_TEST

static void rewrite(const char *rel, const char *text)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w"); /* truncate and rewrite: same inode */
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A small file is held in memory: a change in place is seen at the next
 * millisecond's revalidation, and read again into a new entry, while a
 * response that started with the old copy keeps it whole. */
START_TEST(test_filecache_in_place_change_seen_at_once)
{
    struct filecache *fc = filecache_new(8, 100000);
    struct fc_file f1, f2, f3;
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 0, &f1), 0);
    ck_assert_int_eq(f1.st.st_size, 2);
    ck_assert_ptr_nonnull(f1.data);
    ck_assert_int_eq(memcmp(f1.data, "bb", 2), 0);
    rewrite("b.txt", "bigger now");
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 1, &f2), 0);
    ck_assert_int_eq(f2.st.st_size, 10); /* its current size */
    ck_assert_ptr_nonnull(f2.data);
    ck_assert_int_eq(memcmp(f2.data, "bigger now", 10), 0);
    ck_assert_int_eq(memcmp(f1.data, "bb", 2), 0); /* the old copy, untouched */
    /* The new entry is the cached one now. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 2, &f3), 0);
    ck_assert_int_eq(f3.fd, f2.fd);
    ck_assert_ptr_eq(f3.data, f2.data);
    filecache_release(&f1);
    filecache_release(&f2);
    filecache_release(&f3);
    filecache_free(fc);
}
END_TEST

/* A file above FC_INLINE_MAX is sent with sendfile from the cached
 * descriptor: a change in place keeps the descriptor and reports the new
 * size at once. */
START_TEST(test_filecache_big_file_in_place_change)
{
    static char big[FC_INLINE_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    rewrite("big.txt", big);
    struct filecache *fc = filecache_new(8, 100000);
    struct fc_file f1, f2;
    ck_assert_int_eq(filecache_open(fc, root_fd, "big.txt", 0, &f1), 0);
    ck_assert_int_eq(f1.st.st_size, (off_t)FC_INLINE_MAX + 1);
    ck_assert_ptr_null(f1.data);
    rewrite("big.txt", "small");
    ck_assert_int_eq(filecache_open(fc, root_fd, "big.txt", 1, &f2), 0);
    ck_assert_int_eq(f2.fd, f1.fd);     /* still the cached descriptor */
    ck_assert_int_eq(f2.st.st_size, 5); /* but its current size */
    ck_assert_ptr_null(f2.data);
    filecache_release(&f1);
    filecache_release(&f2);
    filecache_free(fc);
}
END_TEST

START_TEST(test_filecache_unchanged_file_keeps_entry)
{
    struct filecache *fc = filecache_new(8, 10);
    struct fc_file f1, f2;
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 0, &f1), 0);
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 100, &f2), 0);
    ck_assert_int_eq(f1.fd, f2.fd); /* revalidated, same file: same entry */
    filecache_release(&f1);
    filecache_release(&f2);
    filecache_free(fc);
}
END_TEST

START_TEST(test_filecache_eviction_and_busy_entries)
{
    struct filecache *fc = filecache_new(2, 100000);
    struct fc_file a, b, c, a2;
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 0, &a), 0);
    ck_assert_int_eq(filecache_open(fc, root_fd, "b.txt", 0, &b), 0);
    /* Both entries are in use: c is served uncached. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "c.txt", 0, &c), 0);
    ck_assert_ptr_null(c.entry);
    filecache_release(&c);
    filecache_release(&a);
    filecache_release(&b);
    /* Now one can be evicted to make room. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "c.txt", 1, &c), 0);
    ck_assert_ptr_nonnull(c.entry);
    filecache_release(&c);
    /* A reference survives a clear (a reload) and closes when released. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "a.txt", 2, &a2), 0);
    filecache_clear(fc);
    char buf[4];
    ck_assert_int_eq(pread(a2.fd, buf, sizeof(buf), 0), 4);
    filecache_release(&a2);
    filecache_free(fc);
}
END_TEST

START_TEST(test_filecache_errors_and_confinement)
{
    struct filecache *fc = filecache_new(4, 1000);
    struct fc_file f;
    ck_assert_int_eq(filecache_open(fc, root_fd, "missing", 0, &f), -ENOENT);
    ck_assert_int_eq(filecache_open(fc, root_fd, "out", 0, &f), -EXDEV);
    ck_assert_int_eq(filecache_open(fc, root_fd, "../etc/passwd", 0, &f), -EXDEV);
    /* A file that disappears is noticed at revalidation. */
    ck_assert_int_eq(filecache_open(fc, root_fd, "c.txt", 0, &f), 0);
    filecache_release(&f);
    char p[128];
    snprintf(p, sizeof(p), "%s/c.txt", root);
    unlink(p);
    ck_assert_int_eq(filecache_open(fc, root_fd, "c.txt", 2000, &f), -ENOENT);
    /* No cache at all works too. */
    ck_assert_int_eq(filecache_open(NULL, root_fd, "a.txt", 0, &f), 0);
    ck_assert_ptr_null(f.entry);
    filecache_release(&f);
    filecache_free(fc);
}
END_TEST

static Suite *fc_suite(void)
{
    Suite *s = suite_create("httpd_filecache");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_filecache_hit_then_revalidate);
    tcase_add_test(tc, test_filecache_unchanged_file_keeps_entry);
    tcase_add_test(tc, test_filecache_in_place_change_seen_at_once);
    tcase_add_test(tc, test_filecache_big_file_in_place_change);
    tcase_add_test(tc, test_filecache_eviction_and_busy_entries);
    tcase_add_test(tc, test_filecache_errors_and_confinement);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(fc_suite)
