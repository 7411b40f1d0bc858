/*
 * fetch_cache: labnet-fetch's on-disk HTTP cache (--cache DIR).  For each
 * URL it keeps the last 200 body with its validators (ETag,
 * Last-Modified); the next request sends If-None-Match /
 * If-Modified-Since, and a 304 answer reuses the stored body.  Files are
 * named by SHA-256 of the URL and replaced atomically (temp + rename), so
 * an interrupted download never leaves a half body behind a validator.
 */
#ifndef LABNET_CLIENTS_FETCH_CACHE_H
#define LABNET_CLIENTS_FETCH_CACHE_H

#include <stdbool.h>
#include <stdio.h>

#include "clients/atomic_file.h"
#include "common/http_url.h"

struct fetch_cache_entry {
    bool present;
    char etag[256];
    char last_modified[64];
    char body_path[4200];
    char meta_path[4200];
    struct atomic_file body; /* being written; body.f NULL when not */
};

/* Looks url up in dir; e->present says whether validators were found. */
void fetch_cache_lookup(const char *dir, const struct http_url *url, struct fetch_cache_entry *e);

/* Starts storing a new body (after a 200 with a validator). */
int fetch_cache_begin(struct fetch_cache_entry *e);
/* Appends body bytes; on failure the entry is dropped silently. */
void fetch_cache_write(struct fetch_cache_entry *e, const void *data, size_t len);
/* Commits the body and validators (complete body) or discards them. */
int fetch_cache_end(struct fetch_cache_entry *e, bool complete, const char *etag, size_t etag_len,
                    const char *lastmod, size_t lastmod_len);

/* Copies the stored body to out.  Returns 0 or a negative errno. */
int fetch_cache_replay(const struct fetch_cache_entry *e, FILE *out);

#endif
