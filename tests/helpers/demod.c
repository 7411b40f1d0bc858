/*
 * labnet-demod: the smallest daemon built on common/, used by the tests to
 * prove the shared life cycle (config, -t, signals, sd_notify, socket
 * activation, graceful stop) before any real daemon exists.
 *
 * It answers each UDP datagram with "<greeting>: <payload>" after a
 * configurable delay, so a test can have work in flight while it stops or
 * reloads the daemon.  Not installed.
 *
 *   [demo]
 *   listen   = 127.0.0.1:0      (repeatable; port 0 picks one, see STATUS=)
 *   greeting = hello            (reloadable)
 *   delay    = 0ms              (reloadable)
 *   user     =                  (drop to this user after binding)
 *   pid-file =
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/cli.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/listen.h"
#include "common/log.h"

#define MAX_LISTEN 4

struct demo_conf {
    struct net_addr listen[MAX_LISTEN];
    size_t n_listen;
    char greeting[64];
    uint64_t delay_ms;
    const char *user;
    const char *pid_file;
    struct cfg *cfg; /* owns the strings above */
};

struct demo;

struct reply {
    struct reply *next, **pprev; /* in demo.replies, for a forced stop */
    uv_timer_t timer;
    uv_udp_send_t send;
    struct demo *d;
    uv_udp_t *sock;
    struct sockaddr_storage to;
    char buf[600];
    size_t len;
};

struct demo {
    uv_loop_t loop;
    struct daemon daemon;
    struct demo_conf conf;
    const char *config_path;
    uv_udp_t sock[MAX_LISTEN];
    size_t n_sock;
    size_t open_socks;
    size_t in_flight;
    struct reply *replies;
    char rbuf[512];
};

/* Loads and validates a configuration; on error prints every problem and
 * returns -EINVAL, leaving *out untouched. */
static int conf_load(const char *path, struct demo_conf *out)
{
    struct demo_conf c;
    memset(&c, 0, sizeof(c));
    c.cfg = cfg_new();
    if (!c.cfg)
        return -ENOMEM;
    if (path)
        cfg_load_file(c.cfg, path);
    net_addr_parse_hostport(&c.listen[0], "127.0.0.1:0", 0);
    c.n_listen = 1;
    cfg_get_addr_list(c.cfg, "demo", "listen", 7777, c.listen, MAX_LISTEN, &c.n_listen);
    const char *greeting = "hello";
    if (cfg_get_str(c.cfg, "demo", "greeting", &greeting) == 0 && strlen(greeting) >= 64)
        cfg_error_at(c.cfg, "demo", "greeting", "longer than 63 characters");
    snprintf(c.greeting, sizeof(c.greeting), "%s", greeting);
    cfg_get_duration(c.cfg, "demo", "delay", 0, 60000, &c.delay_ms);
    cfg_get_str(c.cfg, "demo", "user", &c.user);
    cfg_get_path(c.cfg, "demo", "pid-file", &c.pid_file);
    if (cfg_finish(c.cfg) != 0) {
        cfg_errors_print(c.cfg, stderr);
        cfg_free(c.cfg);
        return -EINVAL;
    }
    *out = c;
    return 0;
}

static void reply_unlink(struct reply *r)
{
    if (r->next)
        r->next->pprev = r->pprev;
    *r->pprev = r->next;
}

static void reply_free(uv_handle_t *h)
{
    struct reply *r = h->data;
    struct demo *d = r->d;
    reply_unlink(r);
    free(r);
    d->in_flight--;
    /* During a graceful stop the sockets close when the last reply is out. */
    if (d->daemon.stopping && d->in_flight == 0)
        for (size_t i = 0; i < d->n_sock; i++)
            if (!uv_is_closing((uv_handle_t *)&d->sock[i]))
                uv_close((uv_handle_t *)&d->sock[i], NULL);
}

static void on_sent(uv_udp_send_t *s, int status)
{
    struct reply *r = s->data;
    if (status != 0)
        log_warn("reply not sent: %s", uv_strerror(status));
    uv_close((uv_handle_t *)&r->timer, reply_free);
}

static void on_delay(uv_timer_t *t)
{
    struct reply *r = t->data;
    uv_buf_t b = uv_buf_init(r->buf, (unsigned)r->len);
    r->send.data = r;
    if (uv_udp_send(&r->send, r->sock, &b, 1, (struct sockaddr *)&r->to, on_sent) != 0)
        uv_close((uv_handle_t *)&r->timer, reply_free);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)sz;
    struct demo *d = h->data;
    *b = uv_buf_init(d->rbuf, sizeof(d->rbuf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned flags)
{
    (void)flags;
    struct demo *d = h->data;
    if (n < 0 || !from || d->daemon.stopping)
        return;
    struct reply *r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->d = d;
    r->sock = h;
    memcpy(&r->to, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    int len = snprintf(r->buf, sizeof(r->buf), "%s: %.*s", d->conf.greeting, (int)n, b->base);
    r->len = len < 0 ? 0 : (size_t)len < sizeof(r->buf) ? (size_t)len : sizeof(r->buf) - 1;
    d->in_flight++;
    r->next = d->replies;
    r->pprev = &d->replies;
    if (d->replies)
        d->replies->pprev = &r->next;
    d->replies = r;
    uv_timer_init(&d->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_delay, d->conf.delay_ms, 0);
}

static int on_reload(void *ud)
{
    struct demo *d = ud;
    struct demo_conf c;
    int rc = conf_load(d->config_path, &c);
    if (rc != 0)
        return rc;
    /* Listening addresses and the user need a restart; the rest swaps. */
    cfg_free(d->conf.cfg);
    memcpy(c.listen, d->conf.listen, sizeof(c.listen));
    c.n_listen = d->conf.n_listen;
    d->conf = c;
    return 0;
}

static void on_stop(void *ud)
{
    struct demo *d = ud;
    for (size_t i = 0; i < d->n_sock; i++) {
        uv_udp_recv_stop(&d->sock[i]);
        if (d->in_flight == 0)
            uv_close((uv_handle_t *)&d->sock[i], NULL);
    }
}

int main(int argc, char **argv)
{
    static const struct cli_prog prog = {
        .name = "labnet-demod",
        .summary = "Example daemon for labnet's tests: answers UDP datagrams.",
        .is_daemon = true,
    };
    struct cli_opts opts;
    int rc = daemon_main_begin(&prog, argc, argv, &opts);
    if (rc >= 0)
        return rc;

    static struct demo d;
    d.config_path = opts.config_path;
    if (conf_load(opts.config_path, &d.conf) != 0)
        return 1;
    if (opts.test_config) {
        daemon_config_valid(prog.name, opts.config_path);
        cfg_free(d.conf.cfg);
        return 0;
    }
    static const struct daemon_hooks hooks = {.reload = on_reload, .stop = on_stop};
    if (daemon_begin(&d.daemon, &d.loop, &hooks, &d, opts.foreground) != 0)
        return 1;
    if (uv_loop_init(&d.loop) != 0)
        return 1;
    char status[256] = "Serving on";
    for (size_t i = 0; i < d.conf.n_listen; i++) {
        bool act = false;
        d.sock[i].data = &d;
        rc = listen_udp_open(&d.loop, &d.sock[i], &d.conf.listen[i], NULL, &act);
        d.n_sock++;
        uv_os_fd_t fd;
        struct net_addr bound;
        char name[NET_ADDR_STRLEN];
        if (rc == 0)
            rc = uv_fileno((uv_handle_t *)&d.sock[i], &fd);
        if (rc == 0)
            rc = listen_local_addr(fd, &bound);
        if (rc == 0)
            rc = uv_udp_recv_start(&d.sock[i], on_alloc, on_recv);
        net_addr_format_port(rc == 0 ? &bound : &d.conf.listen[i], name, sizeof(name));
        if (rc != 0) {
            log_err("cannot listen on %s: %s", name, uv_strerror(rc));
            return 1;
        }
        log_info("listening on %s%s", name, act ? " (from systemd)" : "");
        size_t l = strlen(status);
        snprintf(status + l, sizeof(status) - l, " %s", name);
    }
    /* A reload replaces d.conf; the pid file stays where it was made. */
    char *pid_path = d.conf.pid_file ? strdup(d.conf.pid_file) : NULL;
    int pid_fd = -1;
    if (daemon_settle(d.conf.user, pid_path ? pid_path : "", &pid_fd) != 0) {
        free(pid_path);
        return 1;
    }
    if (daemon_start(&d.daemon) != 0) {
        daemon_pidfile_remove(pid_path, pid_fd);
        free(pid_path);
        return 1;
    }
    daemon_ready(&d.daemon, status);
    rc = daemon_run(&d.daemon);
    /* After a forced stop, replies still waiting had their handles closed
     * by daemon_run; their memory is ours to free. */
    while (d.replies) {
        struct reply *r = d.replies;
        d.replies = r->next;
        free(r);
    }
    daemon_pidfile_remove(pid_path, pid_fd);
    free(pid_path);
    cfg_free(d.conf.cfg);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
