/*
 * STUB of the resolver contract (dnsd/resolver.h), only so that the
 * serving front links and can be tested before resolution lands.  DELETE
 * THIS FILE when dnsd/resolver.c and dnsd/cache.c are merged.
 *
 * The cache is an empty shell; resolver_cached always misses; every
 * resolver_resolve answers SERVFAIL from a zero timer, never from inside
 * the call, as the contract requires.  resolver_new reads nothing, but
 * checks that a root-hints file, if named, can be opened, so that
 * configuration errors show up as they will with the real resolver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dnsd/resolver.h"

struct dns_cache {
    struct dns_cache_config cfg;
};

struct resolver_answer {
    uint8_t rcode;
};

struct resolver_req {
    uv_timer_t timer;
    struct resolver *r;
    struct resolver_req *prev, *next;
    resolver_done_cb cb;
    void *arg;
    bool cancelled;
};

struct resolver {
    uv_loop_t *loop;
    struct resolver_req *reqs;
    bool closing;
    unsigned open_handles;
};

struct dns_cache *dns_cache_new(const struct dns_cache_config *cfg)
{
    struct dns_cache *c = calloc(1, sizeof(*c));
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->cfg = *cfg;
    return c;
}

void dns_cache_free(struct dns_cache *c)
{
    free(c);
}

struct resolver *resolver_new(uv_loop_t *loop, const struct resolver_config *cfg,
                              struct dns_cache *cache, char *err, size_t errcap)
{
    (void)cache;
    if (cfg->root_hints) {
        FILE *f = fopen(cfg->root_hints, "r");
        if (!f) {
            snprintf(err, errcap, "%s: cannot open", cfg->root_hints);
            return NULL;
        }
        (void)fclose(f);
    }
    struct resolver *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    r->loop = loop;
    return r;
}

static void unlink_req(struct resolver_req *q)
{
    struct resolver *r = q->r;
    if (q->prev)
        q->prev->next = q->next;
    else
        r->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void on_req_closed(uv_handle_t *h)
{
    struct resolver_req *q = h->data;
    struct resolver *r = q->r;
    free(q);
    if (--r->open_handles == 0 && r->closing)
        free(r);
}

static void on_timer(uv_timer_t *t)
{
    struct resolver_req *q = t->data;
    unlink_req(q);
    if (!q->cancelled) {
        struct resolver_answer a = {.rcode = DNS_RCODE_SERVFAIL};
        q->cb(q->arg, &a);
    }
    uv_close((uv_handle_t *)&q->timer, on_req_closed);
}

void resolver_close(struct resolver *r)
{
    if (!r)
        return;
    r->closing = true;
    while (r->reqs) {
        struct resolver_req *q = r->reqs;
        unlink_req(q);
        uv_close((uv_handle_t *)&q->timer, on_req_closed);
    }
    if (r->open_handles == 0)
        free(r);
}

int resolver_cached(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                    struct dns_wr *d)
{
    (void)r, (void)qname, (void)qtype, (void)qclass, (void)d;
    return 0;
}

int resolver_resolve(struct resolver *r, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
                     resolver_done_cb cb, void *arg, struct resolver_req **req)
{
    (void)qname, (void)qtype, (void)qclass;
    struct resolver_req *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->r = r;
    q->cb = cb;
    q->arg = arg;
    uv_timer_init(r->loop, &q->timer);
    q->timer.data = q;
    r->open_handles++;
    q->next = r->reqs;
    if (r->reqs)
        r->reqs->prev = q;
    r->reqs = q;
    uv_timer_start(&q->timer, on_timer, 0, 0);
    if (req)
        *req = q;
    return 0;
}

void resolver_cancel(struct resolver_req *req)
{
    req->cancelled = true;
}

int resolver_answer_write(const struct resolver_answer *a, struct dns_wr *d)
{
    d->hdr.rcode = a->rcode;
    return 0;
}

uint8_t resolver_answer_rcode(const struct resolver_answer *a)
{
    return a->rcode;
}
