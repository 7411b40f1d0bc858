/*
 * atomic_file: write a file so that readers see the old one or the whole
 * new one, never a part: a temporary file in the same folder, written,
 * fsync'd and renamed over the target.  Used for labnet-fetch's cookie jar
 * and cache.
 */
#ifndef LABNET_CLIENTS_ATOMIC_FILE_H
#define LABNET_CLIENTS_ATOMIC_FILE_H

#include <stdio.h>

struct atomic_file {
    FILE *f; /* write here between open and commit/abort */
    char tmp[4352];
    char path[4336];
};

/* Creates the temporary file for path.  Returns 0 or a negative errno
 * (-ENAMETOOLONG when the names do not fit). */
int atomic_file_open(struct atomic_file *a, const char *path);

/* Flushes, fsyncs and renames over path.  On any failure the temporary
 * file is removed and path is left as it was.  Returns 0 or -errno. */
int atomic_file_commit(struct atomic_file *a);

/* Discards what was written. */
void atomic_file_abort(struct atomic_file *a);

#endif
