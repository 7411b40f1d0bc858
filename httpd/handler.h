/*
 * handler: the HTTP protocol logic of labnet-httpd.  It takes the bytes a
 * connection has received, parses one request head, decides the response
 * (file, directory, redirect, conditional, range, error) and fills a
 * struct httpd_resp.  It never touches sockets or libuv, so it is tested
 * without a network; it does open and stat files below the document root.
 */
#ifndef LABNET_HTTPD_HANDLER_H
#define LABNET_HTTPD_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "httpd/conf.h"
#include "httpd/resp.h"

struct http_req;
struct filecache;

struct handler_ctx {
    const struct httpd_conf *conf;
    int root_fd;                   /* O_PATH descriptor of the document root */
    struct filecache *fc;          /* the file cache for root_fd, or NULL */
    struct filecache *const *fcs;  /* the worker's caches per root ([0] server,
                                      [1 + i] vhost i), or NULL */
    uint64_t now_ms;               /* loop time, for the cache */
    const struct mime_table *mime; /* may be NULL: default type only */
    const char *date;              /* current IMF-fixdate for the Date header */
    bool stopping;                 /* server is stopping: answer with close */
    bool access_log;               /* fill the response's access-log fields */
    uint64_t n_requests;           /* requests already served on this connection */
};

/* Request body bytes (Content-Length) read and thrown away to keep the
 * connection; a larger or chunked body closes it after the answer. */
#define HANDLER_DISCARD_MAX (1u << 20)

/* What the connection must do with the request's body and connection. */
struct handler_info {
    uint64_t body_len; /* Content-Length body to read and discard */
    bool body_chunked; /* a chunked body follows: the connection closes */
    bool keep_alive;   /* client allows keep-alive (version + Connection) */
};

/*
 * Parses the request head at buf[0..len) and answers it.  req carries the
 * parser's progress between calls for one request: the connection inits it
 * (http_req_init) before a request's first byte and keeps it while bytes
 * arrive, so a trickled head is scanned once, not once per byte.
 *   -EAGAIN  head incomplete (and within limits): wait for more bytes
 *   > 0      length of the head; resp and info are filled
 *   0        the head was refused (400, 414, 431, 501, 505): resp holds the
 *            error response, which closes the connection
 * The response never refers to buf.
 */
int handler_request(const struct handler_ctx *ctx, const char *buf, size_t len,
                    struct http_req *req, struct httpd_resp *resp, struct handler_info *info);

/* Fills resp with a small error response (status line, Date, Server,
 * Content-Type text/html, body) that closes the connection. */
void handler_error(const struct handler_ctx *ctx, int status, bool head_only,
                   struct httpd_resp *resp);

#endif
