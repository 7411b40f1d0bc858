/*
 * worker: one libuv loop on its own thread, with its own listening socket
 * per address (SO_REUSEPORT, so the kernel spreads connections over the
 * workers), its connections, a sweep timer for timeouts, and a buffered
 * access log.  The connections live in one epoll set of the worker's own
 * (epfd), which the loop watches with a single uv_poll_t: per connection,
 * one epoll_ctl to register and none to close, instead of a libuv handle
 * each (uv_poll_init_socket's probe ADD + DEL and FIONBIO, DEL on stop).  The main thread talks to
 * a worker only through worker_post (uv_async), so no lock is taken on the request path.
 */
#ifndef LABNET_HTTPD_WORKER_H
#define LABNET_HTTPD_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "common/log.h"
#include "httpd/conf.h"

struct conn;
struct httpd_resp;

struct worker_listener {
    uv_poll_t poll;
    int fd;
    struct worker *w;
    bool paused; /* accept paused after EMFILE/ENFILE */
};

struct worker {
    unsigned id;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t async;        /* commands from the main thread */
    uv_async_t *done_notify; /* main's handle: "this worker has finished" */
    uv_timer_t sweep;        /* timeouts, Date header, log flush: every 1 s */
    uv_timer_t resume;       /* re-arms accept after EMFILE */
    int epfd;                /* epoll set of the connections (conn_run) */
    uv_poll_t conns_poll;    /* the loop's watch on epfd */
    struct worker_listener listeners[HTTPD_MAX_LISTEN];
    size_t n_listeners;
    struct httpd_conf *conf;              /* for new connections */
    _Atomic(struct httpd_conf *) pending; /* set by main on reload */
    atomic_bool stop_requested;
    atomic_bool reopen_requested;
    atomic_bool finished; /* the loop has ended; set before done_notify */
    bool stopping;
    /* Open files and their stat, one cache per document root: [0] the
     * [server] root, [1 + i] vhost i. */
    struct filecache *fc[1 + HTTPD_MAX_VHOSTS];
    struct conn *conns;            /* all open connections (doubly linked) */
    struct conn *dead;             /* closed, to be freed after the current callback */
    struct httpd_resp *spare_resp; /* one response kept for reuse (conn.c) */
    char *spare_rbuf;              /* one first-size read buffer kept for reuse */
    struct conn *spare_conns;      /* freed connections kept for reuse (dead_next) */
    unsigned n_spare_conns;
    uint64_t n_conns;
    uint64_t now_ms;   /* uv_now at the last sweep, for logs */
    char date[40];     /* current IMF-fixdate, refreshed each second */
    char log_time[40]; /* the same second in the access log's local form */
    time_t date_sec;
    int log_fd; /* access log, or -1 */
    char logbuf[16384];
    size_t log_len;
    struct log_ratelimit rl_cap, rl_accept;
    uint64_t served; /* requests answered, for tests and status */
};

/* Prepares w (loop, handles); fds are the listening sockets this worker
 * will own, one per configured address.  conf is retained. */
int worker_init(struct worker *w, unsigned id, struct httpd_conf *conf, const int *fds,
                size_t n_fds, uv_async_t *done_notify);

/* Runs the worker's loop on a new thread. */
int worker_start(struct worker *w);

/* From the main thread: graceful stop, switch to a new configuration, or
 * reopen the access log (after logrotate).  Safe to call at any time. */
void worker_post_stop(struct worker *w);
void worker_post_conf(struct worker *w, struct httpd_conf *conf);
void worker_post_reopen(struct worker *w);

/* From the main thread after done_notify fired: joins the thread and frees
 * what worker_init made. */
void worker_join(struct worker *w);

/* Appends one access-log line (buffered; flushed each second and at stop). */
void worker_log_access(struct worker *w, const char *line, size_t len);

/* Called by conn when a connection is freed. */
void worker_conn_closed(struct worker *w);

#endif
