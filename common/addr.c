#include "common/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses a decimal number of at most max_digits digits in s[0..n) with a
 * value <= max.  Rejects empty input, signs, spaces and leading '+'. */
static int parse_uint(const char *s, size_t n, size_t max_digits, unsigned long max,
                      unsigned long *out)
{
    if (n == 0 || n > max_digits)
        return -EINVAL;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* Parses the address in s[0..n).  Copies into a bounded local buffer first:
 * inet_pton needs a NUL-terminated string. */
static int parse_ip_n(struct net_addr *a, const char *s, size_t n)
{
    char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    if (n == 0 || n >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, s, n);
    tmp[n] = '\0';

    struct net_addr r;
    memset(&r, 0, sizeof(r));
    if (inet_pton(AF_INET, tmp, r.ip) == 1) {
        r.family = AF_INET;
        *a = r;
        return 0;
    }
    char *pct = strchr(tmp, '%');
    if (pct) {
        *pct = '\0';
        const char *scope = pct + 1;
        unsigned long idx;
        if (*scope == '\0')
            return -EINVAL;
        if (parse_uint(scope, strlen(scope), 10, UINT32_MAX, &idx) == 0) {
            r.scope_id = (uint32_t)idx;
        } else {
            r.scope_id = if_nametoindex(scope);
            if (r.scope_id == 0)
                return -EINVAL;
        }
    }
    if (inet_pton(AF_INET6, tmp, r.ip) != 1)
        return -EINVAL;
    r.family = AF_INET6;
    *a = r;
    return 0;
}

int net_addr_parse_ip(struct net_addr *a, const char *s)
{
    if (!s)
        return -EINVAL;
    return parse_ip_n(a, s, strlen(s));
}

int net_addr_parse_hostport(struct net_addr *a, const char *s, uint16_t default_port)
{
    if (!s)
        return -EINVAL;
    size_t n = strlen(s);
    const char *host = s;
    size_t host_len = n;
    const char *port = NULL;
    size_t port_len = 0;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return -EINVAL;
        host = s + 1;
        host_len = (size_t)(close - host);
        const char *rest = close + 1;
        if (*rest == ':') {
            port = rest + 1;
            port_len = strlen(port);
            if (port_len == 0)
                return -EINVAL;
        } else if (*rest != '\0') {
            return -EINVAL;
        }
    } else {
        /* Exactly one colon means "v4:port"; more is a bare IPv6 address. */
        const char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) {
            host_len = (size_t)(colon - s);
            port = colon + 1;
            port_len = strlen(port);
            if (port_len == 0)
                return -EINVAL;
        }
    }

    struct net_addr r;
    if (parse_ip_n(&r, host, host_len) != 0)
        return -EINVAL;
    /* A bracketed address must be IPv6: "[192.0.2.1]" is not a valid form. */
    if (host != s && r.family != AF_INET6)
        return -EINVAL;
    if (port) {
        unsigned long p;
        if (parse_uint(port, port_len, 5, 65535, &p) != 0)
            return -EINVAL;
        r.port = (uint16_t)p;
    } else {
        r.port = default_port;
    }
    *a = r;
    return 0;
}

int net_addr_format(const struct net_addr *a, char *buf, size_t cap)
{
    char tmp[INET6_ADDRSTRLEN + 12];
    if (cap == 0)
        return -ENOSPC;
    buf[0] = '\0';
    if (a->family != AF_INET && a->family != AF_INET6)
        return -EINVAL;
    if (!inet_ntop(a->family, a->ip, tmp, sizeof(tmp)))
        return -EINVAL;
    if (a->family == AF_INET6 && a->scope_id) {
        size_t l = strlen(tmp);
        snprintf(tmp + l, sizeof(tmp) - l, "%%%u", a->scope_id);
    }
    if (strlen(tmp) >= cap)
        return -ENOSPC;
    memcpy(buf, tmp, strlen(tmp) + 1);
    return 0;
}

int net_addr_format_port(const struct net_addr *a, char *buf, size_t cap)
{
    char ip[NET_ADDR_STRLEN];
    int rc = net_addr_format(a, ip, sizeof(ip));
    if (rc != 0) {
        if (cap)
            buf[0] = '\0';
        return rc;
    }
    int n = snprintf(buf, cap, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, a->port);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            buf[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip, 4);
        return sizeof(*in);
    }
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        in6->sin6_scope_id = a->scope_id;
        memcpy(&in6->sin6_addr, a->ip, 16);
        return sizeof(*in6);
    }
    return 0;
}

int net_addr_from_sockaddr(struct net_addr *a, const struct sockaddr *sa)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        a->family = AF_INET;
        a->port = ntohs(in->sin_port);
        memcpy(a->ip, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        a->family = AF_INET6;
        a->port = ntohs(in6->sin6_port);
        a->scope_id = in6->sin6_scope_id;
        memcpy(a->ip, &in6->sin6_addr, 16);
        return 0;
    }
    return -EAFNOSUPPORT;
}

void net_addr_unmap(struct net_addr *a)
{
    if (a->family == AF_INET6 && memcmp(a->ip, v4mapped_prefix, 12) == 0) {
        memmove(a->ip, a->ip + 12, 4);
        memset(a->ip + 4, 0, 12);
        a->family = AF_INET;
        a->scope_id = 0;
    }
}

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

bool net_addr_eq(const struct net_addr *a, const struct net_addr *b)
{
    return a->family == b->family && a->port == b->port && a->scope_id == b->scope_id &&
           memcmp(a->ip, b->ip, addr_len(a->family)) == 0;
}

bool net_addr_is_loopback(const struct net_addr *a)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    if (a->family == AF_INET)
        return a->ip[0] == 127;
    if (a->family == AF_INET6) {
        if (memcmp(a->ip, v4mapped_prefix, 12) == 0)
            return a->ip[12] == 127;
        return memcmp(a->ip, v6_loopback, 16) == 0;
    }
    return false;
}

bool net_addr_is_any(const struct net_addr *a)
{
    static const uint8_t zero[16];
    size_t n = addr_len(a->family);
    return n && memcmp(a->ip, zero, n) == 0;
}

/* Clears every bit of ip below the first prefix bits. */
static void mask_bits(uint8_t *ip, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bit = (unsigned)i * 8;
        if (bit >= prefix)
            ip[i] = 0;
        else if (prefix - bit < 8)
            ip[i] &= (uint8_t)(0xffu << (8 - (prefix - bit)));
    }
}

int net_cidr_parse(struct net_cidr *c, const char *s)
{
    if (!s)
        return -EINVAL;
    const char *slash = strchr(s, '/');
    size_t host_len = slash ? (size_t)(slash - s) : strlen(s);
    struct net_cidr r;
    memset(&r, 0, sizeof(r));
    if (parse_ip_n(&r.addr, s, host_len) != 0 || r.addr.scope_id != 0)
        return -EINVAL;
    unsigned long width = r.addr.family == AF_INET ? 32 : 128;
    unsigned long prefix = width;
    if (slash && parse_uint(slash + 1, strlen(slash + 1), 3, width, &prefix) != 0)
        return -EINVAL;
    r.prefix = (uint8_t)prefix;
    mask_bits(r.addr.ip, addr_len(r.addr.family), r.prefix);
    *c = r;
    return 0;
}

int net_cidr_format(const struct net_cidr *c, char *buf, size_t cap)
{
    char ip[NET_ADDR_STRLEN];
    int rc = net_addr_format(&c->addr, ip, sizeof(ip));
    if (rc != 0) {
        if (cap)
            buf[0] = '\0';
        return rc;
    }
    int n = snprintf(buf, cap, "%s/%u", ip, c->prefix);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            buf[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a)
{
    struct net_addr x = *a;
    if (c->addr.family == AF_INET)
        net_addr_unmap(&x);
    if (x.family != c->addr.family)
        return false;
    mask_bits(x.ip, addr_len(x.family), c->prefix);
    return memcmp(x.ip, c->addr.ip, addr_len(x.family)) == 0;
}
