/*
 * dns_text: presentation format of records and of the DNS number spaces,
 * dig style (labnet-dig prints through this).
 *
 * Records print as "owner TTL CLASS TYPE RDATA" separated by tabs.  RDATA
 * has its usual text form for A, AAAA, NS, CNAME, DNAME, PTR, SOA, MX, TXT
 * and SRV; every other type (and a record whose RDATA does not decode)
 * prints in the generic form of RFC 3597 5, "\# <len> <hex>".
 *
 * All output goes to caller buffers as NUL-terminated strings; nothing is
 * allocated.  -EMSGSIZE when the buffer is too small (the buffer then holds
 * an empty string when cap > 0).
 */
#ifndef LABNET_DNS_TEXT_H
#define LABNET_DNS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"

/* Enough for any mnemonic or generic form ("CLASS65535", "TYPE65535"). */
#define DNS_MNEMONIC_MAX 16

/* Number -> mnemonic ("A", "IN", "NXDOMAIN", "QUERY"); unknown types and
 * classes in the RFC 3597 5 generic form "TYPE12345" / "CLASS12345", other
 * unknown numbers in decimal.  out must hold DNS_MNEMONIC_MAX bytes. */
void dns_type_to_text(uint16_t type, char *out);
void dns_class_to_text(uint16_t rclass, char *out);
void dns_rcode_to_text(uint16_t rcode, char *out);
void dns_opcode_to_text(uint8_t opcode, char *out);

/* Mnemonic -> number, without case; also the generic forms TYPEnnn /
 * CLASSnnn (decimal, at most 65535, no sign or leading junk) and, for
 * rcodes and opcodes, a plain decimal number.  0 or -EBADMSG. */
int dns_type_from_text(const char *s, uint16_t *type);
int dns_class_from_text(const char *s, uint16_t *rclass);
int dns_rcode_from_text(const char *s, uint16_t *rcode);
int dns_opcode_from_text(const char *s, uint8_t *opcode);

/* RDATA of rr alone in presentation form.  Typed where known, else (or if
 * the RDATA is malformed) RFC 3597 generic.  0 or -EMSGSIZE. */
int dns_rdata_to_text(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap);

/* A whole record: owner, TTL, class, type, RDATA, tab-separated.  An OPT
 * pseudo-record prints its fields as "; EDNS: version 0; flags: do; udp:
 * 1232" instead (what dig shows in its OPT PSEUDOSECTION).  0 or
 * -EMSGSIZE; -EBADMSG if the owner name does not decode. */
int dns_rr_to_text(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap);

/* A question: ";owner CLASS TYPE" as dig prints it. */
int dns_question_to_text(const struct dns_msg *m, const struct dns_question *q, char *out,
                         size_t cap);

#endif
