/*
 * labnet-httpd: a static HTTP/1.1 server.  The main thread owns signals and
 * systemd notifications (common/daemon); each worker thread runs its own
 * loop with its own SO_REUSEPORT socket (httpd/worker.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/daemon.h"
#include "common/listen.h"
#include "common/log.h"
#include "httpd/conf.h"
#include "httpd/worker.h"

#define MAX_WORKERS 256

struct httpd {
    uv_loop_t loop;
    struct daemon daemon;
    uv_async_t done; /* a worker finished */
    unsigned n_done;
    struct httpd_conf *conf;
    struct worker *workers;
    unsigned n_workers;
    const char *config_path;
    struct httpd_overrides ov;
};

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct httpd_overrides *ov = ud;
    switch (opt) {
    case 'l':
        ov->listen = arg;
        return 0;
    case 'r':
        ov->root = arg;
        return 0;
    case 'w': {
        char *end;
        unsigned long n = strtoul(arg, &end, 10);
        if (strcmp(arg, "auto") == 0) {
            long c = sysconf(_SC_NPROCESSORS_ONLN);
            n = c > 0 ? (unsigned long)c : 1;
        } else if (*end || n < 1 || n > MAX_WORKERS) {
            fprintf(stderr, "labnet-httpd: -w %s: expected auto or 1..%d\n", arg, MAX_WORKERS);
            return -EINVAL;
        }
        ov->workers = (unsigned)n;
        return 0;
    }
    default:
        return -EINVAL;
    }
}

static void on_worker_done(uv_async_t *a)
{
    struct httpd *h = a->data;
    /* uv_async coalesces sends: count the workers whose loops have ended. */
    unsigned done = 0;
    for (unsigned i = 0; i < h->n_workers; i++)
        if (atomic_load(&h->workers[i].finished))
            done++;
    h->n_done = done;
    if (done == h->n_workers && !uv_is_closing((uv_handle_t *)&h->done))
        uv_close((uv_handle_t *)&h->done, NULL);
}

static void on_stop(void *ud)
{
    struct httpd *h = ud;
    for (unsigned i = 0; i < h->n_workers; i++)
        worker_post_stop(&h->workers[i]);
}

static int on_reload(void *ud)
{
    struct httpd *h = ud;
    struct httpd_conf *nc;
    int rc = httpd_conf_load(h->config_path, &h->ov, &nc);
    if (rc != 0)
        return rc;
    bool same = nc->n_listen == h->conf->n_listen && nc->workers == h->conf->workers;
    for (size_t i = 0; same && i < nc->n_listen; i++)
        same = net_addr_eq(&nc->listen[i], &h->conf->listen[i]);
    if (!same)
        log_warn("listen addresses and workers change only on restart; keeping the current ones");
    nc->workers = h->conf->workers;
    for (unsigned i = 0; i < h->n_workers; i++)
        worker_post_conf(&h->workers[i], nc);
    httpd_conf_release(h->conf);
    h->conf = nc;
    return 0;
}

/* Opens worker w's listening socket for each address: a systemd-passed one
 * when it matches, else our own with SO_REUSEPORT. */
static int open_listeners(const struct httpd_conf *c, int *fds)
{
    static const struct listen_opts opts = {.reuseport = true};
    for (size_t i = 0; i < c->n_listen; i++) {
        int fd = listen_sd_take(SOCK_STREAM, &c->listen[i]);
        if (fd == -ENOENT) {
            fd = listen_socket(SOCK_STREAM, &c->listen[i], &opts);
            if (fd >= 0 && listen(fd, 511) != 0) {
                int e = errno;
                close(fd);
                fd = -e;
            }
        }
        if (fd >= 0) {
            /* Accept only once the request's first bytes have arrived
             * (as nginx's "listen ... deferred" and h2o do): the worker
             * then reads at once and wakes once per connection.  A client
             * that connects and stays silent is accepted after about a
             * second anyway, and meets the header timeout. */
            int secs = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
        }
        if (fd < 0) {
            char name[NET_ADDR_STRLEN];
            net_addr_format_port(&c->listen[i], name, sizeof(name));
            log_err("cannot listen on %s: %s", name, strerror(-fd));
            for (size_t j = 0; j < i; j++)
                close(fds[j]);
            return fd;
        }
        fds[i] = fd;
    }
    return 0;
}

/* Binds every worker's sockets, drops privileges, writes the pid file and
 * starts the worker threads.  Returns 0 or -1 (logged). */
static int start_workers(struct httpd *h, int (*fds)[HTTPD_MAX_LISTEN], int *pid_fd)
{
    for (unsigned i = 0; i < h->n_workers; i++)
        if (open_listeners(h->conf, fds[i]) != 0)
            return -1;
    if (daemon_settle(h->conf->user, h->conf->pid_file, pid_fd) != 0)
        return -1;
    for (unsigned i = 0; i < h->n_workers; i++) {
        int rc = worker_init(&h->workers[i], i, h->conf, fds[i], h->conf->n_listen, &h->done);
        if (rc != 0 || (rc = worker_start(&h->workers[i])) != 0) {
            log_err("cannot start worker %u: %s", i, uv_strerror(rc));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct httpd h;
    static const struct option extra_long[] = {{"listen", required_argument, NULL, 'l'},
                                               {"root", required_argument, NULL, 'r'},
                                               {"workers", required_argument, NULL, 'w'},
                                               {NULL, 0, NULL, 0}};
    const struct cli_prog prog = {
        .name = "labnet-httpd",
        .summary = "Static HTTP/1.1 server. Without a configuration it serves the current\n"
                   "directory on 127.0.0.1:8080.",
        .extra_help = "  -l, --listen ADDR  listen on ADDR (e.g. 127.0.0.1:8080, [::1]:80)\n"
                      "  -r, --root DIR     document root\n"
                      "  -w, --workers N    worker loops: a number or auto (one per core)\n",
        .is_daemon = true,
        .extra_short = "l:r:w:",
        .extra_long = extra_long,
        .extra = parse_extra,
        .ud = &h.ov,
    };
    struct cli_opts opts;
    int rc = daemon_main_begin(&prog, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    h.config_path = opts.config_path;
    if (httpd_conf_load(opts.config_path, &h.ov, &h.conf) != 0)
        return 1;
    if (opts.test_config) {
        daemon_config_valid(prog.name, opts.config_path);
        httpd_conf_release(h.conf);
        return 0;
    }

    static const struct daemon_hooks hooks = {.reload = on_reload, .stop = on_stop};
    if (daemon_begin(&h.daemon, &h.loop, &hooks, &h, opts.foreground) != 0)
        return 1;
    if (uv_loop_init(&h.loop) != 0 || uv_async_init(&h.loop, &h.done, on_worker_done) != 0)
        return 1;
    h.done.data = &h;

    h.n_workers = h.conf->workers;
    h.workers = calloc(h.n_workers, sizeof(*h.workers));
    int(*fds)[HTTPD_MAX_LISTEN] = calloc(h.n_workers, sizeof(*fds));
    if (!h.workers || !fds) {
        free(fds);
        return 1;
    }
    int pid_fd = -1;
    rc = start_workers(&h, fds, &pid_fd);
    free(fds);
    if (rc != 0)
        return 1;
    if (daemon_start(&h.daemon) != 0)
        return 1;

    char status[512];
    size_t n = (size_t)snprintf(status, sizeof(status), "Serving %s on", h.conf->root);
    /* The addresses as bound: port 0 in the configuration became a real one. */
    struct net_addr bound[HTTPD_MAX_LISTEN];
    for (size_t i = 0; i < h.conf->n_listen; i++) {
        bound[i] = h.conf->listen[i];
        listen_local_addr(h.workers[0].listeners[i].fd, &bound[i]);
    }
    daemon_status_addrs(status, sizeof(status), &n, bound, h.conf->n_listen);
    if (n < sizeof(status))
        snprintf(status + n, sizeof(status) - n, " with %u worker%s", h.n_workers,
                 h.n_workers == 1 ? "" : "s");
    log_notice("%s", status);
    daemon_ready(&h.daemon, status);

    rc = daemon_run(&h.daemon);
    uint64_t served = 0;
    for (unsigned i = 0; i < h.n_workers; i++) {
        worker_join(&h.workers[i]);
        served += h.workers[i].served;
    }
    free(h.workers);
    daemon_pidfile_remove(h.conf->pid_file, pid_fd);
    httpd_conf_release(h.conf);
    log_info("stopped after %llu requests", (unsigned long long)served);
    return rc == 0 ? 0 : 1;
}
