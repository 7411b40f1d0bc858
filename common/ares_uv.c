#include "common/ares_uv.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct ares_uv_sock {
    uv_poll_t poll;
    ares_socket_t fd;
    struct ares_uv *a;
    struct ares_uv_sock *next;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;

static void lib_init(void)
{
    lib_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

static void on_timer(uv_timer_t *t);
static void do_close(struct ares_uv *a);

/* Runs c-ares on the given descriptors; a close requested by one of its
 * callbacks happens only after it returns. */
static void process(struct ares_uv *a, ares_socket_t r, ares_socket_t w)
{
    a->in_process++;
    ares_process_fd(a->channel, r, w);
    a->in_process--;
    if (a->in_process == 0 && a->close_pending) {
        a->close_pending = false;
        do_close(a);
        return;
    }
    ares_uv_kick(a);
}

void ares_uv_kick(struct ares_uv *a)
{
    if (!a->open)
        return;
    struct timeval tv, *tvp = ares_timeout(a->channel, NULL, &tv);
    if (!tvp) {
        uv_timer_stop(&a->timer);
        return;
    }
    uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
    uv_timer_start(&a->timer, on_timer, ms ? ms : 1, 0);
}

static void on_timer(uv_timer_t *t)
{
    struct ares_uv *a = t->data;
    process(a, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct ares_uv_sock *s = p->data;
    struct ares_uv *a = s->a;
    ares_socket_t fd = s->fd;
    /* On an error, let c-ares read and write so it sees the failure itself. */
    bool r = status < 0 || (events & UV_READABLE);
    bool w = status < 0 || (events & UV_WRITABLE);
    process(a, r ? fd : ARES_SOCKET_BAD, w ? fd : ARES_SOCKET_BAD);
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct ares_uv *a = data;
    struct ares_uv_sock **pp = &a->socks, *s;
    while ((s = *pp) != NULL && s->fd != fd)
        pp = &s->next;
    if (!readable && !writable) {
        if (s) {
            *pp = s->next;
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
        }
        return;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return;
        if (uv_poll_init_socket(a->loop, &s->poll, fd) != 0) {
            free(s);
            return;
        }
        s->fd = fd;
        s->a = a;
        s->poll.data = s;
        s->next = a->socks;
        a->socks = s;
    }
    uv_poll_start(&s->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), on_poll);
}

int ares_uv_init(struct ares_uv *a, uv_loop_t *loop, int timeout_ms, int tries)
{
    pthread_once(&lib_once, lib_init);
    if (lib_rc != ARES_SUCCESS)
        return -EIO;
    a->loop = loop;
    a->socks = NULL;
    a->in_process = 0;
    a->close_pending = false;
    struct ares_options o = {0};
    int mask = ARES_OPT_SOCK_STATE_CB;
    o.sock_state_cb = sock_state;
    o.sock_state_cb_data = a;
    if (timeout_ms > 0) {
        o.timeout = timeout_ms;
        mask |= ARES_OPT_TIMEOUTMS;
    }
    if (tries > 0) {
        o.tries = tries;
        mask |= ARES_OPT_TRIES;
    }
    int rc = ares_init_options(&a->channel, &o, mask);
    if (rc != ARES_SUCCESS)
        return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
    uv_timer_init(loop, &a->timer);
    a->timer.data = a;
    a->open = true;
    return 0;
}

int ares_uv_set_servers(struct ares_uv *a, const char *csv)
{
    return ares_set_servers_ports_csv(a->channel, csv) == ARES_SUCCESS ? 0 : -EINVAL;
}

void ares_uv_close(struct ares_uv *a)
{
    if (!a->open || a->close_pending)
        return;
    if (a->in_process) {
        a->close_pending = true;
        return;
    }
    do_close(a);
}

static void do_close(struct ares_uv *a)
{
    a->open = false;
    /* Calls pending callbacks with ARES_EDESTRUCTION and sock_state with
     * 0,0 for every socket, which closes their polls. */
    ares_destroy(a->channel);
    while (a->socks) {
        struct ares_uv_sock *s = a->socks;
        a->socks = s->next;
        uv_close((uv_handle_t *)&s->poll, on_sock_closed);
    }
    uv_close((uv_handle_t *)&a->timer, NULL);
}
