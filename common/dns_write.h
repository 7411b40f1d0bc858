/*
 * dns_write: building DNS messages into a fixed-capacity buffer.
 *
 * A struct dns_wr lives on the stack and writes through an embedded
 * struct wire_wr into a caller buffer; nothing is allocated.  Order of
 * calls: dns_wr_init, dns_wr_header, dns_wr_question*, then for each RRset
 * dns_wr_rrset_begin (sections in wire order), records with dns_wr_rr_begin
 * + RDATA + dns_wr_rr_end (or dns_wr_rr / dns_wr_rr_copy), dns_wr_rrset_end;
 * optionally dns_wr_opt; and dns_wr_finish, which patches the counts and
 * flags into the header.
 *
 * Names are compressed (RFC 1035 4.1.4) against a bounded table of
 * DNS_WR_COMP_MAX earlier names and their suffixes, matched octet for
 * octet so the case of every name is kept (a 0x20-randomised question is
 * echoed exactly).  Owner names and questions are always compressed; names
 * in RDATA only for the RFC 1035 types (NS, CNAME, PTR, SOA, MX and the
 * obsolete MD/MF/MB/MG/MR/MINFO), never for SRV (RFC 2782), DNAME
 * (RFC 6672 2.5) or any other type (RFC 3597 4).
 *
 * Truncation is at RRset granularity: when an RRset does not fit the size
 * limit, dns_wr_rrset_end rolls the buffer back to before it, sets TC (in
 * the answer and authority sections; RFC 2181 9: not for additional data),
 * and no more records are written.  The OPT record may still be added, in
 * room kept free by dns_wr_reserve.
 *
 * Errors are sticky and reported by dns_wr_finish: -EMSGSIZE the header,
 * a question or the OPT record did not fit the buffer or the limit (they
 * are never dropped silently), -E2BIG a section
 * count would exceed 65535, -EINVAL calls out of order.
 */
#ifndef LABNET_DNS_WRITE_H
#define LABNET_DNS_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/wire.h"

/* Compression table size: names and suffixes remembered as pointer
 * targets.  A reply mostly repeats its question and zone names; 64
 * suffixes cover a typical referral with glue, and bound the search per
 * name to 127 suffixes x 64 entries of equal length. */
#define DNS_WR_COMP_MAX 64

/* Size of an OPT record without options (RFC 6891 6.1.2). */
#define DNS_OPT_FIXED_LEN 11

struct dns_wr_comp {
    uint16_t off; /* offset of a label in the message (< 0x4000) */
    uint8_t len;  /* uncompressed length of the name from there */
};

struct dns_wr {
    struct wire_wr w;   /* RDATA fields may be written directly through &d->w */
    struct dns_hdr hdr; /* flags written by dns_wr_finish; change freely */
    size_t limit;       /* truncation limit for RRsets (<= capacity) */
    size_t reserve;     /* octets RRsets must leave free for dns_wr_opt */
    int err;            /* sticky error other than the buffer's own */
    int sec;            /* current section */
    bool started, in_rrset, in_rr, stopped;
    uint16_t count[DNS_SEC_COUNT];
    /* Mark of the open RRset, for rolling it back. */
    size_t mark_pos, mark_ncomp;
    uint16_t mark_count;
    /* The open record. */
    uint16_t rr_type;
    size_t rdlen_at;
    size_t ncomp;
    struct dns_wr_comp comp[DNS_WR_COMP_MAX];
};

/* Starts a message in buf[0..cap).  limit is the size RRsets must fit in
 * (512 for plain UDP, the EDNS payload size, 65535 for TCP); it is clamped
 * to cap.  buf must outlive d. */
void dns_wr_init(struct dns_wr *d, void *buf, size_t cap, size_t limit);

/* Keeps n octets of the limit free for dns_wr_opt (e.g. DNS_OPT_FIXED_LEN
 * plus the options to send). */
void dns_wr_reserve(struct dns_wr *d, size_t n);

/* Writes the header; copies h (its counts are ignored: dns_wr_finish
 * writes the real ones).  Must be the first call after dns_wr_init. */
void dns_wr_header(struct dns_wr *d, const struct dns_hdr *h);

/* Appends a question (QNAME compressed).  Before any RRset. */
void dns_wr_question(struct dns_wr *d, const uint8_t *qname, uint16_t qtype, uint16_t qclass);

/* Opens an RRset in section sec (DNS_SEC_AN/NS/AR, not going backwards).
 * After truncation this and every record call are no-ops. */
void dns_wr_rrset_begin(struct dns_wr *d, int sec);

/* Closes the RRset.  Returns 0 if it was kept; -EMSGSIZE if it did not fit
 * the limit (or the buffer) and was rolled back, TC set if in the answer
 * or authority section, and writing stopped; -EMSGSIZE too if writing had
 * already stopped. */
int dns_wr_rrset_end(struct dns_wr *d);

/* Begins a record in the open RRset: owner (compressed), type, class, TTL
 * and a placeholder RDLENGTH.  Write RDATA with dns_wr_rdata_name and the
 * wire_wr_* functions on &d->w, then dns_wr_rr_end. */
void dns_wr_rr_begin(struct dns_wr *d, const uint8_t *owner, uint16_t type, uint16_t rclass,
                     uint32_t ttl);

/* Writes a name into the open record's RDATA, compressed only if the
 * record's type allows it (see above). */
void dns_wr_rdata_name(struct dns_wr *d, const uint8_t *name);

/* Patches RDLENGTH and counts the record. */
void dns_wr_rr_end(struct dns_wr *d);

/* A record with opaque RDATA rdata[0..rdlen), written as is. */
void dns_wr_rr(struct dns_wr *d, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
               const void *rdata, uint16_t rdlen);

/* Re-encodes a record of the parsed message m into the open RRset: names
 * in the RDATA of NS, CNAME, DNAME, PTR, SOA, MX and SRV are decompressed
 * from m and written again (compressed where allowed); other RDATA is
 * copied.  Returns -EBADMSG if rr does not decode (not for views made by
 * dns_msg_parse of m), otherwise 0 (space problems are the RRset's). */
int dns_wr_rr_copy(struct dns_wr *d, const struct dns_msg *m, const struct dns_rr *rr);

/* Appends the OPT record (RFC 6891 6.1.2) to the additional section, owner
 * the root; e->options[0..options_len) is copied as the option area.
 * Allowed after truncation.  Checked against the full limit: returns 0, or
 * -EMSGSIZE if it did not fit (and was left out; the error is sticky). */
int dns_wr_opt(struct dns_wr *d, const struct dns_edns *e);

/* Patches counts and flags into the header and sets *len (may be NULL) to
 * the message length.  Returns 0 or the first sticky error.  Any open RRset
 * is closed first. */
int dns_wr_finish(struct dns_wr *d, size_t *len);

/*
 * Builds a query into buf[0..cap): one question, ID id, RD as given, and
 * an OPT record if edns is not NULL.  *len gets the length.  Returns 0,
 * -EMSGSIZE if cap is too small.
 */
int dns_query_make(void *buf, size_t cap, uint16_t id, const uint8_t *qname, uint16_t qtype,
                   uint16_t qclass, bool rd, const struct dns_edns *edns, size_t *len);

/*
 * Starts a reply to the parsed query q into d: copies ID, OPCODE, RD and CD
 * (RFC 1035 4.1.1; RFC 6840 5.9 for CD), sets QR, and copies the first
 * question, keeping the case of the QNAME.  The caller then sets
 * d->hdr.rcode/aa/ra, adds RRsets and finishes.  Returns 0 or -EMSGSIZE.
 */
int dns_reply_begin(struct dns_wr *d, void *buf, size_t cap, size_t limit, const struct dns_msg *q);

#endif
