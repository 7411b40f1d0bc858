/*
 * http_accept: content negotiation on Accept-Encoding (RFC 9110 12.5.3)
 * and Accept-Language (RFC 9110 12.5.4, RFC 4647), choosing among the
 * variants a static server actually has on disk.
 *
 * Shared syntax (RFC 9110 5.6.1, 12.4.2):
 *   value  = #( member [ OWS ";" OWS "q=" qvalue ] )
 *   qvalue = "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ]
 * Members and "q" are case-insensitive; OWS around commas and empty list
 * elements are allowed; no other parameters are.  A member without q= has
 * q=1; q=0 means "not acceptable".  q is kept in thousandths (0..1000).
 * At most HTTP_ACCEPT_MAX_MEMBERS members are examined: a value with more
 * is refused as a whole (-E2BIG), as is a value with any malformed member
 * (-EBADMSG); the choice then falls back as described per function.  When a
 * member is listed more than once, its first occurrence counts.  Work is
 * linear in the value's length (times the number of available tags for
 * languages).
 *
 * Accept-Encoding rules used:
 *  - header absent (s == NULL): identity.  RFC 9110 would allow any coding,
 *    but a client that did not ask may not decode one;
 *  - empty value: identity only (RFC 9110 12.5.3);
 *  - br / gzip (x-gzip is gzip, RFC 9110 8.4.1.3) are candidates only if
 *    the caller has that sibling; each gets the q of its own member, else
 *    the q of "*", else is not acceptable;
 *  - identity is acceptable unless listed with q=0, or "*;q=0" is present
 *    and identity is not listed at all; its q is its own member's, else
 *    that of "*", else it is the fallback: acceptable, but below every
 *    coding the client listed (so "br;q=0.5" still gets br);
 *  - the highest q > 0 wins; ties prefer br, then gzip, then identity;
 *  - nothing acceptable: HTTP_CODING_NONE (the server may answer 406, or
 *    send identity anyway as RFC 9110 12.5.3 also permits).
 *
 * Accept-Language rules used (RFC 4647 3.3.1 basic filtering):
 *  - a range matches a tag when equal to it, or a prefix of it followed by
 *    "-" ("en" matches "en-US", not "eng"), case-insensitively; "*" matches
 *    every tag;
 *  - each available tag takes the q of the longest (most specific) range
 *    that matches it ("*" being the least specific), so "en;q=0" excludes
 *    "en-GB" unless "en-GB" is listed itself;
 *  - the tag with the highest q > 0 wins; at equal q the one matched by the
 *    longer range, then the one whose range comes first in the header, then
 *    the one first in the caller's list.
 */
#ifndef LABNET_HTTP_ACCEPT_H
#define LABNET_HTTP_ACCEPT_H

#include <stddef.h>

/* Most list members examined in one Accept-* value. */
#define HTTP_ACCEPT_MAX_MEMBERS 32

enum http_coding {
    HTTP_CODING_NONE = 0, /* nothing acceptable */
    HTTP_CODING_IDENTITY,
    HTTP_CODING_GZIP,
    HTTP_CODING_BR,
};

/* Bits for http_accept_encoding_choose's have: which siblings exist. */
#define HTTP_CODING_HAVE_GZIP 0x1u
#define HTTP_CODING_HAVE_BR   0x2u

/*
 * Chooses the content coding to send from the Accept-Encoding value
 * s[0..n) (s NULL: the header is absent), given which precompressed
 * siblings exist (HTTP_CODING_HAVE_* bits).  Returns 0 with *out set by the
 * rules above, or -EBADMSG / -E2BIG for a malformed or too long value, with
 * *out = HTTP_CODING_IDENTITY (the one coding every client understands).
 */
int http_accept_encoding_choose(const char *s, size_t n, unsigned have, enum http_coding *out);

/*
 * Chooses among the available language tags tags[0..ntags) (NUL-terminated,
 * from configuration, e.g. "en", "en-US", "fr") by the Accept-Language value
 * s[0..n).  Returns 0 with *index, -ENOENT when no tag is acceptable,
 * -EBADMSG / -E2BIG for a malformed or too long value (the server then uses
 * its default variant, as if the header were absent).  *index is written
 * only on success.
 */
int http_accept_language_choose(const char *s, size_t n, const char *const *tags, size_t ntags,
                                size_t *index);

#endif
