/*
 * dig_trace: the logic of labnet-dig's +trace, apart from any I/O.
 *
 * A trace holds a zone cut and the servers for it (a struct dig_zone),
 * starting from the root hints (named.root format, built in or from a
 * file).  Each reply is classified by dig_trace_classify: a final answer
 * (records, NXDOMAIN, NODATA, any error), a referral to a zone strictly
 * closer to the name (the next cut and its servers, with the glue the
 * replying server may vouch for), or a bad referral.  Because every
 * referral must move strictly down towards the name, a trace takes at most
 * one step per label and cannot loop.
 *
 * Glue is scrubbed as resolvers do (Unbound iter_scrub.c): an address is
 * taken only for a name the referral lists as a server and only if that
 * name lies inside the zone the replying server is authoritative for.
 */
#ifndef LABNET_DIG_TRACE_H
#define LABNET_DIG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"
#include "common/roothints.h"

/* Servers kept per zone cut and addresses per server: the root has 13
 * letters, a TLD rarely more; what a referral lists beyond is dropped. */
#define DIG_NS_MAX       16
#define DIG_NS_ADDRS_MAX 4

struct dig_addr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t ip[16];
};

struct dig_ns {
    uint8_t name[DNS_NAME_MAXLEN];
    struct dig_addr addr[DIG_NS_ADDRS_MAX];
    size_t n_addr;
};

struct dig_zone {
    uint8_t name[DNS_NAME_MAXLEN]; /* the zone cut */
    uint32_t ttl;                  /* TTL of its NS RRset */
    struct dig_ns ns[DIG_NS_MAX];
    size_t n_ns;
};

/* The root hints (IANA's built in, or a named.root file) are read by
 * common/roothints, the same code as labnet-dnsd's. */

/* Sets z to the root zone with the servers of h that have addresses (at
 * most DIG_NS_MAX, and DIG_NS_ADDRS_MAX addresses each). */
void dig_zone_from_hints(struct dig_zone *z, const struct roothints *h);

/* roothints_parse, then dig_zone_from_hints: 0, or -EBADMSG with
 * "LINE: reason" in err (z emptied). */
int dig_hints_parse(const char *text, size_t len, struct dig_zone *z, char *err, size_t errcap);

/*
 * Sets z to the zone cut at owner (wire name) with the NS records of owner
 * found in section sec of m (at most DIG_NS_MAX, duplicates merged), and
 * takes from the additional section the A/AAAA records of those names that
 * are inside bailiwick.  Returns the number of servers (0 if none).
 */
size_t dig_zone_collect(struct dig_zone *z, const struct dns_msg *m, int sec, const uint8_t *owner,
                        const uint8_t *bailiwick);

/* Gives servers of z without addresses those that from lists for the same
 * name (e.g. the hints for a primed root).  Returns how many servers of z
 * have addresses afterwards. */
size_t dig_zone_fill(struct dig_zone *z, const struct dig_zone *from);

/* Number of servers of z with at least one address. */
size_t dig_zone_usable(const struct dig_zone *z);

enum dig_step {
    DIG_STEP_ANSWER,   /* final: print and stop */
    DIG_STEP_REFERRAL, /* *next is the closer zone */
    DIG_STEP_BAD,      /* a referral that does not lead down towards qname */
};

/*
 * Classifies the reply m of a server for zone cur to a non-recursive query
 * for qname.  Final: any RCODE but NOERROR, records in the answer section,
 * AA set, or no NS records in the authority section at all (NODATA from a
 * server that leaves out AA).  A referral: NS records whose owner is
 * strictly below cur->name and at or above qname; next is then filled by
 * dig_zone_collect with cur->name as bailiwick.  Anything else is BAD
 * (upward or sideways referrals, the lame-server signs).
 */
enum dig_step dig_trace_classify(const struct dns_msg *m, const uint8_t *qname,
                                 const struct dig_zone *cur, struct dig_zone *next);

#endif
