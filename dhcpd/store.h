/*
 * store: the lease database, SQLite in WAL mode with synchronous=FULL, at
 * <state-dir>/dhcpd-leases.sqlite.
 *
 * One row per address that holds something worth keeping across a restart
 * (BOUND, RELEASED, DECLINED entries; OFFERs never).  lease_store_commit
 * writes every dirty entry of the table in ONE transaction: when it returns
 * 0 the rows are on disk (fsync'd WAL), and only then may the server send
 * the ACKs that depend on them.  The file is only ever changed through
 * SQLite's journal: never rewritten in place, never recreated when it is
 * there but unreadable.
 */
#ifndef LABNET_DHCPD_STORE_H
#define LABNET_DHCPD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dhcpd/lease.h"

#define LEASE_STORE_FILE "dhcpd-leases.sqlite"

struct lease_store;

/*
 * Opens (creating when absent) the database at path.  An existing file
 * that is not a lease database of ours, fails SQLite's quick_check or has
 * another schema version is refused: -EBADMSG, with the reason written to
 * err[0..cap) (a sentence fit for the log).  Other failures: a negative
 * errno (-EIO, -EACCES, -ENOMEM) with the reason in err.
 */
int lease_store_open(const char *path, struct lease_store **out, char *err, size_t cap);

/* Closes the database (NULL is fine).  Pending nothing: every commit is
 * already durable. */
void lease_store_close(struct lease_store *s);

/* Fills t from the database.  Rows for addresses t does not hold (a pool
 * that shrank) are left on disk and counted in *ignored.  Returns 0 or
 * -EIO (reason in err). */
int lease_store_load(struct lease_store *s, struct lease_table *t, size_t *loaded, size_t *ignored,
                     char *err, size_t cap);

/*
 * A batch: copies of the table's dirty entries, taken on the loop and
 * written by a threadpool thread while the loop goes on changing the table
 * (dhcpd/server.c).  Entries that are not worth a row (offers, free) are
 * left out.  One address may appear more than once; the last copy wins.
 */
struct lease_batch {
    struct lease *v; /* copies; ddns_pub of each is the batch's own */
    size_t n, cap;
};

/* Appends copies of t's dirty entries to b and clears their dirty marks.
 * Returns 0, or -ENOMEM with t and b as they were. */
int lease_batch_take(struct lease_batch *b, struct lease_table *t);

/* Marks dirty again, in t, every address b holds (after a failed write;
 * t may be a newer table than the one b was taken from). */
void lease_batch_redirty(const struct lease_batch *b, struct lease_table *t);

/* Empties b (keeping its memory); lease_batch_free releases it. */
void lease_batch_clear(struct lease_batch *b);
void lease_batch_free(struct lease_batch *b);

/* Writes b in one fsync'd transaction; now stamps the rows.  Touches only
 * s and b, so it may run on another thread than the table's, one call at
 * a time per store.  Returns 0 once the rows are on disk; -EIO when the
 * write failed (rolled back, reason in err). */
int lease_store_write(struct lease_store *s, const struct lease_batch *b, int64_t now, char *err,
                      size_t cap);

/* lease_batch_take + lease_store_write in one call, on the caller's
 * thread: writes t's dirty entries in one fsync'd transaction and clears
 * their dirty marks.  Returns 0; -EIO when the write failed (rolled back,
 * entries stay dirty, reason in err) or -ENOMEM. */
int lease_store_commit(struct lease_store *s, struct lease_table *t, int64_t now, char *err,
                       size_t cap);

/* Prints every row of the database at path, opened read-only (works while
 * the server runs), as a table or, with json, a JSON array of objects
 * {address, mac, client_id, hostname, state, expires}.  Returns 0 or a
 * negative errno with a message on stderr. */
int lease_store_list(const char *path, bool json, int64_t now, FILE *out);

#endif
