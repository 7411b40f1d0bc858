/*
 * filecache: a worker's open-file and metadata cache, like nginx's
 * open_file_cache.  It maps a confined relative path (as http_path made
 * it) to an open descriptor and its stat, so repeated requests for a small
 * file or a 304 revalidation cost no open/fstat/close.
 *
 * Hits revalidate by mtime with one fstat of the cached descriptor (at
 * most once per millisecond of loop time), so a file changed in place is
 * served with its new length and ETag at once (one system call, often
 * none, instead of openat2 + fstat + close).  After
 * valid_ms the next lookup reopens the path (openat2 beneath the root
 * again, so confinement is rechecked) and replaces the entry when inode,
 * size or mtime changed: a file replaced by rename is seen within
 * valid_ms, as with nginx's open_file_cache_valid.  Errors (missing
 * files) are not cached.  Entries are referenced by the responses that
 * send from them and closed only when unreferenced.  One cache per worker
 * thread: no locking.  Bounded by max entries (clock eviction of
 * unreferenced ones; when all are in use, the file is opened uncached).
 *
 * Regular files up to FC_INLINE_MAX bytes are also read into memory when
 * they enter the cache (at most FC_INLINE_BUDGET bytes per cache), so
 * their responses go out with the head in one sendmsg instead of a
 * sendmsg and a sendfile.  A revalidation that sees the file changed
 * drops the entry and reads it again; responses in flight keep the copy
 * they started with, consistent with the length and ETag they announced.
 */
#ifndef LABNET_HTTPD_FILECACHE_H
#define LABNET_HTTPD_FILECACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/http_date.h"
#include "common/http_etag.h"

struct filecache;

#define FC_INLINE_MAX    (16u << 10)
#define FC_INLINE_BUDGET (8u << 20)

/* What a response derives from a cached file's identity (its validators),
 * kept with the cache entry so repeated hits skip formatting them.  The
 * handler fills and checks it: it holds for the stat fields and the ETag
 * variant in its key, which the handler compares on every use (an entry's
 * stat is refreshed in place when the file changes without new data). */
struct fc_memo {
    uint64_t ino, size;
    int64_t mtime_ns;
    bool set;
    bool lastmod_set; /* lastmod is filled (a 304 never needs it) */
    uint8_t variant_len;
    char variant[HTTP_ETAG_VARIANT_MAX];
    char etag[HTTP_ETAG_BUFSZ];
    char lastmod[HTTP_DATE_BUFSZ];
};

struct fc_file {
    int fd;
    struct stat st;
    struct fc_entry *entry; /* NULL: not cached, the caller closes fd */
    const char *data;       /* the whole file as st describes it, or NULL */
};

/* A cache of at most max entries (0 disables it). */
struct filecache *filecache_new(unsigned max, uint64_t valid_ms);
void filecache_free(struct filecache *fc);

/* Drops every entry (on reload: the root may have changed); entries still
 * referenced close when released. */
void filecache_clear(struct filecache *fc);

/* Opens path below root_fd (openat2 RESOLVE_BENEATH | NO_MAGICLINKS,
 * O_RDONLY) and fstats it, through the cache.  now_ms is the loop time.
 * Returns 0 with *out filled, or a negative errno from openat2/fstat.
 * fc may be NULL (no cache). */
int filecache_open(struct filecache *fc, int root_fd, const char *path, uint64_t now_ms,
                   struct fc_file *out);

/* The in-memory copy of an entry's file (st_size bytes), or NULL; valid
 * while the caller holds its reference. */
const char *filecache_data(const struct fc_entry *e);

/* f's memo slot (see struct fc_memo), or NULL when f is not cached. */
struct fc_memo *filecache_memo(const struct fc_file *f);

/* Releases what filecache_open returned (closes an uncached fd). */
void filecache_release(struct fc_file *f);

/* Opens without the cache (also used by the cache itself). */
int filecache_open_beneath(int root_fd, const char *path, int flags);

#endif
