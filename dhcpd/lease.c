#include "dhcpd/lease.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_addr(const void *a, const void *b)
{
    uint32_t x = ntohl(((const struct lease *)a)->addr), y = ntohl(((const struct lease *)b)->addr);
    return x < y ? -1 : x > y;
}

static uint32_t key_hash(const uint8_t *key, size_t len)
{
    uint32_t hsh = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        hsh = (hsh ^ key[i]) * 16777619u;
    return hsh;
}

static struct lease *add(struct lease_table *t, uint32_t addr, size_t subnet)
{
    struct lease *l = &t->v[t->n++];
    memset(l, 0, sizeof(*l));
    l->addr = addr;
    l->subnet = (uint16_t)subnet;
    l->next_key = -1;
    return l;
}

int lease_table_new(const struct dhcpd_conf *c, struct lease_table **out)
{
    size_t total = c->n_hosts;
    for (size_t i = 0; i < c->n_subnets; i++)
        for (size_t p = 0; p < c->subnets[i].n_pools; p++)
            total += ntohl(c->subnets[i].pools[p].last) - ntohl(c->subnets[i].pools[p].first) + 1;
    if (total > DHCPD_MAX_ADDRS)
        return -E2BIG;
    struct lease_table *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->nbuckets = 64;
    while (t->nbuckets < 2 * total)
        t->nbuckets *= 2;
    t->v = calloc(total ? total : 1, sizeof(*t->v));
    t->dirty = calloc(total ? total : 1, sizeof(*t->dirty));
    t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
    if (!t->v || !t->dirty || !t->buckets) {
        lease_table_free(t);
        return -ENOMEM;
    }
    for (size_t b = 0; b < t->nbuckets; b++)
        t->buckets[b] = -1;
    for (size_t i = 0; i < c->n_subnets; i++)
        for (size_t p = 0; p < c->subnets[i].n_pools; p++)
            for (uint32_t a = ntohl(c->subnets[i].pools[p].first);
                 a <= ntohl(c->subnets[i].pools[p].last); a++) {
                add(t, htonl(a), i);
                if (a == UINT32_MAX)
                    break;
            }
    for (size_t k = 0; k < c->n_hosts; k++) {
        const struct dhcpd_subnet *s = dhcpd_conf_subnet_of(c, c->hosts[k].addr);
        if (s)
            add(t, c->hosts[k].addr, (size_t)(s - c->subnets));
    }
    qsort(t->v, t->n, sizeof(*t->v), cmp_addr);
    /* Pools may overlap each other or a reservation: keep one entry per
     * address. */
    size_t w = 0;
    for (size_t r = 0; r < t->n; r++)
        if (w == 0 || t->v[w - 1].addr != t->v[r].addr)
            t->v[w++] = t->v[r];
    t->n = w;
    *out = t;
    return 0;
}

void lease_table_free(struct lease_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->v && i < t->n; i++)
        free(t->v[i].ddns_pub);
    free(t->v);
    free(t->dirty);
    free(t->buckets);
    free(t);
}

int lease_set_ddns_pub(struct lease *l, const char *name)
{
    char *copy = NULL;
    if (name && name[0] && !(copy = strdup(name)))
        return -ENOMEM;
    free(l->ddns_pub);
    l->ddns_pub = copy;
    return 0;
}

void lease_table_rewind(struct lease_table *t, const struct lease *l)
{
    size_t i = (size_t)(l - t->v);
    if (i < t->cursor[l->subnet])
        t->cursor[l->subnet] = i;
}

struct lease *lease_table_find_addr(struct lease_table *t, uint32_t addr)
{
    uint32_t key = ntohl(addr);
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t m = ntohl(t->v[mid].addr);
        if (m == key)
            return &t->v[mid];
        if (m < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct lease *lease_table_find_client(struct lease_table *t, uint16_t subnet, const uint8_t *key,
                                      size_t len)
{
    if (len == 0)
        return NULL;
    for (int32_t i = t->buckets[key_hash(key, len) & (t->nbuckets - 1)]; i >= 0;
         i = t->v[i].next_key) {
        struct lease *l = &t->v[i];
        if (l->subnet == subnet && l->key_len == len && memcmp(l->key, key, len) == 0 &&
            (l->state == LEASE_OFFERED || l->state == LEASE_BOUND || l->state == LEASE_RELEASED))
            return l;
    }
    return NULL;
}

static void unlink_key(struct lease_table *t, struct lease *l)
{
    int32_t idx = (int32_t)(l - t->v);
    int32_t *pp = &t->buckets[key_hash(l->key, l->key_len) & (t->nbuckets - 1)];
    while (*pp >= 0) {
        if (*pp == idx) {
            *pp = l->next_key;
            break;
        }
        pp = &t->v[*pp].next_key;
    }
    l->next_key = -1;
}

void lease_table_set_client(struct lease_table *t, struct lease *l, const uint8_t *key, size_t len)
{
    if (l->key_len == len && len && memcmp(l->key, key, len) == 0)
        return;
    if (l->key_len)
        unlink_key(t, l);
    l->key_len = (uint8_t)(len <= LEASE_KEY_MAX ? len : 0);
    if (!l->key_len)
        return;
    memcpy(l->key, key, l->key_len);
    int32_t *head = &t->buckets[key_hash(key, l->key_len) & (t->nbuckets - 1)];
    l->next_key = *head;
    *head = (int32_t)(l - t->v);
}

void lease_table_mark_dirty(struct lease_table *t, struct lease *l)
{
    if (l->dirty)
        return;
    l->dirty = true;
    t->dirty[t->n_dirty++] = (uint32_t)(l - t->v);
}

bool lease_is_free(const struct lease *l, int64_t now)
{
    switch (l->state) {
    case LEASE_FREE:
    case LEASE_RELEASED:
        return true;
    default:
        return l->expires <= now;
    }
}

size_t lease_key_make(uint8_t *key, const uint8_t *cid, size_t cid_len, uint8_t htype, uint8_t hlen,
                      const uint8_t *chaddr)
{
    if (cid) {
        if (cid_len == 0 || cid_len > DHCPD_CLIENT_ID_MAX)
            return 0;
        key[0] = 'c';
        memcpy(key + 1, cid, cid_len);
        return 1 + cid_len;
    }
    if (hlen > DHCP_CHADDR_LEN)
        return 0;
    key[0] = 'h';
    key[1] = htype;
    memcpy(key + 2, chaddr, hlen);
    return 2u + hlen;
}

const char *lease_state_name(const struct lease *l, int64_t now)
{
    switch (l->state) {
    case LEASE_OFFERED:
        return "offered";
    case LEASE_BOUND:
        return l->expires <= now ? "expired" : "bound";
    case LEASE_RELEASED:
        return "released";
    case LEASE_DECLINED:
        return "declined";
    default:
        return "free";
    }
}
