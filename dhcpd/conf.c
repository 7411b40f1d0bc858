#include "dhcpd/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/dhcp_msg.h"
#include "common/dhcp_opt.h"
#include "common/wire.h"

#define DAY_MS (86400ull * 1000)

static uint32_t h(uint32_t net_order)
{
    return ntohl(net_order);
}

static int parse_ip4(const char *s, uint32_t *out)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        return -EINVAL;
    *out = a.s_addr;
    return 0;
}

/* "A-B" or a single address. */
static int parse_range(const char *s, struct dhcpd_pool *p)
{
    char a[32], b[32];
    const char *dash = strchr(s, '-');
    if (!dash) {
        if (parse_ip4(s, &p->first) != 0)
            return -EINVAL;
        p->last = p->first;
        return 0;
    }
    size_t n = (size_t)(dash - s);
    if (n >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
        return -EINVAL;
    memcpy(a, s, n);
    a[n] = '\0';
    snprintf(b, sizeof(b), "%s", dash + 1);
    /* Tolerate "A - B". */
    char *as = a + strspn(a, " \t"), *bs = b + strspn(b, " \t");
    as[strcspn(as, " \t")] = '\0';
    bs[strcspn(bs, " \t")] = '\0';
    if (parse_ip4(as, &p->first) != 0 || parse_ip4(bs, &p->last) != 0)
        return -EINVAL;
    return h(p->first) <= h(p->last) ? 0 : -EINVAL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "01:02:0a" (colons optional between pairs): bytes into out[0..cap). */
static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    size_t k = 0;
    while (*s) {
        int hi = hexval(s[0]), lo = hi >= 0 ? hexval(s[1]) : -1;
        if (hi < 0 || lo < 0 || k == cap)
            return -EINVAL;
        out[k++] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (*s == ':' || *s == '-')
            s++;
    }
    *n = k;
    return k ? 0 : -EINVAL;
}

static int add_opt(struct dhcpd_subnet *s, uint8_t code, const void *val, size_t len)
{
    size_t used = s->n_opts ? s->opts[s->n_opts - 1].off + s->opts[s->n_opts - 1].len : 0;
    if (s->n_opts == DHCPD_MAX_OPTS || len > sizeof(s->optbuf) - used)
        return -E2BIG;
    memcpy(s->optbuf + used, val, len);
    s->opts[s->n_opts++] = (struct dhcpd_optref){code, (uint16_t)used, (uint16_t)len};
    return 0;
}

/* An address list key (router, dns, ntp) into option code. */
static void get_addr_opt(struct cfg *cfg, const char *sec, const char *key, uint8_t code,
                         struct dhcpd_subnet *s)
{
    struct net_addr a[DHCPD_MAX_LIST];
    size_t n = 0;
    if (cfg_get_addr_list(cfg, sec, key, 0, a, DHCPD_MAX_LIST, &n) != 0)
        return;
    uint8_t val[4 * DHCPD_MAX_LIST];
    for (size_t i = 0; i < n; i++) {
        if (a[i].family != AF_INET || a[i].port != 0) {
            cfg_error_at(cfg, sec, key, "IPv4 addresses only, without a port");
            return;
        }
        memcpy(val + 4 * i, a[i].ip, 4);
    }
    if (add_opt(s, code, val, 4 * n) != 0)
        cfg_error_at(cfg, sec, key, "too many option bytes for one subnet");
}

static void get_text_opt(struct cfg *cfg, const char *sec, const char *key, uint8_t code,
                         struct dhcpd_subnet *s)
{
    const char *v;
    if (cfg_get_str(cfg, sec, key, &v) != 0)
        return;
    if (!*v || strlen(v) > 255)
        cfg_error_at(cfg, sec, key, "1..255 characters");
    else if (add_opt(s, code, v, strlen(v)) != 0)
        cfg_error_at(cfg, sec, key, "too many option bytes for one subnet");
    else if (code == DHCP_OPT_DOMAIN_NAME)
        snprintf(s->domain, sizeof(s->domain), "%s", v);
}

/* search = a.example, b.example  ->  option 119 (RFC 3397). */
static void get_search(struct cfg *cfg, const char *sec, struct dhcpd_subnet *s)
{
    const char *v;
    if (cfg_get_str(cfg, sec, "search", &v) != 0)
        return;
    char copy[200];
    snprintf(copy, sizeof(copy), "%s", v);
    const char *names[DHCPD_MAX_LIST];
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (n == DHCPD_MAX_LIST) {
            cfg_error_at(cfg, sec, "search", "more than %d names", DHCPD_MAX_LIST);
            return;
        }
        names[n++] = t;
    }
    uint8_t val[DHCPD_OPTBUF];
    struct wire_wr w;
    wire_wr_init(&w, val, sizeof(val));
    if (n == 0 || dhcp_opt_search_encode(&w, names, n) != 0 || !wire_wr_ok(&w))
        cfg_error_at(cfg, sec, "search", "expected domain names separated by commas");
    else if (add_opt(s, DHCP_OPT_DOMAIN_SEARCH, val, wire_wr_len(&w)) != 0)
        cfg_error_at(cfg, sec, "search", "too many option bytes for one subnet");
}

/* route = 192.168.0.0/16 10.0.0.254  (repeatable)  ->  option 121. */
static void get_routes(struct cfg *cfg, const char *sec, struct dhcpd_subnet *s)
{
    const char *vals[DHCPD_MAX_ROUTES];
    int lines[DHCPD_MAX_ROUTES];
    size_t n = 0;
    if (cfg_get_str_list(cfg, sec, "route", vals, lines, DHCPD_MAX_ROUTES, &n) != 0)
        return;
    struct dhcp_route r[DHCPD_MAX_ROUTES];
    for (size_t i = 0; i < n; i++) {
        char dst[64], gw[64], junk[2];
        struct net_cidr c;
        if (sscanf(vals[i], "%63s %63s %1s", dst, gw, junk) != 2 || net_cidr_parse(&c, dst) != 0 ||
            c.addr.family != AF_INET || parse_ip4(gw, &r[i].router) != 0) {
            cfg_error_line(cfg, lines[i], sec, "route", "expected \"CIDR ROUTER\", got \"%s\"",
                           vals[i]);
            return;
        }
        memcpy(&r[i].dest, c.addr.ip, 4);
        r[i].prefix = c.prefix;
    }
    uint8_t val[DHCPD_MAX_ROUTES * 9];
    struct wire_wr w;
    wire_wr_init(&w, val, sizeof(val));
    if (dhcp_opt_routes_encode(&w, r, n) != 0 || !wire_wr_ok(&w) ||
        add_opt(s, DHCP_OPT_CLASSLESS_ROUTES, val, wire_wr_len(&w)) != 0)
        cfg_error_at(cfg, sec, "route", "cannot encode the routes");
}

static void get_lease_times(struct cfg *cfg, const char *sec, struct dhcpd_subnet *s)
{
    uint64_t ms;
    s->lease_s = 3600;
    s->max_lease_s = 86400;
    /* Down to 1s: short leases are for tests and labs (DDNS expiry). */
    if (cfg_get_duration(cfg, sec, "lease-time", 1000, 365 * DAY_MS, &ms) == 0)
        s->lease_s = (uint32_t)(ms / 1000);
    if (cfg_get_duration(cfg, sec, "max-lease-time", 60000, 365 * DAY_MS, &ms) == 0)
        s->max_lease_s = (uint32_t)(ms / 1000);
    if (s->max_lease_s < s->lease_s)
        s->max_lease_s = s->lease_s;
    if (cfg_get_duration(cfg, sec, "t1", 1000, 365 * DAY_MS, &ms) == 0)
        s->t1_s = (uint32_t)(ms / 1000);
    if (cfg_get_duration(cfg, sec, "t2", 1000, 365 * DAY_MS, &ms) == 0)
        s->t2_s = (uint32_t)(ms / 1000);
    /* RFC 2131 4.4.5: T1 < T2 < lease. */
    if ((s->t1_s && s->t1_s >= s->lease_s) || (s->t2_s && s->t2_s >= s->lease_s) ||
        (s->t1_s && s->t2_s && s->t1_s >= s->t2_s))
        cfg_error_at(cfg, sec, s->t2_s ? "t2" : "t1", "needs t1 < t2 < lease-time");
}

/* The options every subnet carries; 1 (mask) and 28 (broadcast) come from
 * the prefix itself. */
static void get_subnet_opts(struct cfg *cfg, const char *sec, struct dhcpd_subnet *s)
{
    uint32_t bcast = s->net | ~s->mask;
    add_opt(s, DHCP_OPT_SUBNET_MASK, &s->mask, 4);
    add_opt(s, DHCP_OPT_BROADCAST, &bcast, 4);
    get_addr_opt(cfg, sec, "router", DHCP_OPT_ROUTERS, s);
    get_addr_opt(cfg, sec, "dns", DHCP_OPT_DNS_SERVERS, s);
    get_text_opt(cfg, sec, "domain", DHCP_OPT_DOMAIN_NAME, s);
    get_search(cfg, sec, s);
    get_addr_opt(cfg, sec, "ntp", DHCP_OPT_NTP_SERVERS, s);
    get_routes(cfg, sec, s);
}

static int subnet_init(struct dhcpd_subnet *s, const struct net_cidr *c)
{
    if (c->addr.family != AF_INET || c->prefix < 8 || c->prefix > 30)
        return -EINVAL;
    memset(s, 0, sizeof(*s));
    memcpy(&s->net, c->addr.ip, 4);
    s->prefix = c->prefix;
    s->mask = htonl(~0u << (32 - c->prefix));
    return 0;
}

bool dhcpd_subnet_in_pool(const struct dhcpd_subnet *s, uint32_t addr)
{
    for (size_t i = 0; i < s->n_pools; i++)
        if (h(addr) >= h(s->pools[i].first) && h(addr) <= h(s->pools[i].last))
            return true;
    return false;
}

static bool in_subnet(const struct dhcpd_subnet *s, uint32_t addr)
{
    return (addr & s->mask) == s->net;
}

/* A pool inside the subnet, sparing its network and broadcast addresses. */
static int pool_check(const struct dhcpd_subnet *s, const struct dhcpd_pool *p)
{
    uint32_t bcast = s->net | ~s->mask;
    if (!in_subnet(s, p->first) || !in_subnet(s, p->last) || p->first == s->net || p->last == bcast)
        return -EINVAL;
    return 0;
}

static void get_pools(struct cfg *cfg, const char *sec, struct dhcpd_subnet *s)
{
    const char *vals[DHCPD_MAX_POOLS];
    int lines[DHCPD_MAX_POOLS];
    size_t n = 0;
    if (cfg_get_str_list(cfg, sec, "pool", vals, lines, DHCPD_MAX_POOLS, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct dhcpd_pool p;
        if (parse_range(vals[i], &p) != 0 || pool_check(s, &p) != 0) {
            cfg_error_line(cfg, lines[i], sec, "pool",
                           "expected FIRST-LAST inside the subnet (not its network or "
                           "broadcast address), got \"%s\"",
                           vals[i]);
            continue;
        }
        s->pools[s->n_pools++] = p;
    }
}

static void load_subnet(struct cfg *cfg, const char *sec, struct dhcpd_conf *c)
{
    struct net_cidr cidr;
    if (c->n_subnets == DHCPD_MAX_SUBNETS) {
        cfg_error_line(cfg, 0, sec, NULL, "[%s]: more than %d subnets", sec, DHCPD_MAX_SUBNETS);
        return;
    }
    struct dhcpd_subnet *s = &c->subnets[c->n_subnets];
    if (net_cidr_parse(&cidr, sec + strlen("subnet ")) != 0 || subnet_init(s, &cidr) != 0) {
        cfg_error_line(cfg, 0, sec, NULL, "[%s]: expected [subnet A.B.C.D/N] with N in 8..30", sec);
        return;
    }
    cfg_section_known(cfg, sec);
    get_pools(cfg, sec, s);
    get_lease_times(cfg, sec, s);
    get_subnet_opts(cfg, sec, s);
    c->n_subnets++;
}

static void load_host(struct cfg *cfg, const char *sec, struct dhcpd_conf *c)
{
    const char *name = sec + strlen("host ");
    const char *v;
    if (c->n_hosts == DHCPD_MAX_HOSTS) {
        cfg_error_line(cfg, 0, sec, NULL, "[%s]: more than %d hosts", sec, DHCPD_MAX_HOSTS);
        return;
    }
    cfg_section_known(cfg, sec);
    struct dhcpd_host *ho = &c->hosts[c->n_hosts];
    memset(ho, 0, sizeof(*ho));
    snprintf(ho->name, sizeof(ho->name), "%s", name);
    size_t n;
    if (cfg_get_str(cfg, sec, "mac", &v) == 0) {
        if (parse_hex(v, ho->mac, sizeof(ho->mac), &n) != 0 || n != 6)
            cfg_error_at(cfg, sec, "mac", "expected six hex bytes like 02:00:00:00:00:01");
        else
            ho->has_mac = true;
    }
    if (cfg_get_str(cfg, sec, "client-id", &v) == 0) {
        if (parse_hex(v, ho->client_id, sizeof(ho->client_id), &n) != 0 || n < 2)
            cfg_error_at(cfg, sec, "client-id", "expected 2..%d hex bytes (type byte first)",
                         DHCPD_CLIENT_ID_MAX);
        else
            ho->client_id_len = n;
    }
    if (cfg_get_str(cfg, sec, "address", &v) != 0 || parse_ip4(v, &ho->addr) != 0) {
        cfg_error_at(cfg, sec, "address", "an IPv4 address is required");
        return;
    }
    if (cfg_get_str(cfg, sec, "hostname", &v) == 0) {
        if (!*v || strlen(v) > DHCPD_HOSTNAME_MAX)
            cfg_error_at(cfg, sec, "hostname", "1..%d characters", DHCPD_HOSTNAME_MAX);
        else
            snprintf(ho->hostname, sizeof(ho->hostname), "%s", v);
    }
    if (!ho->has_mac && !ho->client_id_len) {
        cfg_error_line(cfg, 0, sec, NULL, "[%s]: a host needs mac or client-id", sec);
        return;
    }
    c->n_hosts++;
}

static void load_server(struct cfg *cfg, struct dhcpd_conf *c)
{
    const char *v;
    uint64_t ms;
    cfg_section_known(cfg, "server");
    if (cfg_get_str(cfg, "server", "interfaces", &v) == 0) {
        char copy[200];
        snprintf(copy, sizeof(copy), "%s", v);
        char *save = NULL;
        for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
            if (c->n_ifaces == DHCPD_MAX_IFACES || strlen(t) >= IF_NAMESIZE) {
                cfg_error_at(cfg, "server", "interfaces", "at most %d names of up to %d bytes",
                             DHCPD_MAX_IFACES, IF_NAMESIZE - 1);
                break;
            }
            snprintf(c->ifaces[c->n_ifaces++], IF_NAMESIZE, "%s", t);
        }
    }
    if (cfg_get_path(cfg, "server", "state-dir", &v) == 0)
        snprintf(c->state_dir, sizeof(c->state_dir), "%s", v);
    if (cfg_get_str(cfg, "server", "user", &v) == 0)
        snprintf(c->user, sizeof(c->user), "%s", v);
    if (cfg_get_path(cfg, "server", "pid-file", &v) == 0)
        snprintf(c->pid_file, sizeof(c->pid_file), "%s", v);
    if (cfg_get_duration(cfg, "server", "offer-hold", 1000, 120000, &ms) == 0)
        c->offer_hold_s = (uint32_t)(ms / 1000);
    if (cfg_get_duration(cfg, "server", "decline-quarantine", 1000, DAY_MS, &ms) == 0)
        c->decline_quarantine_s = (uint32_t)(ms / 1000);
    cfg_get_bool(cfg, "server", "ping-check", &c->ping_check);
    if (cfg_get_duration(cfg, "server", "ping-timeout", 10, 5000, &ms) == 0)
        c->ping_timeout_ms = (uint32_t)ms;
}

/* A zone name for [ddns]: absolute or not, stored in wire form. */
static void get_zone(struct cfg *cfg, const char *key, uint8_t *out, bool *has)
{
    const char *v;
    size_t n;
    if (cfg_get_str(cfg, "ddns", key, &v) != 0)
        return;
    if (dns_name_from_text(v, strlen(v), out, &n) != 0 || n < 2)
        cfg_error_at(cfg, "ddns", key, "expected a domain name like lab.example., got \"%s\"", v);
    else
        *has = true;
    dns_name_lower(out);
}

static void load_ddns(struct cfg *cfg, struct dhcpd_conf *c)
{
    struct dhcpd_ddns_conf *d = &c->ddns;
    const char *v;
    int64_t ttl;
    cfg_section_known(cfg, "ddns");
    d->ttl_s = 300;
    get_zone(cfg, "forward-zone", d->fwd_zone, &d->has_fwd_zone);
    get_zone(cfg, "reverse-zone", d->rev_zone, &d->has_rev_zone);
    if (d->has_rev_zone) {
        static const uint8_t arpa[] = "\007in-addr\004arpa";
        if (!dns_name_is_sub(d->rev_zone, arpa))
            cfg_error_at(cfg, "ddns", "reverse-zone", "must lie under in-addr.arpa.");
    }
    if (cfg_get_int(cfg, "ddns", "ttl", 0, 604800, &ttl) == 0)
        d->ttl_s = (uint32_t)ttl;
    bool has_key = false;
    if (cfg_get_str(cfg, "ddns", "key", &v) == 0) {
        char why[128] = "";
        if (dns_tsig_key_parse(&d->key, v, why, sizeof(why)) != 0)
            cfg_error_at(cfg, "ddns", "key", "expected hmac-sha256:NAME:BASE64SECRET: %s", why);
        else
            has_key = true;
    }
    if (cfg_get_addr(cfg, "ddns", "server", 53, &d->server) == 0) {
        if (!has_key && cfg_line(cfg, "ddns", "key") == 0)
            cfg_error_at(cfg, "ddns", "server",
                         "needs key = hmac-sha256:NAME:SECRET (updates are always signed)");
        d->enabled = has_key;
    }
}

static void defaults(struct dhcpd_conf *c)
{
    const char *sd = getenv("STATE_DIRECTORY");
    /* systemd may pass several directories separated by ':'; the first is
     * ours. */
    if (sd && *sd)
        snprintf(c->state_dir, sizeof(c->state_dir), "%.*s", (int)strcspn(sd, ":"), sd);
    else
        snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/labnet");
    c->offer_hold_s = 5;
    c->decline_quarantine_s = 600;
    c->ping_timeout_ms = 300;
}

/* The command-line quick setup replaces the file's subnets with one. */
static int apply_overrides(const struct dhcpd_overrides *ov, struct dhcpd_conf *c)
{
    if (ov->state_dir)
        snprintf(c->state_dir, sizeof(c->state_dir), "%s", ov->state_dir);
    if (ov->iface) {
        if (strlen(ov->iface) >= IF_NAMESIZE || c->n_ifaces == DHCPD_MAX_IFACES) {
            fprintf(stderr, "labnet-dhcpd: --interface %s: bad interface name\n", ov->iface);
            return -EINVAL;
        }
        snprintf(c->ifaces[c->n_ifaces++], IF_NAMESIZE, "%s", ov->iface);
    }
    if (!ov->subnet) {
        if (ov->pool || ov->router || ov->dns) {
            fprintf(stderr, "labnet-dhcpd: --pool, --router and --dns need --subnet\n");
            return -EINVAL;
        }
        return 0;
    }
    /* Build the subnet through the same INI code, so both paths check the
     * same things. */
    char text[1024];
    int n = snprintf(text, sizeof(text), "[subnet %s]\npool = %s\n%s%s%s%s%s%s", ov->subnet,
                     ov->pool ? ov->pool : "", ov->router ? "router = " : "",
                     ov->router ? ov->router : "", ov->router ? "\n" : "", ov->dns ? "dns = " : "",
                     ov->dns ? ov->dns : "", ov->dns ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof(text) || strchr(ov->subnet, '\n') ||
        (ov->pool && strchr(ov->pool, '\n'))) {
        fprintf(stderr, "labnet-dhcpd: command-line subnet too long\n");
        return -EINVAL;
    }
    struct cfg *cfg = cfg_new();
    if (!cfg)
        return -ENOMEM;
    cfg_load_string(cfg, "command line", text);
    c->n_subnets = 0;
    size_t it = 0;
    const char *sec;
    while (cfg_section_next(cfg, &it, &sec))
        load_subnet(cfg, sec, c);
    int rc = cfg_finish(cfg);
    if (rc == 0 && (c->n_subnets != 1 || c->subnets[0].n_pools == 0)) {
        fprintf(stderr, "labnet-dhcpd: --subnet needs --pool FIRST-LAST inside it\n");
        rc = -EINVAL;
    }
    if (rc != 0)
        cfg_errors_print(cfg, stderr);
    cfg_free(cfg);
    return rc;
}

/* Checks across sections: no overlapping subnets, reservations inside a
 * subnet, no address reserved twice, a bounded number of addresses. */
static void cross_check(struct cfg *cfg, struct dhcpd_conf *c)
{
    uint64_t total = 0;
    for (size_t i = 0; i < c->n_subnets; i++) {
        const struct dhcpd_subnet *s = &c->subnets[i];
        for (size_t j = 0; j < i; j++) {
            const struct dhcpd_subnet *o = &c->subnets[j];
            uint32_t m = h(s->mask) < h(o->mask) ? s->mask : o->mask;
            if ((s->net & m) == (o->net & m))
                cfg_error_line(cfg, 0, NULL, NULL, "subnets %zu and %zu overlap", j + 1, i + 1);
        }
        for (size_t p = 0; p < s->n_pools; p++)
            total += h(s->pools[p].last) - h(s->pools[p].first) + 1;
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        char sec[DHCPD_HOSTNAME_MAX + 8];
        snprintf(sec, sizeof(sec), "host %s", c->hosts[i].name);
        if (!dhcpd_conf_subnet_of(c, c->hosts[i].addr))
            cfg_error_at(cfg, sec, "address", "not inside any [subnet]");
        for (size_t j = 0; j < i; j++)
            if (c->hosts[j].addr == c->hosts[i].addr)
                cfg_error_at(cfg, sec, "address", "also reserved by [host %s]", c->hosts[j].name);
        total++;
    }
    if (total > DHCPD_MAX_ADDRS)
        cfg_error_line(cfg, 0, NULL, NULL, "pools and hosts hold %llu addresses, more than %d",
                       (unsigned long long)total, DHCPD_MAX_ADDRS);
}

static int load(const char *path, const char *text, const struct dhcpd_overrides *ov,
                struct dhcpd_conf **out)
{
    struct dhcpd_conf *c = calloc(1, sizeof(*c));
    struct cfg *cfg = cfg_new();
    if (c)
        c->hosts = calloc(DHCPD_MAX_HOSTS, sizeof(*c->hosts));
    if (!c || !cfg || !c->hosts) {
        dhcpd_conf_free(c);
        cfg_free(cfg);
        return -ENOMEM;
    }
    defaults(c);
    if (path)
        cfg_load_file(cfg, path);
    else if (text)
        cfg_load_string(cfg, "dhcpd.conf", text);
    load_server(cfg, c);
    load_ddns(cfg, c);
    size_t it = 0;
    const char *sec;
    while (cfg_section_next(cfg, &it, &sec)) {
        if (strncmp(sec, "subnet ", 7) == 0)
            load_subnet(cfg, sec, c);
        else if (strncmp(sec, "host ", 5) == 0)
            load_host(cfg, sec, c);
    }
    int rc = cfg_finish(cfg);
    if (rc == 0 && ov)
        rc = apply_overrides(ov, c);
    if (rc == 0) {
        cross_check(cfg, c);
        if (cfg_error_count(cfg))
            rc = -EINVAL;
    }
    if (rc == -EINVAL && cfg_error_count(cfg))
        cfg_errors_print(cfg, stderr);
    cfg_free(cfg);
    if (rc != 0) {
        dhcpd_conf_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int dhcpd_conf_load(const char *path, const struct dhcpd_overrides *ov, struct dhcpd_conf **out)
{
    return load(path, NULL, ov, out);
}

int dhcpd_conf_load_string(const char *text, const struct dhcpd_overrides *ov,
                           struct dhcpd_conf **out)
{
    return load(NULL, text, ov, out);
}

void dhcpd_conf_free(struct dhcpd_conf *c)
{
    if (!c)
        return;
    free(c->hosts);
    free(c);
}

const struct dhcpd_subnet *dhcpd_conf_subnet_of(const struct dhcpd_conf *c, uint32_t addr)
{
    for (size_t i = 0; i < c->n_subnets; i++)
        if (in_subnet(&c->subnets[i], addr))
            return &c->subnets[i];
    return NULL;
}

const struct dhcpd_host *dhcpd_conf_host_find(const struct dhcpd_conf *c, const uint8_t *cid,
                                              size_t cid_len, uint8_t htype, uint8_t hlen,
                                              const uint8_t *chaddr)
{
    /* RFC 2131 4.2: the client identifier, when present, names the client;
     * the hardware address only stands in for it. */
    if (cid && cid_len)
        for (size_t i = 0; i < c->n_hosts; i++)
            if (c->hosts[i].client_id_len == cid_len &&
                memcmp(c->hosts[i].client_id, cid, cid_len) == 0)
                return &c->hosts[i];
    if (htype == DHCP_HTYPE_ETHER && hlen == 6)
        for (size_t i = 0; i < c->n_hosts; i++)
            if (c->hosts[i].has_mac && memcmp(c->hosts[i].mac, chaddr, 6) == 0)
                return &c->hosts[i];
    return NULL;
}

const struct dhcpd_host *dhcpd_conf_host_of_addr(const struct dhcpd_conf *c, uint32_t addr)
{
    for (size_t i = 0; i < c->n_hosts; i++)
        if (c->hosts[i].addr == addr)
            return &c->hosts[i];
    return NULL;
}
