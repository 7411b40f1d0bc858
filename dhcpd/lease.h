/*
 * lease: the in-memory lease table, one entry per address the server may
 * hand out (every pool address and every reserved address of every
 * subnet), sorted by address.
 *
 * The table is the server's working state; dhcpd/store makes it durable.
 * Every change a client's message causes marks the entry dirty, and the
 * server writes the dirty entries in one transaction before it sends the
 * replies that depend on them (see dhcpd/server.c).  OFFERs only live here:
 * they are never written, so a flood of DISCOVERs leaves nothing on disk
 * and its holds vanish after a few seconds.
 *
 * Nothing here reads the clock: callers pass "now" (Unix seconds), so tests
 * drive time by hand.  Not thread-safe.
 */
#ifndef LABNET_DHCPD_LEASE_H
#define LABNET_DHCPD_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dhcp_msg.h"
#include "dhcpd/conf.h"

/* The key that names a client (RFC 2131 4.2): 'c' and its option 61
 * value, or 'h', htype and the chaddr bytes when it sent none. */
#define LEASE_KEY_MAX (1 + DHCPD_CLIENT_ID_MAX)

enum lease_state {
    LEASE_FREE = 0,     /* never used (or forgotten) */
    LEASE_OFFERED = 1,  /* held for an OFFER until expires; never stored */
    LEASE_BOUND = 2,    /* ACKed until expires; expired ones are free again */
    LEASE_RELEASED = 3, /* given back; free, remembered for its client */
    LEASE_DECLINED = 4, /* quarantined until expires (DHCPDECLINE) */
};

struct lease {
    uint32_t addr; /* network order */
    uint8_t state; /* enum lease_state */
    bool dirty;    /* changed since the last commit */
    bool used;     /* was ever bound (offers do not count) */
    bool probed;   /* ping-check found nobody on it (memory only) */
    uint8_t htype, hlen;
    uint8_t chaddr[DHCP_CHADDR_LEN];
    uint8_t key[LEASE_KEY_MAX];
    uint8_t key_len; /* 0: no client */
    char hostname[DHCPD_HOSTNAME_MAX + 1];
    /* DDNS (dhcpd/ddns.h): the label the client's last ACK asked for
     * (memory only; "" for none), and the FQDN published for this address
     * (heap, owned by the table, stored; NULL when nothing is published). */
    char ddns_label[DHCPD_HOSTNAME_MAX + 1];
    char *ddns_pub;
    int64_t expires;  /* Unix seconds: end of the lease, hold or quarantine */
    uint16_t subnet;  /* index into the configuration's subnets */
    int32_t next_key; /* hash chain of entries with a client key */
};

struct lease_table {
    struct lease *v; /* n entries sorted by address (host order) */
    size_t n;
    int32_t *buckets; /* heads of the key chains, nbuckets (a power of 2) */
    size_t nbuckets;
    uint32_t *dirty; /* indices of dirty entries, n_dirty of them */
    size_t n_dirty;
    /* Per subnet: where the search for a never-used address resumes (an
     * index into v).  Allocation is next-fit, like Kea's iterative
     * allocator: a first-fit scan from the start made filling a pool of n
     * addresses cost O(n^2) (31 % of the CPU in the benchmark). */
    size_t cursor[DHCPD_MAX_SUBNETS];
};

/* Builds the table for c's pools and reservations, every entry free.
 * Returns 0 with *out set, -ENOMEM, or -E2BIG above DHCPD_MAX_ADDRS. */
int lease_table_new(const struct dhcpd_conf *c, struct lease_table **out);
void lease_table_free(struct lease_table *t);

/* Replaces l's published DDNS name with a copy of name (NULL or "" clears
 * it).  Returns 0 or -ENOMEM (l unchanged). */
int lease_set_ddns_pub(struct lease *l, const char *name);

/* The entry for addr (network order), or NULL. */
struct lease *lease_table_find_addr(struct lease_table *t, uint32_t addr);

/* The entry of subnet that names the client key[0..len) and is OFFERED,
 * BOUND or RELEASED (in any state of expiry), or NULL. */
struct lease *lease_table_find_client(struct lease_table *t, uint16_t subnet, const uint8_t *key,
                                      size_t len);

/* Gives entry l to the client key (len <= LEASE_KEY_MAX; 0 clears it),
 * keeping the key index right. */
void lease_table_set_client(struct lease_table *t, struct lease *l, const uint8_t *key, size_t len);

/* Moves the never-used search of l's subnet back to l, which has just
 * become free without ever being bound (an offer turned down), so it is
 * the next one offered again. */
void lease_table_rewind(struct lease_table *t, const struct lease *l);

/* Records that l must be written at the next commit. */
void lease_table_mark_dirty(struct lease_table *t, struct lease *l);

/* True when l may go to a new client at now: free, released, or a hold,
 * lease or quarantine that has run out. */
bool lease_is_free(const struct lease *l, int64_t now);

/* Builds a client key from a message's option 61 value (NULL when absent)
 * and hardware address.  Returns the key length, or 0 when the client id
 * is longer than DHCPD_CLIENT_ID_MAX (such a client is not served). */
size_t lease_key_make(uint8_t *key, const uint8_t *cid, size_t cid_len, uint8_t htype, uint8_t hlen,
                      const uint8_t *chaddr);

/* Text name of a state ("free", "offered", "bound", "released",
 * "declined"); "expired" for a BOUND entry past its end at now. */
const char *lease_state_name(const struct lease *l, int64_t now);

#endif
