/* The lease database: commits survive a close, the table reloads whole, a
 * damaged file is refused (never recreated), --leases lists read-only. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dhcp_build.h"
#include "common/log.h"
#include "dhcpd/conf.h"
#include "dhcpd/engine.h"
#include "dhcpd/lease.h"
#include "dhcpd/store.h"
#include "testutil.h"

#define T0 1700000000

static const char conf_text[] = "[subnet 10.0.0.0/24]\n"
                                "pool = 10.0.0.10-10.0.0.19\n"
                                "[host printer]\n"
                                "mac = 02:00:00:00:00:99\n"
                                "address = 10.0.0.12\n"
                                "hostname = printer\n";

struct fx {
    char dir[64];
    char path[128];
    struct dhcpd_conf *conf;
    struct lease_table *t;
    struct lease_store *s;
    struct dhcpd_engine e;
    struct dhcpd_iface ifc;
    char err[512];
};

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    log_set_output(-1, false);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dhcpd-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, LEASE_STORE_FILE);
    ck_assert_int_eq(dhcpd_conf_load_string(conf_text, NULL, &f->conf), 0);
    ck_assert_int_eq(lease_table_new(f->conf, &f->t), 0);
    dhcpd_engine_init(&f->e, f->conf, f->t);
    snprintf(f->ifc.name, sizeof(f->ifc.name), "veth0");
    f->ifc.addr = test_ip4("10.0.0.1");
}

static void fx_free(struct fx *f)
{
    lease_store_close(f->s);
    lease_table_free(f->t);
    dhcpd_conf_free(f->conf);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void fx_send(struct fx *f, struct dhcp_request *rq, int64_t now, int want)
{
    uint8_t buf[600];
    size_t len;
    struct dhcpd_out out;
    ck_assert_int_eq(dhcp_build_request(rq, buf, sizeof(buf), &len), 0);
    ck_assert_int_eq(dhcpd_engine_handle(&f->e, &f->ifc, buf, len, now, &out), want);
}

/* Binds client mac to addr through the engine. */
static void bind_client(struct fx *f, uint8_t mac, const char *addr, const char *host)
{
    struct dhcp_request rq = {
        .type = DHCP_REQUEST,
        .state = DHCP_REQ_SELECTING,
        .htype = 1,
        .hlen = 6,
        .chaddr = {2, 0, 0, 0, 0, mac},
        .requested = test_ip4(addr),
        .server_id = f->ifc.addr,
        .host_name = (const uint8_t *)host,
        .host_name_len = host ? strlen(host) : 0,
    };
    fx_send(f, &rq, T0, 1);
}

START_TEST(test_dhcpd_store_commit_survives_reopen)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    bind_client(&f, 1, "10.0.0.15", "laptop");
    bind_client(&f, 0x99, "10.0.0.12", NULL);
    static const uint8_t cid[] = {1, 2, 0, 0, 0, 0, 7};
    struct dhcp_request rq = {.type = DHCP_REQUEST,
                              .state = DHCP_REQ_SELECTING,
                              .htype = 1,
                              .hlen = 6,
                              .chaddr = {2, 0, 0, 0, 0, 7},
                              .requested = test_ip4("10.0.0.16"),
                              .server_id = f.ifc.addr,
                              .client_id = cid,
                              .client_id_len = sizeof(cid)};
    fx_send(&f, &rq, T0, 1);
    /* An offer: never written. */
    struct dhcp_request d = {
        .type = DHCP_DISCOVER, .htype = 1, .hlen = 6, .chaddr = {2, 0, 0, 0, 0, 8}};
    fx_send(&f, &d, T0, 1);
    ck_assert_uint_eq(f.t->n_dirty, 3);
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0, f.err, sizeof(f.err)), 0);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    ck_assert(!lease_table_find_addr(f.t, test_ip4("10.0.0.15"))->dirty);
    /* Release one, commit again (the same row is replaced). */
    struct dhcp_request rel = {.type = DHCP_RELEASE,
                               .htype = 1,
                               .hlen = 6,
                               .chaddr = {2, 0, 0, 0, 0, 1},
                               .ciaddr = test_ip4("10.0.0.15"),
                               .server_id = f.ifc.addr};
    fx_send(&f, &rel, T0 + 5, 0);
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0 + 5, f.err, sizeof(f.err)), 0);
    lease_store_close(f.s);
    f.s = NULL;

    /* Reopen into a fresh table, as a restart does. */
    struct lease_table *t2;
    ck_assert_int_eq(lease_table_new(f.conf, &t2), 0);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    size_t loaded, ignored;
    ck_assert_int_eq(lease_store_load(f.s, t2, &loaded, &ignored, f.err, sizeof(f.err)), 0);
    ck_assert_uint_eq(loaded, 3);
    ck_assert_uint_eq(ignored, 0);
    struct lease *l = lease_table_find_addr(t2, test_ip4("10.0.0.15"));
    ck_assert_uint_eq(l->state, LEASE_RELEASED);
    ck_assert_str_eq(l->hostname, "laptop");
    ck_assert_uint_eq(l->hlen, 6);
    ck_assert_uint_eq(l->chaddr[5], 1);
    l = lease_table_find_addr(t2, test_ip4("10.0.0.12"));
    ck_assert_uint_eq(l->state, LEASE_BOUND);
    ck_assert_int_eq(l->expires, T0 + 3600);
    ck_assert_str_eq(l->hostname, "printer");
    /* The client-id lease is found again by its id. */
    uint8_t key[LEASE_KEY_MAX];
    size_t kl = lease_key_make(key, cid, sizeof(cid), 1, 6, rq.chaddr);
    l = lease_table_find_client(t2, 0, key, kl);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(l->addr, test_ip4("10.0.0.16"));
    ck_assert_uint_eq(lease_table_find_addr(t2, test_ip4("10.0.0.10"))->state, LEASE_FREE);
    lease_table_free(t2);
    fx_free(&f);
}
END_TEST

/* The server's group commit takes copies on the loop and writes them on
 * another thread while the table goes on changing: what is written is the
 * state at the take, the last copy of an address wins, and a failed write
 * gives the addresses back to the next commit. */
START_TEST(test_dhcpd_store_batch_is_a_snapshot)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    struct lease_batch b = {0};
    bind_client(&f, 1, "10.0.0.15", "before");
    /* An offer is not worth a row: it is not even dirty. */
    struct dhcp_request d = {
        .type = DHCP_DISCOVER, .htype = 1, .hlen = 6, .chaddr = {2, 0, 0, 0, 0, 8}};
    fx_send(&f, &d, T0, 1);
    ck_assert_uint_eq(f.t->n_dirty, 1);
    /* Marked dirty anyway (as the DDNS scan may), the offer (.10, the
     * first free address) still gets no row. */
    ck_assert_uint_eq(lease_table_find_addr(f.t, test_ip4("10.0.0.10"))->state, LEASE_OFFERED);
    lease_table_mark_dirty(f.t, lease_table_find_addr(f.t, test_ip4("10.0.0.10")));
    ck_assert_uint_eq(f.t->n_dirty, 2);
    ck_assert_int_eq(lease_batch_take(&b, f.t), 0);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    struct lease *l = lease_table_find_addr(f.t, test_ip4("10.0.0.15"));
    ck_assert(!l->dirty);
    /* The table changes after the take: the batch does not. */
    snprintf(l->hostname, sizeof(l->hostname), "after");
    ck_assert_str_eq(b.v[0].hostname, "before");
    /* A second take appends: the same address twice, the later copy last. */
    lease_table_mark_dirty(f.t, l);
    bind_client(&f, 2, "10.0.0.16", NULL);
    ck_assert_int_eq(lease_batch_take(&b, f.t), 0);
    ck_assert_uint_eq(b.n, 3);
    ck_assert_int_eq(lease_store_write(f.s, &b, T0, f.err, sizeof(f.err)), 0);
    lease_batch_free(&b);

    /* After a failed write the server gives the entries back to the next
     * commit: redirty marks each address again, once. */
    bind_client(&f, 3, "10.0.0.17", NULL);
    ck_assert_int_eq(lease_batch_take(&b, f.t), 0);
    ck_assert_uint_eq(f.t->n_dirty, 0);
    lease_batch_redirty(&b, f.t);
    lease_batch_redirty(&b, f.t);
    ck_assert_uint_eq(f.t->n_dirty, 1);
    ck_assert(lease_table_find_addr(f.t, test_ip4("10.0.0.17"))->dirty);
    lease_batch_free(&b);
    lease_store_close(f.s);
    f.s = NULL;

    /* On disk: the later copy of .15, and .16; not .17 (never written). */
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    struct lease_table *t2;
    ck_assert_int_eq(lease_table_new(f.conf, &t2), 0);
    size_t loaded, ignored;
    ck_assert_int_eq(lease_store_load(f.s, t2, &loaded, &ignored, f.err, sizeof(f.err)), 0);
    ck_assert_uint_eq(loaded, 2);
    ck_assert_str_eq(lease_table_find_addr(t2, test_ip4("10.0.0.15"))->hostname, "after");
    ck_assert_uint_eq(lease_table_find_addr(t2, test_ip4("10.0.0.16"))->state, LEASE_BOUND);
    ck_assert_uint_eq(lease_table_find_addr(t2, test_ip4("10.0.0.17"))->state, LEASE_FREE);
    lease_table_free(t2);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_store_is_wal_and_full_sync)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    bind_client(&f, 1, "10.0.0.15", NULL);
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0, f.err, sizeof(f.err)), 0);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* A second connection sees the committed row while ours is open. */
    ck_assert_int_eq(
        sqlite3_prepare_v2(db, "SELECT state FROM leases WHERE address='10.0.0.15'", -1, &st, NULL),
        SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "bound");
    sqlite3_finalize(st);
    sqlite3_close(db);
    fx_free(&f);
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void expect_refused(struct fx *f, const char *what)
{
    struct stat before, after;
    ck_assert_int_eq(stat(f->path, &before), 0);
    int rc = lease_store_open(f->path, &f->s, f->err, sizeof(f->err));
    if (rc == 0) {
        /* quick_check passed: the damage must then show when loading. */
        size_t loaded, ignored;
        rc = lease_store_load(f->s, f->t, &loaded, &ignored, f->err, sizeof(f->err));
        lease_store_close(f->s);
        f->s = NULL;
        ck_assert_msg(rc != 0, "%s: accepted", what);
        return;
    }
    ck_assert_msg(rc == -EBADMSG, "%s: %d", what, rc);
    ck_assert_ptr_null(strstr(f->err, "%")); /* formatted */
    ck_assert_ptr_nonnull(strstr(f->err, f->path));
    ck_assert_int_eq(stat(f->path, &after), 0);
    ck_assert_int_eq(before.st_size, after.st_size); /* not recreated */
}

START_TEST(test_dhcpd_store_refuses_garbage)
{
    struct fx f;
    fx_init(&f);
    write_file(f.path, "not a database at all, just some text.\n", 40);
    expect_refused(&f, "text");
    ck_assert_ptr_nonnull(strstr(f.err, "unreadable"));
    /* An empty file may be a truncated database: refused, not reused. */
    write_file(f.path, "", 0);
    expect_refused(&f, "empty");
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_store_refuses_foreign_schema)
{
    struct fx f;
    fx_init(&f);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(f.path, &db), SQLITE_OK);
    ck_assert_int_eq(
        sqlite3_exec(db, "CREATE TABLE other (x); INSERT INTO other VALUES (1);", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    expect_refused(&f, "foreign");
    ck_assert_ptr_nonnull(strstr(f.err, "not a labnet-dhcpd lease database"));
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_store_refuses_damaged_pages)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    for (int i = 10; i <= 19; i++) {
        char a[16];
        snprintf(a, sizeof(a), "10.0.0.%d", i);
        if (i != 12)
            bind_client(&f, (uint8_t)i, a, "a-rather-long-host-name-to-fill-pages");
    }
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0, f.err, sizeof(f.err)), 0);
    lease_store_close(f.s); /* checkpoints the WAL into the file */
    f.s = NULL;
    struct stat sb;
    ck_assert_int_eq(stat(f.path, &sb), 0);
    ck_assert_int_ge(sb.st_size, 8192);
    /* Scribble over the leases table's page (page 2). */
    int fd = open(f.path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    uint8_t junk[512];
    memset(junk, 0xa5, sizeof(junk));
    ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
    close(fd);
    expect_refused(&f, "scribbled");
    /* A database cut short (a half-written copy). */
    ck_assert_int_eq(truncate(f.path, 100), 0);
    expect_refused(&f, "truncated");
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_store_ignores_rows_outside_pools)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    bind_client(&f, 1, "10.0.0.18", NULL);
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0, f.err, sizeof(f.err)), 0);
    struct dhcpd_conf *small;
    ck_assert_int_eq(
        dhcpd_conf_load_string("[subnet 10.0.0.0/24]\npool = 10.0.0.10-10.0.0.11\n", NULL, &small),
        0);
    struct lease_table *t2;
    ck_assert_int_eq(lease_table_new(small, &t2), 0);
    size_t loaded, ignored;
    ck_assert_int_eq(lease_store_load(f.s, t2, &loaded, &ignored, f.err, sizeof(f.err)), 0);
    ck_assert_uint_eq(loaded, 0);
    ck_assert_uint_eq(ignored, 1);
    lease_table_free(t2);
    dhcpd_conf_free(small);
    fx_free(&f);
}
END_TEST

START_TEST(test_dhcpd_store_list_json)
{
    struct fx f;
    fx_init(&f);
    ck_assert_int_eq(lease_store_open(f.path, &f.s, f.err, sizeof(f.err)), 0);
    bind_client(&f, 1, "10.0.0.15", "lap\"top");
    ck_assert_int_eq(lease_store_commit(f.s, f.t, T0, f.err, sizeof(f.err)), 0);
    char out[4096] = "";
    FILE *m = fmemopen(out, sizeof(out) - 1, "w");
    ck_assert_int_eq(lease_store_list(f.path, true, T0 + 10, m), 0);
    fclose(m);
    /* The server connection is still open: the listing reads beside it. */
    ck_assert_ptr_nonnull(strstr(out, "\"address\": \"10.0.0.15\", \"mac\": \"02:00:00:00:00:01\", "
                                      "\"client_id\": null, \"hostname\": \"laptop\", \"state\": "
                                      "\"bound\", \"expires\": 1700003600"));
    m = fmemopen(out, sizeof(out) - 1, "w");
    ck_assert_int_eq(lease_store_list(f.path, false, T0 + 7200, m), 0);
    fclose(m);
    ck_assert_ptr_nonnull(strstr(out, "expired"));
    fx_free(&f);
}
END_TEST

static Suite *dhcpd_store_suite(void)
{
    Suite *s = suite_create("dhcpd_store");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpd_store_commit_survives_reopen);
    tcase_add_test(tc, test_dhcpd_store_batch_is_a_snapshot);
    tcase_add_test(tc, test_dhcpd_store_is_wal_and_full_sync);
    tcase_add_test(tc, test_dhcpd_store_refuses_garbage);
    tcase_add_test(tc, test_dhcpd_store_refuses_foreign_schema);
    tcase_add_test(tc, test_dhcpd_store_refuses_damaged_pages);
    tcase_add_test(tc, test_dhcpd_store_ignores_rows_outside_pools);
    tcase_add_test(tc, test_dhcpd_store_list_json);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcpd_store_suite)
