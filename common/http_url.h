/*
 * http_url: "http://host[:port][/path][?query]" URLs for labnet-fetch, and
 * resolving a Location header against the URL it came from.
 *
 * Only the http scheme is taken (labnet speaks no TLS); "https" is
 * recognised to say so (-ENOTSUP).  Userinfo ("user@host") is refused: it
 * is a phishing device and labnet-fetch does no authentication.  The host
 * is a name, an IPv4 address or a bracketed IPv6 address; the path keeps
 * its percent-encoding (it is sent as received).  A fragment is dropped.
 */
#ifndef LABNET_HTTP_URL_H
#define LABNET_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_URL_HOST_MAX 256
#define HTTP_URL_PATH_MAX 4096

struct http_url {
    char host[HTTP_URL_HOST_MAX]; /* without brackets for IPv6 */
    bool host_is_v6;              /* needs brackets in a Host header */
    uint16_t port;                /* 80 when not given */
    bool port_given;
    char target[HTTP_URL_PATH_MAX]; /* origin-form: "/path?query", at least "/" */
};

/* Parses s.  Returns 0, -EBADMSG (not a URL: bad host, port, characters),
 * -ENOTSUP (a scheme other than http, userinfo) or -E2BIG (too long). */
int http_url_parse(const char *s, struct http_url *u);

/* Resolves a Location value against base (RFC 9110 10.2.2 + RFC 3986 5.2,
 * for the forms servers send: absolute URL, "//host/..", "/path", and a
 * relative path).  Returns as http_url_parse. */
int http_url_resolve(const struct http_url *base, const char *location, size_t len,
                     struct http_url *out);

/* The Host header value: "host", "host:port", "[v6]" or "[v6]:port". */
void http_url_host_header(const struct http_url *u, char *buf, size_t cap);

#endif
