/*
 * dns_update: the DNS UPDATE message (RFC 2136) on both ends.
 *
 * An UPDATE reuses the message format with renamed sections: zone (the
 * question section: one SOA question naming the zone), prerequisites (the
 * answer section), updates (the authority section) and additional data
 * (where the TSIG goes).  Meaning is carried by the CLASS and RDLENGTH of
 * each record, so a server must check every record before touching
 * anything (RFC 2136 3.2, 3.4.1: the "prescan"); dns_update_prescan does
 * that and the zone store then applies the classified records in order.
 *
 * For senders (labnet-dhcpd publishing leases), dns_update_begin starts a
 * message; prerequisites and updates are written with dns_wr_rrset_begin
 * (DNS_UPD_SEC_PR / DNS_UPD_SEC_UP) and dns_wr_rr / dns_wr_rr_begin with
 * the classes below, then dns_wr_finish and dns_tsig_sign.
 */
#ifndef LABNET_DNS_UPDATE_H
#define LABNET_DNS_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_write.h"

#define DNS_UPD_SEC_ZO DNS_SEC_QD
#define DNS_UPD_SEC_PR DNS_SEC_AN
#define DNS_UPD_SEC_UP DNS_SEC_NS

/* What a prerequisite record asks (RFC 2136 2.4). */
enum dns_prereq {
    DNS_PRE_RRSET_EXISTS = 1, /* class ANY, type T, no RDATA */
    DNS_PRE_RRSET_EQUALS,     /* class of the zone, type T, RDATA: value dependent */
    DNS_PRE_RRSET_ABSENT,     /* class NONE, type T */
    DNS_PRE_NAME_IN_USE,      /* class ANY, type ANY */
    DNS_PRE_NAME_NOT_IN_USE,  /* class NONE, type ANY */
};

/* What an update record does (RFC 2136 2.5). */
enum dns_update_op {
    DNS_UPD_ADD = 1,      /* class of the zone: add the RR to its RRset */
    DNS_UPD_DELETE_RRSET, /* class ANY, type T: delete the RRset */
    DNS_UPD_DELETE_NAME,  /* class ANY, type ANY: delete every RRset of the name */
    DNS_UPD_DELETE_RR,    /* class NONE: delete the RR with this RDATA */
};

/*
 * Checks an UPDATE m (opcode UPDATE, already parsed with every record in
 * m->rr) per RFC 2136 3.1.1, 3.2 and 3.4.1 without looking at any zone
 * data.  On success returns DNS_RCODE_NOERROR and puts the zone's name
 * (lower case) in zone (DNS_NAME_MAXLEN bytes).  Otherwise returns the
 * rcode to answer with: FORMERR (not one SOA zone question of class IN, a
 * prerequisite with a TTL or wrong class/RDATA, an update with a meta type
 * or a delete with TTL/RDATA where none is allowed, truncated parse),
 * NOTZONE (a record's owner outside the zone).  A TSIG record, when
 * present, must be the last additional record and is not checked here.
 */
uint8_t dns_update_prescan(const struct dns_msg *m, uint8_t *zone);

/* Classify one record of a prescanned message. */
enum dns_prereq dns_update_prereq(const struct dns_rr *rr);
enum dns_update_op dns_update_op(const struct dns_rr *rr);

/*
 * Starts an UPDATE for zone (class IN) into d over buf[0..cap): header with
 * opcode UPDATE and the given ID, the zone section.  Returns 0, -EMSGSIZE.
 */
int dns_update_begin(struct dns_wr *d, void *buf, size_t cap, uint16_t id, const uint8_t *zone);

#endif
