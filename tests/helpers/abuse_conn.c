/*
 * abuse_conn: a hostile HTTP client for tests/integration/test_httpd_abuse.sh.
 * It does, on purpose and within bounds, what broken or malicious clients
 * do to a server: hold thousands of connections, send garbage, send a
 * header block that never ends, flood pipelined requests, and stop reading
 * a response.  Every mode is bounded in time (-t) and connection count,
 * and prints one line of "key=value" results for the test to assert on.
 * Uses libc only, so a test can build it with "cc" when CMake has not.
 *
 *   abuse_conn [-t SECS] HOST PORT hold N       open N connections, send a byte on each, keep those
 *       the server keeps for SECS: opened= refused= closed= open=
 *   abuse_conn [-t SECS] HOST PORT garbage N SIZE [end]   N connections each
 *       send SIZE random bytes (with "end": the last four are CR LF CR LF;
 *       without: no LF at all), read the answer:
 *       conns= status4xx= status400= other= noreply= hung=
 *   abuse_conn [-t SECS] HOST PORT stream      send standard input while reading
 *       (pipelined floods, huge heads, long bodies): sent= recv= responses=
 *       status= closed= ms=; the received bytes go to standard output with -o
 *   abuse_conn [-t SECS] HOST PORT headers      a request line, then header lines
 *       without end: sent= status= closed= ms=
 *   abuse_conn [-t SECS] HOST PORT noread PATH   GET PATH, never read for SECS,
 *       then read to the end: recv= eof= ms=
 *
 * Exit status: 0 when the run completed (whatever the server did), 2 on
 * usage errors, 1 when the helper itself failed (could not connect at all).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept SOCK_NONBLOCK with cc -std=c11 */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server;
static double limit_s = 5.0;
static bool dump_output;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A non-blocking socket with connect() started; -1 on failure. */
static int start_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&server, sizeof(server)) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Blocking-style connect with the overall deadline; -1 on failure. */
static int connect_wait(double deadline)
{
    int fd = start_connect();
    if (fd < 0)
        return -1;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int ms = (int)((deadline - now_s()) * 1000);
    int err = 0;
    socklen_t el = sizeof(err);
    if (ms <= 0 || poll(&p, 1, ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
        err != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Raises the descriptor limit as far as allowed; returns the usable count. */
static size_t fd_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1000;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1000;
    return rl.rlim_cur > 64 ? (size_t)(rl.rlim_cur - 64) : 1;
}

/* hold: opens n connections, at most as many at once as descriptors
 * allow, sends one byte on each (a request that never finishes: a server
 * that defers accept until data arrives sees it at once) and keeps every
 * one the server keeps.  A connection the server closes (EOF or reset) is
 * counted and its descriptor reused. */
static int mode_hold(size_t n)
{
    size_t budget = fd_budget();
    struct pollfd *p = calloc(n, sizeof(*p));
    bool *up = calloc(n, sizeof(*up));
    if (!p || !up) {
        free(p);
        free(up);
        return 1;
    }
    size_t started = 0, live = 0, opened = 0, refused = 0, closed = 0;
    double deadline = now_s() + limit_s;
    while (now_s() < deadline) {
        while (started < n && live < budget) {
            int fd = start_connect();
            if (fd < 0) {
                refused++;
                started++;
                continue;
            }
            p[started] = (struct pollfd){.fd = fd, .events = POLLOUT | POLLIN};
            started++;
            live++;
        }
        int r = poll(p, started, 50);
        if (r < 0 && errno != EINTR)
            break;
        for (size_t i = 0; r > 0 && i < started; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            if (!up[i] && (p[i].revents & POLLOUT)) {
                int err = 0;
                socklen_t el = sizeof(err);
                if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
                    refused++;
                    close(p[i].fd);
                    p[i].fd = -1;
                    live--;
                    continue;
                }
                up[i] = true;
                opened++;
                p[i].events = POLLIN;
                (void)send(p[i].fd, "G", 1, MSG_NOSIGNAL);
            }
            if (up[i] && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char b[512];
                ssize_t k = recv(p[i].fd, b, sizeof(b), 0);
                if (k <= 0 && !(k < 0 && (errno == EAGAIN || errno == EINTR))) {
                    closed++;
                    close(p[i].fd);
                    p[i].fd = -1;
                    live--;
                }
            }
        }
    }
    size_t open_at_end = 0;
    for (size_t i = 0; i < started; i++)
        if (p[i].fd >= 0) {
            open_at_end += up[i];
            close(p[i].fd);
        }
    printf("opened=%zu refused=%zu closed=%zu open=%zu pending=%zu\n", opened, refused, closed,
           open_at_end, n - started);
    free(p);
    free(up);
    return 0;
}

/* xorshift: reproducible garbage, seeded per connection. */
static uint32_t rnd_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* garbage: n connections, each sends size random bytes and reads what
 * comes back until EOF or the deadline.  With end, the bytes close with
 * CR LF CR LF, so the server has a whole "head" to judge; without, they
 * hold (almost surely) no line end at all. */
static int mode_garbage(size_t n, size_t size, bool end)
{
    size_t st400 = 0, st4xx = 0, other = 0, noreply = 0, hung = 0, conns = 0;
    if (size < 4)
        size = 4;
    char *buf = malloc(size);
    if (!buf)
        return 1;
    double deadline = now_s() + limit_s;
    for (size_t i = 0; i < n && now_s() < deadline; i++) {
        uint32_t seed = (uint32_t)(i * 2654435761u + 1);
        for (size_t k = 0; k < size; k++) {
            buf[k] = (char)(rnd_next(&seed) & 0xff);
            if (!end && buf[k] == '\n')
                buf[k] = ' ';
        }
        if (end)
            for (size_t k = size - 4; k < size; k++)
                buf[k] = (size - k) % 2 == 0 ? '\r' : '\n';
        int fd = connect_wait(deadline);
        if (fd < 0)
            continue;
        conns++;
        /* The server may close before reading it all: that is fine. */
        size_t off = 0;
        char reply[64];
        size_t got = 0;
        bool eof = false;
        while (now_s() < deadline && !eof) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN | (off < size ? POLLOUT : 0)};
            if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
                break;
            if ((pfd.revents & POLLOUT) && off < size) {
                ssize_t w = send(fd, buf + off, size - off, MSG_NOSIGNAL);
                if (w > 0)
                    off += (size_t)w;
                else if (w < 0 && errno != EAGAIN)
                    off = size;
            }
            if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
                char tmp[4096];
                ssize_t k = recv(fd, tmp, sizeof(tmp), 0);
                if (k > 0) {
                    size_t c = (size_t)k < sizeof(reply) - got ? (size_t)k : sizeof(reply) - got;
                    memcpy(reply + got, tmp, c);
                    got += c;
                } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
                    eof = true;
                }
            }
        }
        close(fd);
        if (!eof)
            hung++;
        else if (got == 0)
            noreply++;
        else if (got >= 12 && memcmp(reply, "HTTP/1.1 4", 10) == 0) {
            st4xx++;
            st400 += memcmp(reply + 10, "00", 2) == 0;
        } else {
            other++;
        }
    }
    printf("conns=%zu status4xx=%zu status400=%zu other=%zu noreply=%zu hung=%zu\n", conns, st4xx,
           st400, other, noreply, hung);
    free(buf);
    return 0;
}

/* Counts status lines: occurrences of "HTTP/1.1 " anywhere (a body
 * without a final newline puts the next status line mid-line).  *state,
 * how much of the pattern has matched, carries across reads.  The pattern
 * repeats no prefix of itself, so a mismatch restarts at 'H' or nothing. */
static size_t count_status(const char *b, size_t n, size_t *state)
{
    static const char pat[] = "HTTP/1.1 ";
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == pat[*state])
            (*state)++;
        else
            *state = b[i] == pat[0] ? 1 : 0;
        if (*state == sizeof(pat) - 1) {
            hits++;
            *state = 0;
        }
    }
    return hits;
}

/* stream: sends standard input while reading whatever comes back, then
 * reads until EOF or the deadline. */
static int mode_stream(const char *path_in, bool headers_forever)
{
    size_t cap = 1u << 16, len = 0;
    char *in = malloc(cap);
    if (!in)
        return 1;
    if (!headers_forever) {
        FILE *f = strcmp(path_in, "-") == 0 ? stdin : fopen(path_in, "rb");
        if (!f) {
            free(in);
            return 1;
        }
        size_t k;
        while ((k = fread(in + len, 1, cap - len, f)) > 0) {
            len += k;
            if (len == cap) {
                char *nb = realloc(in, cap * 2);
                if (!nb) {
                    free(in);
                    return 1;
                }
                in = nb;
                cap *= 2;
            }
        }
        if (f != stdin)
            (void)fclose(f);
    } else {
        len = (size_t)snprintf(in, cap, "GET / HTTP/1.1\r\nHost: x\r\n");
    }
    double start = now_s(), deadline = start + limit_s;
    int fd = connect_wait(deadline);
    if (fd < 0) {
        printf("connect=failed\n");
        free(in);
        return 1;
    }
    size_t off = 0, sent = 0, recvd = 0, resp = 0, state = 0, line = 0;
    char first[16] = "";
    size_t first_len = 0;
    bool closed = false, send_open = true;
    double end = 0;
    while (now_s() < deadline && !closed) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN | (send_open ? POLLOUT : 0)};
        if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
            break;
        if ((pfd.revents & POLLOUT) && send_open) {
            if (headers_forever && off == len) {
                /* The next header line of a head that never ends. */
                len = (size_t)snprintf(in, cap, "X-Flood-%zu: %0100zu\r\n", line, line);
                line++;
                off = 0;
            }
            ssize_t w = send(fd, in + off, len - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += (size_t)w;
                sent += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                send_open = false;
            }
            if (!headers_forever && off == len)
                send_open = false;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            char b[65536];
            ssize_t k = recv(fd, b, sizeof(b), 0);
            if (k > 0) {
                recvd += (size_t)k;
                resp += count_status(b, (size_t)k, &state);
                /* Keep the first bytes of the stream: the first status line. */
                for (size_t i = 0; i < (size_t)k && first_len < sizeof(first) - 1; i++)
                    first[first_len++] = b[i];
                if (dump_output)
                    (void)fwrite(b, 1, (size_t)k, stdout);
            } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
                closed = true;
                end = now_s();
            }
        }
    }
    close(fd);
    if (dump_output)
        (void)fflush(stdout);
    /* The first response's status code: "HTTP/1.1 NNN". */
    int status = first_len >= 12 && memcmp(first, "HTTP/1.", 7) == 0 ? atoi(first + 9) : 0;
    fprintf(dump_output ? stderr : stdout,
            "sent=%zu recv=%zu responses=%zu status=%d closed=%s ms=%d\n", sent, recvd, resp,
            status, closed ? "yes" : "no", (int)(((closed ? end : now_s()) - start) * 1000));
    free(in);
    return 0;
}

/* noread: asks for PATH with a small receive buffer, reads nothing for
 * the deadline's length, then reads everything to EOF (bounded by another
 * deadline of the same length). */
static int mode_noread(const char *path)
{
    double start = now_s();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    if (fd < 0)
        return 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    if (connect(fd, (const struct sockaddr *)&server, sizeof(server)) != 0) {
        close(fd);
        printf("connect=failed\n");
        return 1;
    }
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    if (n <= 0 || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return 1;
    }
    struct timespec ts = {.tv_sec = (time_t)limit_s,
                          .tv_nsec = (long)((limit_s - (double)(time_t)limit_s) * 1e9)};
    nanosleep(&ts, NULL);
    size_t recvd = 0;
    bool eof = false;
    double deadline = now_s() + limit_s;
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (now_s() < deadline) {
        char b[65536];
        ssize_t k = recv(fd, b, sizeof(b), 0);
        if (k > 0) {
            recvd += (size_t)k;
        } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
            eof = true;
            break;
        }
    }
    close(fd);
    printf("recv=%zu eof=%s ms=%d\n", recvd, eof ? "yes" : "no", (int)((now_s() - start) * 1000));
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: abuse_conn [-o] [-t SECS] HOST PORT "
                    "hold N | garbage N SIZE [end] | stream FILE | headers | noread PATH\n");
    return 2;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "ot:")) != -1) {
        if (opt == 't')
            limit_s = strtod(optarg, NULL);
        else if (opt == 'o')
            dump_output = true;
        else
            return usage();
    }
    if (argc - optind < 3 || limit_s <= 0 || limit_s > 600)
        return usage();
    server.sin_family = AF_INET;
    long port = strtol(argv[optind + 1], NULL, 10);
    if (inet_pton(AF_INET, argv[optind], &server.sin_addr) != 1 || port <= 0 || port > 65535)
        return usage();
    server.sin_port = htons((uint16_t)port);
    const char *mode = argv[optind + 2];
    char **rest = argv + optind + 3;
    int nrest = argc - optind - 3;
    if (strcmp(mode, "hold") == 0 && nrest == 1)
        return mode_hold(strtoul(rest[0], NULL, 10));
    if (strcmp(mode, "garbage") == 0 && (nrest == 2 || nrest == 3))
        return mode_garbage(strtoul(rest[0], NULL, 10), strtoul(rest[1], NULL, 10),
                            nrest == 3 && strcmp(rest[2], "end") == 0);
    if (strcmp(mode, "stream") == 0 && nrest == 1)
        return mode_stream(rest[0], false);
    if (strcmp(mode, "headers") == 0 && nrest == 0)
        return mode_stream("-", true);
    if (strcmp(mode, "noread") == 0 && nrest == 1)
        return mode_noread(rest[0]);
    return usage();
}
