/* labnet-httpd's connections, end to end on loopback: a real worker thread
 * on a listening socket of 127.0.0.1, driven with plain sockets.  Covers
 * how connections end: a client that asked to close is closed at once (no
 * linger), a pipelined request after its "close" is not answered and the
 * response still arrives whole, a server-initiated close lingers so the
 * client reads everything, and keep-alive connections serve request after
 * request. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd/conf.h"
#include "httpd/worker.h"
#include "testutil.h"

#define SMALL_LEN 1000
#define BIG_LEN   (3u << 20) /* more than the socket buffers hold at once */

static char root[64];
static char confpath[128];
static struct httpd_conf *conf;
static uv_loop_t main_loop;
static uv_async_t done;
static struct worker w;
static uint16_t port;

static void put(const char *rel, size_t len, char fill)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < len; i++)
        fputc(fill + (char)(i % 7), f);
    fclose(f);
}

/* Starts one worker on a fresh listening socket of 127.0.0.1 with
 * max-keepalive-requests = max_ka. */
static void server_start(unsigned max_ka)
{
    snprintf(root, sizeof(root), "/tmp/labnet-conn-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    put("small.txt", SMALL_LEN, 'a');
    put("big.bin", BIG_LEN, 'A');
    snprintf(confpath, sizeof(confpath), "%s/httpd.conf", root);
    FILE *f = fopen(confpath, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "[server]\nlisten = 127.0.0.1:1\nroot = %s\nworkers = 1\n"
            "max-keepalive-requests = %u\nkeepalive-timeout = 10s\n",
            root, max_ka);
    fclose(f);
    ck_assert_int_eq(httpd_conf_load(confpath, NULL, &conf), 0);

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 64), 0);
    socklen_t sl = sizeof(sa);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    port = ntohs(sa.sin_port);

    ck_assert_int_eq(uv_loop_init(&main_loop), 0);
    ck_assert_int_eq(uv_async_init(&main_loop, &done, NULL), 0);
    ck_assert_int_eq(worker_init(&w, 0, conf, &fd, 1, &done), 0);
    ck_assert_int_eq(worker_start(&w), 0);
}

static void server_stop(void)
{
    worker_post_stop(&w);
    for (int i = 0; i < 500 && !atomic_load(&w.finished); i++)
        usleep(10000);
    ck_assert(atomic_load(&w.finished));
    worker_join(&w);
    httpd_conf_release(conf);
    uv_close((uv_handle_t *)&done, NULL);
    uv_run(&main_loop, UV_RUN_DEFAULT);
    uv_loop_close(&main_loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static int client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t len = strlen(s);
    ck_assert_int_eq(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads until EOF into a heap buffer; *err is 0 or the errno that ended
 * the read instead of EOF (ECONNRESET: the response was cut). */
static char *read_to_eof(int fd, size_t *len, int *err)
{
    size_t cap = BIG_LEN + 65536, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    *err = 0;
    for (;;) {
        if (n == cap) {
            *err = EMSGSIZE;
            break;
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r > 0) {
            n += (size_t)r;
            continue;
        }
        if (r < 0)
            *err = errno;
        break;
    }
    *len = n;
    return buf;
}

/* A keep-alive client's reader: responses may arrive back to back. */
struct rd {
    int fd;
    char buf[16384];
    size_t len;
};

static void rd_fill(struct rd *r)
{
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
    ck_assert_int_gt(n, 0);
    r->len += (size_t)n;
}

static void rd_drop(struct rd *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

/* Reads exactly one 200 response to a GET of a file of body_len bytes. */
static void read_response(struct rd *r, size_t body_len)
{
    size_t head = 0;
    for (;;) {
        for (size_t i = 0; !head && i + 4 <= r->len; i++)
            if (memcmp(r->buf + i, "\r\n\r\n", 4) == 0)
                head = i + 4;
        if (head)
            break;
        ck_assert_uint_lt(r->len, sizeof(r->buf));
        rd_fill(r);
    }
    ck_assert(memcmp(r->buf, "HTTP/1.1 200 ", 13) == 0);
    rd_drop(r, head);
    size_t left = body_len;
    while (left) {
        if (!r->len)
            rd_fill(r);
        size_t t = left < r->len ? left : r->len;
        rd_drop(r, t);
        left -= t;
    }
}

static size_t count(const char *buf, size_t len, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(buf + i, needle, nl) == 0)
            c++;
    return c;
}

/* After the server's FIN: does the server still take our bytes?  A
 * lingering server drains them; a closed socket answers with RST, after
 * which a send fails (EPIPE / ECONNRESET). */
static bool server_still_reads(int fd)
{
    if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
        return false;
    usleep(100000);
    return send(fd, "y", 1, MSG_NOSIGNAL) == 1;
}

/* Splits a response stream after its head: returns the body's length. */
static size_t body_after_head(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return len - i - 4;
    return (size_t)-1;
}

START_TEST(client_close_closes_at_once)
{
    server_start(100);
    int fd = client();
    send_all(fd, "GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t len;
    int err;
    char *buf = read_to_eof(fd, &len, &err);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(count(buf, len, "HTTP/1.1 200 "), 1);
    ck_assert_uint_eq(count(buf, len, "Connection: close\r\n"), 1);
    ck_assert_uint_eq(body_after_head(buf, len), SMALL_LEN);
    /* No linger: the socket is gone, so what we send now is refused. */
    ck_assert(!server_still_reads(fd));
    free(buf);
    close(fd);
    server_stop();
}
END_TEST

START_TEST(http10_without_keepalive_closes_at_once)
{
    server_start(100);
    int fd = client();
    send_all(fd, "GET /small.txt HTTP/1.0\r\n\r\n");
    size_t len;
    int err;
    char *buf = read_to_eof(fd, &len, &err);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(body_after_head(buf, len), SMALL_LEN);
    ck_assert(!server_still_reads(fd));
    free(buf);
    close(fd);
    server_stop();
}
END_TEST

START_TEST(pipelined_after_close_not_answered)
{
    server_start(100);
    for (int big = 0; big < 2; big++) {
        int fd = client();
        /* Both requests in one segment: the second is already read when
         * the first is answered, so the server must linger, not RST. */
        char req[256];
        snprintf(req, sizeof(req),
                 "GET /%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                 "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n",
                 big ? "big.bin" : "small.txt");
        send_all(fd, req);
        usleep(200000); /* the response is queued before we read it */
        size_t len;
        int err;
        char *buf = read_to_eof(fd, &len, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_uint_eq(count(buf, len, "HTTP/1.1 "), 1);
        ck_assert_uint_eq(body_after_head(buf, len), big ? BIG_LEN : SMALL_LEN);
        ck_assert(server_still_reads(fd)); /* lingering */
        free(buf);
        close(fd);
    }
    server_stop();
}
END_TEST

START_TEST(close_with_unread_body_lingers)
{
    server_start(100);
    int fd = client();
    send_all(fd, "POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 "Connection: close\r\n\r\nhello");
    size_t len;
    int err;
    char *buf = read_to_eof(fd, &len, &err);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(count(buf, len, "HTTP/1.1 405 "), 1);
    ck_assert(server_still_reads(fd));
    free(buf);
    close(fd);
    server_stop();
}
END_TEST

START_TEST(server_close_lingers)
{
    /* max-keepalive-requests = 2: the server ends the connection after the
     * second response, which the client did not ask for. */
    server_start(2);
    for (int big = 0; big < 2; big++) {
        int fd = client();
        static struct rd r;
        r = (struct rd){.fd = fd};
        send_all(fd, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        read_response(&r, SMALL_LEN);
        ck_assert_uint_eq(r.len, 0);
        send_all(fd, big ? "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                         : "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        usleep(200000);
        size_t len;
        int err;
        char *buf = read_to_eof(fd, &len, &err);
        ck_assert_int_eq(err, 0);
        ck_assert_uint_eq(count(buf, len, "Connection: close\r\n"), 1);
        ck_assert_uint_eq(body_after_head(buf, len), big ? BIG_LEN : SMALL_LEN);
        ck_assert(server_still_reads(fd));
        free(buf);
        close(fd);
    }
    server_stop();
}
END_TEST

START_TEST(keepalive_serves_many)
{
    server_start(100);
    int fd = client();
    static struct rd r;
    r = (struct rd){.fd = fd};
    for (int i = 0; i < 20; i++) {
        send_all(fd, i % 5 == 4 ? "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
                                : "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        read_response(&r, i % 5 == 4 ? BIG_LEN : SMALL_LEN);
    }
    /* 40 pipelined requests in one write: more than one turn's budget. */
    char req[40 * 40 + 1];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(req + n, sizeof(req) - n,
                              "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    send_all(fd, req);
    for (int i = 0; i < 40; i++)
        read_response(&r, SMALL_LEN);
    ck_assert_uint_eq(r.len, 0);
    close(fd);
    server_stop();
}
END_TEST

static Suite *httpd_conn_suite(void)
{
    Suite *s = suite_create("httpd_conn");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, client_close_closes_at_once);
    tcase_add_test(tc, http10_without_keepalive_closes_at_once);
    tcase_add_test(tc, pipelined_after_close_not_answered);
    tcase_add_test(tc, close_with_unread_body_lingers);
    tcase_add_test(tc, server_close_lingers);
    tcase_add_test(tc, keepalive_serves_many);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(httpd_conn_suite)
