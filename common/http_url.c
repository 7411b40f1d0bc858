#include "common/http_url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Bytes allowed in a path or query as sent on the wire (RFC 3986 3.3, 3.4:
 * pchar / "/" / "?", with percent-encoding kept as is). */
static bool target_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' &&
           c != '`' && c != '{' && c != '|' && c != '}' && c != '#';
}

static int parse_authority(const char *s, size_t n, struct http_url *u)
{
    if (memchr(s, '@', n))
        return -ENOTSUP;
    const char *host = s, *port = NULL;
    size_t host_len = n;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return -EBADMSG;
        host = s + 1;
        host_len = (size_t)(close - host);
        size_t rest = n - (size_t)(close + 1 - s);
        if (rest > 0) {
            if (close[1] != ':')
                return -EBADMSG;
            port = close + 2;
        }
        u->host_is_v6 = true;
        for (size_t i = 0; i < host_len; i++)
            if (!strchr("0123456789abcdefABCDEF:.", host[i]))
                return -EBADMSG;
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            host_len = (size_t)(colon - s);
            port = colon + 1;
        }
        for (size_t i = 0; i < host_len; i++) {
            unsigned char c = (unsigned char)host[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_'))
                return -EBADMSG;
        }
    }
    if (host_len == 0)
        return -EBADMSG;
    if (host_len >= sizeof(u->host))
        return -E2BIG;
    memcpy(u->host, host, host_len);
    u->host[host_len] = '\0';
    u->port = 80;
    if (port) {
        size_t pl = (size_t)(s + n - port);
        if (pl == 0 || pl > 5)
            return -EBADMSG;
        unsigned v = 0;
        for (size_t i = 0; i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                return -EBADMSG;
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        if (v == 0 || v > 65535)
            return -EBADMSG;
        u->port = (uint16_t)v;
        u->port_given = true;
    }
    return 0;
}

static int set_target(struct http_url *u, const char *p, size_t n)
{
    const char *hash = memchr(p, '#', n);
    if (hash)
        n = (size_t)(hash - p);
    if (n == 0) {
        memcpy(u->target, "/", 2);
        return 0;
    }
    if (n >= sizeof(u->target))
        return -E2BIG;
    for (size_t i = 0; i < n; i++)
        if (!target_char((unsigned char)p[i]))
            return -EBADMSG;
    memcpy(u->target, p, n);
    u->target[n] = '\0';
    return 0;
}

int http_url_parse(const char *s, struct http_url *u)
{
    memset(u, 0, sizeof(*u));
    size_t n = strlen(s);
    if (n > HTTP_URL_HOST_MAX + HTTP_URL_PATH_MAX)
        return -E2BIG;
    const char *rest;
    if (strncasecmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strstr(s, "://")) /* https (no TLS here) or another scheme */
        return -ENOTSUP;
    else
        rest = s; /* "host/path", as curl accepts */
    size_t auth_len = strcspn(rest, "/?#");
    int rc = parse_authority(rest, auth_len, u);
    if (rc != 0)
        return rc;
    const char *path = rest + auth_len;
    if (*path == '?') {
        /* "http://h?q" means "/?q". */
        char tmp[HTTP_URL_PATH_MAX];
        int m = snprintf(tmp, sizeof(tmp), "/%s", path);
        if (m < 0 || (size_t)m >= sizeof(tmp))
            return -E2BIG;
        return set_target(u, tmp, (size_t)m);
    }
    return set_target(u, path, strlen(path));
}

int http_url_resolve(const struct http_url *base, const char *loc, size_t len, struct http_url *out)
{
    char tmp[HTTP_URL_HOST_MAX + HTTP_URL_PATH_MAX + 16];
    if (len == 0 || len >= sizeof(tmp) - 8)
        return len == 0 ? -EBADMSG : -E2BIG;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)loc[i] <= 0x20 || (unsigned char)loc[i] >= 0x7f)
            return -EBADMSG;
    if ((len > 7 && strncasecmp(loc, "http://", 7) == 0) ||
        (len > 8 && strncasecmp(loc, "https://", 8) == 0) || memmem(loc, len, "://", 3)) {
        memcpy(tmp, loc, len);
        tmp[len] = '\0';
        return http_url_parse(tmp, out);
    }
    if (len > 2 && loc[0] == '/' && loc[1] == '/') {
        snprintf(tmp, sizeof(tmp), "http:%.*s", (int)len, loc);
        return http_url_parse(tmp, out);
    }
    *out = *base;
    if (loc[0] == '/')
        return set_target(out, loc, len);
    /* A relative reference: replace the last segment of the base path. */
    size_t dir = strcspn(base->target, "?");
    while (dir > 0 && base->target[dir - 1] != '/')
        dir--;
    int m = snprintf(tmp, sizeof(tmp), "%.*s%.*s", (int)dir, base->target, (int)len, loc);
    if (m < 0 || (size_t)m >= sizeof(tmp))
        return -E2BIG;
    return set_target(out, tmp, (size_t)m);
}

void http_url_host_header(const struct http_url *u, char *buf, size_t cap)
{
    if (u->port_given && u->port != 80)
        snprintf(buf, cap, u->host_is_v6 ? "[%s]:%u" : "%s:%u", u->host, u->port);
    else
        snprintf(buf, cap, u->host_is_v6 ? "[%s]" : "%s", u->host);
}
