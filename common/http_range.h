/*
 * http_range: Range requests (RFC 9110 14): the Range header, Content-Range
 * values and the If-Range precondition.
 *
 * What the server does with http_range_parse's result (RFC 9110 14.2):
 *   0          206 Partial Content with out[0..count) (one range: a single
 *              part; several: multipart/byteranges)
 *   -ERANGE    416 Range Not Satisfiable, with the unsatisfied-range
 *              Content-Range from http_range_format_unsatisfied
 *   -EBADMSG   malformed ranges-specifier: ignore the header, 200
 *   -ENOTSUP   a unit other than "bytes", or nothing to cut from an empty
 *              representation (see below): ignore the header, 200
 *   -E2BIG     more range-specs than the caller's array holds: ignore the
 *              header, 200 (the Apache Killer defence, below)
 *
 * Abuse policy (RFC 9110 14.2 lets a server ignore or coalesce suspicious
 * ranges; CVE-2011-3192 "Apache Killer" sent hundreds of overlapping
 * ranges, each a part the server had to produce):
 *   1. At most cap range-specs (the caller's array size; HTTP_RANGE_MAX is
 *      the suggested size).  One more and the whole header is ignored, so
 *      a hostile request costs one full 200, never more parts.
 *   2. Unsatisfiable specs (first-pos >= length, or suffix length 0) are
 *      dropped.
 *   3. The rest are sorted by first byte and coalesced: ranges that overlap,
 *      touch, or lie fewer than HTTP_RANGE_COALESCE_GAP bytes apart become
 *      one (about what a multipart part header costs, so merging never
 *      sends much more than asked).  The result is ascending, disjoint and
 *      separated by at least HTTP_RANGE_COALESCE_GAP bytes: the bytes sent
 *      never exceed the representation's length, and parts are in ascending
 *      order rather than request order (RFC 9110 14.2 allows reordering of
 *      coalesced ranges; each part carries its own Content-Range).
 *
 * Numbers are unbounded decimal in the grammar; here they saturate at
 * UINT64_MAX, which only ever means "past the end" (a last-pos beyond the
 * end is clamped, a first-pos beyond it is unsatisfiable), and the
 * first-pos <= last-pos check compares the digits themselves when both
 * overflow.  No allocation; work is linear in n plus cap^2 for the sort.
 */
#ifndef LABNET_HTTP_RANGE_H
#define LABNET_HTTP_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Suggested size of the range array (the range-spec cap). */
#define HTTP_RANGE_MAX 16
/* Ranges closer than this many bytes are merged into one. */
#define HTTP_RANGE_COALESCE_GAP 80
/* Buffer size for any Content-Range value: "bytes " + 3 x 20 digits + "-"
 * + "/" + NUL. */
#define HTTP_RANGE_CONTENT_RANGE_BUFSZ 72

/* One resolved byte range: bytes first..last, inclusive, first <= last <
 * the representation's length. */
struct http_range {
    uint64_t first;
    uint64_t last;
};

/*
 * Parses the Range value s[0..n) (surrounding OWS ignored) against a
 * representation of length bytes, into out[0..cap), *count set on 0.
 * Grammar (RFC 9110 14.1.2): range-unit "=" 1#range-spec, the unit matched
 * case-insensitively, range-spec = first "-" [last] / "-" suffix, OWS and
 * empty elements around commas, no spaces inside a spec.  Any other spec
 * (including first > last, which RFC 9110 14.1.1 calls invalid) makes the
 * whole header malformed.  An empty representation cannot yield a 206: if
 * the header holds a suffix range with a non-zero length (satisfiable in
 * the sense of RFC 9110 14.1.1, selecting the whole, empty, body) the result
 * is -ENOTSUP (send 200), otherwise -ERANGE.  Return values and the abuse
 * policy are in the comment at the top of this header.  cap must be >= 1
 * (else -EINVAL); out and *count are unspecified on error.
 */
int http_range_parse(const char *s, size_t n, uint64_t length, struct http_range *out, size_t cap,
                     size_t *count);

/*
 * Writes the Content-Range value "bytes first-last/length" (RFC 9110 14.4)
 * into buf, NUL-terminated.  Returns 0, -EINVAL unless first <= last <
 * length, or -EMSGSIZE when cap is too small
 * (HTTP_RANGE_CONTENT_RANGE_BUFSZ always suffices).
 */
int http_range_format(char *buf, size_t cap, const struct http_range *r, uint64_t length);

/* Writes the unsatisfied-range Content-Range of a 416 (RFC 9110 14.4):
 * "bytes ", an asterisk, "/" and the length, e.g. "bytes *" "/1234".
 * Returns 0 or -EMSGSIZE. */
int http_range_format_unsatisfied(char *buf, size_t cap, uint64_t length);

/*
 * If-Range (RFC 9110 13.1.5): should the Range header be honoured?  s[0..n)
 * is the If-Range value; etag[0..etag_len) the current strong entity tag
 * (NULL if none); last_modified the current Last-Modified time (NULL if
 * none); now the time the response is generated.  Call it only when the
 * request has a Range header (a server ignores If-Range without one).
 *
 * The rule used:
 *  - a value starting with DQUOTE or "W/" is an entity-tag: true only if it
 *    is strong and equals the current tag octet for octet (a weak tag on
 *    either side never matches);
 *  - otherwise it must be an HTTP-date (any form http_date_parse takes)
 *    equal to *last_modified to the second, and Last-Modified must be
 *    strong: RFC 9110 8.8.2.2 lets an origin treat it so when the
 *    representation cannot change again within the second it names, which
 *    is taken to hold once now > *last_modified (that second is over);
 *  - anything else (malformed, no validator to compare with) is false.
 * False means: ignore Range, send the whole representation with 200.
 */
bool http_range_if_range(const char *s, size_t n, const char *etag, size_t etag_len,
                         const time_t *last_modified, time_t now);

#endif
