/*
 * cookiejar: labnet-fetch's cookies, stored in the Netscape/curl file
 * format (-b to read, -c to write) and matched per RFC 6265: domain-match
 * (5.1.3), path-match and default-path (5.1.4), Max-Age over Expires
 * (5.3 step 3), host-only cookies without Domain (5.3 step 6), Secure
 * cookies never sent over plain http, HttpOnly kept ("#HttpOnly_" prefix,
 * as curl writes it).  Bounded: at most COOKIEJAR_MAX cookies.
 */
#ifndef LABNET_CLIENTS_COOKIEJAR_H
#define LABNET_CLIENTS_COOKIEJAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/http_url.h"

#define COOKIEJAR_MAX 1000

struct jar_cookie {
    char domain[HTTP_URL_HOST_MAX];
    bool host_only;
    char path[512];
    bool secure;
    bool http_only;
    int64_t expires; /* unix time; 0 = session cookie */
    char name[128];
    char value[1024];
};

struct cookiejar {
    struct jar_cookie *c;
    size_t n;
};

void cookiejar_init(struct cookiejar *j);
void cookiejar_free(struct cookiejar *j);

/* Reads a Netscape-format file; a missing file is an empty jar (0).
 * Malformed lines are skipped.  Returns 0 or a negative errno. */
int cookiejar_load(struct cookiejar *j, const char *path);

/* Writes the jar (expired cookies dropped) atomically: temp file + rename. */
int cookiejar_save(const struct cookiejar *j, const char *path, time_t now);

/* Applies a Set-Cookie value received for url.  Returns 0 when stored or
 * deleted, -EBADMSG when ignored (malformed, foreign Domain). */
int cookiejar_store(struct cookiejar *j, const struct http_url *url, const char *hdr, size_t len,
                    time_t now);

/* Writes the Cookie header value for a request to url ("a=b; c=d"), most
 * specific path first (RFC 6265 5.4).  Returns its length (0: none). */
size_t cookiejar_header(const struct cookiejar *j, const struct http_url *url, time_t now,
                        char *out, size_t cap);

#endif
