/*
 * dns_msg: parsing DNS messages (RFC 1035 4.1) into views.
 *
 * dns_msg_parse() walks a whole message once, validates every name, every
 * record's framing and the RDATA of the types it knows, and fills
 * caller-sized arrays of views.  Nothing is allocated and nothing copied:
 * views hold offsets into the message, which the caller owns and must keep
 * alive, unchanged, as long as it uses the views.  Counts from the header
 * are never trusted: at most the caller's capacity is filled.
 *
 * Every RR type is carried as opaque RDATA (RFC 3597).  Typed views decode
 * RDATA on demand (dns_rr_a() ... dns_rr_opt()); names inside the RDATA of
 * NS, CNAME, DNAME, PTR, SOA and MX are decompressed against the whole
 * message.  RFC 3597 4 allows compression only in the RFC 1035 types; SRV
 * targets must be sent uncompressed (RFC 2782), but like Unbound and c-ares
 * we are lenient and decompress a compressed SRV target on receipt.  Names
 * in the RDATA of any other type are opaque bytes.
 *
 * Errors: -EBADMSG malformed (including a message cut short: DNS messages
 * arrive whole, see dns_name.h), -E2BIG a count exceeded the caller's
 * capacity, -EMSGSIZE an output buffer too small, -ENOTSUP a typed view
 * asked of a record of another type.
 */
#ifndef LABNET_DNS_MSG_H
#define LABNET_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_name.h"
#include "common/wire.h"

#define DNS_HDR_LEN 12

/* RR types (IANA "Resource Record (RR) TYPEs"). */
#define DNS_TYPE_A      1
#define DNS_TYPE_NS     2
#define DNS_TYPE_MD     3
#define DNS_TYPE_MF     4
#define DNS_TYPE_CNAME  5
#define DNS_TYPE_SOA    6
#define DNS_TYPE_MB     7
#define DNS_TYPE_MG     8
#define DNS_TYPE_MR     9
#define DNS_TYPE_NULL   10
#define DNS_TYPE_WKS    11
#define DNS_TYPE_PTR    12
#define DNS_TYPE_HINFO  13
#define DNS_TYPE_MINFO  14
#define DNS_TYPE_MX     15
#define DNS_TYPE_TXT    16
#define DNS_TYPE_AAAA   28
#define DNS_TYPE_SRV    33
#define DNS_TYPE_NAPTR  35
#define DNS_TYPE_DNAME  39
#define DNS_TYPE_OPT    41
#define DNS_TYPE_DS     43
#define DNS_TYPE_SSHFP  44
#define DNS_TYPE_RRSIG  46
#define DNS_TYPE_NSEC   47
#define DNS_TYPE_DNSKEY 48
#define DNS_TYPE_NSEC3  50
#define DNS_TYPE_TLSA   52
#define DNS_TYPE_SVCB   64
#define DNS_TYPE_HTTPS  65
#define DNS_TYPE_IXFR   251
#define DNS_TYPE_AXFR   252
#define DNS_TYPE_ANY    255
#define DNS_TYPE_CAA    257

/* Classes (RFC 1035 3.2.4, RFC 2136 for NONE). */
#define DNS_CLASS_IN   1
#define DNS_CLASS_CH   3
#define DNS_CLASS_HS   4
#define DNS_CLASS_NONE 254
#define DNS_CLASS_ANY  255

/* RCODEs: 0-15 fit the header; higher ones need EDNS (RFC 6891 6.1.3). */
#define DNS_RCODE_NOERROR   0
#define DNS_RCODE_FORMERR   1
#define DNS_RCODE_SERVFAIL  2
#define DNS_RCODE_NXDOMAIN  3
#define DNS_RCODE_NOTIMP    4
#define DNS_RCODE_REFUSED   5
#define DNS_RCODE_YXDOMAIN  6
#define DNS_RCODE_YXRRSET   7
#define DNS_RCODE_NXRRSET   8
#define DNS_RCODE_NOTAUTH   9
#define DNS_RCODE_NOTZONE   10
#define DNS_RCODE_BADVERS   16
#define DNS_RCODE_BADCOOKIE 23

/* OPCODEs. */
#define DNS_OPCODE_QUERY  0
#define DNS_OPCODE_IQUERY 1
#define DNS_OPCODE_STATUS 2
#define DNS_OPCODE_NOTIFY 4
#define DNS_OPCODE_UPDATE 5
#define DNS_OPCODE_DSO    6

/* Sections of a message, in wire order. */
#define DNS_SEC_QD    0
#define DNS_SEC_AN    1
#define DNS_SEC_NS    2
#define DNS_SEC_AR    3
#define DNS_SEC_COUNT 4

/* Header flag bits of the 16-bit flags word (RFC 1035 4.1.1, RFC 4035). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_FLAG_Z  0x0040u
#define DNS_FLAG_AD 0x0020u
#define DNS_FLAG_CD 0x0010u

/* The header, decoded.  rcode is the 4-bit header RCODE; with EDNS the full
 * 12-bit code is dns_msg_rcode(). */
struct dns_hdr {
    uint16_t id;
    uint8_t opcode;
    uint8_t rcode;
    bool qr, aa, tc, rd, ra, z, ad, cd;
    uint16_t count[DNS_SEC_COUNT]; /* QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT */
};

/* Flags word <-> struct (counts untouched). */
void dns_hdr_set_flags(struct dns_hdr *h, uint16_t flags);
uint16_t dns_hdr_flags(const struct dns_hdr *h);

/* Reads the 12-octet header.  -EBADMSG if fewer than 12 octets remain. */
int dns_hdr_parse(struct wire_rd *r, struct dns_hdr *h);

struct dns_question {
    size_t name_off; /* offset of the (possibly compressed) QNAME */
    uint16_t qtype, qclass;
};

/* One resource record: a view into the message. */
struct dns_rr {
    size_t owner_off; /* offset of the (possibly compressed) owner name */
    uint16_t type, rclass;
    uint32_t ttl;
    size_t rdata_off; /* RDATA is msg->buf[rdata_off .. rdata_off + rdlength) */
    uint16_t rdlength;
    uint8_t section; /* DNS_SEC_AN, DNS_SEC_NS or DNS_SEC_AR */
};

/* A parsed message.  Set qd/qd_cap and rr/rr_cap (caller-owned arrays,
 * either may be NULL with capacity 0) before dns_msg_parse(); it fills the
 * rest.  The records of the three RR sections are stored one after the
 * other in rr; sec_first/sec_n give each section's slice (index 0, the
 * question section, is unused: see qd_n). */
struct dns_msg {
    const uint8_t *buf;
    size_t len;
    struct dns_hdr hdr;
    struct dns_question *qd;
    size_t qd_cap, qd_n;
    struct dns_rr *rr;
    size_t rr_cap, rr_n;
    size_t sec_first[DNS_SEC_COUNT], sec_n[DNS_SEC_COUNT];
    /* The OPT pseudo-record (RFC 6891), a copy of its view, found and
     * checked even when rr was too small to hold it. */
    bool has_opt;
    struct dns_rr opt;
    bool truncated; /* some records or questions did not fit (-E2BIG) */
    size_t end;     /* offset just after the last record; trailing octets
                       after it are ignored (as c-ares and Unbound do) */
};

/*
 * Parses the message buf[0..len) into m (see struct dns_msg for what to set
 * beforehand).  Validates, for every question and record present by the
 * header counts: names (dns_name_decode rules), framing, RDATA lengths, and
 * RDATA of the typed-view types exactly (dns_rr_check).  At most one OPT,
 * only in the additional section with the root as owner (RFC 6891 6.1.1).
 * Returns 0; -EBADMSG if malformed; -E2BIG if the message is well formed
 * but more questions or records were present than capacity (m holds the
 * first ones, m->truncated is set).  buf must outlive m.
 */
int dns_msg_parse(struct dns_msg *m, const void *buf, size_t len);

/* The records of one section (DNS_SEC_AN/NS/AR) and their number. */
const struct dns_rr *dns_msg_section(const struct dns_msg *m, int sec, size_t *n);

/* The full RCODE: the header's 4 bits, extended by OPT's upper 8 bits when
 * present (RFC 6891 6.1.3). */
uint16_t dns_msg_rcode(const struct dns_msg *m);

/* Decodes the owner name of rr / the QNAME of q into out (DNS_NAME_MAXLEN
 * bytes).  Cannot fail on views made by dns_msg_parse() of m; returns
 * -EBADMSG otherwise. */
int dns_msg_rr_owner(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out,
                     size_t *out_len);
int dns_msg_qname(const struct dns_msg *m, const struct dns_question *q, uint8_t *out,
                  size_t *out_len);

/* A reader over the RDATA of rr (a sub-reader, offsets relative to RDATA). */
void dns_rr_rdata(const struct dns_msg *m, const struct dns_rr *rr, struct wire_rd *rd);

/* Typed views.  Each returns -ENOTSUP if rr is of another type, -EBADMSG if
 * its RDATA is malformed (wrong length, bad or over-long name, a name not
 * ending exactly at the end of RDATA).  Names are decoded into caller
 * buffers of DNS_NAME_MAXLEN bytes. */
struct dns_soa {
    uint8_t mname[DNS_NAME_MAXLEN], rname[DNS_NAME_MAXLEN];
    size_t mname_len, rname_len;
    uint32_t serial, refresh, retry, expire, minimum;
};
struct dns_mx {
    uint16_t preference;
    uint8_t exchange[DNS_NAME_MAXLEN];
    size_t exchange_len;
};
struct dns_srv {
    uint16_t priority, weight, port;
    uint8_t target[DNS_NAME_MAXLEN];
    size_t target_len;
};
/* EDNS(0) (RFC 6891 6.1.3), from or for an OPT record.  options is the
 * option area (RDATA) as a slice of the message when parsed; iterate with
 * dns_edns_opt_next(). */
struct dns_edns {
    uint16_t udp_size; /* the OPT CLASS */
    uint8_t ext_rcode; /* upper 8 bits of the 12-bit RCODE */
    uint8_t version;
    bool dnssec_ok; /* DO bit */
    uint16_t z;     /* the other 15 flag bits, 0 as sent by us */
    const uint8_t *options;
    uint16_t options_len;
};

int dns_rr_a(const struct dns_msg *m, const struct dns_rr *rr, uint8_t addr[4]);
int dns_rr_aaaa(const struct dns_msg *m, const struct dns_rr *rr, uint8_t addr[16]);
/* The single name of NS, CNAME, DNAME or PTR RDATA. */
int dns_rr_name(const struct dns_msg *m, const struct dns_rr *rr, uint8_t *out, size_t *out_len);
int dns_rr_soa(const struct dns_msg *m, const struct dns_rr *rr, struct dns_soa *soa);
int dns_rr_mx(const struct dns_msg *m, const struct dns_rr *rr, struct dns_mx *mx);
int dns_rr_srv(const struct dns_msg *m, const struct dns_rr *rr, struct dns_srv *srv);
/* TXT: sets it to iterate the character-strings of rr with
 * dns_txt_next().  -EBADMSG if the strings do not exactly fill RDATA or
 * RDATA is empty (RFC 1035 3.3.14: one or more strings). */
int dns_rr_txt(const struct dns_msg *m, const struct dns_rr *rr, struct wire_rd *it);
/* Next string of a TXT iterator: *s (into the message) and *len.  Returns
 * 1 for a string, 0 at the end, -EBADMSG for a string crossing the end. */
int dns_txt_next(struct wire_rd *it, const uint8_t **s, size_t *len);
int dns_rr_opt(const struct dns_msg *m, const struct dns_rr *rr, struct dns_edns *e);
/* Next EDNS option: *code, *data (a slice of the option area) and *len.
 * it must be a reader over e->options (wire_rd_init).  Returns 1 for an
 * option, 0 at the end, -EBADMSG for an option crossing the end. */
int dns_edns_opt_next(struct wire_rd *it, uint16_t *code, const uint8_t **data, uint16_t *len);

/* Validates rr's RDATA by its type, as dns_msg_parse() does: the typed-view
 * types exactly, any other type as opaque; empty RDATA of class ANY or NONE
 * (DNS UPDATE, RFC 2136 2.4-2.5) is accepted for every type but OPT.
 * 0 or -EBADMSG. */
int dns_rr_check(const struct dns_msg *m, const struct dns_rr *rr);

/* True for the types whose RDATA names may be compressed (RFC 3597 4: the
 * RFC 1035 types).  The parser decompresses these, and SRV leniently. */
bool dns_type_compressible(uint16_t type);

#endif
