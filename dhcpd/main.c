/*
 * labnet-dhcpd: a DHCPv4 server with durable leases.  One loop: the
 * daemon life cycle (common/daemon), the sockets and group commit
 * (dhcpd/server), the protocol (dhcpd/engine) and the lease database
 * (dhcpd/store).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli.h"
#include "common/daemon.h"
#include "common/log.h"
#include "dhcpd/conf.h"
#include "dhcpd/server.h"
#include "dhcpd/store.h"

enum {
    OPT_SUBNET = 1000,
    OPT_POOL,
    OPT_ROUTER,
    OPT_DNS,
    OPT_STATE_DIR,
    OPT_LEASES,
    OPT_JSON,
};

struct dhcpd {
    uv_loop_t loop;
    struct daemon daemon;
    struct dhcpd_server srv;
    struct dhcpd_conf *conf;
    const char *config_path;
    struct dhcpd_overrides ov;
    bool list_leases, json;
};

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct dhcpd *d = ud;
    switch (opt) {
    case 'i':
        d->ov.iface = arg;
        return 0;
    case OPT_SUBNET:
        d->ov.subnet = arg;
        return 0;
    case OPT_POOL:
        d->ov.pool = arg;
        return 0;
    case OPT_ROUTER:
        d->ov.router = arg;
        return 0;
    case OPT_DNS:
        d->ov.dns = arg;
        return 0;
    case OPT_STATE_DIR:
        d->ov.state_dir = arg;
        return 0;
    case OPT_LEASES:
        d->list_leases = true;
        return 0;
    case OPT_JSON:
        d->json = true;
        return 0;
    default:
        return -EINVAL;
    }
}

static void on_stop(void *ud)
{
    struct dhcpd *d = ud;
    dhcpd_server_stop(&d->srv);
}

static int on_reload(void *ud)
{
    struct dhcpd *d = ud;
    struct dhcpd_conf *nc;
    int rc = dhcpd_conf_load(d->config_path, &d->ov, &nc);
    if (rc != 0)
        return rc;
    if (strcmp(nc->state_dir, d->conf->state_dir) != 0)
        log_warn("state-dir changes only on restart; keeping %s", d->conf->state_dir);
    snprintf(nc->state_dir, sizeof(nc->state_dir), "%s", d->conf->state_dir);
    if (nc->ping_check && !d->conf->ping_check)
        log_warn("ping-check takes effect on restart (it needs an ICMP socket); offering "
                 "without it until then");
    rc = dhcpd_server_reload(&d->srv, nc);
    if (rc != 0) {
        dhcpd_conf_free(nc);
        return rc;
    }
    dhcpd_conf_free(d->conf);
    d->conf = nc;
    return 0;
}

static int list_leases(const struct dhcpd *d)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", d->conf->state_dir, LEASE_STORE_FILE);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "labnet-dhcpd: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return lease_store_list(path, d->json, (int64_t)time(NULL), stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static struct dhcpd d;
    static const struct option extra_long[] = {
        {"interface", required_argument, NULL, 'i'},
        {"subnet", required_argument, NULL, OPT_SUBNET},
        {"pool", required_argument, NULL, OPT_POOL},
        {"router", required_argument, NULL, OPT_ROUTER},
        {"dns", required_argument, NULL, OPT_DNS},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"leases", no_argument, NULL, OPT_LEASES},
        {"json", no_argument, NULL, OPT_JSON},
        {NULL, 0, NULL, 0}};
    const struct cli_prog prog = {
        .name = "labnet-dhcpd",
        .summary = "DHCPv4 server with durable leases (SQLite, fsync'd before every ACK).",
        .extra_help = "  -i, --interface IF  serve IF (added to [server] interfaces)\n"
                      "      --subnet CIDR   serve this subnet (replaces the file's subnets)\n"
                      "      --pool A-B      its address pool\n"
                      "      --router A      its router (option 3)\n"
                      "      --dns A[,B]     its DNS servers (option 6)\n"
                      "      --state-dir DIR where dhcpd-leases.sqlite lives\n"
                      "      --leases        list the leases (read-only, works while serving)\n"
                      "      --json          with --leases: as JSON\n",
        .is_daemon = true,
        .default_level = LOG_LVL_INFO,
        .extra_short = "i:",
        .extra_long = extra_long,
        .extra = parse_extra,
        .ud = &d,
    };
    struct cli_opts opts;
    int rc = daemon_main_begin(&prog, argc, argv, &opts);
    if (rc >= 0)
        return rc;
    d.config_path = opts.config_path;
    if (dhcpd_conf_load(opts.config_path, &d.ov, &d.conf) != 0)
        return 1;
    if (d.list_leases) {
        rc = list_leases(&d);
        dhcpd_conf_free(d.conf);
        return rc;
    }
    if (opts.test_config) {
        daemon_config_valid(prog.name, opts.config_path);
        dhcpd_conf_free(d.conf);
        return 0;
    }
    if (d.conf->n_ifaces == 0 || d.conf->n_subnets == 0) {
        log_err("nothing to serve: name interfaces and a [subnet] (or --interface, --subnet "
                "and --pool)");
        dhcpd_conf_free(d.conf);
        return 1;
    }

    static const struct daemon_hooks hooks = {.reload = on_reload, .stop = on_stop};
    if (daemon_begin(&d.daemon, &d.loop, &hooks, &d, opts.foreground) != 0)
        return 1;
    if (uv_loop_init(&d.loop) != 0)
        return 1;
    rc = dhcpd_server_start(&d.srv, &d.loop, d.conf);
    if (rc != 0) {
        uv_run(&d.loop, UV_RUN_DEFAULT); /* let the closed handles finish */
        uv_loop_close(&d.loop);
        dhcpd_server_free(&d.srv);
        dhcpd_conf_free(d.conf);
        return 1;
    }
    int pid_fd = -1;
    if (daemon_settle(d.conf->user, d.conf->pid_file, &pid_fd) != 0)
        return 1;
    if (daemon_start(&d.daemon) != 0)
        return 1;
    char status[256];
    size_t n = (size_t)snprintf(status, sizeof(status), "Serving DHCP on");
    for (size_t i = 0; i < d.conf->n_ifaces && n < sizeof(status); i++)
        n += (size_t)snprintf(status + n, sizeof(status) - n, " %s", d.conf->ifaces[i]);
    log_notice("%s", status);
    daemon_ready(&d.daemon, status);

    rc = daemon_run(&d.daemon);
    log_info("stopped: %llu received, %llu offers, %llu acks, %llu naks, %llu commits, %llu "
             "replies dropped (batch full)",
             (unsigned long long)d.srv.eng.st.received, (unsigned long long)d.srv.eng.st.offers,
             (unsigned long long)d.srv.eng.st.acks, (unsigned long long)d.srv.eng.st.naks,
             (unsigned long long)d.srv.commits, (unsigned long long)d.srv.dropped);
    dhcpd_server_free(&d.srv);
    daemon_pidfile_remove(d.conf->pid_file, pid_fd);
    dhcpd_conf_free(d.conf);
    return rc == 0 ? 0 : 1;
}
