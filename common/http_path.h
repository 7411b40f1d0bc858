/*
 * http_path: request targets to safe relative paths below a document root,
 * and the reverse escapes the server needs (Location, directory listings).
 *
 * http_path_normalize works in the order STYLE.md section 6 names, which is
 * the order the attacks exploit when it is wrong:
 *   1. split off the query at the first '?', reject any '#' (a fragment is
 *      never sent, RFC 9112 3.2);
 *   2. percent-decode exactly once (RFC 3986 2.4), so "%252e" becomes the
 *      three literal bytes "%2e", never ".";
 *   3. reject malformed escapes, any NUL or control byte (raw or decoded),
 *      an encoded slash (unless kept, below) and a backslash (unless allowed);
 *   4. remove dot segments (RFC 3986 5.2.4) and collapse repeated slashes;
 *      a ".." that would climb above the root is rejected, not clamped
 *      (nginx answers 400 too);
 *   5. write the result without a leading slash, "." for the root, ready for
 *      openat2(root_fd, path, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS).
 * Bytes at or above 0x80 are opaque: overlong UTF-8 such as "%c0%ae" stays
 * the two bytes C0 AE and is never a dot.  This module is lexical only;
 * symlinks are for openat2 to confine.
 */
#ifndef LABNET_HTTP_PATH_H
#define LABNET_HTTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Result flags. */
#define HTTP_PATH_DIR     0x1u /* ended in "/" (or a dot segment): directory intent */
#define HTTP_PATH_DOTFILE 0x2u /* some remaining segment starts with '.' (".git") */

struct http_path_opts {
    /* false (default): "%2F" is rejected (-EBADMSG).  true: it is kept
     * undecoded, as the three bytes "%2F", so it names a file and can never
     * act as a separator (Apache's AllowEncodedSlashes NoDecode). */
    bool keep_encoded_slash;
    /* false (default): a backslash, raw or "%5C", is rejected (-EBADMSG),
     * since Windows-style traversal confuses logs and tools downstream.
     * true: it is an ordinary byte of a file name. */
    bool allow_backslash;
};

struct http_path {
    size_t len;        /* strlen of the output path */
    unsigned flags;    /* HTTP_PATH_DIR, HTTP_PATH_DOTFILE */
    const char *query; /* after '?', a slice of target; NULL when there is no '?' */
    size_t query_len;
};

/* Turns the origin-form request target target[0..len) (it must start with
 * '/') into a NUL-terminated relative path in out[0..cap).  opts may be NULL
 * for the defaults.  Never allocates; res->query points into target and
 * lives as long as it does.  Returns 0, -EBADMSG (not origin-form, a
 * fragment, a malformed escape, NUL or control byte, a rejected encoded
 * slash or backslash, or a climb above the root: answer 400) or -E2BIG
 * (the path does not fit in cap bytes with its NUL: answer 414).  On error
 * out holds nothing usable. */
int http_path_normalize(const char *target, size_t len, const struct http_path_opts *opts,
                        char *out, size_t cap, struct http_path *res);

/* Percent-encodes path[0..len) for a Location header or a link: every byte
 * but the RFC 3986 2.3 unreserved ones and '/' becomes "%XX" (upper-case).
 * Writes a NUL-terminated string to out[0..cap) and its length to *out_len
 * (may be NULL).  Returns 0 or -EMSGSIZE when out is too small. */
int http_path_encode(const char *path, size_t len, char *out, size_t cap, size_t *out_len);

/* HTML-escapes a file name for a directory listing: & < > " ' become
 * entities, so the result is safe in element text and quoted attributes.
 * Writes a NUL-terminated string to out[0..cap) and its length to *out_len
 * (may be NULL).  Returns 0 or -EMSGSIZE when out is too small. */
int http_path_html_escape(const char *name, size_t len, char *out, size_t cap, size_t *out_len);

#endif
