#include "dnsd/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define LOCKS 64

/* Tokens are counted in thousandths so that rates below 1000/s refill
 * smoothly at millisecond resolution. */
#define MILLI 1000u

struct rl_entry {
    uint8_t key[17]; /* family tag, then 16 address octets; all 0 = free */
    uint64_t last_ms;
    uint64_t tokens; /* in thousandths of a query */
    uint32_t excess; /* queries over the limit, for slip */
};

struct ratelimit {
    uint32_t rate, slip;
    size_t nsets; /* power of two */
    uint64_t seed[2];
    pthread_mutex_t locks[LOCKS];
    struct rl_entry *entries; /* nsets * RATELIMIT_WAYS */
};

struct ratelimit *ratelimit_new(uint32_t rate, uint32_t slip, size_t max_clients)
{
    if (rate == 0)
        rate = 1;
    size_t sets = 16;
    while (sets * RATELIMIT_WAYS < max_clients && sets < ((size_t)1 << 24))
        sets <<= 1;
    struct ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    rl->entries = calloc(sets * RATELIMIT_WAYS, sizeof(*rl->entries));
    if (!rl->entries) {
        free(rl);
        errno = ENOMEM;
        return NULL;
    }
    rl->rate = rate;
    rl->slip = slip;
    rl->nsets = sets;
    /* A failed getrandom leaves a zero key: still correct, only easier to
     * aim at one set. */
    if (getrandom(rl->seed, sizeof(rl->seed), GRND_NONBLOCK) != (ssize_t)sizeof(rl->seed))
        memset(rl->seed, 0, sizeof(rl->seed));
    for (size_t i = 0; i < LOCKS; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < LOCKS; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl->entries);
    free(rl);
}

static uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

/* A keyed mix (SipHash-style rounds over the 17-byte key): not a MAC,
 * only unpredictable enough that set placement cannot be chosen. */
static uint64_t key_hash(const struct ratelimit *rl, const uint8_t key[17])
{
    uint64_t v0 = rl->seed[0] ^ 0x736f6d6570736575ull, v1 = rl->seed[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = rl->seed[0] ^ 0x6c7967656e657261ull, v3 = rl->seed[1] ^ 0x7465646279746573ull;
    for (size_t i = 0; i < 17; i += 8) {
        uint64_t m = 0;
        for (size_t j = 0; j < 8 && i + j < 17; j++)
            m |= (uint64_t)key[i + j] << (8 * j);
        v3 ^= m;
        for (int r = 0; r < 2; r++) {
            v0 += v1;
            v1 = rotl(v1, 13) ^ v0;
            v0 = rotl(v0, 32);
            v2 += v3;
            v3 = rotl(v3, 16) ^ v2;
            v0 += v3;
            v3 = rotl(v3, 21) ^ v0;
            v2 += v1;
            v1 = rotl(v1, 17) ^ v2;
            v2 = rotl(v2, 32);
        }
        v0 ^= m;
    }
    return v0 ^ v1 ^ v2 ^ v3;
}

enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct net_addr *addr,
                                       uint64_t now_ms)
{
    struct net_addr a = *addr;
    net_addr_unmap(&a);
    uint8_t key[17] = {0};
    key[0] = a.family == AF_INET ? 4 : 6;
    memcpy(key + 1, a.ip, a.family == AF_INET ? 4 : 16);
    uint64_t h = key_hash(rl, key);
    size_t set = (size_t)h & (rl->nsets - 1);
    pthread_mutex_t *lock = &rl->locks[set % LOCKS];
    struct rl_entry *e = &rl->entries[set * RATELIMIT_WAYS];
    uint64_t cap = (uint64_t)rl->rate * MILLI;

    pthread_mutex_lock(lock);
    struct rl_entry *hit = NULL, *victim = &e[0];
    for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
        if (memcmp(e[i].key, key, sizeof(key)) == 0) {
            hit = &e[i];
            break;
        }
        if (e[i].last_ms < victim->last_ms)
            victim = &e[i];
    }
    if (!hit) {
        hit = victim;
        memcpy(hit->key, key, sizeof(key));
        hit->tokens = cap;
        hit->excess = 0;
        hit->last_ms = now_ms;
    }
    if (now_ms > hit->last_ms) {
        uint64_t dt = now_ms - hit->last_ms;
        /* rate tokens per 1000 ms = rate thousandths per ms; cap dt so
         * the product cannot overflow. */
        uint64_t add = (dt > 1000 ? 1000 : dt) * rl->rate;
        hit->tokens = hit->tokens + add > cap ? cap : hit->tokens + add;
        hit->last_ms = now_ms;
    }
    enum ratelimit_verdict v = RATELIMIT_PASS;
    if (hit->tokens >= MILLI) {
        hit->tokens -= MILLI;
    } else {
        hit->excess++;
        v = rl->slip && hit->excess % rl->slip == 0 ? RATELIMIT_SLIP : RATELIMIT_DROP;
    }
    pthread_mutex_unlock(lock);
    return v;
}
