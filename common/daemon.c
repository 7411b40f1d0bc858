#include "common/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

void daemon_process_setup(void)
{
    /* Cannot fail for a valid signal number and SIG_IGN. */
    (void)signal(SIGPIPE, SIG_IGN);
}

void daemon_init(struct daemon *d, uv_loop_t *loop, const struct daemon_hooks *hooks, void *ud)
{
    memset(d, 0, sizeof(*d));
    d->loop = loop;
    if (hooks)
        d->hooks = *hooks;
    d->ud = ud;
    d->stop_timeout_ms = 10000;
    d->ready_fd = -1;
}

static void notify(const char *msg)
{
    int rc = sd_notify(0, msg);
    if (rc < 0)
        log_warn("sd_notify failed: %s", strerror(-rc));
}

static void on_stop_timeout(uv_timer_t *t)
{
    struct daemon *d = t->data;
    log_warn("in-flight work did not finish within %llu ms; stopping now",
             (unsigned long long)d->stop_timeout_ms);
    d->stop_forced = true;
    uv_stop(d->loop);
}

void daemon_stop(struct daemon *d)
{
    if (d->stopping) {
        log_notice("second stop request; stopping now");
        d->stop_forced = true;
        uv_stop(d->loop);
        return;
    }
    d->stopping = true;
    notify("STOPPING=1");
    log_notice("stopping");
    /* The daemon's own handles must not keep the loop alive once the
     * server's handles are closed; the signal handlers stay to catch a
     * second signal. */
    if (!uv_is_closing((uv_handle_t *)&d->sig_hup))
        uv_close((uv_handle_t *)&d->sig_hup, NULL);
    uv_unref((uv_handle_t *)&d->sig_term);
    uv_unref((uv_handle_t *)&d->sig_int);
    uv_timer_stop(&d->watchdog);
    uv_timer_start(&d->stop_timer, on_stop_timeout, d->stop_timeout_ms, 0);
    uv_unref((uv_handle_t *)&d->stop_timer);
    if (d->hooks.stop)
        d->hooks.stop(d->ud);
}

static void on_term(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;
    log_info("received %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
    daemon_stop(d);
}

static void on_hup(uv_signal_t *s, int signum)
{
    (void)signum;
    struct daemon *d = s->data;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[96];
    /* MONOTONIC_USEC lets systemd's Type=notify-reload match this reload. */
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    notify(msg);
    int rc = d->hooks.reload ? d->hooks.reload(d->ud) : 0;
    d->reloads++;
    if (rc == 0) {
        log_notice("configuration reloaded");
        notify("READY=1\nSTATUS=Configuration reloaded");
    } else {
        log_err("reload failed (%s); still running the previous configuration", strerror(-rc));
        notify("READY=1\nSTATUS=Reload failed; running the previous configuration");
    }
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    notify("WATCHDOG=1");
}

int daemon_start(struct daemon *d)
{
    int rc;
    uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
    for (size_t i = 0; i < 3; i++) {
        if ((rc = uv_signal_init(d->loop, sigs[i])) != 0)
            return rc;
        sigs[i]->data = d;
    }
    if ((rc = uv_timer_init(d->loop, &d->watchdog)) != 0 ||
        (rc = uv_timer_init(d->loop, &d->stop_timer)) != 0)
        return rc;
    d->watchdog.data = d;
    d->stop_timer.data = d;
    if ((rc = uv_signal_start(&d->sig_term, on_term, SIGTERM)) != 0 ||
        (rc = uv_signal_start(&d->sig_int, on_term, SIGINT)) != 0 ||
        (rc = uv_signal_start(&d->sig_hup, on_hup, SIGHUP)) != 0)
        return rc;
    /* Signal handlers must not keep the loop alive: the loop lives as long
     * as the daemon's sockets and work do. */
    uv_unref((uv_handle_t *)&d->sig_term);
    uv_unref((uv_handle_t *)&d->sig_int);
    uv_unref((uv_handle_t *)&d->sig_hup);

    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        uint64_t ms = usec / 2000;
        if (ms == 0)
            ms = 1;
        uv_timer_start(&d->watchdog, on_watchdog, 0, ms);
        uv_unref((uv_handle_t *)&d->watchdog);
        log_debug("watchdog ping every %llu ms", (unsigned long long)ms);
    }
    return 0;
}

void daemon_ready(struct daemon *d, const char *status)
{
    char msg[256];
    snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s\nMAINPID=%ld", status ? status : "Serving",
             (long)getpid());
    notify(msg);
    if (d->ready_fd >= 0) {
        ssize_t w = write(d->ready_fd, "R", 1);
        (void)w;
        close(d->ready_fd);
        d->ready_fd = -1;
        /* The parent exits now; detach stdio from its terminal. */
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nul >= 0) {
            dup2(nul, STDIN_FILENO);
            dup2(nul, STDOUT_FILENO);
            close(nul);
        }
    }
}

static void close_cb_count(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) {
        (*(unsigned *)arg)++;
        uv_close(h, NULL);
    }
}

int daemon_run(struct daemon *d)
{
    uv_run(d->loop, UV_RUN_DEFAULT);
    /* Close the daemon's own handles, then anything a forced stop left. */
    uv_handle_t *own[] = {(uv_handle_t *)&d->sig_term, (uv_handle_t *)&d->sig_int,
                          (uv_handle_t *)&d->sig_hup, (uv_handle_t *)&d->watchdog,
                          (uv_handle_t *)&d->stop_timer};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (own[i]->loop == d->loop && !uv_is_closing(own[i]))
            uv_close(own[i], NULL);
    unsigned left = 0;
    uv_walk(d->loop, close_cb_count, &left);
    if (left)
        log_warn("%u handles were still open at exit", left);
    uv_run(d->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(d->loop);
    if (rc != 0)
        log_err("event loop did not close cleanly: %s", uv_strerror(rc));
    notify("STATUS=Stopped");
    return rc;
}

int daemon_detach(struct daemon *d)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    if (pid > 0) {
        close(p[1]);
        char c;
        ssize_t n;
        do {
            n = read(p[0], &c, 1);
        } while (n < 0 && errno == EINTR);
        _exit(n == 1 ? 0 : 1);
    }
    close(p[0]);
    d->ready_fd = p[1];
    if (setsid() < 0)
        return -errno;
    return 0;
}

int daemon_drop_privileges(const char *user)
{
    if (!user || !*user)
        return 0;
    struct passwd pw, *res = NULL;
    char buf[4096];
    int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
    if (rc != 0)
        return -rc;
    if (!res)
        return -ENOENT;
    if (geteuid() != 0) {
        if (geteuid() != pw.pw_uid)
            log_warn("not started as root; ignoring user \"%s\"", user);
        return 0;
    }
    if (setgroups(1, &pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0)
        return -errno;
    /* Make sure the switch cannot be undone. */
    if (pw.pw_uid != 0 && setuid(0) == 0)
        return -EPERM;
    log_info("running as user %s (uid %u)", user, (unsigned)pw.pw_uid);
    return 0;
}

int daemon_pidfile_write(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

void daemon_pidfile_remove(const char *path, int fd)
{
    if (fd < 0)
        return;
    unlink(path);
    close(fd);
}

int daemon_main_begin(const struct cli_prog *prog, int argc, char **argv, struct cli_opts *opts)
{
    int rc = cli_parse(prog, argc, argv, opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    daemon_process_setup();
    log_init(prog->name, opts->log_level);
    return -1;
}

void daemon_config_valid(const char *name, const char *config_path)
{
    printf("%s: configuration %s is valid\n", name,
           config_path ? config_path : "(built-in defaults)");
}

int daemon_begin(struct daemon *d, uv_loop_t *loop, const struct daemon_hooks *hooks, void *ud,
                 bool foreground)
{
    daemon_init(d, loop, hooks, ud);
    if (!foreground && !getenv("NOTIFY_SOCKET") && daemon_detach(d) != 0) {
        log_err("cannot detach");
        return -1;
    }
    return 0;
}

int daemon_settle(const char *user, const char *pid_file, int *pid_fd)
{
    *pid_fd = -1;
    if (daemon_drop_privileges(user) != 0) {
        log_err("cannot switch to user %s", user);
        return -1;
    }
    if (pid_file[0]) {
        int fd = daemon_pidfile_write(pid_file);
        if (fd < 0) {
            log_err("pid file %s: %s", pid_file, strerror(-fd));
            return -1;
        }
        *pid_fd = fd;
    }
    return 0;
}

void daemon_status_addrs(char *status, size_t cap, size_t *len, const struct net_addr *addrs,
                         size_t n)
{
    for (size_t i = 0; i < n && *len < cap; i++) {
        char name[NET_ADDR_STRLEN];
        net_addr_format_port(&addrs[i], name, sizeof(name));
        int k = snprintf(status + *len, cap - *len, " %s", name);
        if (k < 0)
            return;
        *len += (size_t)k < cap - *len ? (size_t)k : cap - *len - 1;
    }
}
