/*
 * http_etag: entity tags (RFC 9110 8.8.3) and the If-Match / If-None-Match
 * preconditions (RFC 9110 13.1.1, 13.1.2).
 *
 * Tags this server makes are strong and look like
 *     "<inode hex>-<size hex>-<mtime ns hex>"          or
 *     "<inode hex>-<size hex>-<mtime ns hex>:<variant>"
 * so a precompressed sibling (.gz, .br) or a language variant of the same
 * file gets a tag of its own, as RFC 9110 8.8.3 requires of different
 * representations.  (The tag reveals the inode number, as Apache's default
 * did -- CVE-2003-1418 calls that an information leak; it matters only where
 * inode numbers are secret.)
 *
 * Parsed tags are slices of the caller's buffer: nothing here allocates, and
 * a struct http_etag lives no longer than the text it points into.
 *
 * Malformed-input policy, for the server docs: a header value that is not a
 * valid "*" or entity-tag list, or that holds more than HTTP_ETAG_LIST_MAX
 * entity tags, matches nothing.  The match functions say so with a negative
 * return (-EBADMSG or -E2BIG), which the caller treats exactly like 0.  For
 * If-None-Match that means a normal 200; for If-Match a 412.  The whole
 * value is validated before any member counts, so "garbage, <our tag>" is
 * malformed, not a match.  Work is linear in the value's length.
 */
#ifndef LABNET_HTTP_ETAG_H
#define LABNET_HTTP_ETAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest variant suffix http_etag_make takes. */
#define HTTP_ETAG_VARIANT_MAX 32
/* Buffer size that holds any tag http_etag_make writes, with its NUL:
 * quotes, three 16-digit fields, two '-', ':' and the variant. */
#define HTTP_ETAG_BUFSZ (2 + 3 * 16 + 2 + 1 + HTTP_ETAG_VARIANT_MAX + 1)
/* Most entity tags examined in one If-Match / If-None-Match value. */
#define HTTP_ETAG_LIST_MAX 64

/* One parsed entity-tag.  opaque points at the opening DQUOTE inside the
 * parsed text and len counts both quotes: comparisons are on these octets
 * (RFC 9110 8.8.3.2), and the W/ prefix is in weak. */
struct http_etag {
    const char *opaque;
    size_t len;
    bool weak;
};

/*
 * Writes the strong tag of a file with the given inode number, size and
 * modification time (nanoseconds since the epoch, negative allowed) into
 * buf, quotes included, NUL-terminated; the caller owns buf.  variant may be
 * NULL (variant_len 0) for none; else 1..HTTP_ETAG_VARIANT_MAX bytes of
 * [A-Za-z0-9._-] (e.g. "br", "gz", "en-US").  Returns 0, -EINVAL for a bad
 * variant, or -EMSGSIZE when cap is too small (HTTP_ETAG_BUFSZ always
 * suffices); on error buf holds an empty string when cap > 0.
 */
int http_etag_make(char *buf, size_t cap, uint64_t ino, uint64_t size, int64_t mtime_ns,
                   const char *variant, size_t variant_len);

/*
 * Parses exactly one entity-tag, [W/]"etagc*", in s[0..n) (surrounding OWS
 * ignored).  Returns 0 with *out pointing into s, or -EBADMSG.
 */
int http_etag_parse(const char *s, size_t n, struct http_etag *out);

/*
 * Parses an If-Match / If-None-Match value in s[0..n): "*" (sets *any and
 * *count = 0) or a comma-separated entity-tag list with OWS and empty
 * elements (RFC 9110 5.6.1).  Fills tags[0..*count) with slices of s.
 * Returns 0, -EBADMSG when malformed, -E2BIG when it holds more than cap
 * tags.  An empty list is valid (count 0, any false).  Outputs are
 * unspecified on error.
 */
int http_etag_list_parse(const char *s, size_t n, struct http_etag *tags, size_t cap, size_t *count,
                         bool *any);

/* RFC 9110 8.8.3.2: both strong and the same opaque-tag octets. */
bool http_etag_eq_strong(const struct http_etag *a, const struct http_etag *b);

/* RFC 9110 8.8.3.2: the same opaque-tag octets, W/ ignored. */
bool http_etag_eq_weak(const struct http_etag *a, const struct http_etag *b);

/*
 * Does the If-None-Match value field[0..n) match the current entity tag
 * etag[0..etag_len) (e.g. one from http_etag_make)?  Weak comparison
 * (RFC 9110 13.1.2); "*" matches, since the caller has a representation.
 * Returns 1 (match: a GET/HEAD gets 304), 0 (no match), -EBADMSG or -E2BIG
 * (malformed or over HTTP_ETAG_LIST_MAX tags: treat as 0), or -EINVAL when
 * etag itself is not an entity-tag.
 */
int http_etag_if_none_match(const char *field, size_t n, const char *etag, size_t etag_len);

/*
 * Does the If-Match value field[0..n) match the current entity tag?  Strong
 * comparison (RFC 9110 13.1.1): a weak tag on either side never matches;
 * "*" matches.  Returns 1 (match: proceed), 0 (no match: 412), -EBADMSG or
 * -E2BIG (treat as 0), or -EINVAL when etag is not an entity-tag.
 */
int http_etag_if_match(const char *field, size_t n, const char *etag, size_t etag_len);

#endif
