/*
 * labnet-dhcp: a DHCPv4 client (RFC 2131) on libuv.
 *
 *   labnet-dhcp [options] IFACE
 *
 * By default it obtains a lease (DISCOVER, OFFER, REQUEST, ACK; first a
 * REQUEST for the address in an unexpired lease file: INIT-REBOOT), prints it
 * as shell variables (or JSON) and exits.  --apply configures the address
 * and default route through rtnetlink, --script runs a udhcpc-style hook,
 * -d stays to renew at T1, rebind at T2 and give the address up at expiry.
 * --renew/--rebind/--release/--decline act on the lease a previous run
 * left in the lease file; --inform asks for options for an address the
 * interface already has.
 *
 * I/O: an AF_PACKET socket sends broadcasts and receives every reply (we
 * may own no address yet); a UDP socket bound to the interface sends the
 * unicast renewals and releases.  The protocol itself is the pure state
 * machine in dhcpc_fsm.
 *
 * Exit status: 0 done, 1 system error, 2 usage, 3 NAK, 4 timeout (no
 * answer), 5 no usable lease file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "clients/dhcpc_fsm.h"
#include "clients/dhcpc_lease.h"
#include "clients/dhcpc_nl.h"
#include "clients/dhcpc_raw.h"
#include "common/cli.h"
#include "common/dhcp_msg.h"
#include "common/log.h"

extern char **environ;

enum {
    EXIT_OK = 0,
    EXIT_SYS = 1,
    EXIT_USAGE = 2,
    EXIT_NAK = 3,
    EXIT_TIMEOUT = 4,
    EXIT_NOLEASE = 5,
};

#define SCRIPT_MAX_MS 30000 /* a hook that runs longer is killed */
#define RECV_BURST    64    /* packets read per wake-up: bounded work */

struct opts {
    const char *ifname;
    enum dhcpc_mode mode;
    bool mode_set;
    bool json, apply, persist, broadcast, fqdn, no_reboot;
    const char *script;
    const char *lease_file;
    const char *hostname;
    uint8_t client_id[64];
    size_t client_id_len;
    bool client_id_set;
    uint32_t requested;
    double timeout_s;
    unsigned tries;
    uint32_t backoff_ms;
    uint32_t metric;
};

struct client {
    uv_loop_t loop;
    uv_poll_t poll;
    uv_timer_t timer;
    uv_signal_t sigint, sigterm;
    struct opts o;
    struct dhcpc fsm;
    int ifindex;
    int raw_fd, udp_fd;
    bool verbose, debug;
    bool applied;           /* the lease's address is on the interface */
    struct dhcpc_lease cfg; /* what we applied (address, route) */
    int exit_code;
    bool closing;
    char lease_path[256];
};

/* ---- -v: the exchange in readable form ---- */

static const char *type_name(uint8_t t)
{
    static const char *const n[] = {"?",   "DISCOVER", "OFFER",   "REQUEST", "DECLINE",
                                    "ACK", "NAK",      "RELEASE", "INFORM"};
    return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static const char *ipstr(uint32_t a, char *b)
{
    struct in_addr in = {.s_addr = a};
    return inet_ntop(AF_INET, &in, b, INET_ADDRSTRLEN);
}

static void show_sent(const struct client *c, const struct dhcpc_out *out)
{
    struct dhcp_msg m;
    char a[INET_ADDRSTRLEN];
    if (!c->verbose || dhcp_msg_parse(&m, out->pkt, out->pkt_len) != 0)
        return;
    uint32_t req = 0, sid = 0;
    (void)dhcp_msg_get_addr(&m, DHCP_OPT_REQUESTED_ADDR, &req);
    (void)dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid);
    (void)fprintf(stderr, "%s%s", type_name(out->pkt_type),
                  c->fsm.state == DHCPC_ST_REBOOTING ? " (INIT-REBOOT)" : "");
    if (req || m.ciaddr)
        (void)fprintf(stderr, " %s", ipstr(req ? req : m.ciaddr, a));
    if (sid) {
        char b[INET_ADDRSTRLEN];
        (void)fprintf(stderr, " server %s", ipstr(sid, b));
    }
    (void)fprintf(stderr, " xid=0x%08x ->%s%s\n", m.xid, out->unicast ? " " : " broadcast",
                  out->unicast ? ipstr(out->dst, a) : "");
}

static void show_received(const struct client *c, const uint8_t *p, size_t n, uint32_t src,
                          const struct dhcpc_out *out)
{
    struct dhcp_msg m;
    uint8_t t = 0;
    char b[INET_ADDRSTRLEN];
    /* Replies to other clients on the segment are noise at -v. */
    if (out->drop != DHCPC_DROP_NONE) {
        if (c->debug)
            (void)fprintf(stderr, "<- (ignored: %s)\n", dhcpc_drop_name(out->drop));
        return;
    }
    if (!c->verbose || dhcp_msg_parse(&m, p, n) != 0)
        return;
    (void)dhcp_msg_type(&m, &t);
    uint32_t sid = src, lease = 0;
    (void)dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid);
    (void)fprintf(stderr, "<- %s", type_name(t));
    if (m.yiaddr) {
        char a[INET_ADDRSTRLEN];
        (void)fprintf(stderr, " %s", ipstr(m.yiaddr, a));
    }
    (void)fprintf(stderr, " from %s", ipstr(sid, b));
    if (dhcp_msg_get_u32(&m, DHCP_OPT_LEASE_TIME, &lease) == 0)
        (void)fprintf(stderr, " lease %us", (unsigned)lease);
    (void)fprintf(stderr, " xid=0x%08x\n", m.xid);
}

/* ---- configuring the interface ---- */

static void run_script(struct client *c, const char *event, const struct dhcpc_lease *l)
{
    if (!c->o.script)
        return;
    char buf[4096];
    char *env[48];
    int n = dhcpc_lease_env(l, c->o.ifname, buf, sizeof(buf), env, 40);
    if (n < 0) {
        log_warn("script: environment too large; not run");
        return;
    }
    /* PATH so the script finds its tools; nothing else of ours leaks. */
    const char *path = getenv("PATH");
    static char pathvar[1024];
    (void)snprintf(pathvar, sizeof(pathvar), "PATH=%s",
                   path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    env[n++] = pathvar;
    env[n] = NULL;
    char *argv[] = {(char *)c->o.script, (char *)event, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, c->o.script, NULL, NULL, argv, env);
    if (rc != 0) {
        log_warn("script %s: %s", c->o.script, strerror(rc));
        return;
    }
    /* Synchronous, like udhcpc's: a "bound" script finishes before the
     * "renew" or "deconfig" that follows it starts.  Bounded in time. */
    int status = 0;
    for (int waited = 0;; waited += 10) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return;
        if (waited >= SCRIPT_MAX_MS) {
            log_warn("script %s %s: still running after %d s; killed", c->o.script, event,
                     SCRIPT_MAX_MS / 1000);
            (void)kill(pid, SIGKILL);
            (void)waitpid(pid, &status, 0);
            return;
        }
        struct timespec ts = {.tv_nsec = 10L * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        log_warn("script %s %s: failed (status %d)", c->o.script, event, status);
}

static void unconfigure(struct client *c)
{
    if (!c->applied)
        return;
    int prefix = dhcpc_lease_prefix(c->cfg.mask);
    int rc;
    if (c->cfg.n_routers &&
        (rc = dhcpc_nl_route_del(c->ifindex, c->cfg.routers[0], c->o.metric)) != 0 && rc != -ESRCH)
        log_warn("removing the default route: %s", strerror(-rc));
    rc = dhcpc_nl_addr_del(c->ifindex, c->cfg.addr, prefix);
    if (rc != 0 && rc != -EADDRNOTAVAIL)
        log_warn("removing %s: %s", c->o.ifname, strerror(-rc));
    c->applied = false;
}

static void configure(struct client *c, const struct dhcpc_lease *l)
{
    if (!c->o.apply)
        return;
    if (c->applied && (c->cfg.addr != l->addr || c->cfg.mask != l->mask))
        unconfigure(c);
    int prefix = dhcpc_lease_prefix(l->mask);
    /* The kernel counts the lifetime down and removes the address itself
     * at expiry, should this program not be there to do it. */
    int rc = dhcpc_nl_addr_add(c->ifindex, l->addr, prefix, l->broadcast, l->lease_s, l->lease_s);
    if (rc != 0) {
        log_err("adding the address to %s: %s", c->o.ifname, strerror(-rc));
        c->exit_code = EXIT_SYS;
        return;
    }
    c->applied = true;
    c->cfg = *l;
    if (l->n_routers &&
        (rc = dhcpc_nl_route_add(c->ifindex, l->routers[0], l->addr, c->o.metric)) != 0)
        log_warn("adding the default route via the lease's router: %s", strerror(-rc));
}

static void print_lease(const struct client *c, const struct dhcpc_lease *l)
{
    if (c->o.json)
        (void)dhcpc_lease_print_json(stdout, l, c->o.ifname);
    else
        (void)dhcpc_lease_print_shell(stdout, l, c->o.ifname);
    (void)fflush(stdout);
}

static void save_lease(const struct client *c, const struct dhcpc_lease *l)
{
    int rc = dhcpc_lease_save(c->lease_path, l, c->o.ifname, (int64_t)time(NULL));
    if (rc != 0)
        log_warn("lease file %s: %s", c->lease_path, strerror(-rc));
}

/* ---- the loop ---- */

static void finish(struct client *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->poll, NULL);
    uv_close((uv_handle_t *)&c->timer, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void on_event(struct client *c, enum dhcpc_event ev)
{
    const struct dhcpc_lease *l = &c->fsm.lease;
    switch (ev) {
    case DHCPC_EV_NONE:
        break;
    case DHCPC_EV_BOUND:
    case DHCPC_EV_RENEWED:
        configure(c, l);
        save_lease(c, l);
        run_script(c, ev == DHCPC_EV_BOUND ? "bound" : "renew", l);
        print_lease(c, l);
        break;
    case DHCPC_EV_INFORMED:
        print_lease(c, l);
        break;
    case DHCPC_EV_NAK:
    case DHCPC_EV_EXPIRED:
        if (ev == DHCPC_EV_NAK) {
            (void)fprintf(stderr, "labnet-dhcp: %s: the server refused the lease (NAK)\n",
                          c->o.ifname);
            run_script(c, "nak", NULL);
        } else {
            (void)fprintf(stderr, "labnet-dhcp: %s: the lease expired\n", c->o.ifname);
        }
        unconfigure(c);
        (void)unlink(c->lease_path);
        run_script(c, "deconfig", NULL);
        break;
    case DHCPC_EV_TIMEOUT:
        (void)fprintf(stderr, "labnet-dhcp: %s: no answer from any DHCP server\n", c->o.ifname);
        run_script(c, "leasefail", NULL);
        break;
    case DHCPC_EV_SENT:
        /* RELEASE / DECLINE: the address is no longer ours. */
        c->applied = c->o.apply;
        c->cfg = c->fsm.conf.prev;
        unconfigure(c);
        (void)unlink(c->lease_path);
        run_script(c, "deconfig", NULL);
        break;
    }
}

static void on_timer(uv_timer_t *t);

static void handle(struct client *c, const struct dhcpc_out *out)
{
    if (out->pkt_len) {
        show_sent(c, out);
        int rc = -ENOTCONN;
        if (out->unicast && c->udp_fd >= 0)
            rc = dhcpc_udp_send(c->udp_fd, out->dst, out->pkt, out->pkt_len);
        /* Without an address of our own (or a route to the server) a
         * unicast cannot leave; every server also hears a broadcast. */
        if (out->unicast && rc != 0)
            log_debug("unicast to the server failed (%s); broadcasting", strerror(-rc));
        if (rc != 0)
            rc = dhcpc_raw_send(c->raw_fd, c->ifindex, out->src, out->pkt, out->pkt_len);
        if (rc != 0)
            log_warn("sending %s: %s", type_name(out->pkt_type), strerror(-rc));
    }
    on_event(c, out->ev);
    if (c->fsm.state == DHCPC_ST_DONE || c->fsm.state == DHCPC_ST_FAILED) {
        if (c->fsm.state == DHCPC_ST_FAILED && c->exit_code == EXIT_OK)
            c->exit_code = c->fsm.result == DHCPC_EV_NAK ? EXIT_NAK : EXIT_TIMEOUT;
        finish(c);
        return;
    }
    if (out->timer_at == DHCPC_NO_TIMER) {
        uv_timer_stop(&c->timer);
    } else {
        uint64_t now = uv_now(&c->loop);
        uv_timer_start(&c->timer, on_timer, out->timer_at > now ? out->timer_at - now : 0, 0);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct client *c = t->data;
    static struct dhcpc_out out;
    dhcpc_timer(&c->fsm, uv_now(&c->loop), &out);
    handle(c, &out);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    struct client *c = p->data;
    (void)events;
    if (status < 0) {
        log_err("packet socket: %s", uv_strerror(status));
        c->exit_code = EXIT_SYS;
        finish(c);
        return;
    }
    static uint8_t buf[DHCPC_FRAME_MAX + 64];
    static struct dhcpc_out out;
    for (int i = 0; i < RECV_BURST && !c->closing; i++) {
        const uint8_t *payload;
        size_t plen;
        uint32_t src = 0;
        int rc = dhcpc_raw_recv(c->raw_fd, buf, sizeof(buf), &payload, &plen, &src);
        if (rc == -EAGAIN)
            break;
        if (rc == -EBADMSG) {
            if (c->debug)
                (void)fprintf(stderr, "<- (ignored: not a well-formed UDP packet to port 68)\n");
            continue;
        }
        if (rc < 0) {
            log_warn("packet socket: %s", strerror(-rc));
            break;
        }
        uv_update_time(&c->loop);
        dhcpc_input(&c->fsm, uv_now(&c->loop), payload, plen, &out);
        show_received(c, payload, plen, src, &out);
        if (out.drop == DHCPC_DROP_NONE)
            handle(c, &out);
    }
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct client *c = s->data;
    (void)signum;
    if (!c->o.persist && c->exit_code == EXIT_OK)
        c->exit_code = EXIT_SYS;
    finish(c);
}

/* ---- command line ---- */

enum {
    OPT_JSON = 0x200,
    OPT_RENEW,
    OPT_REBIND,
    OPT_RELEASE,
    OPT_DECLINE,
    OPT_INFORM,
    OPT_FQDN,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_BACKOFF,
    OPT_METRIC,
    OPT_NO_REBOOT,
};

static int set_mode(struct opts *o, enum dhcpc_mode m)
{
    if (o->mode_set && o->mode != m) {
        (void)fprintf(stderr, "labnet-dhcp: --renew, --rebind, --release, --decline and --inform "
                              "exclude each other\n");
        return -EINVAL;
    }
    o->mode = m;
    o->mode_set = true;
    return 0;
}

/* --client-id: "01:02:0a" style hex bytes are the raw option value (type
 * byte first); anything else is text, sent with type 0 (RFC 2132 section
 * 9.14). */
static int parse_client_id(struct opts *o, const char *arg)
{
    size_t n = strlen(arg);
    bool hex = n >= 5 && (n + 1) % 3 == 0;
    for (size_t i = 0; hex && i < n; i++)
        hex = (i % 3 == 2) ? arg[i] == ':' : strchr("0123456789abcdefABCDEF", arg[i]) != NULL;
    if (hex) {
        o->client_id_len = 0;
        for (size_t i = 0; i < n && o->client_id_len < sizeof(o->client_id); i += 3) {
            unsigned v;
            if (sscanf(arg + i, "%2x", &v) != 1)
                return -EINVAL;
            o->client_id[o->client_id_len++] = (uint8_t)v;
        }
        if ((n + 1) / 3 > sizeof(o->client_id))
            return -EINVAL;
    } else {
        if (n == 0 || n + 1 > sizeof(o->client_id))
            return -EINVAL;
        o->client_id[0] = 0;
        memcpy(o->client_id + 1, arg, n);
        o->client_id_len = n + 1;
    }
    o->client_id_set = true;
    return 0;
}

static int parse_extra(void *ud, int opt, const char *arg)
{
    struct opts *o = ud;
    char *end;
    struct in_addr in;
    switch (opt) {
    case OPT_JSON:
        o->json = true;
        return 0;
    case 'a':
        o->apply = true;
        return 0;
    case 'd':
        o->persist = true;
        return 0;
    case 'B':
        o->broadcast = true;
        return 0;
    case 's':
        o->script = arg;
        return 0;
    case 'l':
        o->lease_file = arg;
        return 0;
    case OPT_RENEW:
        return set_mode(o, DHCPC_MODE_RENEW);
    case OPT_REBIND:
        return set_mode(o, DHCPC_MODE_REBIND);
    case OPT_RELEASE:
        return set_mode(o, DHCPC_MODE_RELEASE);
    case OPT_DECLINE:
        return set_mode(o, DHCPC_MODE_DECLINE);
    case OPT_INFORM:
        return set_mode(o, DHCPC_MODE_INFORM);
    case OPT_FQDN:
        o->fqdn = true;
        return 0;
    case OPT_NO_REBOOT:
        o->no_reboot = true;
        return 0;
    case 'r':
        if (inet_pton(AF_INET, arg, &in) != 1 || !dhcpc_lease_addr_usable(in.s_addr)) {
            (void)fprintf(stderr, "labnet-dhcp: --request %s: not a usable IPv4 address\n", arg);
            return -EINVAL;
        }
        o->requested = in.s_addr;
        return 0;
    case 'H':
        /* RFC 1035 section 2.3.1 characters only: the name goes on the
         * wire and into a server's DNS. */
        if (strlen(arg) > 253 || !dhcpc_lease_text_is_name((const uint8_t *)arg, strlen(arg))) {
            (void)fprintf(stderr, "labnet-dhcp: --hostname: letters, digits, '-' and '.' only\n");
            return -EINVAL;
        }
        o->hostname = arg;
        return 0;
    case 'C':
        if (parse_client_id(o, arg) != 0) {
            (void)fprintf(stderr, "labnet-dhcp: --client-id: 1..63 characters, or hex bytes "
                                  "like 01:52:54:00:12:34:56\n");
            return -EINVAL;
        }
        return 0;
    case OPT_TIMEOUT:
        o->timeout_s = strtod(arg, &end);
        if (*end || !(o->timeout_s > 0 && o->timeout_s <= 86400)) {
            (void)fprintf(stderr, "labnet-dhcp: --timeout: seconds, up to 86400\n");
            return -EINVAL;
        }
        return 0;
    case OPT_RETRIES: {
        long v = strtol(arg, &end, 10);
        if (*end || v < 0 || v > 100) {
            (void)fprintf(stderr, "labnet-dhcp: --retries: 0..100\n");
            return -EINVAL;
        }
        o->tries = (unsigned)v + 1;
        return 0;
    }
    case OPT_BACKOFF: {
        long v = strtol(arg, &end, 10);
        if (*end || v < 10 || v > 64000) {
            (void)fprintf(stderr, "labnet-dhcp: --backoff: milliseconds, 10..64000\n");
            return -EINVAL;
        }
        o->backoff_ms = (uint32_t)v;
        return 0;
    }
    case OPT_METRIC: {
        long v = strtol(arg, &end, 10);
        if (*end || v < 0 || v > 0x7fffffff) {
            (void)fprintf(stderr, "labnet-dhcp: --metric: 0..2147483647\n");
            return -EINVAL;
        }
        o->metric = (uint32_t)v;
        return 0;
    }
    default:
        return -EINVAL;
    }
}

static int iface_info(struct client *c, struct dhcpc_conf *k)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (strlen(c->o.ifname) >= IFNAMSIZ)
        return -ENODEV;
    memcpy(ifr.ifr_name, c->o.ifname, strlen(c->o.ifname));
    c->ifindex = (int)if_nametoindex(c->o.ifname);
    if (c->ifindex == 0)
        return -errno;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
        rc = -errno;
    } else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        rc = -EAFNOSUPPORT; /* htype 1 only: what a packet socket can frame */
    } else {
        k->htype = DHCP_HTYPE_ETHER;
        k->hlen = 6;
        memcpy(k->chaddr, ifr.ifr_hwaddr.sa_data, 6);
    }
    if (rc == 0 && c->o.mode == DHCPC_MODE_INFORM) {
        /* RFC 2131 section 4.4.3: INFORM carries the address we already
         * have in ciaddr. */
        if (ioctl(fd, SIOCGIFADDR, &ifr) == 0) {
            struct sockaddr_in sin;
            memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
            k->ciaddr = sin.sin_addr.s_addr;
        }
    }
    (void)close(fd);
    return rc;
}

/* RFC 2131 section 3.2: a client that remembers an unexpired lease first
 * asks to keep it (INIT-REBOOT).  A missing, unreadable or expired lease
 * file just means a DISCOVER. */
static void reboot_from_lease_file(struct client *c, struct dhcpc_conf *k)
{
    struct dhcpc_lease l;
    int64_t obtained = 0;
    if (dhcpc_lease_load(c->lease_path, &l, &obtained) != 0)
        return;
    int64_t now = (int64_t)time(NULL);
    if (l.lease_s != DHCPC_LEASE_INFINITE && obtained + (int64_t)l.lease_s <= now) {
        log_info("lease file %s: the lease expired; DISCOVER", c->lease_path);
        return;
    }
    k->prev = l;
    k->reboot = true;
}

int main(int argc, char **argv)
{
    static struct client c;
    c.o.tries = 5; /* 4 + 8 + 16 + 32 + 64 s: the RFC 2131 section 4.1 schedule */
    c.o.backoff_ms = 4000;
    c.raw_fd = c.udp_fd = -1;
    static const struct option longopts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"apply", no_argument, NULL, 'a'},
        {"script", required_argument, NULL, 's'},
        {"persist", no_argument, NULL, 'd'},
        {"lease-file", required_argument, NULL, 'l'},
        {"renew", no_argument, NULL, OPT_RENEW},
        {"rebind", no_argument, NULL, OPT_REBIND},
        {"release", no_argument, NULL, OPT_RELEASE},
        {"decline", no_argument, NULL, OPT_DECLINE},
        {"inform", no_argument, NULL, OPT_INFORM},
        {"request", required_argument, NULL, 'r'},
        {"hostname", required_argument, NULL, 'H'},
        {"fqdn", no_argument, NULL, OPT_FQDN},
        {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
        {"client-id", required_argument, NULL, 'C'},
        {"broadcast", no_argument, NULL, 'B'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"backoff", required_argument, NULL, OPT_BACKOFF},
        {"metric", required_argument, NULL, OPT_METRIC},
        {NULL, 0, NULL, 0},
    };
    const struct cli_prog prog = {
        .name = "labnet-dhcp",
        .summary = "DHCPv4 client: obtains, renews or releases a lease on IFACE.",
        .args = "IFACE",
        .extra_help =
            "      --json             print the lease as JSON (default: shell variables)\n"
            "  -a, --apply            configure the address and default route (rtnetlink)\n"
            "  -s, --script PATH      run PATH bound|renew|deconfig|nak|leasefail (udhcpc env)\n"
            "  -d, --persist          stay: renew at T1, rebind at T2, drop at expiry\n"
            "  -l, --lease-file PATH  lease state (default /run/labnet/dhcp-IFACE.lease)\n"
            "      --renew            renew the saved lease (unicast REQUEST)\n"
            "      --rebind           rebind the saved lease (broadcast REQUEST)\n"
            "      --release          release the saved lease\n"
            "      --decline          decline the saved lease's address\n"
            "      --inform           ask for options for IFACE's current address\n"
            "  -r, --request ADDR     ask for this address\n"
            "      --no-reboot        DISCOVER even with an unexpired lease file (default:\n"
            "                         first ask to keep its address, INIT-REBOOT)\n"
            "  -H, --hostname NAME    send NAME (option 12; with --fqdn also option 81)\n"
            "  -C, --client-id ID     option 61: text, or hex bytes 01:aa:bb:... (default\n"
            "                         01 and the MAC address)\n"
            "  -B, --broadcast        ask servers to broadcast their replies\n"
            "      --timeout SECS     give up after SECS (default: after the retries)\n"
            "      --retries N        retransmissions per exchange (default 4)\n"
            "      --backoff MS       first retransmission delay (default 4000, doubling\n"
            "                         to 64 s, +-1 s random, RFC 2131 4.1)\n"
            "      --metric N         default route metric (default 0)\n"
            "  -v                     show every message exchanged (-vv: ignored ones too)\n"
            "Exit status: 0 ok, 1 system error, 2 usage, 3 NAK, 4 timeout, 5 no lease file.\n",
        .extra_short = "as:dl:r:H:C:B",
        .extra_long = longopts,
        .extra = parse_extra,
        .ud = &c.o,
        .default_level = LOG_LVL_WARN,
    };
    struct cli_opts co;
    int rc = cli_parse(&prog, argc, argv, &co);
    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    log_init(prog.name, co.log_level);
    c.verbose = co.log_level > LOG_LVL_WARN;
    c.debug = co.log_level >= LOG_LVL_INFO + 1;
    if (co.test_config) {
        printf("labnet-dhcp: no configuration file is read; options only\n");
        return EXIT_OK;
    }
    if (argc - co.argi != 1) {
        cli_usage(&prog, stderr);
        return EXIT_USAGE;
    }
    c.o.ifname = argv[co.argi];
    if (c.o.persist && c.o.mode_set && c.o.mode != DHCPC_MODE_RENEW &&
        c.o.mode != DHCPC_MODE_REBIND) {
        (void)fprintf(stderr, "labnet-dhcp: -d goes with obtaining, --renew or --rebind only\n");
        return EXIT_USAGE;
    }
    if (c.o.lease_file) {
        (void)snprintf(c.lease_path, sizeof(c.lease_path), "%s", c.o.lease_file);
    } else {
        (void)mkdir("/run/labnet", 0755);
        (void)snprintf(c.lease_path, sizeof(c.lease_path), "/run/labnet/dhcp-%s.lease", c.o.ifname);
    }

    struct dhcpc_conf k = {
        .mode = c.o.mode,
        .persist = c.o.persist,
        .hostname = c.o.hostname,
        .fqdn = c.o.fqdn,
        .broadcast_flag = c.o.broadcast,
        .requested = c.o.requested,
        .backoff_ms = c.o.backoff_ms,
        .backoff_max_ms = c.o.backoff_ms * 16, /* 4 s -> 64 s */
        .jitter_ms = c.o.backoff_ms / 4 < 1000 ? c.o.backoff_ms / 4 : 1000,
        .tries = c.o.tries,
        .timeout_ms = (uint64_t)(c.o.timeout_s * 1000),
        /* Shortened back-off (tests) shortens the 60 s renewal floor too. */
        .renew_min_ms = c.o.backoff_ms < 4000 ? c.o.backoff_ms : 60000,
        .max_naks = 3,
    };
    if ((rc = iface_info(&c, &k)) != 0) {
        (void)fprintf(stderr, "labnet-dhcp: %s: %s\n", c.o.ifname,
                      rc == -EAFNOSUPPORT ? "not an Ethernet interface" : strerror(-rc));
        return EXIT_SYS;
    }
    if (c.o.client_id_set) {
        k.client_id = c.o.client_id;
        k.client_id_len = c.o.client_id_len;
    } else {
        /* RFC 2132 section 9.14: type 1 (Ethernet) and the MAC address. */
        c.o.client_id[0] = DHCP_HTYPE_ETHER;
        memcpy(c.o.client_id + 1, k.chaddr, 6);
        k.client_id = c.o.client_id;
        k.client_id_len = 7;
    }
    if (k.mode == DHCPC_MODE_INFORM && k.ciaddr == 0) {
        (void)fprintf(stderr, "labnet-dhcp: %s has no IPv4 address to --inform about\n",
                      c.o.ifname);
        return EXIT_USAGE;
    }
    if (k.mode != DHCPC_MODE_OBTAIN && k.mode != DHCPC_MODE_INFORM) {
        rc = dhcpc_lease_load(c.lease_path, &k.prev, NULL);
        if (rc != 0) {
            (void)fprintf(stderr, "labnet-dhcp: lease file %s: %s\n", c.lease_path,
                          rc == -EBADMSG ? "not a labnet-dhcp lease" : strerror(-rc));
            return EXIT_NOLEASE;
        }
    }
    if (k.mode == DHCPC_MODE_OBTAIN && !c.o.requested && !c.o.no_reboot)
        reboot_from_lease_file(&c, &k);
    if (getrandom(&k.seed, sizeof(k.seed), 0) != (ssize_t)sizeof(k.seed))
        k.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    if (dhcpc_init(&c.fsm, &k) != 0) {
        (void)fprintf(stderr, "labnet-dhcp: inconsistent options\n");
        return EXIT_USAGE;
    }

    (void)signal(SIGPIPE, SIG_IGN);
    c.raw_fd = dhcpc_raw_open(c.ifindex);
    if (c.raw_fd < 0) {
        (void)fprintf(stderr, "labnet-dhcp: packet socket on %s: %s%s\n", c.o.ifname,
                      strerror(-c.raw_fd), c.raw_fd == -EPERM ? " (needs CAP_NET_RAW)" : "");
        return EXIT_SYS;
    }
    c.udp_fd = dhcpc_udp_open(c.o.ifname);
    if (c.udp_fd < 0)
        log_info("UDP socket on port 68: %s; unicast goes out as broadcast", strerror(-c.udp_fd));

    uv_loop_init(&c.loop);
    uv_poll_init(&c.loop, &c.poll, c.raw_fd);
    uv_timer_init(&c.loop, &c.timer);
    uv_signal_init(&c.loop, &c.sigint);
    uv_signal_init(&c.loop, &c.sigterm);
    c.poll.data = c.timer.data = c.sigint.data = c.sigterm.data = &c;
    uv_poll_start(&c.poll, UV_READABLE, on_readable);
    uv_signal_start(&c.sigint, on_signal, SIGINT);
    uv_signal_start(&c.sigterm, on_signal, SIGTERM);

    static struct dhcpc_out out;
    uv_update_time(&c.loop);
    dhcpc_start(&c.fsm, uv_now(&c.loop), &out);
    handle(&c, &out);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    int lrc = uv_loop_close(&c.loop);
    if (lrc != 0)
        log_warn("loop close: %s", uv_strerror(lrc));
    (void)close(c.raw_fd);
    if (c.udp_fd >= 0)
        (void)close(c.udp_fd);
    return c.exit_code;
}
