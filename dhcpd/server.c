#include "dhcpd/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/listen.h"
#include "common/log.h"

static int64_t wall_now(void)
{
    return (int64_t)time(NULL);
}

/* The first IPv4 address of ifname, network order, or 0. */
static uint32_t iface_addr(const char *ifname)
{
    struct ifaddrs *ifa, *p;
    uint32_t a = 0;
    if (getifaddrs(&ifa) != 0)
        return 0;
    for (p = ifa; p && !a; p = p->ifa_next)
        if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET && strcmp(p->ifa_name, ifname) == 0)
            a = ((const struct sockaddr_in *)(const void *)p->ifa_addr)->sin_addr.s_addr;
    freeifaddrs(ifa);
    return a;
}

/* Puts yiaddr -> chaddr into the interface's ARP table, so the reply
 * reaches a client that has no address yet and cannot answer ARP (RFC 2131
 * 4.1, as dnsmasq does).  Needs CAP_NET_ADMIN. */
static int arp_inject(int fd, const struct dhcpd_listener *l, const struct dhcpd_out *o)
{
    struct arpreq req;
    memset(&req, 0, sizeof(req));
    struct sockaddr_in *pa = (struct sockaddr_in *)(void *)&req.arp_pa;
    pa->sin_family = AF_INET;
    pa->sin_addr.s_addr = o->dest_addr;
    req.arp_ha.sa_family = ARPHRD_ETHER;
    memcpy(req.arp_ha.sa_data, o->chaddr, 6);
    req.arp_flags = ATF_COM;
    snprintf(req.arp_dev, sizeof(req.arp_dev), "%s", l->info.name);
    return ioctl(fd, SIOCSARP, &req) == 0 ? 0 : -errno;
}

static void send_one(struct dhcpd_server *s, size_t li, const struct dhcpd_out *o)
{
    struct dhcpd_listener *l = &s->ls[li];
    int fd = -1;
    if (uv_fileno((uv_handle_t *)&l->h, &fd) != 0)
        return;
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(o->dest_port), .sin_addr.s_addr = o->dest_addr};
    if (o->dest == DHCPD_DEST_HWADDR && arp_inject(fd, l, o) != 0) {
        /* Without the ARP entry the unicast would wait for an answer the
         * client cannot give: broadcast instead. */
        to.sin_addr.s_addr = INADDR_BROADCAST;
    }
    if (sendto(fd, o->buf, o->len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        int err = errno;
        s->send_failures++;
        if (log_ratelimit_allow(&s->rl, uv_now(s->loop), 10, 10000, NULL)) {
            char a[INET_ADDRSTRLEN];
            log_warn("cannot send to %s via %s: %s", inet_ntop(AF_INET, &to.sin_addr, a, sizeof(a)),
                     l->info.name, strerror(err));
        }
        return;
    }
    s->sent++;
}

/* The PTR half of r for l's address: [ddns] reverse-zone when it covers
 * the address, else the subnet's /8, /16 or /24 zone. */
static void rev_fill(const struct dhcpd_server *s, const struct lease *l, struct ddns_rec *r)
{
    const struct dhcpd_ddns_conf *d = &s->conf->ddns;
    const struct dhcpd_subnet *sub = &s->conf->subnets[l->subnet];
    ddns_reverse_name(l->addr, r->ptr);
    if (d->has_rev_zone)
        memcpy(r->rev_zone, d->rev_zone, dns_name_len(d->rev_zone));
    else if (ddns_reverse_zone(sub->net, sub->prefix, r->rev_zone) != 0)
        return;
    r->has_ptr = dns_name_is_sub(r->ptr, r->rev_zone);
}

/* Compares what l should publish with what it has, queues the updates
 * and records the new published name (written by the commit that
 * follows).  Names of expired, released, declined or re-assigned leases
 * are withdrawn. */
static void ddns_plan(struct dhcpd_server *s, struct lease *l, int64_t now)
{
    char want[DNS_NAME_TEXT_MAX] = "";
    struct ddns_rec add, del;
    uint8_t zone[DNS_NAME_MAXLEN];
    memset(&add, 0, sizeof(add));
    if (l->state == LEASE_BOUND && l->expires > now && l->ddns_label[0] &&
        ddns_forward_zone(s->conf, &s->conf->subnets[l->subnet], zone) == 0 &&
        ddns_fqdn(l->ddns_label, zone, add.fqdn) == 0) {
        add.add = true;
        add.addr = l->addr;
        /* Cached past the lease's end, a record would outlive it. */
        int64_t left = l->expires - now;
        add.ttl = left < (int64_t)s->conf->ddns.ttl_s ? (uint32_t)left : s->conf->ddns.ttl_s;
        rev_fill(s, l, &add);
        dns_name_to_text(add.fqdn, want, sizeof(want), NULL);
    }
    if (l->ddns_pub && strcmp(l->ddns_pub, want) == 0)
        return; /* a renewal: nothing changes in DNS */
    bool keep_old = false;
    memset(&del, 0, sizeof(del));
    size_t n;
    if (l->ddns_pub && dns_name_from_text(l->ddns_pub, strlen(l->ddns_pub), del.fqdn, &n) == 0) {
        del.addr = l->addr;
        rev_fill(s, l, &del);
        /* Dropped (queue full): keep the name so the scan tries again. */
        keep_old = ddns_client_submit(&s->ddns, &del) == -E2BIG;
    }
    if (want[0] && ddns_client_submit(&s->ddns, &add) == 0)
        lease_set_ddns_pub(l, want);
    else if (!keep_old)
        lease_set_ddns_pub(l, NULL);
}

/* Every DDNS_SCAN_MS: leases are reclaimed lazily, so an expired lease
 * would keep its name for ever; mark those for ddns_plan. */
static void on_ddns_scan(void *arg)
{
    struct dhcpd_server *s = arg;
    int64_t now = wall_now();
    if (!s->conf->ddns.enabled)
        return;
    for (size_t i = 0; i < s->t->n; i++) {
        struct lease *l = &s->t->v[i];
        if (l->ddns_pub && !l->dirty && !(l->state == LEASE_BOUND && l->expires > now))
            lease_table_mark_dirty(s->t, l);
    }
}

/* Moves the table's dirty leases into the open batch, planning their DNS
 * updates first (the published name is written with the lease).  Returns
 * 0 or -ENOMEM (nothing moved; the leases stay dirty). */
static int collect(struct dhcpd_server *s)
{
    if (!s->t->n_dirty)
        return 0;
    if (s->conf->ddns.enabled) {
        int64_t now = wall_now();
        for (size_t i = 0; i < s->t->n_dirty; i++)
            ddns_plan(s, &s->t->v[s->t->dirty[i]], now);
    }
    int rc = lease_batch_take(&s->job[s->open].rows, s->t);
    if (rc != 0 && log_ratelimit_allow(&s->rl, uv_now(s->loop), 10, 10000, NULL))
        log_err("cannot queue lease changes for writing: out of memory");
    return rc;
}

/* After a job's write: its replies go out when the rows are on disk. */
static void job_finish(struct dhcpd_server *s, struct dhcpd_commit *j)
{
    if (j->rc == 0) {
        if (j->rows.n)
            s->commits++;
        for (size_t i = 0; i < j->n_pend; i++)
            send_one(s, j->pend[i].listener, &j->pend[i].out);
    } else {
        s->commit_failures++;
        s->retry_at = uv_now(s->loop) + 100;
        log_err("cannot write the lease database: %s; %zu replies withheld", j->err, j->n_pend);
        lease_batch_redirty(&j->rows, s->t); /* the next write tries again */
    }
    j->n_pend = 0;
    lease_batch_clear(&j->rows);
    ddns_client_kick(&s->ddns);
}

static void on_write(uv_work_t *req)
{
    struct dhcpd_commit *j = req->data;
    j->rc = lease_store_write(j->srv->store, &j->rows, j->now, j->err, sizeof(j->err));
}

static void start(struct dhcpd_server *s);
static void finish_stop(struct dhcpd_server *s);

static void on_written(uv_work_t *req, int status)
{
    struct dhcpd_commit *j = req->data;
    struct dhcpd_server *s = j->srv;
    (void)status; /* never cancelled */
    s->busy = false;
    job_finish(s, j);
    if (s->stopping)
        finish_stop(s);
    else if (j->rc == 0)
        start(s); /* what gathered meanwhile */
}

/* Sends the open batch to be written, unless one is in flight (it starts
 * when that one is done) or the last write failed moments ago. */
static void start(struct dhcpd_server *s)
{
    struct dhcpd_commit *j = &s->job[s->open];
    if (s->busy || collect(s) != 0)
        return;
    if (!j->rows.n && !j->n_pend)
        return;
    if (!j->rows.n) { /* nothing to write: e.g. a lease that was not worth a row */
        j->rc = 0;
        job_finish(s, j);
        return;
    }
    if (s->retry_at && uv_now(s->loop) < s->retry_at)
        return;
    s->retry_at = 0;
    j->now = wall_now();
    j->req.data = j;
    if (uv_queue_work(s->loop, &j->req, on_write, on_written) != 0) {
        on_write(&j->req); /* cannot happen with a live loop; stay correct anyway */
        job_finish(s, j);
        return;
    }
    s->busy = true;
    s->open ^= 1;
}

/* The last commit, on the loop's thread (stopping: no write in flight). */
static void commit_now(struct dhcpd_server *s)
{
    struct dhcpd_commit *j = &s->job[s->open];
    if (collect(s) != 0 || (!j->rows.n && !j->n_pend))
        return;
    j->now = wall_now();
    on_write(&j->req);
    job_finish(s, j);
}

static void handle(struct dhcpd_server *s, size_t li, const uint8_t *pkt, size_t len, int tries);

/* libuv reads at most 32 datagrams per socket per loop iteration, so under
 * load each fsync covered only those and the rest waited in the kernel (and
 * overflowed its buffer).  Before a commit, read whatever else is queued,
 * so that one fsync covers every request that arrived meanwhile: the batch
 * grows with the load instead of the commit rate.  Bounded per iteration. */
static void drain(struct dhcpd_server *s)
{
    static uint8_t slab[65536];
    size_t n = 0;
    bool more = true;
    while (more && n < DHCPD_DRAIN_MAX) {
        more = false;
        for (size_t li = 0; li < s->n_ls && n < DHCPD_DRAIN_MAX; li++) {
            int fd = -1;
            if (uv_is_closing((uv_handle_t *)&s->ls[li].h) ||
                uv_fileno((uv_handle_t *)&s->ls[li].h, &fd) != 0)
                continue;
            ssize_t got = recv(fd, slab, sizeof(slab), MSG_DONTWAIT);
            if (got <= 0)
                continue;
            more = true;
            n++;
            handle(s, li, slab, (size_t)got, 1);
        }
    }
}

static void on_check(uv_check_t *c)
{
    struct dhcpd_server *s = c->data;
    if (s->stopping || (!s->job[s->open].n_pend && !s->t->n_dirty))
        return;
    /* While a write is in flight there is no hurry: the loop comes back. */
    if (!s->busy)
        drain(s);
    start(s);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    /* One loop, one datagram at a time: a static slab is enough. */
    static char slab[65536];
    (void)h;
    *buf = uv_buf_init(slab, sizeof(slab));
}

/* RFC 1071 Internet checksum (the kernel fills it for ping sockets, not
 * for raw ones). */
static uint16_t icmp_sum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void probe_finish(struct dhcpd_probe *p, bool in_use)
{
    struct dhcpd_server *s = p->srv;
    uv_timer_stop(&p->timer);
    p->busy = false;
    dhcpd_engine_probe_done(&s->eng, p->addr, in_use, wall_now());
    /* Ask again: the address is now probed, or quarantined and another
     * one is chosen (and maybe probed in turn). */
    if (p->tries < DHCPD_PROBE_TRIES)
        handle(s, p->listener, p->pkt, p->len, p->tries + 1);
}

static void on_probe_timeout(uv_timer_t *t)
{
    probe_finish(t->data, false); /* silence: nobody there */
}

static void on_icmp(uv_poll_t *h, int status, int events)
{
    struct dhcpd_server *s = h->data;
    (void)events;
    if (status < 0)
        return;
    for (int n = 0; n < 64; n++) {
        uint8_t buf[1500];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t got = recvfrom(s->icmp_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (got < 0)
            return;
        size_t off = 0;
        if (s->icmp_raw) { /* raw sockets see the IP header too */
            if (got < 20)
                continue;
            off = (size_t)(buf[0] & 0x0f) * 4;
        }
        log_debug("ping-check: %zd bytes from %s, type %u", got, inet_ntoa(from.sin_addr),
                  (size_t)got > off ? buf[off] : 255u);
        if ((size_t)got < off + 8 || buf[off] != ICMP_ECHOREPLY)
            continue;
        uint16_t seq = (uint16_t)(buf[off + 6] << 8 | buf[off + 7]);
        for (size_t i = 0; i < DHCPD_PROBES_MAX; i++) {
            struct dhcpd_probe *p = &s->probes[i];
            if (p->busy && p->seq == seq && p->addr == from.sin_addr.s_addr) {
                probe_finish(p, true);
                break;
            }
        }
    }
}

static int icmp_open(struct dhcpd_server *s)
{
    /* A ping socket needs net.ipv4.ping_group_range to include us; a raw
     * one needs CAP_NET_RAW.  Either will do. */
    s->icmp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (s->icmp_fd < 0) {
        s->icmp_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
        s->icmp_raw = true;
    }
    if (s->icmp_fd < 0) {
        int e = errno;
        log_err("ping-check: cannot open an ICMP socket: %s", strerror(e));
        return -e;
    }
    s->probes = calloc(DHCPD_PROBES_MAX, sizeof(*s->probes));
    if (!s->probes)
        return -ENOMEM;
    for (size_t i = 0; i < DHCPD_PROBES_MAX; i++) {
        uv_timer_init(s->loop, &s->probes[i].timer);
        s->probes[i].timer.data = &s->probes[i];
        s->probes[i].srv = s;
        s->open_handles++;
    }
    uv_poll_init(s->loop, &s->icmp, s->icmp_fd);
    s->icmp.data = s;
    s->open_handles++;
    return uv_poll_start(&s->icmp, UV_READABLE, on_icmp);
}

/* Starts a probe for the DISCOVER pkt; a full table or a probe already
 * running for the address drops the packet (the client retransmits). */
static void probe_start(struct dhcpd_server *s, size_t li, const uint8_t *pkt, size_t len,
                        uint32_t addr, int tries)
{
    struct dhcpd_probe *p = NULL;
    for (size_t i = 0; i < DHCPD_PROBES_MAX; i++) {
        if (s->probes[i].busy && s->probes[i].addr == addr)
            return;
        if (!s->probes[i].busy && !p)
            p = &s->probes[i];
    }
    if (!p || len > sizeof(p->pkt))
        return;
    p->busy = true;
    p->addr = addr;
    p->seq = ++s->ping_seq;
    p->listener = li;
    p->tries = tries;
    p->len = len;
    memcpy(p->pkt, pkt, len);
    uint8_t echo[16] = {
        ICMP_ECHO, 0,   0,   0,   0,   0,  (uint8_t)(p->seq >> 8), (uint8_t)p->seq, 'l', 'a',
        'b',       'n', 'e', 't', 'd', 'h'};
    uint16_t id = (uint16_t)getpid();
    echo[4] = (uint8_t)(id >> 8);
    echo[5] = (uint8_t)id;
    uint16_t sum = icmp_sum(echo, sizeof(echo));
    echo[2] = (uint8_t)(sum >> 8);
    echo[3] = (uint8_t)sum;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
    if (sendto(s->icmp_fd, echo, sizeof(echo), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        /* No route or no neighbour: treat as silence, after the timeout. */
        log_debug("ping-check: sendto: %s", strerror(errno));
    }
    uv_timer_start(&p->timer, on_probe_timeout, s->conf->ping_timeout_ms, 0);
}

static void handle(struct dhcpd_server *s, size_t li, const uint8_t *pkt, size_t len, int tries)
{
    struct dhcpd_listener *l = &s->ls[li];
    struct dhcpd_commit *j = &s->job[s->open];
    if (j->n_pend == DHCPD_BATCH_MAX) {
        start(s); /* makes room unless a write is in flight */
        j = &s->job[s->open];
    }
    /* The reply is built where it waits for its commit, if it needs one
     * (no copy); with the batch full, in a scratch one that can only be
     * sent at once. */
    static struct dhcpd_out scratch;
    bool room = j->n_pend < DHCPD_BATCH_MAX;
    struct dhcpd_out *out = room ? &j->pend[j->n_pend].out : &scratch;
    int rc = dhcpd_engine_handle(&s->eng, &l->info, pkt, len, wall_now(), out);
    if (rc == DHCPD_PROBE) {
        if (s->probes) {
            probe_start(s, li, pkt, len, out->probe_addr, tries);
        } else if (tries < DHCPD_PROBE_TRIES) {
            /* ping-check was switched on by a reload: the ICMP socket
             * comes with the next restart; offer unprobed meanwhile. */
            dhcpd_engine_probe_done(&s->eng, out->probe_addr, false, wall_now());
            handle(s, li, pkt, len, tries + 1);
        }
        return;
    }
    if (rc != 1)
        return;
    if (!out->needs_commit) {
        send_one(s, li, out);
        return;
    }
    if (!room) {
        s->dropped++; /* the lease is still written; the retry gets the ACK */
        return;
    }
    j->pend[j->n_pend].listener = li;
    j->n_pend++;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
    struct dhcpd_listener *l = h->data;
    struct dhcpd_server *s = l->srv;
    (void)addr;
    if (nread <= 0 || (flags & UV_UDP_PARTIAL))
        return;
    handle(s, (size_t)(l - s->ls), (const uint8_t *)buf->base, (size_t)nread, 1);
}

static void on_closed(uv_handle_t *h)
{
    struct dhcpd_server *s = h->data;
    if (h->type == UV_UDP)
        s = ((struct dhcpd_listener *)h->data)->srv;
    else if (h->type == UV_TIMER)
        s = ((struct dhcpd_probe *)h->data)->srv;
    s->open_handles--;
}

static int ensure_dir(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int open_db(struct dhcpd_server *s)
{
    char path[4200], err[600];
    int rc = ensure_dir(s->conf->state_dir);
    if (rc != 0) {
        log_err("state directory %s: %s", s->conf->state_dir, strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof(path), "%s/%s", s->conf->state_dir, LEASE_STORE_FILE);
    rc = lease_store_open(path, &s->store, err, sizeof(err));
    if (rc != 0) {
        log_err("%s", err);
        if (rc == -EBADMSG)
            log_err("not starting: the file was left as it is; move it away to start "
                    "without leases, or restore a backup");
        return rc;
    }
    size_t loaded, ignored;
    rc = lease_store_load(s->store, s->t, &loaded, &ignored, err, sizeof(err));
    if (rc != 0) {
        log_err("%s", err);
        return rc;
    }
    log_info("lease database %s: %zu leases loaded%s", path, loaded,
             ignored ? " (some rows outside the configured pools kept on disk)" : "");
    return 0;
}

static int open_listener(struct dhcpd_server *s, size_t i)
{
    struct dhcpd_listener *l = &s->ls[i];
    struct net_addr any = {.family = AF_INET, .port = 67};
    const struct listen_opts o = {.broadcast = true, .device = s->conf->ifaces[i]};
    bool activated = false;
    l->srv = s;
    snprintf(l->info.name, sizeof(l->info.name), "%s", s->conf->ifaces[i]);
    l->info.index = (int)if_nametoindex(l->info.name);
    if (l->info.index == 0) {
        log_err("interface %s: %s", l->info.name, strerror(errno));
        return -ENODEV;
    }
    l->info.addr = iface_addr(l->info.name);
    if (!l->info.addr)
        log_warn("interface %s has no IPv4 address: requests on it are ignored", l->info.name);
    int rc = listen_udp_open(s->loop, &l->h, &any, &o, &activated);
    l->h.data = l;
    s->open_handles++;
    s->n_ls++;
    if (rc != 0) {
        log_err("cannot listen on %s port 67: %s", l->info.name, strerror(-rc));
        return rc;
    }
    /* A big receive buffer: requests keep arriving during an fsync (and
     * while another process has the CPU); the default (~200 KiB, a few
     * hundred datagrams) overflowed at a few thousand requests a second.
     * SO_RCVBUFFORCE passes net.core.rmem_max when we have CAP_NET_ADMIN. */
    int fd = -1, want = DHCPD_RCVBUF;
    if (uv_fileno((uv_handle_t *)&l->h, &fd) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
    rc = uv_udp_recv_start(&l->h, on_alloc, on_recv);
    if (rc != 0)
        log_err("cannot read on %s: %s", l->info.name, uv_strerror(rc));
    return rc;
}

int dhcpd_server_start(struct dhcpd_server *s, uv_loop_t *loop, const struct dhcpd_conf *conf)
{
    memset(s, 0, sizeof(*s));
    s->icmp_fd = -1;
    s->loop = loop;
    s->conf = conf;
    int rc = lease_table_new(conf, &s->t);
    if (rc != 0)
        return rc;
    for (int k = 0; k < 2; k++) {
        s->job[k].srv = s;
        s->job[k].pend = calloc(DHCPD_BATCH_MAX, sizeof(*s->job[k].pend));
        if (!s->job[k].pend)
            return -ENOMEM;
    }
    if ((rc = open_db(s)) != 0)
        return rc;
    dhcpd_engine_init(&s->eng, conf, s->t);
    uv_check_init(loop, &s->check);
    s->check.data = s;
    s->open_handles++;
    uv_check_start(&s->check, on_check);
    if ((rc = ddns_client_start(&s->ddns, loop, &conf->ddns, on_ddns_scan, s)) != 0) {
        dhcpd_server_stop(s);
        return rc;
    }
    for (size_t i = 0; conf->ddns.enabled && i < conf->n_subnets; i++) {
        uint8_t zone[DNS_NAME_MAXLEN];
        if (ddns_forward_zone(conf, &conf->subnets[i], zone) != 0) {
            char a[INET_ADDRSTRLEN];
            log_warn("DDNS: subnet %s/%u has no domain and [ddns] no forward-zone: its leases "
                     "are not published",
                     inet_ntop(AF_INET, &conf->subnets[i].net, a, sizeof(a)),
                     conf->subnets[i].prefix);
        }
    }
    if (conf->ping_check && (rc = icmp_open(s)) != 0) {
        dhcpd_server_stop(s);
        return rc;
    }
    for (size_t i = 0; i < conf->n_ifaces; i++)
        if ((rc = open_listener(s, i)) != 0) {
            dhcpd_server_stop(s);
            return rc;
        }
    return 0;
}

int dhcpd_server_reload(struct dhcpd_server *s, const struct dhcpd_conf *conf)
{
    struct lease_table *nt;
    /* The open batch takes the dirty leases with it: the new table starts
     * clean, and a write in flight holds its own copies. */
    int rc = collect(s);
    if (rc != 0)
        return rc;
    rc = lease_table_new(conf, &nt);
    if (rc != 0)
        return rc;
    size_t kept = 0;
    for (size_t i = 0; i < s->t->n; i++) {
        const struct lease *o = &s->t->v[i];
        struct lease *n = lease_table_find_addr(nt, o->addr);
        if (!n || o->state == LEASE_FREE)
            continue;
        uint16_t sub = n->subnet;
        *n = *o;
        n->subnet = sub;
        s->t->v[i].ddns_pub = NULL; /* moved to n */
        n->next_key = -1;
        n->key_len = 0;
        n->dirty = false;
        lease_table_set_client(nt, n, o->key, o->key_len);
        kept++;
    }
    lease_table_free(s->t);
    s->t = nt;
    s->conf = conf;
    dhcpd_engine_init(&s->eng, conf, nt);
    ddns_client_reconf(&s->ddns, &conf->ddns);
    for (size_t i = 0; i < s->n_ls; i++)
        s->ls[i].info.addr = iface_addr(s->ls[i].info.name);
    log_info("configuration reloaded: %zu addresses, %zu leases kept", nt->n, kept);
    start(s);
    return 0;
}

void dhcpd_server_stop(struct dhcpd_server *s)
{
    s->stopping = true;
    if (!s->busy)
        finish_stop(s); /* else on_written calls it */
}

static void finish_stop(struct dhcpd_server *s)
{
    if (s->t && s->store)
        commit_now(s);
    if (uv_is_active((uv_handle_t *)&s->check) || s->check.loop) {
        if (!uv_is_closing((uv_handle_t *)&s->check))
            uv_close((uv_handle_t *)&s->check, on_closed);
    }
    for (size_t i = 0; i < s->n_ls; i++)
        if (!uv_is_closing((uv_handle_t *)&s->ls[i].h))
            uv_close((uv_handle_t *)&s->ls[i].h, on_closed);
    ddns_client_stop(&s->ddns);
    if (s->probes) {
        for (size_t i = 0; i < DHCPD_PROBES_MAX; i++)
            if (!uv_is_closing((uv_handle_t *)&s->probes[i].timer))
                uv_close((uv_handle_t *)&s->probes[i].timer, on_closed);
        if (s->icmp.loop && !uv_is_closing((uv_handle_t *)&s->icmp))
            uv_close((uv_handle_t *)&s->icmp, on_closed);
    }
}

void dhcpd_server_free(struct dhcpd_server *s)
{
    lease_store_close(s->store);
    lease_table_free(s->t);
    for (int k = 0; k < 2; k++) {
        free(s->job[k].pend);
        s->job[k].pend = NULL;
        lease_batch_free(&s->job[k].rows);
    }
    free(s->probes);
    ddns_client_free(&s->ddns);
    if (s->icmp_fd >= 0)
        close(s->icmp_fd);
    s->icmp_fd = -1;
    s->probes = NULL;
    s->store = NULL;
    s->t = NULL;
}
