/*
 * conn: one client connection, on a socket this module accepted itself (so
 * bodies can go out with sendfile(2), which libuv 1.44's streams cannot
 * do).  Connections are not libuv handles: each is registered once
 * (EPOLL_CTL_ADD, level-triggered) in its worker's own epoll set, which the
 * worker's libuv loop watches with a single uv_poll_t and drains with
 * conn_run.  A new connection is read at once (its request is usually
 * there: the listener uses TCP_DEFER_ACCEPT), so one answered and closed
 * right away never joins the set; one that stays costs one epoll_ctl
 * (ADD), one more (MOD) each time its interest changes between reading and
 * writing, and none to end: close(2) removes it from the set.  States:
 *
 *   READ     waiting for (more of) a request head; header deadline runs
 *            from the request's first byte, so a trickling client
 *            (slowloris) is cut off however slowly it sends
 *   WRITE    a response is going out; the socket was full, waiting for it
 *            to drain (send deadline)
 *   LINGER   response sent with "close" that the client did not ask for
 *            (or with unread input): write side shut, unread input drained
 *            for a moment so the kernel sends FIN, not RST
 *
 * A client that asked to close (RFC 9112 9.6), whose request was read in
 * full with nothing after it, is closed at once after its response, as
 * nginx does: it may send nothing more, so there is nothing to drain.
 *
 * An idle keep-alive connection holds no buffers: the read buffer and the
 * response are taken from the heap / the worker when bytes arrive.
 */
#ifndef LABNET_HTTPD_CONN_H
#define LABNET_HTTPD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/http_parse.h"

struct worker;
struct httpd_resp;

enum conn_state { CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
    struct conn *next, **pprev; /* in worker->conns */
    struct conn *dead_next;     /* in worker->dead once closed, until freed */
    struct worker *w;
    struct httpd_conf *conf; /* configuration this connection started with */
    int fd;                  /* -1 once closed */
    uint32_t events;         /* EPOLLIN / EPOLLOUT as registered */
    bool in_set;             /* in the worker's epoll set (not before its first wait) */
    enum conn_state state;
    bool closing;
    bool close_after;  /* the current response ends the connection */
    bool close_direct; /* ...and may end it without lingering (see above) */
    bool drained;      /* the last recv emptied the socket */
    bool nodelay;      /* TCP_NODELAY is set */
    bool lowat;        /* TCP_NOTSENT_LOWAT set (a big body went out) */
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

/* Takes ownership of an accepted, non-blocking socket, reads and answers
 * what has arrived (the listener defers accept until data is there), and
 * registers it in w->epfd unless it is closed already.  Returns 0 (call
 * conn_reap after a batch of accepts), or a negative errno after closing
 * fd. */
int conn_accept(struct worker *w, int fd, const struct net_addr *peer);

/* Handles what w->epfd reports ready (epoll_wait with timeout 0, at most
 * CONN_RUN_ROUNDS batches, so other handles of the loop get their turn:
 * what is left stays ready and wakes the loop again), then frees the
 * connections closed meanwhile. */
void conn_run(struct worker *w);

/* Frees the connections closed since the last call. */
void conn_reap(struct worker *w);

/* Frees the connections and read buffer kept for reuse (after the loop). */
void conn_spares_free(struct worker *w);

/* Called each second by the worker: closes connections past their deadline. */
void conn_sweep(struct worker *w, uint64_t now_ms);

/* Graceful stop: closes idle connections now; busy ones close after their
 * current response. */
void conn_stop_all(struct worker *w);

#endif
