/*
 * The daemon life cycle, tested the way systemd drives it: this test is the
 * service manager.  It gives labnet-demod a NOTIFY_SOCKET (and, for socket
 * activation, LISTEN_FDS), then checks READY=1, RELOADING=1, STOPPING=1 and
 * WATCHDOG=1, that in-flight work finishes on SIGTERM, and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/listen.h"
#include "testutil.h"

#ifndef DEMOD_PATH
#error "DEMOD_PATH must name the labnet-demod binary"
#endif

struct harness {
    char dir[64];
    char conf[96];
    char errlog[96];
    int notify_fd;
    pid_t pid;
    struct net_addr addr; /* where the daemon serves, from STATUS= */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_file(const char *path, const char *text)
{
    char tmp[128];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    /* Rename over, as editors and config management do. */
    ck_assert_int_eq(rename(tmp, path), 0);
}

static void harness_init(struct harness *h, const char *conf_text)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->dir, sizeof(h->dir), "/tmp/labnet-daemon-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(h->dir));
    snprintf(h->conf, sizeof(h->conf), "%s/demo.conf", h->dir);
    snprintf(h->errlog, sizeof(h->errlog), "%s/stderr", h->dir);
    write_file(h->conf, conf_text);

    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", h->dir);
    h->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(h->notify_fd, 0);
    ck_assert_int_eq(bind(h->notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    setenv("NOTIFY_SOCKET", sun.sun_path, 1);
}

/* Starts the daemon in the foreground (as systemd runs it), or without -f
 * when extra_arg is "detach"; listen_fd >= 0 is passed as systemd's fd 3. */
static void harness_start(struct harness *h, const char *extra_arg, int listen_fd)
{
    const char *fg = "-f";
    if (extra_arg && strcmp(extra_arg, "detach") == 0) {
        fg = "-v";
        extra_arg = NULL;
    }
    h->pid = fork();
    ck_assert_int_ge(h->pid, 0);
    if (h->pid == 0) {
        int err = open(h->errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0)
            dup2(err, STDERR_FILENO);
        if (listen_fd >= 0) {
            if (listen_fd != 3) {
                dup2(listen_fd, 3);
                close(listen_fd);
            }
            fcntl(3, F_SETFD, 0);
            char pid[32];
            snprintf(pid, sizeof(pid), "%ld", (long)getpid());
            setenv("LISTEN_PID", pid, 1);
            setenv("LISTEN_FDS", "1", 1);
        }
        execl(DEMOD_PATH, "labnet-demod", fg, "-c", h->conf, extra_arg, (char *)NULL);
        _exit(127);
    }
}

/* Waits for a notification containing want; returns it in buf. */
static int wait_notify(struct harness *h, const char *want, char *buf, size_t cap, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = end - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = h->notify_fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(h->notify_fd, buf, cap - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        if (strstr(buf, want))
            return 0;
    }
}

static void wait_ready(struct harness *h)
{
    char buf[512];
    ck_assert_int_eq(wait_notify(h, "READY=1", buf, sizeof(buf), 5000), 0);
    const char *st = strstr(buf, "STATUS=Serving on ");
    ck_assert_ptr_nonnull(st);
    char addr[NET_ADDR_STRLEN] = {0};
    sscanf(st + strlen("STATUS=Serving on "), "%71s", addr);
    ck_assert_int_eq(net_addr_parse_hostport(&h->addr, addr, 0), 0);
    ck_assert_uint_ne(h->addr.port, 0);
}

/* Sends msg to the daemon over UDP; returns the client socket. */
static int query_send(struct harness *h, const char *msg)
{
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(&h->addr, &ss);
    int fd = socket(h->addr.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, sl),
                     (ssize_t)strlen(msg));
    return fd;
}

static int query_recv(int fd, char *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout_ms);
    if (rc <= 0) {
        close(fd);
        return -ETIMEDOUT;
    }
    ssize_t n = recv(fd, buf, cap - 1, 0);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static void expect_answer(struct harness *h, const char *msg, const char *want)
{
    char buf[256];
    ck_assert_int_eq(query_recv(query_send(h, msg), buf, sizeof(buf), 3000), 0);
    ck_assert_str_eq(buf, want);
}

/* Waits for the daemon to exit; kills it (by the PID we started) if it
 * does not within timeout_ms.  Returns the exit status or -1. */
static int wait_exit(struct harness *h, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    int status;
    while (now_ms() < end) {
        pid_t r = waitpid(h->pid, &status, WNOHANG);
        if (r == h->pid) {
            h->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(h->pid, SIGKILL);
    waitpid(h->pid, &status, 0);
    h->pid = 0;
    return -1;
}

static void read_errlog(struct harness *h, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(h->errlog, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* The pid in demod.pid (its path into path[0..cap)). */
static pid_t read_pid_file(struct harness *h, char *path, size_t cap)
{
    char buf[32] = {0};
    snprintf(path, cap, "%s/demod.pid", h->dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
    fclose(f);
    return (pid_t)atol(buf);
}

static void harness_free(struct harness *h)
{
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
    }
    close(h->notify_fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
    ck_assert_int_eq(system(cmd), 0);
    unsetenv("NOTIFY_SOCKET");
}

START_TEST(test_daemon_ready_then_sigterm_finishes_in_flight_work)
{
    struct harness h;
    harness_init(&h, "[demo]\nlisten = 127.0.0.1:0\ndelay = 500ms\n");
    harness_start(&h, NULL, -1);
    wait_ready(&h);
    int fd = query_send(&h, "ping");
    usleep(100000); /* the query is now in flight (answer due at 500 ms) */
    ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
    char buf[256];
    ck_assert_int_eq(wait_notify(&h, "STOPPING=1", buf, sizeof(buf), 3000), 0);
    /* The answer still arrives after STOPPING=1 ... */
    ck_assert_int_eq(query_recv(fd, buf, sizeof(buf), 3000), 0);
    ck_assert_str_eq(buf, "hello: ping");
    /* ... and then the daemon exits 0 on its own. */
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_sigint_without_work_exits_zero)
{
    struct harness h;
    harness_init(&h, "[demo]\n");
    harness_start(&h, NULL, -1);
    wait_ready(&h);
    expect_answer(&h, "x", "hello: x");
    ck_assert_int_eq(kill(h.pid, SIGINT), 0);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    char log[4096];
    read_errlog(&h, log, sizeof(log));
    ck_assert_ptr_nonnull(strstr(log, "stopped"));
    ck_assert_ptr_null(strstr(log, "still open")); /* no leaked handles */
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_second_sigterm_stops_at_once)
{
    struct harness h;
    harness_init(&h, "[demo]\ndelay = 30s\n");
    harness_start(&h, NULL, -1);
    wait_ready(&h);
    int fd = query_send(&h, "slow");
    usleep(100000);
    int64_t t0 = now_ms();
    kill(h.pid, SIGTERM);
    char buf[256];
    ck_assert_int_eq(wait_notify(&h, "STOPPING=1", buf, sizeof(buf), 3000), 0);
    kill(h.pid, SIGTERM);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    ck_assert_int_lt(now_ms() - t0, 5000);
    close(fd);
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_sighup_reloads_and_keeps_old_on_error)
{
    struct harness h;
    harness_init(&h, "[demo]\ngreeting = one\n");
    harness_start(&h, NULL, -1);
    wait_ready(&h);
    expect_answer(&h, "a", "one: a");

    write_file(h.conf, "[demo]\ngreeting = two\n");
    kill(h.pid, SIGHUP);
    char buf[512];
    ck_assert_int_eq(wait_notify(&h, "RELOADING=1", buf, sizeof(buf), 3000), 0);
    ck_assert_ptr_nonnull(strstr(buf, "MONOTONIC_USEC="));
    ck_assert_int_eq(wait_notify(&h, "READY=1", buf, sizeof(buf), 3000), 0);
    ck_assert_ptr_nonnull(strstr(buf, "reloaded"));
    expect_answer(&h, "b", "two: b");

    /* A broken file is refused as a whole: the running config stays. */
    write_file(h.conf, "[demo]\ngreeting = three\ndelay = soon\n");
    kill(h.pid, SIGHUP);
    ck_assert_int_eq(wait_notify(&h, "RELOADING=1", buf, sizeof(buf), 3000), 0);
    ck_assert_int_eq(wait_notify(&h, "READY=1", buf, sizeof(buf), 3000), 0);
    ck_assert_ptr_nonnull(strstr(buf, "Reload failed"));
    expect_answer(&h, "c", "two: c");

    kill(h.pid, SIGTERM);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    char log[8192];
    read_errlog(&h, log, sizeof(log));
    ck_assert_ptr_nonnull(strstr(log, "demo.conf:3: [demo] delay: \"soon\" is not a duration"));
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_test_flag_reports_file_line_key)
{
    struct harness h;
    harness_init(&h, "[demo]\ngreeting = hi\nlisten = 127.0.0.1:99999\ncolour = blue\n");
    harness_start(&h, "-t", -1);
    ck_assert_int_eq(wait_exit(&h, 5000), 1);
    char log[4096];
    read_errlog(&h, log, sizeof(log));
    ck_assert_ptr_nonnull(strstr(log, "demo.conf:3: [demo] listen: \"127.0.0.1:99999\""));
    ck_assert_ptr_nonnull(strstr(log, "demo.conf:4: [demo] colour: unknown key"));

    /* Negative control: the same check passes a good file. */
    write_file(h.conf, "[demo]\ngreeting = hi\nlisten = 127.0.0.1:7\n");
    harness_start(&h, "-t", -1);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_serves_socket_from_systemd)
{
    struct net_addr a;
    net_addr_parse_hostport(&a, "127.0.0.1:0", 0);
    int fd = listen_socket(SOCK_DGRAM, &a, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(listen_local_addr(fd, &a), 0);
    char conf[128], name[NET_ADDR_STRLEN];
    net_addr_format_port(&a, name, sizeof(name));
    snprintf(conf, sizeof(conf), "[demo]\nlisten = %s\n", name);

    struct harness h;
    harness_init(&h, conf);
    harness_start(&h, NULL, fd);
    close(fd);
    wait_ready(&h);
    ck_assert(net_addr_eq(&h.addr, &a));
    expect_answer(&h, "activated", "hello: activated");
    kill(h.pid, SIGTERM);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    char log[4096];
    read_errlog(&h, log, sizeof(log));
    ck_assert_ptr_nonnull(strstr(log, "(from systemd)"));
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_watchdog_pings)
{
    struct harness h;
    harness_init(&h, "[demo]\n");
    setenv("WATCHDOG_USEC", "200000", 1);
    harness_start(&h, NULL, -1);
    unsetenv("WATCHDOG_USEC");
    wait_ready(&h);
    char buf[256];
    ck_assert_int_eq(wait_notify(&h, "WATCHDOG=1", buf, sizeof(buf), 2000), 0);
    ck_assert_int_eq(wait_notify(&h, "WATCHDOG=1", buf, sizeof(buf), 2000), 0);
    kill(h.pid, SIGTERM);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    harness_free(&h);
}
END_TEST

START_TEST(test_daemon_pid_file_locked_and_removed)
{
    struct harness h;
    harness_init(&h, "[demo]\npid-file = demod.pid\n");
    harness_start(&h, NULL, -1);
    wait_ready(&h);
    char path[128];
    ck_assert_int_eq(read_pid_file(&h, path, sizeof(path)), h.pid);
    kill(h.pid, SIGTERM);
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
    harness_free(&h);
}
END_TEST

/* Without -f and without systemd the daemon forks: the process started
 * exits 0 once the child serves (so an init script learns it started), or
 * 1 when the child failed first. */
START_TEST(test_daemon_detaches_and_reports_start)
{
    struct harness h;
    harness_init(&h, "[demo]\npid-file = demod.pid\n");
    unsetenv("NOTIFY_SOCKET"); /* under systemd it would stay in the foreground */
    harness_start(&h, "detach", -1);
    pid_t parent = h.pid;
    ck_assert_int_eq(wait_exit(&h, 5000), 0);
    char path[128];
    pid_t child = read_pid_file(&h, path, sizeof(path));
    ck_assert_int_gt(child, 0);
    ck_assert_int_ne(child, parent);
    ck_assert_int_eq(kill(child, 0), 0);
    /* Stopped by the PID it wrote: it removes its pid file on the way out
     * (not our child, so that is how its exit shows). */
    ck_assert_int_eq(kill(child, SIGTERM), 0);
    int64_t end = now_ms() + 5000;
    while (access(path, F_OK) == 0 && now_ms() < end)
        usleep(10000);
    ck_assert_int_eq(access(path, F_OK), -1);

    /* A child that cannot start: its parent says so with 1. */
    write_file(h.conf, "[demo]\nuser = no-such-user-labnet\n");
    harness_start(&h, "detach", -1);
    ck_assert_int_eq(wait_exit(&h, 5000), 1);
    harness_free(&h);
}
END_TEST

static Suite *daemon_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_daemon_ready_then_sigterm_finishes_in_flight_work);
    tcase_add_test(tc, test_daemon_sigint_without_work_exits_zero);
    tcase_add_test(tc, test_daemon_second_sigterm_stops_at_once);
    tcase_add_test(tc, test_daemon_sighup_reloads_and_keeps_old_on_error);
    tcase_add_test(tc, test_daemon_test_flag_reports_file_line_key);
    tcase_add_test(tc, test_daemon_serves_socket_from_systemd);
    tcase_add_test(tc, test_daemon_watchdog_pings);
    tcase_add_test(tc, test_daemon_pid_file_locked_and_removed);
    tcase_add_test(tc, test_daemon_detaches_and_reports_start);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(daemon_suite)
