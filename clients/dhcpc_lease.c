/*
 * dhcpc_lease: lease extraction from a reply, and its printers.  See
 * dhcpc_lease.h.
 */
#include "clients/dhcpc_lease.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clients/atomic_file.h"
#include "common/dhcp_opt.h"

int dhcpc_lease_prefix(uint32_t mask)
{
    uint32_t m = ntohl(mask);
    int n = 0;
    while (n < 32 && (m & (0x80000000u >> n)))
        n++;
    /* Contiguous: nothing set after the first zero bit. */
    if (n < 32 && (m << n) != 0)
        return -1;
    return n;
}

bool dhcpc_lease_addr_usable(uint32_t addr)
{
    uint32_t a = ntohl(addr);
    uint32_t top = a >> 24;
    /* RFC 1122 section 3.2.1.3 and RFC 6890: "this network", loopback,
     * multicast and class E are never a host's own address. */
    return top != 0 && top != 127 && top < 224;
}

/* RFC 1122 section 3.2.1.3 classful default, for the rare server that
 * leaves option 1 out. */
static uint32_t classful_mask(uint32_t addr)
{
    uint32_t a = ntohl(addr);
    if (a < 0x80000000u)
        return htonl(0xff000000u);
    if (a < 0xc0000000u)
        return htonl(0xffff0000u);
    return htonl(0xffffff00u);
}

static void get_text(const struct dhcp_msg *m, uint8_t code, uint8_t *out, size_t *out_len)
{
    uint8_t scratch[1024];
    const uint8_t *val, *text;
    size_t len, tlen;
    *out_len = 0;
    if (dhcp_msg_opt_get(m, code, scratch, sizeof(scratch), &val, &len) != 0)
        return;
    if (dhcp_opt_text_decode(val, len, &text, &tlen) != 0)
        return;
    if (tlen > DHCPC_TEXT_MAX)
        tlen = DHCPC_TEXT_MAX;
    memcpy(out, text, tlen);
    *out_len = tlen;
}

static void get_addrs(const struct dhcp_msg *m, uint8_t code, uint32_t *out, size_t cap, size_t *n)
{
    uint8_t scratch[1024];
    const uint8_t *val;
    size_t len;
    *n = 0;
    if (dhcp_msg_opt_get(m, code, scratch, sizeof(scratch), &val, &len) != 0 ||
        dhcp_opt_addrs_decode(val, len, out, cap, n) != 0)
        *n = 0;
}

int dhcpc_lease_from_msg(struct dhcpc_lease *l, const struct dhcp_msg *m, uint32_t ciaddr_fallback,
                         bool need_lease_time)
{
    memset(l, 0, sizeof(*l));
    l->addr = m->yiaddr ? m->yiaddr : ciaddr_fallback;
    int rc = dhcp_msg_get_addr(m, DHCP_OPT_SERVER_ID, &l->server_id);
    if (rc == -EBADMSG)
        return -EBADMSG;
    rc = dhcp_msg_get_u32(m, DHCP_OPT_LEASE_TIME, &l->lease_s);
    if (rc == -EBADMSG || (rc == -ENOENT && need_lease_time))
        return -EBADMSG;
    if (dhcp_msg_get_addr(m, DHCP_OPT_SUBNET_MASK, &l->mask) != 0 ||
        dhcpc_lease_prefix(l->mask) < 0)
        l->mask = classful_mask(l->addr);
    if (dhcp_msg_get_addr(m, DHCP_OPT_BROADCAST, &l->broadcast) != 0)
        l->broadcast = l->addr | ~l->mask;
    get_addrs(m, DHCP_OPT_ROUTERS, l->routers, DHCPC_MAX_ROUTERS, &l->n_routers);
    get_addrs(m, DHCP_OPT_DNS_SERVERS, l->dns, DHCPC_MAX_DNS, &l->n_dns);
    get_text(m, DHCP_OPT_DOMAIN_NAME, l->domain, &l->domain_len);
    get_text(m, DHCP_OPT_HOST_NAME, l->hostname, &l->hostname_len);

    /* RFC 2131 section 4.4.5: T1 defaults to half the lease, T2 to 7/8;
     * values that are not T1 <= T2 <= lease are as good as absent. */
    uint64_t lease = l->lease_s;
    uint32_t t1 = 0, t2 = 0;
    bool have_t1 = dhcp_msg_get_u32(m, DHCP_OPT_T1, &t1) == 0;
    bool have_t2 = dhcp_msg_get_u32(m, DHCP_OPT_T2, &t2) == 0;
    if (l->lease_s == DHCPC_LEASE_INFINITE) {
        l->t1_s = l->t2_s = DHCPC_LEASE_INFINITE;
        return 0;
    }
    if (!have_t2 || t2 > lease)
        t2 = (uint32_t)(lease * 7 / 8);
    if (!have_t1 || t1 > t2)
        t1 = (uint32_t)(lease / 2);
    if (t1 > t2)
        t1 = t2;
    l->t1_s = t1;
    l->t2_s = t2;
    return 0;
}

static const char *ip(uint32_t a, char *buf)
{
    struct in_addr in = {.s_addr = a};
    return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* Single quotes make every byte literal to a POSIX shell; a quote inside
 * closes, adds an escaped one and reopens. */
static void shell_quote(FILE *f, const uint8_t *s, size_t n)
{
    (void)fputc('\'', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            (void)fputs("'\\''", f);
        else
            (void)fputc(s[i], f);
    }
    (void)fputc('\'', f);
}

static void shell_var(FILE *f, const char *name, const char *value)
{
    (void)fprintf(f, "%s=", name);
    shell_quote(f, (const uint8_t *)value, strlen(value));
    (void)fputc('\n', f);
}

static void addr_list(char *out, size_t cap, const uint32_t *a, size_t n, const char *sep)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char b[INET_ADDRSTRLEN];
        int w = snprintf(out + used, cap - used, "%s%s", i ? sep : "", ip(a[i], b));
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

int dhcpc_lease_print_shell(FILE *f, const struct dhcpc_lease *l, const char *ifname)
{
    char b[INET_ADDRSTRLEN], list[DHCPC_MAX_DNS * 16 + 1], num[16];
    shell_var(f, "interface", ifname);
    shell_var(f, "ip", ip(l->addr, b));
    shell_var(f, "subnet", ip(l->mask, b));
    (void)snprintf(num, sizeof(num), "%d", dhcpc_lease_prefix(l->mask));
    shell_var(f, "mask", num);
    shell_var(f, "broadcast", ip(l->broadcast, b));
    addr_list(list, sizeof(list), l->routers, l->n_routers, " ");
    shell_var(f, "router", list);
    addr_list(list, sizeof(list), l->dns, l->n_dns, " ");
    shell_var(f, "dns", list);
    (void)fputs("domain=", f);
    shell_quote(f, l->domain, l->domain_len);
    (void)fputs("\nhostname=", f);
    shell_quote(f, l->hostname, l->hostname_len);
    (void)fputc('\n', f);
    (void)snprintf(num, sizeof(num), "%" PRIu32, l->lease_s);
    shell_var(f, "lease", num);
    (void)snprintf(num, sizeof(num), "%" PRIu32, l->t1_s);
    shell_var(f, "t1", num);
    (void)snprintf(num, sizeof(num), "%" PRIu32, l->t2_s);
    shell_var(f, "t2", num);
    shell_var(f, "serverid", l->server_id ? ip(l->server_id, b) : "");
    return ferror(f) ? -EIO : 0;
}

static void json_str(FILE *f, const uint8_t *s, size_t n)
{
    (void)fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            (void)fprintf(f, "\\%c", c);
        else if (c < 0x20 || c > 0x7e)
            /* Bytes above 0x7e are not known to be UTF-8; as code points
             * U+0080..U+00FF they keep the document valid and lose
             * nothing. */
            (void)fprintf(f, "\\u%04x", c);
        else
            (void)fputc(c, f);
    }
    (void)fputc('"', f);
}

static void json_addrs(FILE *f, const uint32_t *a, size_t n)
{
    char b[INET_ADDRSTRLEN];
    (void)fputc('[', f);
    for (size_t i = 0; i < n; i++)
        (void)fprintf(f, "%s\"%s\"", i ? ", " : "", ip(a[i], b));
    (void)fputc(']', f);
}

int dhcpc_lease_print_json(FILE *f, const struct dhcpc_lease *l, const char *ifname)
{
    char b[INET_ADDRSTRLEN];
    (void)fputs("{\"interface\": ", f);
    json_str(f, (const uint8_t *)ifname, strlen(ifname));
    (void)fprintf(f, ", \"address\": \"%s\"", ip(l->addr, b));
    (void)fprintf(f, ", \"subnet_mask\": \"%s\"", ip(l->mask, b));
    (void)fprintf(f, ", \"prefix\": %d", dhcpc_lease_prefix(l->mask));
    (void)fprintf(f, ", \"broadcast\": \"%s\"", ip(l->broadcast, b));
    (void)fputs(", \"routers\": ", f);
    json_addrs(f, l->routers, l->n_routers);
    (void)fputs(", \"dns\": ", f);
    json_addrs(f, l->dns, l->n_dns);
    (void)fputs(", \"domain\": ", f);
    json_str(f, l->domain, l->domain_len);
    (void)fputs(", \"hostname\": ", f);
    json_str(f, l->hostname, l->hostname_len);
    (void)fprintf(f, ", \"lease_time\": %" PRIu32 ", \"t1\": %" PRIu32 ", \"t2\": %" PRIu32,
                  l->lease_s, l->t1_s, l->t2_s);
    (void)fprintf(f, ", \"server_id\": \"%s\"}\n", ip(l->server_id, b));
    return ferror(f) ? -EIO : 0;
}

bool dhcpc_lease_text_is_name(const uint8_t *text, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = text[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

struct env_wr {
    char *buf;
    size_t cap, used;
    char **env;
    size_t env_cap, n;
    bool full;
};

static void env_put(struct env_wr *e, const char *name, const char *value, size_t vlen)
{
    size_t need = strlen(name) + 1 + vlen + 1;
    if (e->full || e->n + 1 >= e->env_cap || need > e->cap - e->used) {
        e->full = true;
        return;
    }
    char *p = e->buf + e->used;
    int w = snprintf(p, need, "%s=%.*s", name, (int)vlen, value);
    if (w < 0 || (size_t)w != need - 1) {
        e->full = true;
        return;
    }
    e->env[e->n++] = p;
    e->env[e->n] = NULL;
    e->used += need;
}

static void env_str(struct env_wr *e, const char *name, const char *value)
{
    env_put(e, name, value, strlen(value));
}

int dhcpc_lease_env(const struct dhcpc_lease *l, const char *ifname, char *buf, size_t cap,
                    char **env, size_t env_cap)
{
    struct env_wr e = {.buf = buf, .cap = cap, .env = env, .env_cap = env_cap};
    if (env_cap == 0)
        return -EMSGSIZE;
    env[0] = NULL;
    env_str(&e, "interface", ifname);
    if (l) {
        char b[INET_ADDRSTRLEN], list[DHCPC_MAX_DNS * 16 + 1], num[16];
        env_str(&e, "ip", ip(l->addr, b));
        env_str(&e, "subnet", ip(l->mask, b));
        (void)snprintf(num, sizeof(num), "%d", dhcpc_lease_prefix(l->mask));
        env_str(&e, "mask", num);
        env_str(&e, "broadcast", ip(l->broadcast, b));
        if (l->n_routers) {
            addr_list(list, sizeof(list), l->routers, l->n_routers, " ");
            env_str(&e, "router", list);
        }
        if (l->n_dns) {
            addr_list(list, sizeof(list), l->dns, l->n_dns, " ");
            env_str(&e, "dns", list);
        }
        if (dhcpc_lease_text_is_name(l->domain, l->domain_len))
            env_put(&e, "domain", (const char *)l->domain, l->domain_len);
        if (dhcpc_lease_text_is_name(l->hostname, l->hostname_len))
            env_put(&e, "hostname", (const char *)l->hostname, l->hostname_len);
        (void)snprintf(num, sizeof(num), "%" PRIu32, l->lease_s);
        env_str(&e, "lease", num);
        (void)snprintf(num, sizeof(num), "%" PRIu32, l->t1_s);
        env_str(&e, "t1", num);
        (void)snprintf(num, sizeof(num), "%" PRIu32, l->t2_s);
        env_str(&e, "t2", num);
        if (l->server_id)
            env_str(&e, "serverid", ip(l->server_id, b));
    }
    return e.full ? -EMSGSIZE : (int)e.n;
}

int dhcpc_lease_save(const char *path, const struct dhcpc_lease *l, const char *ifname,
                     int64_t obtained)
{
    struct atomic_file a;
    char b[INET_ADDRSTRLEN];
    int rc = atomic_file_open(&a, path);
    if (rc != 0)
        return rc;
    /* The interface name came from our own command line, but a newline in
     * it would still forge a key: refuse it. */
    if (strpbrk(ifname, "\n=")) {
        atomic_file_abort(&a);
        return -EINVAL;
    }
    (void)fprintf(a.f, "# labnet-dhcp lease\ninterface=%s\n", ifname);
    (void)fprintf(a.f, "ip=%s\n", ip(l->addr, b));
    (void)fprintf(a.f, "subnet=%s\n", ip(l->mask, b));
    if (l->n_routers)
        (void)fprintf(a.f, "router=%s\n", ip(l->routers[0], b));
    (void)fprintf(a.f, "serverid=%s\n", ip(l->server_id, b));
    (void)fprintf(a.f, "lease=%" PRIu32 "\nt1=%" PRIu32 "\nt2=%" PRIu32 "\n", l->lease_s, l->t1_s,
                  l->t2_s);
    (void)fprintf(a.f, "obtained=%" PRId64 "\n", obtained);
    return atomic_file_commit(&a);
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || x > UINT32_MAX || s[0] == '-')
        return -EBADMSG;
    *v = (uint32_t)x;
    return 0;
}

static int parse_ip(const char *s, uint32_t *a)
{
    struct in_addr in;
    if (inet_pton(AF_INET, s, &in) != 1)
        return -EBADMSG;
    *a = in.s_addr;
    return 0;
}

static int load_line(struct dhcpc_lease *l, int64_t *obtained, char *line)
{
    if (line[0] == '#' || line[0] == '\0')
        return 0;
    char *eq = strchr(line, '=');
    if (!eq)
        return -EBADMSG;
    *eq = '\0';
    const char *k = line, *v = eq + 1;
    if (strcmp(k, "ip") == 0)
        return parse_ip(v, &l->addr);
    if (strcmp(k, "subnet") == 0)
        return parse_ip(v, &l->mask);
    if (strcmp(k, "serverid") == 0)
        return parse_ip(v, &l->server_id);
    if (strcmp(k, "router") == 0) {
        l->n_routers = 1;
        return parse_ip(v, &l->routers[0]);
    }
    if (strcmp(k, "lease") == 0)
        return parse_u32(v, &l->lease_s);
    if (strcmp(k, "t1") == 0)
        return parse_u32(v, &l->t1_s);
    if (strcmp(k, "t2") == 0)
        return parse_u32(v, &l->t2_s);
    if (strcmp(k, "obtained") == 0) {
        char *end;
        errno = 0;
        long long t = strtoll(v, &end, 10);
        if (errno || end == v || *end)
            return -EBADMSG;
        *obtained = t;
    }
    return 0;
}

int dhcpc_lease_load(const char *path, struct dhcpc_lease *l, int64_t *obtained)
{
    int64_t dummy;
    if (!obtained)
        obtained = &dummy;
    memset(l, 0, sizeof(*l));
    *obtained = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[258];
    int rc = 0;
    unsigned lines = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (!feof(f))
            rc = -EBADMSG; /* a line over 256 bytes: not ours */
        if (rc == 0 && ++lines > 64)
            rc = -EBADMSG;
        if (rc == 0)
            rc = load_line(l, obtained, line);
    }
    (void)fclose(f);
    if (rc == 0 && (l->addr == 0 || l->server_id == 0))
        rc = -EBADMSG;
    if (rc == 0 && (l->mask == 0 || dhcpc_lease_prefix(l->mask) < 0))
        l->mask = classful_mask(l->addr);
    l->broadcast = l->addr | ~l->mask;
    return rc;
}
