/*
 * labnet-svcmgr: plays systemd's service manager for one daemon, so an
 * integration test can check a daemon's side of the notify and socket
 * activation protocols without systemd running.
 *
 *   labnet-svcmgr [-l ADDR]... [-u ADDR]... [-w USEC] [-T SECS] [-P] -- CMD [ARG]...
 *
 *   -l ADDR   bind a listening TCP socket on ADDR ("127.0.0.1:8080",
 *             "[::1]:8080") and pass it as LISTEN_FDS (in order given)
 *   -u ADDR   the same for a UDP socket
 *   -w USEC   set WATCHDOG_USEC (and WATCHDOG_PID) for the daemon
 *   -T SECS   SIGKILL the daemon after SECS (default 120): a test never hangs
 *   -P        negative control: LISTEN_PID names another process, so a
 *             correct daemon must ignore the passed sockets
 *
 * The daemon gets NOTIFY_SOCKET (a datagram socket in a temporary directory,
 * SO_PASSCRED, writable by any user as systemd's is).  On standard output, one line each:
 *
 *   PID <pid>                      the daemon was started
 *   NOTIFY <sender-pid> <fields>   a notification; its newlines shown as ' '
 *   EXIT <status>                  the daemon exited (or "EXIT signal <n>")
 *
 * The exit status is the daemon's (128 + signal when killed).  Signals for
 * the daemon are sent by the test to the PID printed, as systemctl would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 16

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
        return -EINVAL;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port > 65535)
        return -EINVAL;
    size_t n = (size_t)(colon - s);
    memcpy(host, s, n);
    host[n] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        host[n - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return -EINVAL;
        *len = sizeof(*a6);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return -EINVAL;
    *len = sizeof(*a4);
    return 0;
}

/* Binds a socket the way systemd's socket units do by default: no
 * SO_REUSEPORT, so a daemon that binds the same address itself instead of
 * taking the passed socket fails with EADDRINUSE. */
static int bind_socket(const char *spec, int type)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(spec, &ss, &len) != 0) {
        fprintf(stderr, "svcmgr: %s: not ADDR:PORT\n", spec);
        return -1;
    }
    int fd = socket(ss.ss_family, type, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (type == SOCK_STREAM)
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
        (type == SOCK_STREAM && listen(fd, 128) != 0)) {
        fprintf(stderr, "svcmgr: %s: %s\n", spec, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: labnet-svcmgr [-l ADDR]... [-u ADDR]... [-w USEC] [-T SECS] [-P] "
                    "-- CMD [ARG]...\n");
    exit(2);
}

/* Child: moves the passed sockets to 3.. and execs the daemon. */
static void run_child(char **cmd, const int *fds, int n_fds, bool wrong_pid, const char *wd_usec)
{
    /* Above every passed descriptor first, so the moves never clobber one. */
    int tmp[MAX_SOCKETS];
    for (int i = 0; i < n_fds; i++)
        if ((tmp[i] = fcntl(fds[i], F_DUPFD, 3 + MAX_SOCKETS)) < 0)
            _exit(127);
    for (int i = 0; i < n_fds; i++) {
        if (dup2(tmp[i], 3 + i) < 0)
            _exit(127);
        close(tmp[i]);
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", (long)getpid() + (wrong_pid ? 1 : 0));
    if (n_fds > 0) {
        setenv("LISTEN_PID", buf, 1);
        char n[16];
        snprintf(n, sizeof(n), "%d", n_fds);
        setenv("LISTEN_FDS", n, 1);
    }
    if (wd_usec) {
        snprintf(buf, sizeof(buf), "%ld", (long)getpid());
        setenv("WATCHDOG_PID", buf, 1);
        setenv("WATCHDOG_USEC", wd_usec, 1);
    }
    execvp(cmd[0], cmd);
    fprintf(stderr, "svcmgr: %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
}

/* Prints one notification with its sender's pid (SCM_CREDENTIALS). */
static void read_notify(int fd)
{
    char buf[4096];
    _Alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return;
    buf[n] = '\0';
    long sender = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof(cr));
            sender = (long)cr.pid;
        }
    }
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    printf("NOTIFY %ld %s\n", sender, buf);
    (void)fflush(stdout);
}

int main(int argc, char **argv)
{
    int fds[MAX_SOCKETS];
    int n_fds = 0;
    const char *wd_usec = NULL;
    long timeout_s = 120;
    bool wrong_pid = false;
    int opt;
    while ((opt = getopt(argc, argv, "+l:u:w:T:P")) != -1) {
        switch (opt) {
        case 'l':
        case 'u':
            if (n_fds == MAX_SOCKETS)
                usage();
            if ((fds[n_fds] = bind_socket(optarg, opt == 'l' ? SOCK_STREAM : SOCK_DGRAM)) < 0)
                return 1;
            n_fds++;
            break;
        case 'w':
            wd_usec = optarg;
            break;
        case 'T':
            timeout_s = strtol(optarg, NULL, 10);
            if (timeout_s <= 0)
                usage();
            break;
        case 'P':
            wrong_pid = true;
            break;
        default:
            usage();
        }
    }
    if (optind >= argc)
        usage();

    char dir[] = "/tmp/labnet-svcmgr-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("svcmgr: mkdtemp");
        return 1;
    }
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/notify", dir);
    int nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (nfd < 0 || bind(nfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
        setsockopt(nfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
        perror("svcmgr: notify socket");
        return 1;
    }
    /* A daemon that drops to another user still reaches the manager, as
     * systemd's own notify socket is reachable from every service. */
    if (chmod(dir, 0711) != 0 || chmod(sun.sun_path, 0666) != 0) {
        perror("svcmgr: chmod");
        return 1;
    }
    setenv("NOTIFY_SOCKET", sun.sun_path, 1);
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");

    pid_t pid = fork();
    if (pid < 0) {
        perror("svcmgr: fork");
        return 1;
    }
    if (pid == 0) {
        close(nfd);
        run_child(argv + optind, fds, n_fds, wrong_pid, wd_usec);
    }
    for (int i = 0; i < n_fds; i++)
        close(fds[i]);
    printf("PID %ld\n", (long)pid);
    (void)fflush(stdout);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    bool killed = false;
    for (;;) {
        struct pollfd p = {.fd = nfd, .events = POLLIN};
        /* Short waits: the child's exit is polled with waitpid below. */
        if (poll(&p, 1, 20) > 0)
            read_notify(nfd);
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!killed && now.tv_sec - start.tv_sec >= timeout_s) {
            fprintf(stderr, "svcmgr: %ld s passed; killing %ld\n", timeout_s, (long)pid);
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    /* Whatever the daemon sent last (STOPPING=1, STATUS=) is still queued. */
    struct pollfd p = {.fd = nfd, .events = POLLIN};
    while (poll(&p, 1, 0) > 0)
        read_notify(nfd);
    close(nfd);
    unlink(sun.sun_path);
    rmdir(dir);
    if (WIFEXITED(status)) {
        printf("EXIT %d\n", WEXITSTATUS(status));
        return WEXITSTATUS(status);
    }
    printf("EXIT signal %d\n", WTERMSIG(status));
    return 128 + WTERMSIG(status);
}
