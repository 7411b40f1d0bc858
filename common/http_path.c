/*
 * http_path: request target -> relative path below a root, in one pass.
 *
 * Decoding and dot-segment removal are interleaved segment by segment: a
 * segment is split on raw '/' only (a decoded "%2F" is never a separator),
 * decoded into out, and then judged on its decoded bytes, so "%2e%2e" is a
 * ".." exactly as RFC 3986 5.2.4 sees it after 2.4 decoding, while "%252e"
 * decodes once to "%2e" and stays a name.  Output never overtakes input:
 * every byte written is bounded by cap, checked before the write.
 */
#include "common/http_path.h"
#include "common/http_chars.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Classifies the raw segment seg[0..len) after decoding: 0 empty, 1 ".",
 * 2 "..", 3 anything else (including malformed escapes, which the decoding
 * loop then rejects).  Judging the decoded form is what makes "%2e%2e" a
 * ".." (RFC 3986 2.3: %2E is equivalent to '.'), and deciding before any
 * byte is written means a dot segment never needs room in out. */
static int dot_segment(const unsigned char *seg, size_t len)
{
    if (len == 0)
        return 0;
    size_t dots = 0;
    for (size_t i = 0; i < len; dots++) {
        if (seg[i] == '.')
            i++;
        else if (len - i >= 3 && seg[i] == '%' && seg[i + 1] == '2' &&
                 (seg[i + 2] == 'e' || seg[i + 2] == 'E'))
            i += 3;
        else
            return 3;
    }
    return dots <= 2 ? (int)dots : 3;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int http_path_normalize(const char *target, size_t len, const struct http_path_opts *opts,
                        char *out, size_t cap, struct http_path *res)
{
    static const struct http_path_opts defaults = {false, false};
    if (!opts)
        opts = &defaults;
    memset(res, 0, sizeof(*res));
    /* Only origin-form reaches here (RFC 9112 3.2.1); "*" and absolute-form
     * are the request parser's business. */
    if (len == 0 || target[0] != '/')
        return -EBADMSG;
    /* Room for the shortest answer, ".". */
    if (cap < 2)
        return -E2BIG;

    /* RFC 3986 3.5: a fragment is never part of a request target. */
    if (memchr(target, '#', len))
        return -EBADMSG;
    size_t plen = len;
    const char *q = memchr(target, '?', len);
    if (q) {
        plen = (size_t)(q - target);
        res->query = q + 1;
        res->query_len = len - plen - 1;
    }

    const unsigned char *p = (const unsigned char *)target;
    size_t w = 0;
    bool dir = false;
    /* Each iteration consumes one segment and the '/' that ends it; i
     * starts after the leading '/' and the loop also runs for the empty
     * segment after a trailing '/'.  Segments split on raw '/' only. */
    for (size_t i = 1; i <= plen; i++) {
        size_t end = i;
        while (end < plen && p[end] != '/')
            end++;
        bool last = end >= plen;
        int dots = dot_segment(p + i, end - i);
        if (dots == 0 || dots == 1) {
            /* Empty segments (repeated or trailing slashes) collapse and
             * "." names the directory it is in. */
            if (last)
                dir = true;
            i = end;
            continue;
        }
        if (dots == 2) {
            /* RFC 3986 5.2.4 2C removes the last output segment; with none
             * left the target climbs above the root, which 5.2.4 would
             * silently clamp.  Rejected instead: no legitimate client sends
             * it, and a 400 makes the probe visible. */
            if (w == 0)
                return -EBADMSG;
            while (w > 0 && out[w - 1] != '/')
                w--;
            if (w > 0)
                w--; /* the separator before the removed segment */
            if (last)
                dir = true;
            i = end;
            continue;
        }
        dir = false;
        if (w > 0) {
            if (w >= cap - 1)
                return -E2BIG;
            out[w++] = '/';
        }
        while (i < end) {
            unsigned char c = p[i];
            if (c == '%') {
                /* RFC 3986 2.1: '%' must introduce two hex digits. */
                int hi = end - i >= 3 ? http_hexval(p[i + 1]) : -1;
                int lo = end - i >= 3 ? http_hexval(p[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    return -EBADMSG;
                c = (unsigned char)(hi << 4 | lo);
                i += 3;
                if (c == '/') {
                    if (!opts->keep_encoded_slash)
                        return -EBADMSG;
                    /* Kept undecoded (case normalised, so "%2f" and
                     * "%2F" name one file): a file name byte sequence
                     * that no later step splits on. */
                    if (cap - w < 4)
                        return -E2BIG;
                    memcpy(out + w, "%2F", 3);
                    w += 3;
                    continue;
                }
            } else {
                /* A raw space or control byte is not valid in a request
                 * target at all (RFC 9112 3.2). */
                if (c == ' ')
                    return -EBADMSG;
                i++;
            }
            /* Decoded or raw: NUL would cut the C string openat2 sees,
             * other controls forge log lines and terminal output. */
            if (is_ctl(c))
                return -EBADMSG;
            if (c == '\\' && !opts->allow_backslash)
                return -EBADMSG;
            if (w >= cap - 1)
                return -E2BIG;
            out[w++] = (char)c;
        }
    }

    if (w == 0) {
        out[w++] = '.';
    } else {
        /* Dotfiles are reported on the final path only: "/.git/.." is the
         * root and hides nothing. */
        for (size_t k = 0; k < w; k++) {
            if (out[k] == '.' && (k == 0 || out[k - 1] == '/')) {
                res->flags |= HTTP_PATH_DOTFILE;
                break;
            }
        }
    }
    out[w] = '\0';
    res->len = w;
    if (dir)
        res->flags |= HTTP_PATH_DIR;
    return 0;
}

static bool is_unreserved(unsigned char c)
{
    /* RFC 3986 2.3 */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int http_path_encode(const char *path, size_t len, char *out, size_t cap, size_t *out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (is_unreserved(c) || c == '/') {
            if (cap - w < 2)
                return -EMSGSIZE;
            out[w++] = (char)c;
        } else {
            if (cap - w < 4)
                return -EMSGSIZE;
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 0xf];
        }
    }
    if (cap - w < 1)
        return -EMSGSIZE;
    out[w] = '\0';
    if (out_len)
        *out_len = w;
    return 0;
}

int http_path_html_escape(const char *name, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (name[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            rep = NULL;
            break;
        }
        size_t n = rep ? strlen(rep) : 1;
        /* w < cap always holds here, so cap - w cannot wrap; +1 keeps room
         * for the NUL. */
        if (cap - w < n + 1)
            return -EMSGSIZE;
        if (rep)
            memcpy(out + w, rep, n);
        else
            out[w] = name[i];
        w += n;
    }
    if (cap - w < 1)
        return -EMSGSIZE;
    out[w] = '\0';
    if (out_len)
        *out_len = w;
    return 0;
}
