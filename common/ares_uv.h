/*
 * ares_uv: a c-ares channel driven by a libuv loop, for the clients
 * (labnet-fetch's name resolution, labnet-dig's queries).
 *
 * c-ares tells us which sockets it wants watched (ARES_OPT_SOCK_STATE_CB);
 * each gets a uv_poll_t, and one uv_timer_t follows ares_timeout().  Use
 * the channel with the usual c-ares calls (ares_getaddrinfo, ares_send),
 * then call ares_uv_kick so the timer learns about the new query.
 * ares_uv_close destroys the channel (pending callbacks see
 * ARES_EDESTRUCTION) and closes the handles; the struct must stay valid
 * until the loop has run their close callbacks.  Called from inside a
 * c-ares callback, it waits until c-ares has returned: destroying a
 * channel under c-ares' own feet is a use-after-free.
 */
#ifndef LABNET_ARES_UV_H
#define LABNET_ARES_UV_H

#include <ares.h>
#include <stdbool.h>
#include <uv.h>

struct ares_uv_sock;

struct ares_uv {
    uv_loop_t *loop;
    ares_channel channel;
    uv_timer_t timer;
    struct ares_uv_sock *socks;
    bool open;
    int in_process;     /* inside ares_process_fd: c-ares callbacks may run */
    bool close_pending; /* ares_uv_close was called from such a callback */
};

/* Initialises c-ares (once per process) and a channel on loop.
 * timeout_ms/tries: per-try timeout and attempts (0 = c-ares defaults).
 * Returns 0 or a negative errno (-EIO for a c-ares failure). */
int ares_uv_init(struct ares_uv *a, uv_loop_t *loop, int timeout_ms, int tries);

/* Replaces the servers: "127.0.0.1:5353,[::1]:53" (c-ares CSV form). */
int ares_uv_set_servers(struct ares_uv *a, const char *csv);

/* Re-arms the timer after a query was started. */
void ares_uv_kick(struct ares_uv *a);

void ares_uv_close(struct ares_uv *a);

#endif
