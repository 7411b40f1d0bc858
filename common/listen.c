#include "common/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static int setopt(int fd, int level, int name, int value)
{
    return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : -errno;
}

int listen_socket(int type, const struct net_addr *a, const struct listen_opts *o)
{
    static const struct listen_opts none;
    if (!o)
        o = &none;
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(a, &ss);
    if (sl == 0)
        return -EAFNOSUPPORT;
    int fd = socket(a->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (a->family == AF_INET6)
        rc = setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (rc == 0 && type == SOCK_STREAM)
        rc = setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (rc == 0 && o->reuseport)
        rc = setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (rc == 0 && o->broadcast)
        rc = setopt(fd, SOL_SOCKET, SO_BROADCAST, 1);
    if (rc == 0 && o->freebind)
        rc = setopt(fd, a->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                    a->family == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND, 1);
    if (rc == 0 && o->device && *o->device) {
        size_t n = strlen(o->device);
        if (n >= IF_NAMESIZE)
            rc = -EINVAL;
        else if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->device, (socklen_t)n + 1) != 0)
            rc = -errno;
    }
    if (rc == 0 && bind(fd, (struct sockaddr *)&ss, sl) != 0)
        rc = -errno;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* systemd's passed sockets, read once.  Daemons take them at start-up,
 * possibly from several loop threads, hence the once-guard. */
static int sd_fds_n;
static pthread_once_t sd_once = PTHREAD_ONCE_INIT;

static void sd_read(void)
{
    int n = sd_listen_fds(1);
    sd_fds_n = n > 0 ? n : 0;
}

int listen_sd_count(void)
{
    pthread_once(&sd_once, sd_read);
    return sd_fds_n;
}

int listen_local_addr(int fd, struct net_addr *out)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return -errno;
    return net_addr_from_sockaddr(out, (struct sockaddr *)&ss);
}

int listen_sd_take(int type, const struct net_addr *a)
{
    int n = listen_sd_count();
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
        if (sd_is_socket_inet(fd, a->family, type, type == SOCK_STREAM ? 1 : -1, a->port) <= 0)
            continue;
        struct net_addr local;
        if (listen_local_addr(fd, &local) != 0 || !net_addr_eq(&local, a))
            continue;
        int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (d < 0)
            return -errno;
        /* libuv expects non-blocking descriptors; systemd passes blocking ones. */
        int fl = fcntl(d, F_GETFL);
        if (fl < 0 || fcntl(d, F_SETFL, fl | O_NONBLOCK) != 0) {
            int e = errno;
            close(d);
            return -e;
        }
        return d;
    }
    return -ENOENT;
}

static int get_fd(int type, const struct net_addr *a, const struct listen_opts *o, bool *activated)
{
    int fd = listen_sd_take(type, a);
    if (activated)
        *activated = fd >= 0;
    if (fd != -ENOENT)
        return fd;
    return listen_socket(type, a, o);
}

int listen_udp_open(uv_loop_t *loop, uv_udp_t *h, const struct net_addr *a,
                    const struct listen_opts *o, bool *activated)
{
    unsigned flags = AF_UNSPEC;
    if (o && o->recvmmsg)
        flags |= UV_UDP_RECVMMSG;
    int rc = uv_udp_init_ex(loop, h, flags);
    if (rc != 0)
        return rc;
    int fd = get_fd(SOCK_DGRAM, a, o, activated);
    if (fd < 0)
        return fd;
    rc = uv_udp_open(h, fd);
    if (rc != 0)
        close(fd);
    return rc;
}

int listen_tcp_open(uv_loop_t *loop, uv_tcp_t *h, const struct net_addr *a,
                    const struct listen_opts *o, bool *activated)
{
    int rc = uv_tcp_init(loop, h);
    if (rc != 0)
        return rc;
    int fd = get_fd(SOCK_STREAM, a, o, activated);
    if (fd < 0)
        return fd;
    rc = uv_tcp_open(h, fd);
    if (rc != 0)
        close(fd);
    return rc;
}
