/*
 * http_cookie: HTTP cookies (RFC 6265) for labnet-httpd and labnet-fetch.
 *
 *   - Cookie request headers: a lenient, bounded iterator over name/value
 *     slices and a find-by-name helper (server side, RFC 6265 5.4 / 4.2.1).
 *   - Set-Cookie values: a builder into a caller buffer that refuses bytes
 *     RFC 6265 4.1.1 forbids (server side), and a bounded parser into
 *     slices (client side, RFC 6265 5.2).
 *   - Visitor ids in the manner of nginx's userid module: a random 128-bit
 *     id, carried as "ID.SIG" where both halves are base64url without
 *     padding and SIG = HMAC-SHA256(key, id).  The server trusts an id only
 *     after verifying it in constant time; anything else is "no cookie".
 *   - The HMAC key: from 64 hex digits (configuration) or from a 32-byte
 *     file in a state directory, created atomically when missing.
 *
 * Parsers never allocate and return slices of the caller's header, which
 * must outlive them.  Errors are 0 or a negative errno: -EBADMSG malformed,
 * -EMSGSIZE no room in the output, -E2BIG a cap exceeded, -EINVAL a value
 * the caller passed is not allowed.
 */
#ifndef LABNET_HTTP_COOKIE_H
#define LABNET_HTTP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Pieces (well-formed or not) examined per Cookie header before the
 * iterator stops: browsers send far fewer, a hostile peer sends more. */
#define HTTP_COOKIE_MAX_PAIRS 128
/* Attributes examined per Set-Cookie header. */
#define HTTP_COOKIE_MAX_ATTRS 32

/* ---- Cookie request header ------------------------------------------- */

struct http_cookie_iter {
    const char *pos;
    const char *end;
    unsigned examined; /* pieces looked at so far */
    bool truncated;    /* stopped at HTTP_COOKIE_MAX_PAIRS with input left */
};

struct http_cookie_pair {
    const char *name; /* slices of the header */
    size_t name_len;
    const char *value; /* without surrounding DQUOTEs; may be empty */
    size_t value_len;
};

/* Starts iterating the Cookie header value hdr[0..len). */
void http_cookie_iter_init(struct http_cookie_iter *it, const char *hdr, size_t len);

/* Yields the next well-formed pair: true with *pair set, false at the end
 * (or after HTTP_COOKIE_MAX_PAIRS pieces, with it->truncated set).
 * Lenient like browsers and nginx: ";" with or without a space, blanks
 * around "=", quoted values (quotes stripped), empty values.  A piece with
 * no "=", an empty or non-token name, or a control byte is skipped. */
bool http_cookie_next(struct http_cookie_iter *it, struct http_cookie_pair *pair);

/* Finds the first cookie named name[0..name_len) (case-sensitive, RFC 6265
 * 5.4 lists the most specific first).  Returns 0 with *value and *value_len
 * set (a slice of hdr) or -ENOENT. */
int http_cookie_find(const char *hdr, size_t len, const char *name, size_t name_len,
                     const char **value, size_t *value_len);

/* ---- Set-Cookie: building (server) ----------------------------------- */

enum http_cookie_samesite {
    HTTP_COOKIE_SAMESITE_UNSET = 0,
    HTTP_COOKIE_SAMESITE_STRICT,
    HTTP_COOKIE_SAMESITE_LAX,
    HTTP_COOKIE_SAMESITE_NONE,
};

struct http_cookie_attrs {
    const char *path;   /* NULL: omitted.  No CTLs, no ';' (RFC 6265 4.1.1) */
    const char *domain; /* NULL: omitted (host-only).  Letters, digits, '-', '.' */
    bool has_max_age;
    int64_t max_age; /* seconds, >= 0; 0 deletes the cookie */
    bool has_expires;
    time_t expires; /* written as an IMF-fixdate (RFC 9110 5.6.7) */
    bool secure;
    bool http_only;
    enum http_cookie_samesite samesite; /* NONE requires secure */
};

/* Writes "name=value; Path=...; ..." (the Set-Cookie field value) NUL-
 * terminated into out[0..cap), its length to *out_len (may be NULL).
 * attrs may be NULL.  Returns 0, -EINVAL (the name is not a token, the
 * value has a byte outside cookie-octet (a DQUOTE pair around it is
 * allowed), a bad Path or Domain, a negative Max-Age, SameSite=None
 * without Secure, a date outside years 1970..9999), or -EMSGSIZE. */
int http_cookie_set_format(const char *name, size_t name_len, const char *value, size_t value_len,
                           const struct http_cookie_attrs *attrs, char *out, size_t cap,
                           size_t *out_len);

/* ---- Set-Cookie: parsing (client) ------------------------------------ */

struct http_set_cookie {
    const char *name; /* slices of the header, NULL/0 when absent */
    size_t name_len;
    const char *value; /* as sent: quotes are kept (RFC 6265 5.2 step 5) */
    size_t value_len;
    const char *domain; /* leading '.' removed (5.2.3) */
    size_t domain_len;
    const char *path; /* only when it starts with '/' (5.2.4) */
    size_t path_len;
    const char *expires; /* the date, not parsed */
    size_t expires_len;
    bool has_max_age;
    int64_t max_age; /* <= 0 means "expire now"; saturates at INT64_MAX */
    bool secure;
    bool http_only;
    enum http_cookie_samesite samesite;
    unsigned unknown; /* attributes ignored */
};

/* Parses a Set-Cookie field value per RFC 6265 5.2: the last of a repeated
 * attribute wins, unknown or malformed attributes are ignored (counted).
 * Returns 0, -EBADMSG (no "=" in the name-value pair, an empty name, a
 * control byte: the user agent ignores the whole header) or -E2BIG (more
 * than HTTP_COOKIE_MAX_ATTRS attributes: ignore it too, rather than act on
 * a cookie whose Secure flag might sit beyond the cap). */
int http_cookie_set_parse(const char *hdr, size_t len, struct http_set_cookie *sc);

/* ---- Visitor ids and their signature ---------------------------------- */

#define HTTP_COOKIE_ID_LEN  16
#define HTTP_COOKIE_KEY_LEN 32
/* "ID.SIG": 22 + 1 + 43 characters of base64url without padding. */
#define HTTP_COOKIE_SIGNED_LEN 66

struct http_cookie_key {
    uint8_t bytes[HTTP_COOKIE_KEY_LEN];
};

/* Fills id with 16 bytes from getrandom(2).  Returns 0 or a negative
 * errno (never blocks once the kernel pool is initialised). */
int http_cookie_id_new(uint8_t id[HTTP_COOKIE_ID_LEN]);

/* Writes the signed value "ID.SIG" NUL-terminated into out[0..cap) (cap >=
 * HTTP_COOKIE_SIGNED_LEN + 1).  Returns 0, -EMSGSIZE or -ENOMEM (the HMAC
 * could not be computed). */
int http_cookie_id_sign(const struct http_cookie_key *key, const uint8_t id[HTTP_COOKIE_ID_LEN],
                        char *out, size_t cap);

/* Verifies a cookie value val[0..len) made by http_cookie_id_sign and
 * copies the id out.  Anything but exactly HTTP_COOKIE_SIGNED_LEN canonical
 * base64url characters with a matching signature is -EBADMSG (id is then
 * zeroed): callers treat it as no cookie.  The comparison is constant
 * time; no allocation besides OpenSSL's HMAC. */
int http_cookie_id_verify(const struct http_cookie_key *key, const char *val, size_t len,
                          uint8_t id[HTTP_COOKIE_ID_LEN]);

/* Parses exactly 64 hex digits (either case).  Returns 0 or -EINVAL. */
int http_cookie_key_from_hex(const char *hex, size_t len, struct http_cookie_key *key);

/* Reads a 32-byte key from path, or, when path does not exist, generates
 * one and writes it there atomically (temporary file in the same
 * directory with mode 0600, fsync, rename without replacing, fsync of the
 * directory).  If another process creates the file first, its key is
 * read.  The file must be a regular file, exactly 32 bytes, and not
 * accessible by group or others.  On error a message naming the path is
 * written to err[0..errlen) (err may be NULL) and a negative errno
 * returned: -EINVAL wrong size, -EPERM too open, -ENOENT/-EACCES/... from
 * the system.  Blocking file I/O: call at startup or reload only. */
int http_cookie_key_load_or_create(const char *path, struct http_cookie_key *key, char *err,
                                   size_t errlen);

#endif
