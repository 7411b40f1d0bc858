/*
 * conn: one client connection, owned through a uv_poll_t on a socket this
 * module accepted itself (so bodies can go out with sendfile(2), which
 * libuv 1.44's streams cannot do).  States:
 *
 *   READ     waiting for (more of) a request head; header deadline runs
 *            from the request's first byte, so a trickling client
 *            (slowloris) is cut off however slowly it sends
 *   WRITE    a response is going out; the socket was full, waiting for it
 *            to drain (send deadline)
 *   LINGER   response sent with "close": write side shut, unread input
 *            drained for a moment so the kernel sends FIN, not RST
 *
 * An idle keep-alive connection holds no buffers: the read buffer and the
 * response are taken from the heap / the worker when bytes arrive.
 */
#ifndef LABNET_HTTPD_CONN_H
#define LABNET_HTTPD_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/http_parse.h"

struct worker;
struct httpd_resp;

enum conn_state { CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
    struct conn *next, **pprev; /* in worker->conns */
    struct worker *w;
    struct httpd_conf *conf; /* configuration this connection started with */
    uv_poll_t poll;
    int fd;
    int events;
    enum conn_state state;
    bool closing;
    bool close_after; /* the current response ends the connection */
    struct net_addr peer;
    char *rbuf; /* received, not yet consumed; NULL when idle */
    size_t rlen, rcap;
    uint64_t discard_left; /* request body bytes still to throw away */
    uint64_t deadline_ms;  /* loop time at which the current phase times out */
    uint64_t req_start_ms; /* first byte of the current request */
    uint64_t n_requests;
    struct httpd_resp *resp; /* response in progress, or NULL */
    size_t head_done;        /* bytes of resp->head sent */
    size_t seg;              /* current body segment */
    uint64_t seg_done;       /* bytes of it sent */
    uint64_t linger_read;    /* bytes drained while lingering */
    struct http_req req;     /* parser progress for the request being read */
};

/* Takes ownership of an accepted, non-blocking socket.  Returns 0, or a
 * negative errno after closing fd. */
int conn_accept(struct worker *w, int fd, const struct net_addr *peer);

/* Called each second by the worker: closes connections past their deadline. */
void conn_sweep(struct worker *w, uint64_t now_ms);

/* Graceful stop: closes idle connections now; busy ones close after their
 * current response. */
void conn_stop_all(struct worker *w);

#endif
