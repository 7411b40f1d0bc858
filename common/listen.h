/*
 * listen: server sockets for the daemons' libuv loops.
 *
 * Sockets are created here (socket, options, bind) and handed to libuv with
 * uv_udp_open / uv_tcp_open, because libuv 1.44 cannot set SO_REUSEPORT or
 * SO_BINDTODEVICE itself.  With reuseport each loop (one per core) opens its
 * own socket on the same address and the kernel balances between them.
 *
 * Under systemd socket activation (LISTEN_FDS/LISTEN_PID) a socket passed
 * in whose type and bound address match is used instead of binding; each
 * take returns a dup, so several loops may share one passed socket.  The
 * passed descriptors themselves stay open for the life of the process.
 */
#ifndef LABNET_LISTEN_H
#define LABNET_LISTEN_H

#include <stdbool.h>
#include <uv.h>

#include "common/addr.h"

struct listen_opts {
    bool reuseport;     /* SO_REUSEPORT: one socket per loop on one address */
    bool broadcast;     /* SO_BROADCAST, for DHCP */
    bool freebind;      /* IP_FREEBIND: bind before the address is configured */
    bool recvmmsg;      /* UDP: uv_udp_init_ex with UV_UDP_RECVMMSG */
    const char *device; /* SO_BINDTODEVICE interface name, or NULL */
};

/* Creates a non-blocking, close-on-exec socket of type SOCK_DGRAM or
 * SOCK_STREAM bound to a (IPv6 sockets are IPv6-only, so "0.0.0.0" and
 * "::" can both be bound).  Stream sockets get SO_REUSEADDR but are not yet
 * listening.  Returns the descriptor (caller owns it) or a negative errno. */
int listen_socket(int type, const struct net_addr *a, const struct listen_opts *o);

/* Returns a dup of a socket systemd passed whose type and local address
 * equal type and a, or -ENOENT.  The first call reads LISTEN_FDS and unsets
 * the variables so child processes do not see them. */
int listen_sd_take(int type, const struct net_addr *a);

/* Number of sockets systemd passed (0 when not socket-activated). */
int listen_sd_count(void);

/* Initialises h on loop and opens it on a socket for a: a matching
 * systemd socket if there is one (*activated = true), otherwise a new one.
 * Whatever the result, h is initialised and the caller closes it with
 * uv_close (libuv's init itself cannot fail for these arguments; if it ever
 * did, its error is returned and h is left uninitialised).  Returns 0 or a
 * negative errno. */
int listen_udp_open(uv_loop_t *loop, uv_udp_t *h, const struct net_addr *a,
                    const struct listen_opts *o, bool *activated);

/* The same for TCP; the caller then calls uv_listen. */
int listen_tcp_open(uv_loop_t *loop, uv_tcp_t *h, const struct net_addr *a,
                    const struct listen_opts *o, bool *activated);

/* Local address of a bound socket (to learn an ephemeral port). */
int listen_local_addr(int fd, struct net_addr *out);

#endif
