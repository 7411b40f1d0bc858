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

/* Writes t's dirty entries in one fsync'd transaction and clears their
 * dirty marks.  now stamps the rows.  Returns 0; -EIO when the write
 * failed (rolled back, entries stay dirty, reason in err). */
int lease_store_commit(struct lease_store *s, struct lease_table *t, int64_t now, char *err,
                       size_t cap);

/* Prints every row of the database at path, opened read-only (works while
 * the server runs), as a table or, with json, a JSON array of objects
 * {address, mac, client_id, hostname, state, expires}.  Returns 0 or a
 * negative errno with a message on stderr. */
int lease_store_list(const char *path, bool json, int64_t now, FILE *out);

#endif
