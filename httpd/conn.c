#include "httpd/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "httpd/handler.h"
#include "httpd/resp.h"
#include "httpd/worker.h"

/* Bounds per connection and per wake-up, so one client can't monopolise a
 * worker or its memory (STYLE.md 10.2). */
#define READ_CHUNK        4096
#define PIPELINE_PER_WAKE 32
#define SENDFILE_CHUNK    (2u << 20)
#define LOWAT_BODY        (1u << 20)
#define NOTSENT_LOWAT     (512 << 10)
#define LINGER_MS         2000
#define LINGER_MAX        (64u << 10)
/* Events taken per epoll_wait, and batches per conn_run. */
#define RUN_EVENTS 64
#define RUN_ROUNDS 4
/* Freed connections a worker keeps for the next ones: with a connection
 * per request, malloc and free of the connection and its first read
 * buffer were a tenth of the user-space work. */
#define SPARE_CONNS 16

static void conn_process(struct conn *c);
static void conn_close(struct conn *c);

static uint64_t loop_now(const struct conn *c)
{
    return uv_now(&c->w->loop);
}

static size_t head_limit(const struct conn *c)
{
    return (size_t)(c->conf->max_request_line + c->conf->max_header_size);
}

/* Changes what the worker's epoll set watches for c: one epoll_ctl, and
 * only when the interest really changes (level-triggered, so what is
 * already pending is reported at the next epoll_wait). */
static void set_events(struct conn *c, uint32_t events)
{
    if (c->closing || (c->in_set && events == c->events))
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(c->w->epfd, c->in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        log_warn("epoll_ctl on a connection failed: %s", strerror(errno));
        conn_close(c);
        return;
    }
    c->in_set = true;
    c->events = events;
}

/* Closes the socket at once (which also takes it out of the epoll set: the
 * worker never dups it) and queues c to be freed by conn_reap, after the
 * callback that closed it has finished with it. */
static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    close(c->fd);
    c->fd = -1;
    c->dead_next = c->w->dead;
    c->w->dead = c;
}

/* A response for the next request: the worker's spare one when it has it
 * (a response is some 7 KiB, which malloc serves slowly), else the heap.
 * Idle connections hold none.  NULL when out of memory. */
static struct httpd_resp *resp_get(struct worker *w)
{
    struct httpd_resp *r = w->spare_resp;
    if (r) {
        w->spare_resp = NULL;
        return r;
    }
    r = malloc(sizeof(*r));
    if (r)
        resp_init(r);
    return r;
}

/* Releases r's file and memory and keeps r as the spare, or frees it. */
static void resp_put(struct worker *w, struct httpd_resp *r)
{
    resp_reset(r);
    if (!w->spare_resp)
        w->spare_resp = r;
    else
        free(r);
}

/* Gives c's read buffer back: kept as the worker's spare when it has the
 * first size and there is none, else freed.  c holds no buffer after. */
static void rbuf_release(struct conn *c)
{
    struct worker *w = c->w;
    if (c->rbuf && c->rcap == READ_CHUNK && !w->spare_rbuf)
        w->spare_rbuf = c->rbuf;
    else
        free(c->rbuf);
    c->rbuf = NULL;
    c->rlen = c->rcap = 0;
}

/* Frees the connections closed since the last call (keeping a few for
 * conn_accept to reuse). */
void conn_reap(struct worker *w)
{
    while (w->dead) {
        struct conn *c = w->dead;
        w->dead = c->dead_next;
        if (c->resp)
            resp_put(w, c->resp);
        rbuf_release(c);
        if (c->next)
            c->next->pprev = c->pprev;
        *c->pprev = c->next;
        httpd_conf_release(c->conf);
        if (w->n_spare_conns < SPARE_CONNS) {
            c->dead_next = w->spare_conns;
            w->spare_conns = c;
            w->n_spare_conns++;
        } else {
            free(c);
        }
        worker_conn_closed(w);
    }
}

void conn_spares_free(struct worker *w)
{
    while (w->spare_conns) {
        struct conn *c = w->spare_conns;
        w->spare_conns = c->dead_next;
        free(c);
    }
    w->n_spare_conns = 0;
    free(w->spare_rbuf);
    w->spare_rbuf = NULL;
}

/* Drops n consumed bytes from the front of the read buffer; gives it back
 * when empty so an idle connection holds no buffer. */
static void rbuf_consume(struct conn *c, size_t n)
{
    if (n >= c->rlen) {
        rbuf_release(c);
        return;
    }
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

/* Graceful close: no more writes, drain what the client still sends for a
 * moment, so closing with unread bytes doesn't turn into an RST that cuts
 * the response short (STYLE.md 7). */
static void conn_linger(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->state = CONN_LINGER;
    c->deadline_ms = loop_now(c) + LINGER_MS;
    rbuf_release(c);
    set_events(c, EPOLLIN);
}

static void access_log(struct conn *c)
{
    struct worker *w = c->w;
    if (w->log_fd < 0)
        return;
    char addr[NET_ADDR_STRLEN];
    net_addr_format(&c->peer, addr, sizeof(addr));
    char line[1024];
    uint64_t ms = loop_now(c) - c->req_start_ms;
    /* nginx's "combined" format, then the visitor id and the request time. */
    int n = snprintf(line, sizeof(line), "%s - - [%s] %s %d %llu %s %s %llu.%03llu\n", addr,
                     w->log_time, c->resp->log_request, c->resp->status,
                     (unsigned long long)c->resp->body_len, c->resp->log_tail,
                     c->resp->visitor[0] ? c->resp->visitor : "-", (unsigned long long)(ms / 1000),
                     (unsigned long long)(ms % 1000));
    if (n > 0)
        worker_log_access(w, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* The response is out: log it, and either read the next request or close. */
static void conn_finish(struct conn *c)
{
    access_log(c);
    c->w->served++;
    c->n_requests++;
    bool close_now = c->close_after || c->resp->close;
    resp_put(c->w, c->resp);
    c->resp = NULL;
    if (close_now) {
        /* RFC 9112 9.6: a client that sent "close" sends no further
         * request, so with its request read in full and the socket drained
         * there is nothing to wait for: closing now sends our response and
         * then FIN.  Otherwise (we chose to close, or bytes may follow)
         * linger, or the kernel would answer unread input with RST. */
        if (c->close_direct && c->state == CONN_READ && c->rlen == 0 && c->drained)
            conn_close(c);
        else
            conn_linger(c);
        return;
    }
    c->state = CONN_READ;
    c->req_start_ms = loop_now(c);
    c->deadline_ms = c->req_start_ms + c->conf->keepalive_timeout_ms;
    set_events(c, EPOLLIN);
}

/* Where segment k's bytes are in memory, or NULL for a file range to send
 * with sendfile.  File ranges of a file the cache holds in memory count as
 * memory. */
static const char *seg_mem(const struct httpd_resp *r, size_t k)
{
    const struct resp_seg *s = &r->segs[k];
    if (s->mem)
        return s->mem;
    return r->file_data ? r->file_data + s->off : NULL;
}

/* Sends as much of the response as the socket takes.  Returns 1 when all
 * is sent, 0 when the socket is full, -1 when the connection failed. */
static int conn_send(struct conn *c)
{
    struct httpd_resp *r = c->resp;
    for (;;) {
        bool head_left = c->head_done < r->head_len;
        struct resp_seg *s = c->seg < r->n_segs ? &r->segs[c->seg] : NULL;
        if (!head_left && !s)
            return 1;
        if (head_left || (s && seg_mem(r, c->seg))) {
            /* Gather the head's rest and the memory segments after it. */
            struct iovec iov[8];
            int n = 0;
            if (head_left)
                iov[n++] = (struct iovec){r->head + c->head_done, r->head_len - c->head_done};
            size_t k = c->seg;
            uint64_t done = c->seg_done;
            const char *m;
            while (k < r->n_segs && (m = seg_mem(r, k)) && n < 8) {
                iov[n++] = (struct iovec){(char *)m + done, (size_t)(r->segs[k].len - done)};
                done = 0;
                k++;
            }
            /* MSG_MORE when file data follows: head and body share packets.
             * Also when the connection ends after this response: close or
             * shutdown comes right after the last byte and sends the FIN
             * in the same segment as the data (one packet, not two). */
            int flags = MSG_NOSIGNAL | (k < r->n_segs || r->close ? MSG_MORE : 0);
            ssize_t w;
            if (n == 1) {
                /* One piece (a 304, a head alone): send skips sendmsg's
                 * copy of the msghdr and iovec from user space. */
                w = send(c->fd, iov[0].iov_base, iov[0].iov_len, flags);
            } else {
                struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
                w = sendmsg(c->fd, &msg, flags);
            }
            if (w < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -1;
            size_t left = (size_t)w;
            if (head_left) {
                size_t h = r->head_len - c->head_done;
                size_t t = left < h ? left : h;
                c->head_done += t;
                left -= t;
            }
            while (left > 0 && c->seg < r->n_segs && seg_mem(r, c->seg)) {
                uint64_t rest = r->segs[c->seg].len - c->seg_done;
                uint64_t t = left < rest ? left : rest;
                c->seg_done += t;
                left -= (size_t)t;
                if (c->seg_done == r->segs[c->seg].len) {
                    c->seg++;
                    c->seg_done = 0;
                }
            }
            /* Zero-length memory segments are skipped. */
            while (c->seg < r->n_segs && seg_mem(r, c->seg) && r->segs[c->seg].len == 0)
                c->seg++;
            continue;
        }
        /* A file range: sendfile from the page cache to the socket. */
        off_t off = (off_t)(s->off + c->seg_done);
        uint64_t rest = s->len - c->seg_done;
        size_t chunk = rest < SENDFILE_CHUNK ? (size_t)rest : SENDFILE_CHUNK;
        if (chunk == 0) {
            c->seg++;
            c->seg_done = 0;
            continue;
        }
        ssize_t w = sendfile(c->fd, r->file_fd, &off, chunk);
        if (w < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        if (w == 0) {
            /* The file shrank under us: the promised length can't be met. */
            log_warn("file shrank while being sent; closing the connection");
            return -1;
        }
        c->seg_done += (uint64_t)w;
        if (c->seg_done == s->len) {
            c->seg++;
            c->seg_done = 0;
        }
    }
}

/* A body that is one small piece of memory (a cached small file, an error
 * page) is copied behind the head, so the response goes out with one send
 * instead of a two-piece sendmsg: the copy costs less than the msghdr and
 * iovec the kernel would copy in and walk. */
static void coalesce_small_body(struct httpd_resp *r)
{
    if (r->n_segs != 1 || r->head_len == 0)
        return;
    const char *m = seg_mem(r, 0);
    uint64_t len = r->segs[0].len;
    if (!m || len > sizeof(r->head) - r->head_len)
        return;
    memcpy(r->head + r->head_len, m, (size_t)len);
    r->head_len += (size_t)len;
    r->n_segs = 0;
}

/* Starts sending c->resp; finishes at once when the socket takes it all. */
static void conn_respond(struct conn *c)
{
    c->head_done = 0;
    c->seg = 0;
    c->seg_done = 0;
    coalesce_small_body(c->resp);
    /* Nagle would hold the last segment of a response back until the
     * client acknowledges the ones before it, stalling the next request on
     * a kept-alive connection (the head itself is corked with MSG_MORE).
     * A connection that closes after its first response needs no option:
     * close and shutdown push what is queued at once. */
    if (!c->nodelay && !c->resp->close) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->nodelay = true;
    }
    if (!c->lowat && c->resp->body_len > LOWAT_BODY) {
        int v = NOTSENT_LOWAT;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof(v));
        c->lowat = true;
    }
    int rc = conn_send(c);
    if (rc < 0) {
        conn_close(c);
    } else if (rc == 0) {
        c->state = CONN_WRITE;
        c->deadline_ms = loop_now(c) + c->conf->send_timeout_ms;
        c->drained = false; /* unread input may arrive meanwhile */
        set_events(c, EPOLLOUT);
    } else {
        conn_finish(c);
    }
}

static void make_ctx(const struct conn *c, struct handler_ctx *ctx)
{
    ctx->conf = c->w->conf; /* requests follow a reload at once */
    ctx->root_fd = c->w->conf->root_fd;
    ctx->mime = c->w->conf->mime;
    ctx->fc = c->w->fc[0];
    ctx->fcs = c->w->fc;
    ctx->now_ms = loop_now(c);
    ctx->date = c->w->date;
    ctx->stopping = c->w->stopping;
    ctx->access_log = c->w->log_fd >= 0;
    ctx->n_requests = c->n_requests;
}

/* Parses and answers buffered requests, pipelined ones in order. */
static void conn_process(struct conn *c)
{
    for (int i = 0; i < PIPELINE_PER_WAKE && !c->closing && c->state == CONN_READ; i++) {
        if (c->discard_left) {
            size_t n = c->rlen < c->discard_left ? c->rlen : (size_t)c->discard_left;
            rbuf_consume(c, n);
            c->discard_left -= n;
            if (c->discard_left)
                return;
        }
        if (c->rlen == 0)
            return;
        c->resp = resp_get(c->w);
        if (!c->resp) {
            conn_close(c);
            return;
        }
        struct handler_ctx ctx;
        make_ctx(c, &ctx);
        struct handler_info info;
        memset(&info, 0, sizeof(info));
        int rc = handler_request(&ctx, c->rbuf, c->rlen, &c->req, c->resp, &info);
        if (rc == -EAGAIN) {
            resp_put(c->w, c->resp);
            c->resp = NULL;
            return;
        }
        bool client_close = !c->req.keep_alive;
        http_req_init(&c->req); /* the next request starts afresh */
        c->close_direct = false;
        if (rc == 0) {
            /* Refused head: the error response closes; nothing after it
             * can be trusted to be a request boundary. */
            c->close_after = true;
            c->rlen = 0;
        } else {
            rbuf_consume(c, (size_t)rc);
            /* The handler decided (and said so in the head). */
            c->close_after = c->resp->close;
            c->discard_left = c->close_after ? 0 : info.body_len;
            /* The client asked to close (not our choice) and sent no body. */
            c->close_direct = client_close && info.body_len == 0 && !info.body_chunked;
        }
        conn_respond(c);
    }
    /* More pipelined requests wait: let other connections run first. */
    if (c->state == CONN_READ && c->rlen > 0 && !c->closing)
        set_events(c, EPOLLIN | EPOLLOUT);
}

static void conn_on_readable(struct conn *c)
{
    if (c->state == CONN_LINGER) {
        char scratch[4096];
        for (;;) {
            ssize_t n = recv(c->fd, scratch, sizeof(scratch), 0);
            if (n > 0) {
                c->linger_read += (uint64_t)n;
                if (c->linger_read > LINGER_MAX) {
                    conn_close(c);
                    return;
                }
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
            conn_close(c); /* EOF or error: the client has our response */
            return;
        }
    }
    size_t limit = head_limit(c) + READ_CHUNK;
    for (;;) {
        if (c->rcap - c->rlen < READ_CHUNK / 2) {
            if (c->rcap >= limit) {
                /* Full buffer of an unfinished head: the handler has
                 * already judged what it can; stop reading until it does. */
                break;
            }
            size_t ncap = c->rcap ? c->rcap * 2 : READ_CHUNK;
            if (ncap > limit)
                ncap = limit;
            char *nb;
            if (!c->rbuf && ncap == READ_CHUNK && c->w->spare_rbuf) {
                nb = c->w->spare_rbuf;
                c->w->spare_rbuf = NULL;
            } else {
                nb = realloc(c->rbuf, ncap);
            }
            if (!nb) {
                conn_close(c);
                return;
            }
            c->rbuf = nb;
            c->rcap = ncap;
        }
        size_t room = c->rcap - c->rlen;
        c->drained = false;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, room, 0);
        if (n > 0) {
            if (c->rlen == 0) {
                /* A request's first byte: its time and header deadline start. */
                c->req_start_ms = loop_now(c);
                c->deadline_ms = c->req_start_ms + c->conf->header_timeout_ms;
            }
            c->rlen += (size_t)n;
            /* A short read drained the socket: a second recv would only
             * say EAGAIN.  The poll is level-triggered, so more data (or
             * EOF) wakes us again. */
            if ((size_t)n < room) {
                c->drained = true;
                break;
            }
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            c->drained = true;
            break;
        }
        if (n < 0 && errno == EINTR)
            break;
        /* EOF (or reset) from the client: nothing more to answer. */
        conn_close(c);
        return;
    }
    conn_process(c);
}

/* One readiness report for c.  Errors and hang-ups count as both readable
 * and writable: the next recv or send reports them. */
static void conn_on_event(struct conn *c, uint32_t ev)
{
    if (c->closing)
        return;
    bool readable = ev & (EPOLLIN | EPOLLERR | EPOLLHUP);
    bool writable = ev & (EPOLLOUT | EPOLLERR | EPOLLHUP);
    if (c->state == CONN_WRITE && writable) {
        int rc = conn_send(c);
        if (rc < 0) {
            conn_close(c);
            return;
        }
        if (rc == 0) {
            c->deadline_ms = loop_now(c) + c->conf->send_timeout_ms;
            return;
        }
        conn_finish(c);
        if (c->state == CONN_READ)
            conn_process(c);
        return;
    }
    if (c->state == CONN_READ && writable && !readable) {
        /* Deferred pipelined requests (see conn_process); the socket was
         * not read in this turn, so it may hold more. */
        c->drained = false;
        set_events(c, EPOLLIN);
        conn_process(c);
        return;
    }
    if (readable && c->state != CONN_WRITE)
        conn_on_readable(c);
}

void conn_run(struct worker *w)
{
    struct epoll_event evs[RUN_EVENTS];
    for (int round = 0; round < RUN_ROUNDS; round++) {
        int n = epoll_wait(w->epfd, evs, RUN_EVENTS, 0);
        for (int i = 0; i < n; i++)
            conn_on_event(evs[i].data.ptr, evs[i].events);
        /* A short batch emptied the ready list (EINTR: the loop comes back). */
        if (n < RUN_EVENTS)
            break;
    }
    conn_reap(w);
}

int conn_accept(struct worker *w, int fd, const struct net_addr *peer)
{
    struct conn *c = w->spare_conns;
    if (c) {
        w->spare_conns = c->dead_next;
        w->n_spare_conns--;
        memset(c, 0, sizeof(*c));
    } else {
        c = calloc(1, sizeof(*c));
    }
    if (!c) {
        close(fd);
        return -ENOMEM;
    }
    c->w = w;
    c->conf = httpd_conf_retain(w->conf);
    c->fd = fd;
    c->peer = *peer;
    net_addr_unmap(&c->peer);
    c->state = CONN_READ;
    http_req_init(&c->req);
    c->req_start_ms = uv_now(&w->loop);
    c->deadline_ms = c->req_start_ms + c->conf->header_timeout_ms;
    c->next = w->conns;
    c->pprev = &w->conns;
    if (w->conns)
        w->conns->pprev = &c->next;
    w->conns = c;
    w->n_conns++;
    /* The listener defers accept until the request's first bytes are
     * there (TCP_DEFER_ACCEPT), so read at once: a request answered and
     * closed right here never joins the epoll set.  Whatever stays open
     * joins it (level-triggered: a read that stops early, at the buffer
     * limit or the pipelining budget, is simply reported again). */
    conn_on_readable(c);
    if (!c->closing && !c->in_set)
        set_events(c, EPOLLIN);
    return 0;
}

void conn_sweep(struct worker *w, uint64_t now_ms)
{
    for (struct conn *c = w->conns; c; c = c->next) {
        if (!c->closing && now_ms >= c->deadline_ms) {
            log_debug("connection timed out in state %d", (int)c->state);
            conn_close(c);
        }
    }
    conn_reap(w);
}

void conn_stop_all(struct worker *w)
{
    for (struct conn *c = w->conns; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->state == CONN_READ && c->rlen == 0)
            conn_close(c);
        else
            c->close_after = true;
    }
    conn_reap(w);
}
