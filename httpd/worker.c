#include "httpd/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/http_date.h"
#include "httpd/conn.h"
#include "httpd/filecache.h"
#include "httpd/resp.h"

#define ACCEPT_PER_WAKE 64
#define EMFILE_PAUSE_MS 100

/* Open connections over all workers: max-connections is a process-wide
 * limit, exact whatever way SO_REUSEPORT spreads clients. */
static atomic_uint_fast64_t total_conns;

static void format_date(struct worker *w)
{
    time_t now = time(NULL);
    if (now == w->date_sec)
        return;
    w->date_sec = now;
    if (http_date_format(now, w->date, sizeof(w->date)) != 0)
        w->date[0] = '\0';
    struct tm tm;
    if (!localtime_r(&now, &tm) ||
        strftime(w->log_time, sizeof(w->log_time), "%d/%b/%Y:%H:%M:%S %z", &tm) == 0)
        w->log_time[0] = '\0';
}

static void log_flush(struct worker *w)
{
    size_t off = 0;
    while (off < w->log_len) {
        ssize_t n = write(w->log_fd, w->logbuf + off, w->log_len - off);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            break; /* a full disk must not stop serving; the lines are lost */
        }
        off += (size_t)n;
    }
    w->log_len = 0;
}

void worker_log_access(struct worker *w, const char *line, size_t len)
{
    if (w->log_fd < 0)
        return;
    if (len > sizeof(w->logbuf) - w->log_len)
        log_flush(w);
    if (len > sizeof(w->logbuf))
        len = sizeof(w->logbuf);
    memcpy(w->logbuf + w->log_len, line, len);
    w->log_len += len;
}

static void log_open(struct worker *w)
{
    if (w->log_fd >= 0) {
        log_flush(w);
        close(w->log_fd);
        w->log_fd = -1;
    }
    if (!w->conf->access_log[0])
        return;
    w->log_fd = open(w->conf->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (w->log_fd < 0)
        log_err("access log %s: %s", w->conf->access_log, strerror(errno));
}

static void worker_maybe_done(struct worker *w);

static void caches_free(struct worker *w)
{
    for (size_t i = 0; i < 1 + HTTPD_MAX_VHOSTS; i++) {
        filecache_free(w->fc[i]);
        w->fc[i] = NULL;
    }
}

/* One cache per document root of the current configuration (the roots or
 * the cache settings may have changed on reload). */
static void caches_make(struct worker *w)
{
    caches_free(w);
    for (size_t i = 0; i < 1 + w->conf->n_vhosts; i++)
        w->fc[i] =
            filecache_new((unsigned)w->conf->open_file_cache, w->conf->open_file_cache_valid_ms);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct worker_listener *l = h->data;
    close(l->fd);
    l->fd = -1;
}

static void on_accept(uv_poll_t *p, int status, int events);

static void on_resume(uv_timer_t *t)
{
    struct worker *w = t->data;
    for (size_t i = 0; i < w->n_listeners; i++) {
        struct worker_listener *l = &w->listeners[i];
        if (l->paused && !w->stopping) {
            l->paused = false;
            uv_poll_start(&l->poll, UV_READABLE, on_accept);
        }
    }
}

static void on_accept(uv_poll_t *p, int status, int events)
{
    (void)events;
    struct worker_listener *l = p->data;
    struct worker *w = l->w;
    if (status < 0 || w->stopping)
        return;
    for (int i = 0; i < ACCEPT_PER_WAKE; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: the listen queue stays readable, so a
                 * level-triggered poll would spin.  Pause accepting briefly. */
                if (log_ratelimit_allow(&w->rl_accept, uv_now(&w->loop), 1, 10000, NULL))
                    log_warn("out of file descriptors; pausing accept for %d ms", EMFILE_PAUSE_MS);
                uv_poll_stop(&l->poll);
                l->paused = true;
                uv_timer_start(&w->resume, on_resume, EMFILE_PAUSE_MS, 0);
            }
            break; /* EAGAIN, or a connection that died in the queue */
        }
        if (atomic_load_explicit(&total_conns, memory_order_relaxed) >= w->conf->max_connections) {
            uint32_t dropped = 0;
            if (log_ratelimit_allow(&w->rl_cap, uv_now(&w->loop), 1, 10000, &dropped))
                log_warn("connection limit (max-connections = %llu) reached; closing new "
                         "connections (%u more closed since the last message)",
                         (unsigned long long)w->conf->max_connections, dropped);
            close(fd);
            continue;
        }
        struct net_addr peer;
        if (net_addr_from_sockaddr(&peer, (struct sockaddr *)&ss) != 0) {
            close(fd);
            continue;
        }
        if (conn_accept(w, fd, &peer) == 0) {
            atomic_fetch_add_explicit(&total_conns, 1, memory_order_relaxed);
            /* conn_accept has served what arrived with the connection and
             * is done with it: one closed already is freed (or kept for
             * the next accept of this batch) now. */
            conn_reap(w);
        }
    }
}

static void on_conns(uv_poll_t *p, int status, int events)
{
    (void)events;
    struct worker *w = p->data;
    if (status < 0)
        log_warn("poll on the connections' epoll set: %s", uv_strerror(status));
    conn_run(w);
}

static void on_sweep(uv_timer_t *t)
{
    struct worker *w = t->data;
    format_date(w);
    conn_sweep(w, uv_now(&w->loop));
    if (w->log_fd >= 0 && w->log_len)
        log_flush(w);
}

static void on_async(uv_async_t *a)
{
    struct worker *w = a->data;
    struct httpd_conf *nc = atomic_exchange(&w->pending, NULL);
    if (nc) {
        httpd_conf_release(w->conf);
        w->conf = nc;
        /* The root or the cache settings may have changed. */
        caches_make(w);
    }
    if (atomic_exchange(&w->reopen_requested, false) || nc)
        log_open(w);
    if (atomic_load(&w->stop_requested) && !w->stopping) {
        w->stopping = true;
        for (size_t i = 0; i < w->n_listeners; i++)
            uv_close((uv_handle_t *)&w->listeners[i].poll, on_listener_closed);
        uv_timer_stop(&w->resume);
        conn_stop_all(w);
        worker_maybe_done(w);
    }
}

static void worker_maybe_done(struct worker *w)
{
    if (!w->stopping || w->n_conns > 0)
        return;
    if (!uv_is_closing((uv_handle_t *)&w->async)) {
        uv_close((uv_handle_t *)&w->conns_poll, NULL);
        uv_close((uv_handle_t *)&w->async, NULL);
        uv_close((uv_handle_t *)&w->sweep, NULL);
        uv_close((uv_handle_t *)&w->resume, NULL);
    }
}

void worker_conn_closed(struct worker *w)
{
    w->n_conns--;
    atomic_fetch_sub_explicit(&total_conns, 1, memory_order_relaxed);
    worker_maybe_done(w);
}

int worker_init(struct worker *w, unsigned id, struct httpd_conf *conf, const int *fds,
                size_t n_fds, uv_async_t *done_notify)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->epfd = -1;
    w->conf = httpd_conf_retain(conf);
    w->done_notify = done_notify;
    w->log_fd = -1;
    atomic_init(&w->pending, NULL);
    atomic_init(&w->stop_requested, false);
    atomic_init(&w->reopen_requested, false);
    atomic_init(&w->finished, false);
    int rc = uv_loop_init(&w->loop);
    if (rc != 0)
        return rc;
    if ((rc = uv_async_init(&w->loop, &w->async, on_async)) != 0)
        return rc;
    w->async.data = w;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return -errno;
    if ((rc = uv_poll_init(&w->loop, &w->conns_poll, w->epfd)) != 0)
        return rc;
    w->conns_poll.data = w;
    uv_timer_init(&w->loop, &w->sweep);
    uv_timer_init(&w->loop, &w->resume);
    w->sweep.data = w;
    w->resume.data = w;
    for (size_t i = 0; i < n_fds && i < HTTPD_MAX_LISTEN; i++) {
        struct worker_listener *l = &w->listeners[i];
        l->fd = fds[i];
        l->w = w;
        if ((rc = uv_poll_init_socket(&w->loop, &l->poll, l->fd)) != 0)
            return rc;
        l->poll.data = l;
        w->n_listeners++;
    }
    format_date(w);
    log_open(w);
    caches_make(w);
    return 0;
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    for (size_t i = 0; i < w->n_listeners; i++)
        uv_poll_start(&w->listeners[i].poll, UV_READABLE, on_accept);
    uv_poll_start(&w->conns_poll, UV_READABLE, on_conns);
    uv_timer_start(&w->sweep, on_sweep, 1000, 1000);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (w->log_fd >= 0) {
        log_flush(w);
        close(w->log_fd);
        w->log_fd = -1;
    }
    atomic_store(&w->finished, true);
    uv_async_send(w->done_notify);
}

int worker_start(struct worker *w)
{
    return uv_thread_create(&w->thread, worker_main, w);
}

void worker_post_stop(struct worker *w)
{
    atomic_store(&w->stop_requested, true);
    uv_async_send(&w->async);
}

void worker_post_conf(struct worker *w, struct httpd_conf *conf)
{
    struct httpd_conf *old = atomic_exchange(&w->pending, httpd_conf_retain(conf));
    if (old)
        httpd_conf_release(old);
    uv_async_send(&w->async);
}

void worker_post_reopen(struct worker *w)
{
    atomic_store(&w->reopen_requested, true);
    uv_async_send(&w->async);
}

void worker_join(struct worker *w)
{
    uv_thread_join(&w->thread);
    int rc = uv_loop_close(&w->loop);
    if (rc != 0)
        log_warn("worker %u: loop did not close cleanly: %s", w->id, uv_strerror(rc));
    if (w->epfd >= 0)
        close(w->epfd);
    w->epfd = -1;
    free(w->spare_resp); /* reset when it was put back: holds no file */
    w->spare_resp = NULL;
    conn_spares_free(w);
    caches_free(w);
    struct httpd_conf *p = atomic_exchange(&w->pending, NULL);
    if (p)
        httpd_conf_release(p);
    httpd_conf_release(w->conf);
}
