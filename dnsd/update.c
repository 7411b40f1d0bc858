/*
 * update: DNS UPDATE requests with TSIG.  See update.h.
 */
#include "dnsd/update.h"

#include <errno.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_tsig.h"
#include "common/dns_update.h"
#include "common/dns_write.h"
#include "dnsd/conf.h"
#include "dnsd/dynzone.h"

/* The reply: header, the zone when known, and a TSIG when key is set. */
static int reply(const struct dns_hdr *qh, const uint8_t *zone, uint8_t rcode,
                 const struct dns_tsig_key *key, uint16_t tsig_error, const uint8_t *req_mac,
                 size_t req_mac_len, uint64_t now, uint8_t *out, size_t cap, size_t *out_len)
{
    struct dns_wr d;
    dns_wr_init(&d, out, cap, cap);
    struct dns_hdr h = {.id = qh->id, .opcode = DNS_OPCODE_UPDATE, .qr = true};
    dns_wr_header(&d, &h);
    if (zone)
        dns_wr_question(&d, zone, DNS_TYPE_SOA, DNS_CLASS_IN);
    d.hdr.rcode = rcode;
    int rc = dns_wr_finish(&d, out_len);
    if (rc == 0 && key)
        rc = dns_tsig_sign(out, out_len, cap, key, now, DNS_TSIG_FUDGE, tsig_error, req_mac,
                           req_mac_len, NULL, NULL);
    return rc;
}

static bool zone_updatable(const struct dnsd_update_conf *u, const uint8_t *zone)
{
    for (size_t i = 0; i < u->n_zones; i++)
        if (dns_name_eq(u->zones[i], zone))
            return true;
    return false;
}

int update_handle(const struct dnsd_conf *c, struct dynzone *dz, const struct net_addr *peer,
                  const uint8_t *msg, size_t len, uint64_t now, uint8_t *out, size_t cap,
                  size_t *out_len, struct update_info *info)
{
    const struct dnsd_update_conf *u = &c->update;
    memset(info, 0, sizeof(*info));
    struct wire_rd r;
    struct dns_hdr qh;
    wire_rd_init(&r, msg, len);
    if (dns_hdr_parse(&r, &qh) != 0)
        return -EMSGSIZE; /* the caller parsed it already */

    info->rcode = DNS_RCODE_REFUSED;
    if (acl_addr_check(&u->acl, peer) != ACL_ALLOW) {
        info->acl_refused = true;
        return reply(&qh, NULL, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    }
    struct dns_question qd[1];
    struct dns_rr rr[UPDATE_MAX_RR];
    struct dns_msg m = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = UPDATE_MAX_RR};
    info->rcode = DNS_RCODE_FORMERR;
    if (dns_msg_parse(&m, msg, len) != 0)
        return reply(&qh, NULL, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    uint8_t zone[DNS_NAME_MAXLEN];
    info->rcode = dns_update_prescan(&m, zone);
    if (info->rcode == DNS_RCODE_FORMERR)
        return reply(&qh, NULL, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    info->has_zone = true;
    memcpy(info->zone, zone, dns_name_len(zone));
    if (info->rcode != DNS_RCODE_NOERROR)
        return reply(&qh, zone, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    if (!zone_updatable(u, zone)) {
        /* RFC 2136 3.1.2: not a zone we are authoritative for. */
        info->rcode = DNS_RCODE_NOTAUTH;
        return reply(&qh, zone, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    }

    struct dns_tsig_info t;
    int found = dns_tsig_find(&m, &t);
    if (found <= 0) {
        info->rcode = found == 0 ? DNS_RCODE_REFUSED : DNS_RCODE_FORMERR;
        return reply(&qh, zone, info->rcode, NULL, 0, NULL, 0, now, out, cap, out_len);
    }
    size_t ki = 0;
    int terr = dns_tsig_verify(&m, &t, u->keys, u->n_keys, now, NULL, 0, &ki);
    if (terr != 0) {
        /* RFC 8945 5.3.2: NOTAUTH, and a TSIG saying why.  BADKEY and
         * BADSIG go out unsigned, under the name and algorithm the
         * request used (when we know that algorithm at all). */
        info->rcode = DNS_RCODE_NOTAUTH;
        info->tsig_error = (uint16_t)terr;
        if (terr == DNS_TSIG_BADTIME)
            return reply(&qh, zone, info->rcode, &u->keys[ki], (uint16_t)terr, t.mac, t.mac_len,
                         now, out, cap, out_len);
        struct dns_tsig_key k = {0};
        memcpy(k.name, t.key_name, dns_name_len(t.key_name));
        for (int a = DNS_TSIG_HMAC_SHA1; a <= DNS_TSIG_HMAC_SHA512 && !k.alg; a++)
            if (dns_name_eq(dns_tsig_alg_name((enum dns_tsig_alg)a), t.alg_name))
                k.alg = (enum dns_tsig_alg)a;
        return reply(&qh, zone, info->rcode, k.alg ? &k : NULL, (uint16_t)terr, NULL, 0, now, out,
                     cap, out_len);
    }
    info->rcode = dz ? dynzone_update(dz, &m, zone) : DNS_RCODE_SERVFAIL;
    return reply(&qh, zone, info->rcode, &u->keys[ki], 0, t.mac, t.mac_len, now, out, cap, out_len);
}
