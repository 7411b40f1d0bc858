/*
 * dynzone: the records DNS UPDATE (RFC 2136) adds to labnet-dnsd's local
 * zones, shared by every worker thread and kept across reloads and
 * restarts.
 *
 * One struct dynzone per process, owned by main.  It holds the dynamic
 * records (behind a mutex), the static local data of the current
 * configuration (the "base", a retained struct dnsd_conf), the zones'
 * SOA serial, and a published snapshot: an immutable struct localzone
 * holding base + dynamic records, rebuilt after every update that changed
 * something and after every rebase.  Readers (the workers) keep a
 * reference to a snapshot and swap it only when the generation counter
 * moves, so a query costs one atomic load; an update is visible to every
 * thread's next query as soon as dynzone_update returns.
 *
 * Records from the configuration are read-only: an update may add beside
 * them, and its prerequisites see them, but a deletion that names one
 * leaves it in place (a reload would bring it back anyway).  The SOA of a
 * local zone is synthesized: SOA additions and deletions are ignored
 * (RFC 2136 3.4.2.2 lets the server keep its SOA).
 *
 * Persistence: with a path, every change is written to it atomically
 * (temporary file, fsync, rename, fsync of the directory) before it is
 * published; a change that cannot be written is not applied.  The file
 * is text, one record a line in RFC 3597 generic form:
 *     $SERIAL 7
 *     host1.lab. 300 IN A \# 4 0a4d0005
 */
#ifndef LABNET_DNSD_DYNZONE_H
#define LABNET_DNSD_DYNZONE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"

#define DYNZONE_MAX_RECORDS 65536       /* dynamic records, all zones */
#define DYNZONE_MAX_FILE    (32u << 20) /* persisted file size limit */
#define DYNZONE_FILE        "dnsd-dynamic.zone"

struct dnsd_conf;
struct localzone;
struct dynzone;

/* An immutable view of static + dynamic local data, refcounted. */
struct dynzone_snap {
    atomic_uint refs;
    uint64_t gen;
    struct localzone *lz;
};

/*
 * Creates the store and, when path is not NULL, loads the records saved
 * there (a missing file is an empty store).  It serves nothing until
 * dynzone_rebase gives it the static data.  Returns 0, or -EINVAL with
 * "path:line: reason" in err for a corrupt file, -errno for one that
 * cannot be read, -ENOMEM.
 */
int dynzone_new(const char *path, struct dynzone **out, char *err, size_t errcap);
void dynzone_free(struct dynzone *dz); /* NULL ok; snapshots held elsewhere stay valid */

/*
 * Makes c's local data (retained until the next rebase or free) the base
 * and publishes a new snapshot.  Dynamic records outside c's local zones,
 * or that would put a CNAME beside other data of c, are kept in the store
 * but not served.  Called by main at start-up and on every reload.
 * Returns 0 or -ENOMEM (the previous snapshot stays).
 */
int dynzone_rebase(struct dynzone *dz, struct dnsd_conf *c);

/*
 * For a reader: makes *held the current snapshot (releasing the one it
 * held, which may be NULL) when the generation moved, and returns its
 * local data; NULL before the first rebase.  One atomic load when nothing
 * changed; otherwise a short lock.  The returned data lives while *held is
 * held.
 */
const struct localzone *dynzone_snap_refresh(struct dynzone *dz, struct dynzone_snap **held);
void dynzone_snap_release(struct dynzone_snap *s); /* NULL ok */

/*
 * Applies the UPDATE m (prescanned by dns_update_prescan for zone, its
 * signature already checked) to the store: prerequisites against the
 * zone's current data (RFC 2136 3.2), then every update (3.4.2), all or
 * nothing; on a change the serial is bumped, the file written and a new
 * snapshot published.  Returns the rcode to answer: NOERROR, YXDOMAIN,
 * NXDOMAIN, YXRRSET, NXRRSET (a prerequisite failed), NOTZONE (a record
 * in a deeper local zone), REFUSED (a type local data cannot hold, or
 * DYNZONE_MAX_RECORDS reached), FORMERR (bad RDATA), SERVFAIL (out of
 * memory, the file could not be written, no base yet).
 */
uint8_t dynzone_update(struct dynzone *dz, const struct dns_msg *m, const uint8_t *zone);

/* The zones' SOA serial and the number of dynamic records. */
uint32_t dynzone_serial(struct dynzone *dz);
size_t dynzone_count(struct dynzone *dz);

#endif
