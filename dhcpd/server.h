/*
 * server: labnet-dhcpd's sockets on a libuv loop, and the group commit.
 *
 * One UDP socket per served interface, bound to 0.0.0.0:67 with
 * SO_BINDTODEVICE and SO_BROADCAST: libuv 1.44 cannot report the arrival
 * interface, and a socket bound to 0.0.0.0 in a namespace without a default
 * route cannot send to 255.255.255.255 unless it is tied to a device.
 *
 * Durability without a commit per packet: replies that depend on a lease
 * change (ACKs) are queued while the loop drains the sockets; a uv_check
 * handle, which runs once per loop iteration after the I/O callbacks,
 * copies every dirty lease into the open batch (struct lease_batch) next
 * to the replies that wait for it.  The batch goes to a threadpool thread
 * that writes it in one fsync'd transaction; its replies are sent from the
 * completion callback, on the loop, only when the write succeeded.  One
 * write is in flight at a time: meanwhile the loop keeps answering (OFFERs
 * and NAKs, which promise nothing, go at once) and the next batch grows
 * with the load, so the fsync rate stays bounded while the lease rate does
 * not.  A failed write withholds its replies (the clients retry; nothing
 * was promised) and marks its leases dirty again.
 *
 * DNS updates ride on the same commit: for every dirty lease the name it
 * should publish is compared with the one it has published; the new
 * published name is written with the lease, and the UPDATEs are queued and
 * sent only after the ACKs (never delaying them).  A timer looks for
 * expired leases with a published name every DDNS_SCAN_MS and marks them
 * dirty, so their names are withdrawn by the same path.
 */
#ifndef LABNET_DHCPD_SERVER_H
#define LABNET_DHCPD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "dhcpd/conf.h"
#include "dhcpd/ddns.h"
#include "dhcpd/engine.h"
#include "dhcpd/lease.h"
#include "dhcpd/store.h"

/* Replies held for one commit.  A full open batch starts its write at
 * once when none is in flight; past that, replies are dropped (their
 * leases are still written; the client's retransmission gets the ACK). */
#define DHCPD_BATCH_MAX 2048
/* Datagrams read per loop iteration beyond libuv's own, before a commit. */
#define DHCPD_DRAIN_MAX 1024
/* Receive buffer per listening socket (bytes). */
#define DHCPD_RCVBUF (4 << 20)

struct dhcpd_server;

struct dhcpd_listener {
    uv_udp_t h;
    struct dhcpd_iface info;
    struct dhcpd_server *srv;
};

struct dhcpd_pending {
    struct dhcpd_out out;
    size_t listener;
};

/* One group commit: the rows to write and the replies that wait for them. */
struct dhcpd_commit {
    uv_work_t req;
    struct dhcpd_server *srv;
    struct lease_batch rows;
    struct dhcpd_pending *pend; /* DHCPD_BATCH_MAX */
    size_t n_pend;
    int64_t now;
    int rc;
    char err[256];
};

/* Conflict detection (ping-check): a DISCOVER waiting for the answer to
 * an ICMP echo sent to the address it would be offered. */
#define DHCPD_PROBES_MAX  16
#define DHCPD_PROBE_PKT   1500
#define DHCPD_PROBE_TRIES 3 /* addresses tried for one DISCOVER */
struct dhcpd_probe {
    uv_timer_t timer;
    struct dhcpd_server *srv;
    bool busy;
    uint32_t addr;
    uint16_t seq;
    size_t listener;
    int tries;
    size_t len;
    uint8_t pkt[DHCPD_PROBE_PKT];
};

struct dhcpd_server {
    uv_loop_t *loop;
    const struct dhcpd_conf *conf; /* owned by the caller */
    struct lease_table *t;         /* owned */
    struct lease_store *store;     /* owned */
    struct dhcpd_engine eng;
    struct dhcpd_listener ls[DHCPD_MAX_IFACES];
    size_t n_ls;
    uv_check_t check;
    /* job[open] collects; the other one is being written when busy. */
    struct dhcpd_commit job[2];
    int open;
    bool busy, stopping;
    uint64_t retry_at; /* uv_now before which a failed write is not retried */
    uint64_t commits, commit_failures, sent, send_failures, dropped;
    int open_handles; /* closed when 0 after dhcpd_server_stop */
    /* ping-check: an ICMP datagram ("ping") socket, or a raw one. */
    uv_poll_t icmp;
    int icmp_fd;
    bool icmp_raw;
    uint16_t ping_seq;
    struct dhcpd_probe *probes; /* DHCPD_PROBES_MAX */
    struct log_ratelimit rl;
    /* DNS updates for bound leases, sent after their ACKs (dhcpd/ddns.h). */
    struct ddns_client ddns;
};

/*
 * Opens the lease database under conf->state_dir (created when missing),
 * loads it, and binds one socket per interface.  Errors are logged with
 * their reason (a corrupt database names the file and says it was left as
 * it is); returns 0 or a negative errno.  On error everything opened so far
 * is closed again (run the loop to let libuv finish closing).
 */
int dhcpd_server_start(struct dhcpd_server *s, uv_loop_t *loop, const struct dhcpd_conf *conf);

/* Switches to a new configuration (SIGHUP): rebuilds the lease table for
 * the new pools, carrying every entry whose address remains, and refreshes
 * the interface addresses.  The interface list itself changes only on
 * restart.  Returns 0 or a negative errno (the old state stays). */
int dhcpd_server_reload(struct dhcpd_server *s, const struct dhcpd_conf *conf);

/* Commits and sends whatever is pending (after the write in flight, if
 * any, has finished), then closes every handle; the loop ends when they
 * are closed.  Then call dhcpd_server_free. */
void dhcpd_server_stop(struct dhcpd_server *s);

/* Frees the table and closes the database (after the loop has ended). */
void dhcpd_server_free(struct dhcpd_server *s);

#endif
