#include "dhcpd/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SCHEMA_VERSION 1

struct lease_store {
    sqlite3 *db;
    sqlite3_stmt *put;
};

static const char schema[] = "CREATE TABLE leases ("
                             " address TEXT PRIMARY KEY,"
                             " state TEXT NOT NULL,"
                             " htype INTEGER NOT NULL,"
                             " hwaddr BLOB NOT NULL,"
                             " client_id BLOB,"
                             " hostname TEXT,"
                             " expires INTEGER NOT NULL,"
                             " updated INTEGER NOT NULL,"
                             " ddns_name TEXT);"
                             "PRAGMA user_version = 1;";

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t cap, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err, cap, fmt, ap); /* a long reason is cut, never lost */
    va_end(ap);
    return rc;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t cap)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(err, cap, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -EIO;
}

/* One integer from a one-row query, or -1. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* An existing file must be our database, whole. */
static int verify(sqlite3 *db, const char *path, char *err, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
        return fail(err, cap, -EBADMSG, "lease database %s is unreadable (%s)", path,
                    sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    const unsigned char *res = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (!res || strcmp((const char *)res, "ok") != 0) {
        char why[200];
        snprintf(why, sizeof(why), "%s", res ? (const char *)res : sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return fail(err, cap, -EBADMSG, "lease database %s is corrupt (%s)", path, why);
    }
    sqlite3_finalize(st);
    if (query_int(db, "PRAGMA user_version") != SCHEMA_VERSION ||
        query_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                      "name='leases'") != 1)
        return fail(err, cap, -EBADMSG,
                    "%s is not a labnet-dhcpd lease database (schema version %d expected)", path,
                    SCHEMA_VERSION);
    return 0;
}

/* Schema 1 files from before DDNS lack the ddns_name column (the name a
 * lease published in DNS).  Adding a nullable column keeps the schema
 * version: older labnet-dhcpd binaries name their columns and still read
 * and write the file (they just do not remember published names). */
static int migrate(sqlite3 *db, char *err, size_t cap)
{
    if (query_int(db, "SELECT count(*) FROM pragma_table_info('leases') WHERE "
                      "name='ddns_name'") == 1)
        return 0;
    return exec(db, "ALTER TABLE leases ADD COLUMN ddns_name TEXT", err, cap);
}

int lease_store_open(const char *path, struct lease_store **out, char *err, size_t cap)
{
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    struct lease_store *s = calloc(1, sizeof(*s));
    if (!s)
        return fail(err, cap, -ENOMEM, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (exists ? 0 : SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = fail(err, cap, rc == SQLITE_CANTOPEN ? -EACCES : -EIO,
                  "cannot open lease database %s: %s", path,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        lease_store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 1000);
    char why[256] = "";
    if (exists && (rc = verify(s->db, path, err, cap)) != 0) {
        lease_store_close(s);
        return rc;
    }
    /* WAL: appends, readers (--leases) never block the server; FULL:
     * every commit is fsync'd before it returns (RFC 2131 4.3.2 expects a
     * server to remember what it acknowledged). */
    if (exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", why, sizeof(why)) != 0 ||
        (!exists && exec(s->db, schema, why, sizeof(why)) != 0) ||
        (exists && migrate(s->db, why, sizeof(why)) != 0) ||
        sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO leases (address, state, htype, hwaddr, "
                           "client_id, hostname, expires, updated, ddns_name) "
                           "VALUES (?,?,?,?,?,?,?,?,?)",
                           -1, &s->put, NULL) != SQLITE_OK) {
        if (!why[0])
            snprintf(why, sizeof(why), "%s", sqlite3_errmsg(s->db));
        rc = fail(err, cap, exists ? -EBADMSG : -EIO, "lease database %s: %s", path, why);
        lease_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void lease_store_close(struct lease_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    free(s);
}

static int state_parse(const unsigned char *t)
{
    if (!t)
        return -1;
    if (strcmp((const char *)t, "bound") == 0)
        return LEASE_BOUND;
    if (strcmp((const char *)t, "released") == 0)
        return LEASE_RELEASED;
    if (strcmp((const char *)t, "declined") == 0)
        return LEASE_DECLINED;
    return -1;
}

int lease_store_load(struct lease_store *s, struct lease_table *t, size_t *loaded, size_t *ignored,
                     char *err, size_t cap)
{
    sqlite3_stmt *st;
    *loaded = *ignored = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT address, state, htype, hwaddr, client_id, hostname, expires, "
                           "ddns_name FROM leases",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(err, cap, -EIO, "cannot read leases: %s", sqlite3_errmsg(s->db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct in_addr a;
        const unsigned char *addr = sqlite3_column_text(st, 0);
        int state = state_parse(sqlite3_column_text(st, 1));
        int64_t htype = sqlite3_column_int64(st, 2);
        const void *hw = sqlite3_column_blob(st, 3);
        int hwlen = sqlite3_column_bytes(st, 3);
        const void *cid = sqlite3_column_blob(st, 4);
        int cidlen = sqlite3_column_bytes(st, 4);
        const unsigned char *host = sqlite3_column_text(st, 5);
        struct lease *l = NULL;
        if (addr && inet_pton(AF_INET, (const char *)addr, &a) == 1)
            l = lease_table_find_addr(t, a.s_addr);
        if (!l || state < 0 || htype < 0 || htype > 255 || hwlen > DHCP_CHADDR_LEN ||
            cidlen > DHCPD_CLIENT_ID_MAX) {
            (*ignored)++;
            continue;
        }
        uint8_t key[LEASE_KEY_MAX];
        l->state = (uint8_t)state;
        l->used = true;
        l->htype = (uint8_t)htype;
        l->hlen = (uint8_t)hwlen;
        memset(l->chaddr, 0, sizeof(l->chaddr));
        if (hwlen)
            memcpy(l->chaddr, hw, (size_t)hwlen);
        size_t klen =
            lease_key_make(key, cidlen ? cid : NULL, (size_t)cidlen, l->htype, l->hlen, l->chaddr);
        lease_table_set_client(t, l, key, state == LEASE_DECLINED ? 0 : klen);
        snprintf(l->hostname, sizeof(l->hostname), "%s", host ? (const char *)host : "");
        l->expires = sqlite3_column_int64(st, 6);
        const unsigned char *pub = sqlite3_column_text(st, 7);
        if (pub && strlen((const char *)pub) < DNS_NAME_TEXT_MAX &&
            lease_set_ddns_pub(l, (const char *)pub) != 0) {
            sqlite3_finalize(st);
            return fail(err, cap, -ENOMEM, "out of memory");
        }
        (*loaded)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(err, cap, -EIO, "cannot read leases: %s", sqlite3_errmsg(s->db));
    return 0;
}

static int put(struct lease_store *s, const struct lease *l, int64_t now)
{
    static const char *const names[] = {"free", "offered", "bound", "released", "declined"};
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &l->addr, addr, sizeof(addr));
    sqlite3_stmt *st = s->put;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, names[l->state], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, l->htype);
    sqlite3_bind_blob(st, 4, l->chaddr, l->hlen, SQLITE_TRANSIENT);
    if (l->key_len > 1 && l->key[0] == 'c')
        sqlite3_bind_blob(st, 5, l->key + 1, l->key_len - 1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 5);
    if (l->hostname[0])
        sqlite3_bind_text(st, 6, l->hostname, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_int64(st, 7, l->expires);
    sqlite3_bind_int64(st, 8, now);
    if (l->ddns_pub)
        sqlite3_bind_text(st, 9, l->ddns_pub, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 9);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* Offers and free entries are not worth a row: whatever the row said
 * before stays (an expired lease is history we keep). */
static bool worth_a_row(const struct lease *l)
{
    return l->state == LEASE_BOUND || l->state == LEASE_RELEASED || l->state == LEASE_DECLINED;
}

int lease_batch_take(struct lease_batch *b, struct lease_table *t)
{
    size_t want = b->n + t->n_dirty;
    if (want > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < want)
            cap *= 2;
        struct lease *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    size_t n = b->n;
    for (size_t i = 0; i < t->n_dirty; i++) {
        const struct lease *l = &t->v[t->dirty[i]];
        if (!worth_a_row(l))
            continue;
        struct lease *c = &b->v[n];
        *c = *l;
        c->ddns_pub = NULL;
        if (l->ddns_pub && !(c->ddns_pub = strdup(l->ddns_pub))) {
            while (n > b->n)
                free(b->v[--n].ddns_pub);
            return -ENOMEM;
        }
        n++;
    }
    b->n = n;
    for (size_t i = 0; i < t->n_dirty; i++)
        t->v[t->dirty[i]].dirty = false;
    t->n_dirty = 0;
    return 0;
}

void lease_batch_redirty(const struct lease_batch *b, struct lease_table *t)
{
    for (size_t i = 0; i < b->n; i++) {
        struct lease *l = lease_table_find_addr(t, b->v[i].addr);
        if (l)
            lease_table_mark_dirty(t, l);
    }
}

void lease_batch_clear(struct lease_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].ddns_pub);
    b->n = 0;
}

void lease_batch_free(struct lease_batch *b)
{
    lease_batch_clear(b);
    free(b->v);
    b->v = NULL;
    b->cap = 0;
}

int lease_store_write(struct lease_store *s, const struct lease_batch *b, int64_t now, char *err,
                      size_t cap)
{
    if (b->n == 0)
        return 0;
    if (exec(s->db, "BEGIN IMMEDIATE", err, cap) != 0)
        return -EIO;
    for (size_t i = 0; i < b->n; i++) {
        if (put(s, &b->v[i], now) != 0) {
            snprintf(err, cap, "%s", sqlite3_errmsg(s->db));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
    }
    if (exec(s->db, "COMMIT", err, cap) != 0) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -EIO;
    }
    return 0;
}

int lease_store_commit(struct lease_store *s, struct lease_table *t, int64_t now, char *err,
                       size_t cap)
{
    struct lease_batch b = {0};
    if (lease_batch_take(&b, t) != 0) {
        lease_batch_free(&b); /* it may have grown before failing */
        snprintf(err, cap, "out of memory");
        return -ENOMEM;
    }
    int rc = lease_store_write(s, &b, now, err, cap);
    if (rc != 0)
        lease_batch_redirty(&b, t);
    lease_batch_free(&b);
    return rc;
}

static void hex(const void *p, int n, char sep, char *out, size_t cap)
{
    const uint8_t *b = p;
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n && k + 4 < cap; i++) {
        if (i)
            out[k++] = sep;
        k += (size_t)snprintf(out + k, cap - k, "%02x", b[i]);
    }
}

/* JSON string body: the stored names are ours or a client's option 12,
 * so escape everything outside printable ASCII. */
static void json_str(FILE *out, const char *s)
{
    fprintf(out, "\"");
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\u%04x", ch);
        else
            fprintf(out, "%c", ch);
    }
    fprintf(out, "\"");
}

int lease_store_list(const char *path, bool json, int64_t now, FILE *out)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT address, hwaddr, client_id, hostname, state, expires FROM "
                           "leases ORDER BY expires DESC",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "labnet-dhcpd: cannot read lease database %s: %s\n", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, 2000);
    if (json)
        fprintf(out, "%s", "[");
    else
        fprintf(out, "%-15s  %-17s  %-20s  %-16s  %-8s  %s\n", "ADDRESS", "MAC", "CLIENT-ID",
                "HOSTNAME", "STATE", "EXPIRES");
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char mac[64], cid[3 * DHCPD_CLIENT_ID_MAX + 1], when[32] = "-";
        const unsigned char *addr = sqlite3_column_text(st, 0);
        hex(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), ':', mac, sizeof(mac));
        hex(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), ':', cid, sizeof(cid));
        const unsigned char *host = sqlite3_column_text(st, 3);
        const unsigned char *state = sqlite3_column_text(st, 4);
        int64_t exp = sqlite3_column_int64(st, 5);
        const char *shown = state ? (const char *)state : "?";
        if (strcmp(shown, "bound") == 0 && exp <= now)
            shown = "expired";
        time_t tt = (time_t)exp;
        struct tm tm;
        if (!gmtime_r(&tt, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(when, sizeof(when), "-");
        if (json) {
            fprintf(out, "%s\n  {\"address\": ", n ? "," : "");
            json_str(out, addr ? (const char *)addr : "");
            fprintf(out, ", \"mac\": ");
            json_str(out, mac);
            fprintf(out, ", \"client_id\": ");
            if (cid[0])
                json_str(out, cid);
            else
                fprintf(out, "%s", "null");
            fprintf(out, ", \"hostname\": ");
            if (host)
                json_str(out, (const char *)host);
            else
                fprintf(out, "%s", "null");
            fprintf(out, ", \"state\": ");
            json_str(out, shown);
            fprintf(out, ", \"expires\": %lld, \"expires_at\": \"%s\"}", (long long)exp, when);
        } else {
            fprintf(out, "%-15s  %-17s  %-20s  %-16s  %-8s  %s\n", addr ? (const char *)addr : "",
                    mac, cid[0] ? cid : "-", host ? (const char *)host : "-", shown, when);
        }
        n++;
    }
    if (json)
        fprintf(out, "%s", n ? "\n]\n" : "]\n");
    int ret = rc == SQLITE_DONE ? 0 : -EIO;
    if (ret)
        fprintf(stderr, "labnet-dhcpd: reading %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}
