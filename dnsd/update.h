/*
 * update: labnet-dnsd's answer to DNS UPDATE (RFC 2136) requests, which
 * must be signed with a configured TSIG key (RFC 8945).
 *
 * The order of checks, each with the rcode it answers:
 *   1. the sender is not in [update] allow: REFUSED;
 *   2. the message does not parse, or fails dns_update_prescan: FORMERR
 *      or NOTZONE;
 *   3. the zone is not one of [update] zones: NOTAUTH;
 *   4. no TSIG: REFUSED (as BIND answers an unsigned update to a
 *      key-protected zone); a malformed one: FORMERR;
 *   5. a TSIG that does not verify: NOTAUTH with a TSIG record carrying
 *      the error (RFC 8945 5.3.2: BADKEY and BADSIG unsigned, BADTIME
 *      signed with the server's time in its other data);
 *   6. prerequisites and updates (dynzone_update): its rcode, signed with
 *      the request's key over the request's MAC (RFC 8945 5.3).
 * Nothing but step 6 changes the store.  The reply is the header (opcode
 * UPDATE, QR), the zone section when the zone was read, and the TSIG;
 * OPT is not echoed (nsupdate sends none).
 */
#ifndef LABNET_DNSD_UPDATE_H
#define LABNET_DNSD_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/dns_name.h"

#define UPDATE_MAX_RR 256 /* records in one UPDATE; more: FORMERR */

struct dnsd_conf;
struct dynzone;

/* What happened, for the caller's log. */
struct update_info {
    uint8_t rcode;
    uint16_t tsig_error; /* 0 or DNS_TSIG_* */
    bool acl_refused;
    bool has_zone;
    uint8_t zone[DNS_NAME_MAXLEN];
};

/*
 * Handles the UPDATE msg[0..len) from peer against c's [update] settings
 * and the store dz, at wall-clock time now (seconds since the epoch).
 * Writes the reply to out[0..cap) (cap >= 4096), its length to *out_len,
 * and returns 0; -EMSGSIZE when not even a bare reply fits (send
 * nothing).  The caller has already checked the header (QR=0, opcode
 * UPDATE) and the [server] access rules.
 */
int update_handle(const struct dnsd_conf *c, struct dynzone *dz, const struct net_addr *peer,
                  const uint8_t *msg, size_t len, uint64_t now, uint8_t *out, size_t cap,
                  size_t *out_len, struct update_info *info);

#endif
