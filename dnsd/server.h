/*
 * server: labnet-dnsd's serving front.
 *
 * Two layers.  The query path (server_query_handle, server_reply_resolved)
 * is a pure function of the query's bytes, the client's address and the
 * configuration: it applies the access list, the rate limit and the
 * header/EDNS rules, answers from local data or the cache, and otherwise
 * asks its caller to resolve.  It never touches a socket, so tests and the
 * fuzzer drive it directly.
 *
 * The I/O layer is one struct server_worker per thread: its own uv loop,
 * its own SO_REUSEPORT UDP and TCP sockets per listen address, its own
 * struct resolver; every worker shares the process's struct dns_cache.
 * The main thread talks to a worker only through the post functions
 * (uv_async), as httpd/worker does.
 *
 * Replies (RFC 1035 4.1.1, RFC 6891):
 *   - a message shorter than a header, or with QR=1, is dropped;
 *   - "deny" clients are dropped, "refuse" clients get REFUSED;
 *   - UPDATE goes to dnsd/update.h when there is a store (else NOTIMP);
 *   - an OPCODE other than QUERY gets NOTIMP;
 *   - a message that does not parse, or QDCOUNT != 1, gets FORMERR
 *     (header only);
 *   - an OPT of a version other than 0 gets BADVERS (RFC 6891 6.1.3);
 *   - OPT is echoed only when the query had one, with our payload size
 *     and the query's DO bit; unknown options are ignored;
 *   - UDP replies fit 512 octets, or with EDNS the smaller of the
 *     client's and our payload size (never below 512); what does not fit
 *     is cut at an RRset boundary with TC=1.
 */
#ifndef LABNET_DNSD_SERVER_H
#define LABNET_DNSD_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/dns_msg.h"
#include "common/log.h"
#include "dnsd/conf.h"
#include "dnsd/resolver.h"

/* ---- the query path ---- */

enum server_verdict {
    SERVER_DROP,    /* send nothing */
    SERVER_REPLY,   /* out holds the reply */
    SERVER_RESOLVE, /* q needs resolution; then server_reply_resolved */
};

/* What happened, for the caller's (rate-limited) log line. */
enum server_event {
    SERVER_EV_NONE,
    SERVER_EV_DENIED,      /* dropped by a deny rule */
    SERVER_EV_REFUSED,     /* REFUSED by a refuse rule or no rule */
    SERVER_EV_MALFORMED,   /* FORMERR, or dropped as unparseable */
    SERVER_EV_NOTIMP,      /* opcode or query type not implemented */
    SERVER_EV_RESPONSE,    /* a response (QR=1) arrived: dropped */
    SERVER_EV_RATELIMITED, /* over the rate limit: dropped or TC */
    SERVER_EV_UPDATED,     /* an UPDATE was signed right and answered NOERROR */
    SERVER_EV_UPDATE_FAIL, /* an UPDATE refused or failed (any other rcode) */
};

/* A query that passed the checks: what a reply needs once resolution is
 * done.  Plain value; no pointers into the query's buffer. */
struct server_query {
    struct dns_hdr hdr; /* of the query */
    uint8_t qname[DNS_NAME_MAXLEN];
    uint16_t qtype, qclass;
    bool has_question;
    bool has_opt, dnssec_ok;
    uint16_t edns_size; /* the payload size we advertise */
    size_t limit;       /* the reply must fit this */
};

struct dynzone;
struct localzone;

struct server_ctx {
    const struct dnsd_conf *conf;
    struct resolver *resolver; /* for the cache; NULL: never consulted */
    uint64_t now_ms;           /* monotonic, for the rate limit */
    /* DNS UPDATE (dnsd/update.h): the store, NULL = UPDATE is NOTIMP; the
     * local data to answer from (a dynzone snapshot), NULL = conf->local;
     * wall-clock seconds for TSIG. */
    struct dynzone *dyn;
    const struct localzone *local;
    uint64_t wall_s;
};

/*
 * Handles the query msg[0..len) from peer (tcp: it came over TCP, which
 * lifts the size limit to 65535 and skips the rate limit).  On
 * SERVER_REPLY out[0..*out_len) holds the reply; out must hold cap octets
 * (65535 for TCP, at least 4096 for UDP).  On SERVER_RESOLVE q is filled
 * for server_reply_resolved.  *ev tells what to log.  Reads at most len
 * octets of msg, whatever it holds.
 */
enum server_verdict server_query_handle(const struct server_ctx *ctx, const struct net_addr *peer,
                                        bool tcp, const uint8_t *msg, size_t len,
                                        struct server_query *q, uint8_t *out, size_t cap,
                                        size_t *out_len, enum server_event *ev);

/* Builds the reply to q from a resolver answer (a == NULL: SERVFAIL).
 * Returns 0, or -EMSGSIZE when even a bare SERVFAIL does not fit cap. */
int server_reply_resolved(const struct server_query *q, const struct resolver_answer *a,
                          uint8_t *out, size_t cap, size_t *out_len);

/* ---- the worker threads ---- */

struct server_conn;
struct server_udp_req;
struct server_wres;

struct server_listener {
    uv_udp_t udp;
    uv_tcp_t tcp;
    struct server_worker *w;
    bool udp_open, tcp_open;
};

struct server_worker {
    unsigned id;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t async;        /* commands from the main thread */
    uv_async_t *done_notify; /* main's: "this worker has finished", or NULL */
    uv_timer_t reap;         /* closes unused resolvers, and the worker at its end */
    struct server_listener listeners[DNSD_MAX_LISTEN];
    size_t n_listeners;
    struct dnsd_conf *conf;
    _Atomic(struct dnsd_conf *) pending; /* set by main on reload */
    atomic_bool stop_requested;
    atomic_bool force_requested;
    atomic_bool finished;
    bool stopping, closed;
    struct dns_cache *cache;
    struct server_wres *wres; /* current resolver first, then retiring ones */
    struct server_udp_req *udp_reqs;
    size_t n_udp_reqs;
    size_t n_tcp_reqs;  /* with n_udp_reqs, capped by conf->max_pending */
    size_t n_udp_sends; /* uv_udp_send in flight */
    struct server_conn *conns;
    size_t n_conns;
    uint8_t *slab; /* recvmmsg buffer */
    bool slab_busy;
    uint8_t out[65535]; /* reply scratch */
    struct log_ratelimit rl_log[10];
    struct dynzone *dyn;          /* set by main before start; NULL: no updates */
    struct dynzone_snap *snap;    /* this worker's reference to the local data */
    atomic_uint_fast64_t queries; /* handled, for status */
};

/* Prepares w: loop, handles on the sockets (udp_fds / tcp_fds, one each
 * per conf->listen, now owned by w; tcp ones already listening), and a
 * resolver on cache.  done_notify (may be NULL) is sent once the worker's
 * loop has ended; w->finished is set just before.  Returns 0, or a negative errno / libuv error
 * with a reason in err. */
int server_worker_init(struct server_worker *w, unsigned id, struct dnsd_conf *conf,
                       struct dns_cache *cache, const int *udp_fds, const int *tcp_fds,
                       size_t n_fds, uv_async_t *done_notify, char *err, size_t errcap);

/* Runs the worker's loop on a new thread. */
int server_worker_start(struct server_worker *w);

/* From the main thread: graceful stop (no new queries; in-flight ones
 * are answered, then the loop ends), or a switch to a new configuration
 * (conf is retained; a new resolver takes new queries, the old one
 * finishes its own).  Safe at any time. */
void server_worker_post_stop(struct server_worker *w);
void server_worker_post_conf(struct server_worker *w, struct dnsd_conf *conf);

/* After the main loop was stopped by force (deadline or second signal):
 * closes every connection and abandons resolutions, so the worker ends
 * now.  Harmless for a worker that has already finished (its loop is not
 * closed before server_worker_join). */
void server_worker_post_force(struct server_worker *w);

/* After w->finished was set (or done_notify sent): joins the thread,
 * closes the loop and frees what init made.  Returns 0, or the libuv
 * error of a loop that still had handles (logged). */
int server_worker_join(struct server_worker *w);

#endif
