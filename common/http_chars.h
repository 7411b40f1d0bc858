/*
 * http_chars: the character classes of HTTP's grammar (RFC 9110 5.6), as
 * inline functions shared by every http_* module, so "what is a token"
 * has one answer.  Header-only: there is nothing to own.  Arguments are
 * int, as in <ctype.h>, so char and unsigned char both pass without a
 * conversion; a negative value (a high byte as signed char) is in no class.
 */
#ifndef LABNET_HTTP_CHARS_H
#define LABNET_HTTP_CHARS_H

#include <stdbool.h>
#include <stddef.h>

/* OWS = *( SP / HTAB ) */
static inline bool http_is_ows(int c)
{
    return c == ' ' || c == '\t';
}

static inline bool http_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline bool http_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static inline bool http_is_tchar(int c)
{
    if (http_is_alpha(c) || http_is_digit(c))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

/* Value of a hexadecimal digit (either case), or -1. */
static inline int http_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Narrows s[0..n) to drop leading and trailing OWS. */
static inline void http_trim_ows(const char **s, size_t *n)
{
    while (*n > 0 && http_is_ows((*s)[0])) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && http_is_ows((*s)[*n - 1]))
        (*n)--;
}

#endif
