#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common/listen.h"
#include "testutil.h"

static struct net_addr loopback(uint16_t port)
{
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_ip(&a, "127.0.0.1"), 0);
    a.port = port;
    return a;
}

static void send_udp(const struct net_addr *to, const char *msg)
{
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(to, &ss);
    int fd = socket(to->family, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, sl),
                     (ssize_t)strlen(msg));
    close(fd);
}

START_TEST(test_listen_reuseport_shares_address)
{
    struct net_addr a = loopback(0);
    struct listen_opts ro = {.reuseport = true};
    int fd1 = listen_socket(SOCK_DGRAM, &a, &ro);
    ck_assert_int_ge(fd1, 0);
    ck_assert_int_eq(listen_local_addr(fd1, &a), 0);
    ck_assert_uint_ne(a.port, 0);
    int fd2 = listen_socket(SOCK_DGRAM, &a, &ro);
    ck_assert_int_ge(fd2, 0);
    /* Negative control: without SO_REUSEPORT the same bind fails. */
    ck_assert_int_eq(listen_socket(SOCK_DGRAM, &a, NULL), -EADDRINUSE);
    close(fd1);
    close(fd2);
}
END_TEST

START_TEST(test_listen_bad_device_and_family)
{
    struct net_addr a = loopback(0);
    struct listen_opts o = {.device = "nosuchdev0"};
    int rc = listen_socket(SOCK_DGRAM, &a, &o);
    /* ENODEV as root; EPERM where SO_BINDTODEVICE needs a capability. */
    ck_assert_msg(rc == -ENODEV || rc == -EPERM, "rc=%d", rc);
    struct listen_opts longname = {.device = "a-very-long-interface-name"};
    ck_assert_int_eq(listen_socket(SOCK_DGRAM, &a, &longname), -EINVAL);
    struct net_addr unset = {0};
    ck_assert_int_eq(listen_socket(SOCK_DGRAM, &unset, NULL), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_listen_bindtodevice_lo)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP test_listen_bindtodevice_lo: SO_BINDTODEVICE needs root\n");
        return;
    }
    struct net_addr a = loopback(0);
    struct listen_opts o = {.device = "lo", .broadcast = true};
    int fd = listen_socket(SOCK_DGRAM, &a, &o);
    ck_assert_int_ge(fd, 0);
    char dev[16] = {0};
    socklen_t dl = sizeof(dev);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl), 0);
    ck_assert_str_eq(dev, "lo");
    close(fd);
}
END_TEST

/* ---- one loop per thread, one reuseport socket per loop ---- */

struct worker {
    uv_loop_t loop;
    uv_udp_t udp;
    uv_timer_t stop;
    struct net_addr addr;
    int received;
    int open_rc;
    int close_rc;
    char buf[512];
};

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)sz;
    struct worker *w = h->data;
    *b = uv_buf_init(w->buf, sizeof(w->buf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned flags)
{
    (void)b;
    (void)flags;
    struct worker *w = h->data;
    if (n > 0 && from)
        w->received++;
}

static void on_stop(uv_timer_t *t)
{
    struct worker *w = t->data;
    uv_close((uv_handle_t *)&w->udp, NULL);
    uv_close((uv_handle_t *)&w->stop, NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uv_run(&w->loop, UV_RUN_DEFAULT);
    w->close_rc = uv_loop_close(&w->loop);
    return NULL;
}

START_TEST(test_listen_loop_per_thread_balances)
{
    struct worker w[2];
    memset(w, 0, sizeof(w));
    struct net_addr a = loopback(0);
    struct listen_opts o = {.reuseport = true};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(uv_loop_init(&w[i].loop), 0);
        w[i].udp.data = &w[i];
        w[i].stop.data = &w[i];
        ck_assert_int_eq(listen_udp_open(&w[i].loop, &w[i].udp, &a, &o, NULL), 0);
        if (i == 0) {
            uv_os_fd_t fd;
            ck_assert_int_eq(uv_fileno((uv_handle_t *)&w[0].udp, &fd), 0);
            ck_assert_int_eq(listen_local_addr(fd, &a), 0);
        }
        ck_assert_int_eq(uv_udp_recv_start(&w[i].udp, on_alloc, on_recv), 0);
        ck_assert_int_eq(uv_timer_init(&w[i].loop, &w[i].stop), 0);
        ck_assert_int_eq(uv_timer_start(&w[i].stop, on_stop, 1500, 0), 0);
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    /* Distinct source ports hash to both sockets (2^-63 odds otherwise). */
    for (int i = 0; i < 64; i++)
        send_udp(&a, "ping");
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(w[0].received + w[1].received, 64);
    ck_assert_int_gt(w[0].received, 0);
    ck_assert_int_gt(w[1].received, 0);
    ck_assert_int_eq(w[0].close_rc, 0);
    ck_assert_int_eq(w[1].close_rc, 0);
}
END_TEST

/* ---- TCP ---- */

struct tcp_ctx {
    uv_loop_t loop;
    uv_tcp_t server, peer;
    int accepted;
};

static void on_conn(uv_stream_t *s, int status)
{
    struct tcp_ctx *c = s->data;
    ck_assert_int_eq(status, 0);
    ck_assert_int_eq(uv_tcp_init(&c->loop, &c->peer), 0);
    ck_assert_int_eq(uv_accept(s, (uv_stream_t *)&c->peer), 0);
    c->accepted++;
    uv_close((uv_handle_t *)&c->peer, NULL);
    uv_close((uv_handle_t *)&c->server, NULL);
}

START_TEST(test_listen_tcp_open_accepts)
{
    struct tcp_ctx c;
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(uv_loop_init(&c.loop), 0);
    struct net_addr a;
    ck_assert_int_eq(net_addr_parse_hostport(&a, "[::1]:0", 0), 0);
    bool act = true;
    int rc = listen_tcp_open(&c.loop, &c.server, &a, NULL, &act);
    if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
        fprintf(stderr, "SKIP test_listen_tcp_open_accepts: no IPv6 loopback\n");
        uv_close((uv_handle_t *)&c.server, NULL);
        uv_run(&c.loop, UV_RUN_DEFAULT);
        ck_assert_int_eq(uv_loop_close(&c.loop), 0);
        return;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert(!act);
    c.server.data = &c;
    ck_assert_int_eq(uv_listen((uv_stream_t *)&c.server, 16, on_conn), 0);
    uv_os_fd_t fd;
    ck_assert_int_eq(uv_fileno((uv_handle_t *)&c.server, &fd), 0);
    ck_assert_int_eq(listen_local_addr(fd, &a), 0);

    int cfd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(&a, &ss);
    ck_assert_int_eq(connect(cfd, (struct sockaddr *)&ss, sl), 0);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    close(cfd);
    ck_assert_int_eq(c.accepted, 1);
    ck_assert_int_eq(uv_loop_close(&c.loop), 0);
}
END_TEST

/* ---- systemd socket activation ---- */

START_TEST(test_listen_takes_systemd_socket)
{
    /* Act as the service manager: a bound socket at fd 3 and the
     * LISTEN_* variables naming this process (Check forks per test). */
    struct net_addr a = loopback(0);
    int fd = listen_socket(SOCK_DGRAM, &a, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(listen_local_addr(fd, &a), 0);
    if (fd != 3) {
        ck_assert_int_eq(dup2(fd, 3), 3);
        close(fd);
    }
    char pid[32];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);

    ck_assert_int_eq(listen_sd_count(), 1);
    ck_assert_ptr_null(getenv("LISTEN_FDS")); /* unset for children */
    /* Wrong type and wrong address do not match. */
    ck_assert_int_eq(listen_sd_take(SOCK_STREAM, &a), -ENOENT);
    struct net_addr other = a;
    other.port = (uint16_t)(a.port + 1);
    ck_assert_int_eq(listen_sd_take(SOCK_DGRAM, &other), -ENOENT);

    uv_loop_t loop;
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct worker w;
    memset(&w, 0, sizeof(w));
    w.udp.data = &w;
    bool act = false;
    ck_assert_int_eq(listen_udp_open(&loop, &w.udp, &a, NULL, &act), 0);
    ck_assert(act);
    ck_assert_int_eq(uv_udp_recv_start(&w.udp, on_alloc, on_recv), 0);
    send_udp(&a, "hello");
    while (w.received == 0)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&w.udp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
    /* The passed socket itself stays open for a later take (another loop). */
    int again = listen_sd_take(SOCK_DGRAM, &a);
    ck_assert_int_ge(again, 0);
    close(again);
}
END_TEST

START_TEST(test_listen_ignores_sockets_for_other_pid)
{
    setenv("LISTEN_PID", "1", 1);
    setenv("LISTEN_FDS", "1", 1);
    ck_assert_int_eq(listen_sd_count(), 0);
}
END_TEST

static Suite *listen_suite(void)
{
    Suite *s = suite_create("listen");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_listen_reuseport_shares_address);
    tcase_add_test(tc, test_listen_bad_device_and_family);
    tcase_add_test(tc, test_listen_bindtodevice_lo);
    tcase_add_test(tc, test_listen_loop_per_thread_balances);
    tcase_add_test(tc, test_listen_tcp_open_accepts);
    tcase_add_test(tc, test_listen_takes_systemd_socket);
    tcase_add_test(tc, test_listen_ignores_sockets_for_other_pid);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(listen_suite)
