#include "dnsd/conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_name.h"
#include "dnsd/localzone.h"
#include "dnsd/ratelimit.h"

/* Rate-limit table size: clients remembered at once (bounded memory,
 * about 40 bytes each). */
#define RATELIMIT_CLIENTS 65536

static void copy_str(struct cfg *cfg, const char *sec, const char *key, const char *v, char *dst,
                     size_t cap)
{
    if (strlen(v) >= cap) {
        cfg_error_at(cfg, sec, key, "longer than %zu characters", cap - 1);
        return;
    }
    memcpy(dst, v, strlen(v) + 1);
}

static void get_u32(struct cfg *cfg, const char *sec, const char *key, int64_t min, int64_t max,
                    uint32_t *out)
{
    int64_t v;
    if (cfg_get_int(cfg, sec, key, min, max, &v) == 0)
        *out = (uint32_t)v;
}

/* A duration in whole seconds (TTLs). */
static void get_secs(struct cfg *cfg, const char *sec, const char *key, uint32_t max_s,
                     uint32_t *out)
{
    uint64_t ms = (uint64_t)*out * 1000;
    if (cfg_get_duration(cfg, sec, key, 0, (uint64_t)max_s * 1000, &ms) == 0)
        *out = (uint32_t)(ms / 1000);
}

static void get_acl(struct cfg *cfg, const char *key, enum acl_action action, struct acl *acl)
{
    struct net_cidr c[ACL_MAX_RULES];
    size_t n = 0;
    if (cfg_get_cidr_list(cfg, "server", key, c, ACL_MAX_RULES, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (acl_rule_add(acl, &c[i], action) != 0) {
            cfg_error_at(cfg, "server", key, "more than %d access rules", ACL_MAX_RULES);
            return;
        }
}

/* [local] zones = lab. 10.in-addr.arpa. */
static void get_zones(struct cfg *cfg, struct localzone *lz)
{
    const char *v;
    if (cfg_get_str(cfg, "local", "zones", &v) != 0)
        return;
    for (const char *p = v;;) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        uint8_t name[DNS_NAME_MAXLEN];
        size_t len;
        if (dns_name_from_text(p, n, name, &len) != 0) {
            cfg_error_at(cfg, "local", "zones", "\"%.*s\" is not a domain name", (int)n, p);
        } else if (localzone_zone_add(lz, name) != 0) {
            cfg_error_at(cfg, "local", "zones", "more than %d zones", LOCALZONE_MAX_ZONES);
            return;
        }
        p += n;
    }
}

static void get_local(struct cfg *cfg, struct dnsd_conf *c)
{
    cfg_section_known(cfg, "local");
    get_zones(cfg, c->local);
    const char *vals[DNSD_MAX_RECORDS];
    int lines[DNSD_MAX_RECORDS];
    size_t n = 0;
    char err[512];
    if (cfg_get_str_list(cfg, "local", "record", vals, lines, DNSD_MAX_RECORDS, &n) == 0)
        for (size_t i = 0; i < n; i++)
            if (localzone_record_parse(c->local, vals[i], err, sizeof(err)) != 0)
                cfg_error_line(cfg, lines[i], "local", "record", "%s", err);
    const char *path;
    if (cfg_get_path(cfg, "local", "hosts-file", &path) == 0 &&
        localzone_hosts_load(c->local, path, err, sizeof(err)) != 0)
        cfg_error_at(cfg, "local", "hosts-file", "%s", err);
    if (localzone_finish(c->local, err, sizeof(err)) != 0)
        cfg_error_at(cfg, "local", cfg_line(cfg, "local", "record") ? "record" : "hosts-file", "%s",
                     err);
}

/* [update] key = [ALG:]NAME:SECRET (repeatable), zones, allow. */
static void get_update(struct cfg *cfg, struct dnsd_conf *c)
{
    cfg_section_known(cfg, "update");
    struct dnsd_update_conf *u = &c->update;
    const char *vals[DNSD_MAX_KEYS];
    int lines[DNSD_MAX_KEYS];
    size_t n = 0;
    if (cfg_get_str_list(cfg, "update", "key", vals, lines, DNSD_MAX_KEYS, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            char err[256];
            if (dns_tsig_key_parse(&u->keys[u->n_keys], vals[i], err, sizeof(err)) != 0) {
                cfg_error_line(cfg, lines[i], "update", "key", "%s", err);
                continue;
            }
            for (size_t k = 0; k < u->n_keys; k++)
                if (dns_name_eq(u->keys[k].name, u->keys[u->n_keys].name))
                    cfg_error_line(cfg, lines[i], "update", "key", "key name given twice");
            u->n_keys++;
        }
    }
    /* Zones: named ones must be local; by default every local zone. */
    const char *v;
    if (cfg_get_str(cfg, "update", "zones", &v) == 0) {
        for (const char *p = v;;) {
            p += strspn(p, ", \t");
            size_t len = strcspn(p, ", \t");
            if (len == 0)
                break;
            uint8_t name[DNS_NAME_MAXLEN];
            size_t nl;
            if (dns_name_from_text(p, len, name, &nl) != 0) {
                cfg_error_at(cfg, "update", "zones", "\"%.*s\" is not a domain name", (int)len, p);
            } else {
                bool local = false;
                dns_name_lower(name);
                for (size_t i = 0; i < localzone_zone_count(c->local); i++)
                    local |= dns_name_eq(localzone_zone_get(c->local, i), name);
                if (!local)
                    cfg_error_at(cfg, "update", "zones", "%.*s is not in [local] zones", (int)len,
                                 p);
                else if (u->n_zones < DNSD_MAX_UPD_ZONES)
                    memcpy(u->zones[u->n_zones++], name, nl);
            }
            p += len;
        }
    } else {
        for (size_t i = 0; i < localzone_zone_count(c->local) && i < DNSD_MAX_UPD_ZONES; i++) {
            const uint8_t *z = localzone_zone_get(c->local, i);
            memcpy(u->zones[u->n_zones++], z, dns_name_len(z));
        }
    }
    /* Senders: loopback and the [server] allow networks unless named. */
    struct net_cidr cidr[ACL_MAX_RULES];
    n = 0;
    int rc = cfg_get_cidr_list(cfg, "update", "allow", cidr, ACL_MAX_RULES, &n);
    if (rc == 0) {
        u->acl.n = 0;
    } else if (rc == -ENOENT) {
        acl_init(&u->acl);
        n = 0;
        if (cfg_get_cidr_list(cfg, "server", "allow", cidr, ACL_MAX_RULES, &n) != 0)
            n = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (acl_rule_add(&u->acl, &cidr[i], ACL_ALLOW) != 0) {
            cfg_error_at(cfg, "update", "allow", "more than %d access rules", ACL_MAX_RULES);
            break;
        }
}

/* [server] state-dir, else $STATE_DIRECTORY (systemd: the first of a
 * colon-separated list), else DNSD_STATE_DIR. */
static void get_state_dir(struct cfg *cfg, struct dnsd_conf *c)
{
    const char *s;
    if (cfg_get_path(cfg, "server", "state-dir", &s) == 0) {
        copy_str(cfg, "server", "state-dir", s, c->state_dir, sizeof(c->state_dir));
        return;
    }
    const char *env = getenv("STATE_DIRECTORY");
    size_t n = env ? strcspn(env, ":") : 0;
    if (n > 0 && n < sizeof(c->state_dir)) {
        memcpy(c->state_dir, env, n);
        c->state_dir[n] = '\0';
    } else {
        memcpy(c->state_dir, DNSD_STATE_DIR, sizeof(DNSD_STATE_DIR));
    }
}

/* [forward NAME.] servers = ADDR[:PORT]... */
static void get_forwards(struct cfg *cfg, struct dnsd_conf *c)
{
    size_t it = 0;
    const char *sec;
    while (cfg_section_next(cfg, &it, &sec)) {
        if (strncmp(sec, "forward ", 8) != 0)
            continue;
        cfg_section_known(cfg, sec);
        const char *zname = sec + 8;
        zname += strspn(zname, " \t");
        if (c->n_forwards == DNSD_MAX_FORWARDS) {
            cfg_error_at(cfg, sec, "servers", "more than %d forward zones", DNSD_MAX_FORWARDS);
            return;
        }
        struct resolver_forward *f = &c->forwards[c->n_forwards];
        memset(f, 0, sizeof(*f));
        size_t len;
        if (dns_name_from_text(zname, strlen(zname), f->zone, &len) != 0) {
            cfg_error_at(cfg, sec, "servers", "\"%s\" is not a domain name", zname);
            continue;
        }
        dns_name_lower(f->zone);
        int rc = cfg_get_addr_list(cfg, sec, "servers", 53, f->servers,
                                   RESOLVER_FORWARD_MAX_SERVERS, &f->nservers);
        if (rc == -ENOENT)
            cfg_error_at(cfg, sec, "servers", "a [forward] section needs servers = ADDR...");
        if (rc != 0)
            continue;
        for (size_t i = 0; i < c->n_forwards; i++)
            if (dns_name_eq(c->forwards[i].zone, f->zone))
                cfg_error_at(cfg, sec, "servers", "zone %s is forwarded twice", zname);
        c->n_forwards++;
    }
}

static int apply_overrides(struct dnsd_conf *c, const struct dnsd_overrides *ov, FILE *errf)
{
    int bad = 0;
    if (ov->n_listen) {
        c->n_listen = 0;
        for (size_t i = 0; i < ov->n_listen && i < DNSD_MAX_LISTEN; i++) {
            if (net_addr_parse_hostport(&c->listen[c->n_listen], ov->listen[i], 53) != 0) {
                if (errf)
                    fprintf(errf, "labnet-dnsd: --listen %s: not an address (e.g. 127.0.0.1:53)\n",
                            ov->listen[i]);
                bad = 1;
                continue;
            }
            c->n_listen++;
        }
    }
    for (size_t i = 0; i < ov->n_allow; i++) {
        struct net_cidr cidr;
        if (net_cidr_parse(&cidr, ov->allow[i]) != 0 ||
            acl_rule_add(&c->acl, &cidr, ACL_ALLOW) != 0) {
            if (errf)
                fprintf(errf, "labnet-dnsd: --allow %s: not a prefix (e.g. 10.0.0.0/8)\n",
                        ov->allow[i]);
            bad = 1;
        }
    }
    if (ov->root_hints)
        copy_str(c->cfg, "resolver", "root-hints", ov->root_hints, c->root_hints,
                 sizeof(c->root_hints));
    if (ov->threads)
        c->threads = ov->threads;
    return bad ? -EINVAL : 0;
}

static void set_defaults(struct dnsd_conf *c)
{
    net_addr_parse_hostport(&c->listen[0], "127.0.0.1:5353", 0);
    net_addr_parse_hostport(&c->listen[1], "[::1]:5353", 0);
    c->n_listen = 2;
    c->threads = 1;
    acl_init(&c->acl);
    c->rate_limit_slip = 2;
    c->edns_size = 1232; /* DNS flag day 2020: no IP fragmentation */
    c->tcp_idle_ms = 10000;
    c->max_tcp = 256;
    c->max_pending = DNSD_DEFAULT_MAX_PENDING;
    c->resolver.timeout_ms = 3000;
    c->resolver.max_referrals = 30;
    c->resolver.max_cname = 12;
    c->resolver.max_upstream = 64;
    c->cache.max_bytes = 64u << 20;
    c->cache.max_ttl = 86400;
    c->cache.neg_max_ttl = 3600;
    c->cache.stale_ttl = 30;
    c->cache.stale_max = 86400;
}

static int load(struct cfg *cfg, const struct dnsd_overrides *ov, FILE *errf,
                struct dnsd_conf **out)
{
    struct dnsd_conf *c = calloc(1, sizeof(*c));
    if (!c) {
        cfg_free(cfg);
        return -ENOMEM;
    }
    atomic_init(&c->refs, 1);
    c->cfg = cfg;
    c->local = localzone_new();
    if (!c->local) {
        dnsd_conf_release(c);
        return -ENOMEM;
    }
    set_defaults(c);

    /* [server] */
    cfg_get_addr_list(cfg, "server", "listen", 53, c->listen, DNSD_MAX_LISTEN, &c->n_listen);
    int64_t v;
    if (cfg_get_int(cfg, "server", "threads", 1, DNSD_MAX_THREADS, &v) == 0)
        c->threads = (unsigned)v;
    get_acl(cfg, "allow", ACL_ALLOW, &c->acl);
    get_acl(cfg, "refuse", ACL_REFUSE, &c->acl);
    get_acl(cfg, "deny", ACL_DENY, &c->acl);
    get_u32(cfg, "server", "rate-limit", 0, 1000000, &c->rate_limit);
    get_u32(cfg, "server", "rate-limit-slip", 0, 100, &c->rate_limit_slip);
    if (cfg_get_int(cfg, "server", "edns-size", 512, 4096, &v) == 0)
        c->edns_size = (uint16_t)v;
    cfg_get_duration(cfg, "server", "tcp-idle-timeout", 100, 3600000, &c->tcp_idle_ms);
    if (cfg_get_int(cfg, "server", "max-tcp-connections", 1, 1000000, &v) == 0)
        c->max_tcp = (uint64_t)v;
    if (cfg_get_int(cfg, "server", "max-pending", 1, 1000000, &v) == 0)
        c->max_pending = (uint32_t)v;
    const char *s;
    if (cfg_get_str(cfg, "server", "user", &s) == 0)
        copy_str(cfg, "server", "user", s, c->user, sizeof(c->user));
    if (cfg_get_path(cfg, "server", "pid-file", &s) == 0)
        copy_str(cfg, "server", "pid-file", s, c->pid_file, sizeof(c->pid_file));

    /* [resolver] */
    if (cfg_get_path(cfg, "resolver", "root-hints", &s) == 0)
        copy_str(cfg, "resolver", "root-hints", s, c->root_hints, sizeof(c->root_hints));
    uint64_t ms = c->resolver.timeout_ms;
    if (cfg_get_duration(cfg, "resolver", "timeout", 100, 60000, &ms) == 0)
        c->resolver.timeout_ms = (unsigned)ms;
    uint32_t u = c->resolver.max_referrals;
    get_u32(cfg, "resolver", "max-referrals", 1, 100, &u);
    c->resolver.max_referrals = u;
    u = c->resolver.max_cname;
    get_u32(cfg, "resolver", "max-cname", 1, 64, &u);
    c->resolver.max_cname = u;
    u = c->resolver.max_upstream;
    get_u32(cfg, "resolver", "max-upstream", 1, 1000, &u);
    c->resolver.max_upstream = u;
    cfg_get_bool(cfg, "resolver", "use-0x20", &c->resolver.use_0x20);
    cfg_get_bool(cfg, "resolver", "prefetch", &c->resolver.prefetch);

    /* [cache] */
    uint64_t size = c->cache.max_bytes;
    if (cfg_get_size(cfg, "cache", "size", 64u << 10, (uint64_t)1 << 40, &size) == 0)
        c->cache.max_bytes = (size_t)size;
    get_secs(cfg, "cache", "min-ttl", 86400, &c->cache.min_ttl);
    get_secs(cfg, "cache", "max-ttl", 7 * 86400, &c->cache.max_ttl);
    get_secs(cfg, "cache", "neg-max-ttl", 86400, &c->cache.neg_max_ttl);
    cfg_get_bool(cfg, "cache", "serve-stale", &c->cache.serve_stale);
    if (c->cache.min_ttl > c->cache.max_ttl)
        cfg_error_at(cfg, "cache", "min-ttl", "is above max-ttl (%u s)", c->cache.max_ttl);

    get_local(cfg, c);
    get_update(cfg, c);
    get_state_dir(cfg, c);
    get_forwards(cfg, c);
    int orc = ov ? apply_overrides(c, ov, errf) : 0;
    if (c->n_listen == 0)
        cfg_error_at(cfg, "server", "listen", "no address to listen on");

    c->resolver.root_hints = c->root_hints[0] ? c->root_hints : NULL;
    c->resolver.forwards = c->forwards;
    c->resolver.nforwards = c->n_forwards;
    int rc = cfg_finish(cfg);
    if (rc != 0 || orc != 0) {
        if (errf)
            cfg_errors_print(cfg, errf);
        dnsd_conf_release(c);
        return -EINVAL;
    }
    if (c->rate_limit) {
        c->rl = ratelimit_new(c->rate_limit, c->rate_limit_slip, RATELIMIT_CLIENTS);
        if (!c->rl) {
            dnsd_conf_release(c);
            return -ENOMEM;
        }
    }
    *out = c;
    return 0;
}

int dnsd_conf_load(const char *path, const struct dnsd_overrides *ov, FILE *errf,
                   struct dnsd_conf **out)
{
    struct cfg *cfg = cfg_new();
    if (!cfg)
        return -ENOMEM;
    if (path)
        cfg_load_file(cfg, path);
    return load(cfg, ov, errf, out);
}

int dnsd_conf_load_string(const char *name, const char *text, const struct dnsd_overrides *ov,
                          FILE *errf, struct dnsd_conf **out)
{
    struct cfg *cfg = cfg_new();
    if (!cfg)
        return -ENOMEM;
    cfg_load_string(cfg, name, text);
    return load(cfg, ov, errf, out);
}

struct dnsd_conf *dnsd_conf_retain(struct dnsd_conf *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void dnsd_conf_release(struct dnsd_conf *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        localzone_free(c->local);
        ratelimit_free(c->rl);
        cfg_free(c->cfg);
        free(c);
    }
}
