/* floor: the cheapest HTTP/1.1 server this machine can run, for the
 * benchmark's floor row.  It parses nothing: every "\r\n\r\n" received is
 * one request and gets one fixed response.  No file, no date, no header
 * lookup.  What it costs per request is what the kernel's TCP path costs
 * plus the least user space and the fewest system calls a server can have,
 * so no real server can use less CPU per request on the same packets.
 *
 *   floor [-u] [-c] [-s SIZE|-3] PORT
 *
 *   -u       io_uring instead of epoll (batched submissions: one
 *            io_uring_enter for many receives and sends)
 *   -c       close the connection after each response (the
 *            new-connection-per-request row)
 *   -s SIZE  200 response with a SIZE-byte body (default 1024)
 *   -3       304 response (no body), the revalidation row
 *
 * Listens on 127.0.0.1:PORT only, with TCP_DEFER_ACCEPT like the servers
 * under test.  Benchmark-only code: requests split across reads are
 * counted when their end arrives, which is all wrk needs. */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define FLOOR_BUF   4096
#define FLOOR_MAXFD 65536

static char resp[2 * 1024 * 1024];
static size_t resp_len;
static int close_each;

/* Per connection: how far into "\r\n\r\n" the last read ended. */
static unsigned char tail_state[FLOOR_MAXFD];

static unsigned count_requests(int fd, const char *p, size_t n)
{
    static const char end[] = "\r\n\r\n";
    unsigned st = tail_state[fd], reqs = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == end[st]) {
            if (++st == 4) {
                reqs++;
                st = 0;
            }
        } else {
            st = p[i] == '\r' ? 1 : 0;
        }
    }
    tail_state[fd] = (unsigned char)st;
    return reqs;
}

static void build_response(long size, int not_modified)
{
    if (not_modified) {
        resp_len = (size_t)snprintf(resp, sizeof resp,
                                    "HTTP/1.1 304 Not Modified\r\n"
                                    "Date: Tue, 24 Nov 2026 00:00:00 GMT\r\n"
                                    "Server: floor\r\n"
                                    "ETag: \"0123456789-400-0123456789abcdef\"\r\n"
                                    "%s\r\n",
                                    close_each ? "Connection: close\r\n" : "");
        return;
    }
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\n"
                     "Date: Tue, 24 Nov 2026 00:00:00 GMT\r\n"
                     "Server: floor\r\n"
                     "Content-Type: application/octet-stream\r\n"
                     "Content-Length: %ld\r\n"
                     "ETag: \"0123456789-400-0123456789abcdef\"\r\n"
                     "%s\r\n",
                     size, close_each ? "Connection: close\r\n" : "");
    memset(resp + n, 'x', (size_t)size);
    resp_len = (size_t)n + (size_t)size;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, defer = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0) {
        perror("floor: listen");
        exit(1);
    }
    return fd;
}

static void conn_setup(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    tail_state[fd] = 0;
}

/* ---- epoll: one recv and one send per ready connection ---- */

/* Reads what is there and answers it.  Returns 1 to keep waiting on fd, 0
 * when fd was closed.  A connection accepted under TCP_DEFER_ACCEPT has its
 * request already, so it is served before it ever joins the epoll set (as
 * labnet-httpd does): a connection-per-request client costs accept4, recv,
 * send and close, and nothing else. */
static int epoll_serve(int fd)
{
    static char buf[FLOOR_BUF];
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r < 0 && errno == EAGAIN)
        return 1;
    if (r <= 0) {
        close(fd);
        return 0;
    }
    unsigned reqs = count_requests(fd, buf, (size_t)r);
    for (unsigned k = 0; k < reqs; k++)
        if (send(fd, resp, resp_len, close_each ? MSG_MORE : 0) < 0)
            break;
    if (close_each && reqs > 0) {
        close(fd);
        return 0;
    }
    return 1;
}

static int epoll_main(int lfd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != lfd) {
                epoll_serve(fd); /* a close takes fd out of the set */
                continue;
            }
            for (int k = 0; k < 64; k++) {
                int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0)
                    break;
                if (c >= FLOOR_MAXFD) {
                    close(c);
                    continue;
                }
                conn_setup(c);
                if (epoll_serve(c)) {
                    ev.events = EPOLLIN;
                    ev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
            }
        }
    }
    return 0;
}

/* ---- io_uring: accept multishot; per connection recv -> send -> recv ---- */

enum { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CLOSE };
#define UD(op, fd) (((uint64_t)(op) << 32) | (uint32_t)(fd))

static char (*ubufs)[FLOOR_BUF];

static struct io_uring_sqe *sqe_get(struct io_uring *ring)
{
    struct io_uring_sqe *s = io_uring_get_sqe(ring);
    if (s == NULL) {
        io_uring_submit(ring);
        s = io_uring_get_sqe(ring);
    }
    return s;
}

static void queue_recv(struct io_uring *ring, int fd)
{
    struct io_uring_sqe *s = sqe_get(ring);
    io_uring_prep_recv(s, fd, ubufs[fd], FLOOR_BUF, 0);
    io_uring_sqe_set_data64(s, UD(OP_RECV, fd));
}

static void queue_close(struct io_uring *ring, int fd)
{
    struct io_uring_sqe *s = sqe_get(ring);
    io_uring_prep_close(s, fd);
    io_uring_sqe_set_data64(s, UD(OP_CLOSE, fd));
}

static void queue_accept(struct io_uring *ring, int lfd)
{
    struct io_uring_sqe *s = sqe_get(ring);
    io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, UD(OP_ACCEPT, lfd));
}

static int uring_main(int lfd)
{
    struct io_uring ring;
    struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    int rc = io_uring_queue_init_params(4096, &ring, &p);
    if (rc < 0) {
        fprintf(stderr, "floor: io_uring: %s\n", strerror(-rc));
        return 1;
    }
    ubufs = calloc(FLOOR_MAXFD, FLOOR_BUF);
    if (ubufs == NULL)
        return 1;
    queue_accept(&ring, lfd);
    for (;;) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe)
        {
            seen++;
            int op = (int)(cqe->user_data >> 32), fd = (int)(uint32_t)cqe->user_data;
            int res = cqe->res;
            if (op == OP_ACCEPT) {
                if (!(cqe->flags & IORING_CQE_F_MORE))
                    queue_accept(&ring, lfd);
                if (res < 0)
                    continue;
                if (res >= FLOOR_MAXFD) {
                    close(res);
                    continue;
                }
                conn_setup(res);
                queue_recv(&ring, res);
            } else if (op == OP_RECV) {
                if (res <= 0) {
                    queue_close(&ring, fd);
                    continue;
                }
                unsigned reqs = count_requests(fd, ubufs[fd], (size_t)res);
                if (reqs == 0) {
                    queue_recv(&ring, fd);
                    continue;
                }
                /* One send per request; the next receive (or the close) is
                 * linked behind the last so it is issued only after it. */
                for (unsigned k = 0; k < reqs; k++) {
                    struct io_uring_sqe *s = sqe_get(&ring);
                    io_uring_prep_send(s, fd, resp, resp_len, close_each ? MSG_MORE : 0);
                    io_uring_sqe_set_data64(s, UD(OP_SEND, fd));
                    s->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
                }
                if (close_each)
                    queue_close(&ring, fd);
                else
                    queue_recv(&ring, fd);
            } else if (op == OP_CLOSE && res == -ECANCELED) {
                /* A send failed (only failures post: CQE_SKIP_SUCCESS) and
                 * cancelled the close linked behind it; a cancelled
                 * receive comes back as a failed OP_RECV and is closed. */
                close(fd);
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}

int main(int argc, char **argv)
{
    int uring = 0, opt, not_modified = 0;
    long size = 1024;
    while ((opt = getopt(argc, argv, "ucs:3")) != -1) {
        switch (opt) {
        case 'u':
            uring = 1;
            break;
        case 'c':
            close_each = 1;
            break;
        case 's':
            size = strtol(optarg, NULL, 10);
            break;
        case '3':
            not_modified = 1;
            break;
        default:
            fprintf(stderr, "usage: floor [-u] [-c] [-s SIZE|-3] PORT\n");
            return 2;
        }
    }
    if (optind >= argc || size < 0 || size > 1024 * 1024) {
        fprintf(stderr, "usage: floor [-u] [-c] [-s SIZE|-3] PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    build_response(size, not_modified);
    int lfd = listen_on(atoi(argv[optind]));
    return uring ? uring_main(lfd) : epoll_main(lfd);
}
