/*
 * labnet-dnsd: a recursive caching DNS resolver.  The main thread owns
 * signals and systemd notifications (common/daemon); each worker thread
 * runs its own loop with its own SO_REUSEPORT UDP and TCP sockets and its
 * own resolver, sharing one cache (dnsd/server.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/daemon.h"
#include "common/listen.h"
#include "common/log.h"
#include "dnsd/conf.h"
#include "dnsd/dynzone.h"
#include "dnsd/localzone.h"
#include "dnsd/resolver.h"
#include "dnsd/server.h"

/* Long-only option values: above cli.c's own (0x100 and up). */
#define OPT_THREADS 0x1000

struct dnsd {
    uv_loop_t loop;
    struct daemon daemon;
    uv_timer_t done; /* keeps the loop alive; while stopping, watches the workers */
    struct dnsd_conf *conf;
    struct dns_cache *cache;
    struct dynzone *dyn; /* DNS UPDATE's records, shared by the workers */
    struct server_worker *workers;
    unsigned n_workers;
    const char *config_path;
    struct dnsd_overrides ov;
};

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct dnsd_overrides *ov = ud;
    switch (opt) {
    case 'l':
        if (ov->n_listen == DNSD_MAX_LISTEN) {
            fprintf(stderr, "labnet-dnsd: at most %d --listen addresses\n", DNSD_MAX_LISTEN);
            return -EINVAL;
        }
        ov->listen[ov->n_listen++] = arg;
        return 0;
    case 'a':
        if (ov->n_allow == ACL_MAX_RULES) {
            fprintf(stderr, "labnet-dnsd: at most %d --allow prefixes\n", ACL_MAX_RULES);
            return -EINVAL;
        }
        ov->allow[ov->n_allow++] = arg;
        return 0;
    case 'r':
        ov->root_hints = arg;
        return 0;
    case OPT_THREADS: {
        char *end;
        unsigned long n = strtoul(arg, &end, 10);
        if (*end || end == arg || n < 1 || n > DNSD_MAX_THREADS) {
            fprintf(stderr, "labnet-dnsd: --threads %s: expected 1..%d\n", arg, DNSD_MAX_THREADS);
            return -EINVAL;
        }
        ov->threads = (unsigned)n;
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* Reads the root hints the way each worker will, on loop, so a bad file
 * is reported before anything is swapped in. */
static int resolver_probe(uv_loop_t *loop, const struct dnsd_conf *c, struct dns_cache *cache)
{
    char err[512] = "";
    struct resolver *r = resolver_new(loop, &c->resolver, cache, err, sizeof(err));
    if (!r) {
        log_err("resolver: %s", err);
        return -EINVAL;
    }
    resolver_close(r);
    return 0;
}

/* The dynamic record store, loaded from the state directory.  Without
 * update keys nothing can change it, so a state file that cannot be read
 * then only costs a warning. */
static struct dynzone *dyn_open(const struct dnsd_conf *c)
{
    char path[4096 + sizeof(DYNZONE_FILE) + 1];
    (void)snprintf(path, sizeof(path), "%s/%s", c->state_dir, DYNZONE_FILE);
    char err[512] = "";
    struct dynzone *dz = NULL;
    int rc = dynzone_new(path, &dz, err, sizeof(err));
    if (rc == 0)
        return dz;
    if (rc == -ENOMEM || c->update.n_keys > 0) {
        log_err("dynamic records: %s", err[0] ? err : strerror(-rc));
        return NULL;
    }
    log_warn("dynamic records: %s (ignored: no [update] key)", err);
    return dynzone_new(NULL, &dz, NULL, 0) == 0 ? dz : NULL;
}

/* -t: the configuration and the root hints, on a private loop. */
static int check_only(const struct dnsd_conf *c)
{
    uv_loop_t loop;
    struct dns_cache *cache = dns_cache_new(&c->cache);
    if (!cache || uv_loop_init(&loop) != 0) {
        dns_cache_free(cache);
        return -ENOMEM;
    }
    int rc = resolver_probe(&loop, c, cache);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    dns_cache_free(cache);
    return rc;
}

/* Workers are watched by polling their flags from a timer rather than
 * woken through a uv_async on this loop: a worker finishing after this
 * loop was closed (a forced stop) would otherwise write to a closed loop. */
static void on_done_check(uv_timer_t *t)
{
    struct dnsd *d = t->data;
    unsigned done = 0;
    for (unsigned i = 0; i < d->n_workers; i++)
        if (atomic_load(&d->workers[i].finished))
            done++;
    if (done == d->n_workers && !uv_is_closing((uv_handle_t *)&d->done))
        uv_close((uv_handle_t *)&d->done, NULL);
}

static void on_stop(void *ud)
{
    struct dnsd *d = ud;
    for (unsigned i = 0; i < d->n_workers; i++)
        server_worker_post_stop(&d->workers[i]);
    uv_timer_start(&d->done, on_done_check, 0, 20);
}

static int on_reload(void *ud)
{
    struct dnsd *d = ud;
    struct dnsd_conf *nc;
    int rc = dnsd_conf_load(d->config_path, &d->ov, stderr, &nc);
    if (rc != 0)
        return rc;
    if (resolver_probe(&d->loop, nc, d->cache) != 0) {
        dnsd_conf_release(nc);
        return -EINVAL;
    }
    bool same = nc->n_listen == d->conf->n_listen && nc->threads == d->conf->threads;
    for (size_t i = 0; same && i < nc->n_listen; i++)
        same = net_addr_eq(&nc->listen[i], &d->conf->listen[i]);
    if (!same)
        log_warn("listen addresses and threads change only on restart; keeping the current ones");
    const struct dns_cache_config *a = &nc->cache, *b = &d->conf->cache;
    if (a->max_bytes != b->max_bytes || a->min_ttl != b->min_ttl || a->max_ttl != b->max_ttl ||
        a->neg_max_ttl != b->neg_max_ttl || a->serve_stale != b->serve_stale)
        log_warn("[cache] settings change only on restart; the cache is kept as it is");
    /* Workers keep serving on the sockets they have. */
    nc->n_listen = d->conf->n_listen;
    memcpy(nc->listen, d->conf->listen, sizeof(nc->listen));
    nc->threads = d->conf->threads;
    /* The dynamic records now sit on the new static data; every worker
     * sees both at its next query. */
    if (dynzone_rebase(d->dyn, nc) != 0)
        log_warn("out of memory: local data served as before the reload");
    for (unsigned i = 0; i < d->n_workers; i++)
        server_worker_post_conf(&d->workers[i], nc);
    dnsd_conf_release(d->conf);
    d->conf = nc;
    log_info("%zu local records", localzone_count(nc->local));
    return 0;
}

static int open_one(int type, const struct net_addr *a)
{
    static const struct listen_opts opts = {.reuseport = true};
    int fd = listen_sd_take(type, a);
    if (fd == -ENOENT) {
        fd = listen_socket(type, a, &opts);
        if (fd >= 0 && type == SOCK_STREAM && listen(fd, 511) != 0) {
            int e = errno;
            close(fd);
            fd = -e;
        }
    }
    if (fd < 0) {
        char name[NET_ADDR_STRLEN];
        net_addr_format_port(a, name, sizeof(name));
        log_err("cannot listen on %s (%s): %s", name, type == SOCK_DGRAM ? "UDP" : "TCP",
                strerror(-fd));
    }
    return fd;
}

/* Opens every worker's UDP and TCP sockets.  Port 0 (any) is resolved by
 * the first socket so that every worker and both transports share it. */
static int open_listeners(struct dnsd *d, int (*udp)[DNSD_MAX_LISTEN], int (*tcp)[DNSD_MAX_LISTEN])
{
    struct dnsd_conf *c = d->conf;
    for (unsigned w = 0; w < d->n_workers; w++)
        for (size_t i = 0; i < c->n_listen; i++) {
            udp[w][i] = open_one(SOCK_DGRAM, &c->listen[i]);
            if (udp[w][i] < 0)
                return -1;
            if (c->listen[i].port == 0)
                listen_local_addr(udp[w][i], &c->listen[i]);
            tcp[w][i] = open_one(SOCK_STREAM, &c->listen[i]);
            if (tcp[w][i] < 0)
                return -1;
        }
    return 0;
}

static int start_workers(struct dnsd *d, int *pid_fd)
{
    int(*udp)[DNSD_MAX_LISTEN] = calloc(d->n_workers, sizeof(*udp));
    int(*tcp)[DNSD_MAX_LISTEN] = calloc(d->n_workers, sizeof(*tcp));
    int rc = -1;
    if (!udp || !tcp || open_listeners(d, udp, tcp) != 0)
        goto out;
    if (daemon_settle(d->conf->user, d->conf->pid_file, pid_fd) != 0)
        goto out;
    for (unsigned i = 0; i < d->n_workers; i++) {
        char err[512] = "";
        if (server_worker_init(&d->workers[i], i, d->conf, d->cache, udp[i], tcp[i],
                               d->conf->n_listen, NULL, err, sizeof(err)) != 0) {
            log_err("cannot start worker %u: %s", i, err);
            goto out;
        }
        d->workers[i].dyn = d->dyn;
        if (server_worker_start(&d->workers[i]) != 0) {
            log_err("cannot start worker %u", i);
            goto out;
        }
    }
    rc = 0;
out:
    free(udp);
    free(tcp);
    return rc;
}

int main(int argc, char **argv)
{
    static struct dnsd d;
    static const struct option extra_long[] = {{"listen", required_argument, NULL, 'l'},
                                               {"allow", required_argument, NULL, 'a'},
                                               {"root-hints", required_argument, NULL, 'r'},
                                               {"threads", required_argument, NULL, OPT_THREADS},
                                               {NULL, 0, NULL, 0}};
    const struct cli_prog prog = {
        .name = "labnet-dnsd",
        .summary = "Recursive caching DNS resolver. Without a configuration it serves\n"
                   "127.0.0.1:5353 and [::1]:5353 to loopback clients, from the built-in root "
                   "hints.",
        .extra_help = "  -l, --listen ADDR:PORT  listen on ADDR (repeatable; replaces [server] "
                      "listen)\n"
                      "  -a, --allow CIDR        also serve clients in CIDR (repeatable)\n"
                      "  -r, --root-hints FILE   root hints in named.root format\n"
                      "      --threads N         worker threads (1..256)\n",
        .is_daemon = true,
        .extra_short = "l:a:r:",
        .extra_long = extra_long,
        .extra = parse_extra,
        .ud = &d.ov,
    };
    struct cli_opts opts;
    int rc = daemon_main_begin(&prog, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    d.config_path = opts.config_path;
    if (dnsd_conf_load(opts.config_path, &d.ov, stderr, &d.conf) != 0)
        return 1;
    if (opts.test_config) {
        struct dynzone *dz = dyn_open(d.conf);
        rc = dz ? check_only(d.conf) : 1;
        dynzone_free(dz);
        if (rc == 0)
            daemon_config_valid(prog.name, opts.config_path);
        dnsd_conf_release(d.conf);
        return rc == 0 ? 0 : 1;
    }

    static const struct daemon_hooks hooks = {.reload = on_reload, .stop = on_stop};
    if (daemon_begin(&d.daemon, &d.loop, &hooks, &d, opts.foreground) != 0)
        return 1;
    if (uv_loop_init(&d.loop) != 0 || uv_timer_init(&d.loop, &d.done) != 0)
        return 1;
    d.done.data = &d;
    /* Until a stop, only keeps the loop alive (signals are unreferenced). */
    uv_timer_start(&d.done, on_done_check, 3600000, 3600000);
    d.dyn = dyn_open(d.conf);
    if (!d.dyn || dynzone_rebase(d.dyn, d.conf) != 0)
        return 1;
    d.cache = dns_cache_new(&d.conf->cache);
    d.n_workers = d.conf->threads;
    d.workers = calloc(d.n_workers, sizeof(*d.workers));
    if (!d.cache || !d.workers) {
        log_err("out of memory");
        return 1;
    }
    int pid_fd = -1;
    if (start_workers(&d, &pid_fd) != 0 || daemon_start(&d.daemon) != 0)
        return 1;

    char status[512];
    size_t n = (size_t)snprintf(status, sizeof(status), "Serving DNS on");
    daemon_status_addrs(status, sizeof(status), &n, d.conf->listen, d.conf->n_listen);
    if (n < sizeof(status))
        snprintf(status + n, sizeof(status) - n,
                 " with %u thread%s, %zu local records, %zu dynamic", d.n_workers,
                 d.n_workers == 1 ? "" : "s", localzone_count(d.conf->local), dynzone_count(d.dyn));
    log_notice("%s", status);
    daemon_ready(&d.daemon, status);

    rc = daemon_run(&d.daemon);
    if (d.daemon.stop_forced)
        for (unsigned i = 0; i < d.n_workers; i++)
            server_worker_post_force(&d.workers[i]);
    uint64_t queries = 0;
    for (unsigned i = 0; i < d.n_workers; i++) {
        server_worker_join(&d.workers[i]);
        queries += atomic_load(&d.workers[i].queries);
    }
    free(d.workers);
    dynzone_free(d.dyn);
    dns_cache_free(d.cache);
    daemon_pidfile_remove(d.conf->pid_file, pid_fd);
    dnsd_conf_release(d.conf);
    log_info("stopped after %llu queries", (unsigned long long)queries);
    return rc == 0 ? 0 : 1;
}
