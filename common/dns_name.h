/*
 * dns_name: DNS domain names in wire form.
 *
 * A name inside labnet is always held uncompressed, in wire form (RFC 1035
 * 3.1): a run of length-prefixed labels ending in the zero-length root label,
 * at most DNS_NAME_MAXLEN (255) octets including every length octet.  Names
 * are stored in caller buffers of DNS_NAME_MAXLEN bytes; nothing here
 * allocates.
 *
 * Only dns_name_decode() and dns_name_from_text() take untrusted input.
 * Every other function expects a valid uncompressed name (what those two
 * produce) and does not re-validate it.
 *
 * Errors: -EBADMSG for anything malformed (a bad label type, a pointer that
 * does not point strictly backwards, too many pointer jumps, a label or name
 * over its limit, running off the end of the message), -EMSGSIZE when an
 * output buffer is too small.  DNS messages arrive whole (a UDP datagram, or
 * a TCP message framed by its two-octet length, RFC 1035 4.2.2), so running
 * off the end of one is malformation, never -EAGAIN.
 */
#ifndef LABNET_DNS_NAME_H
#define LABNET_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/* RFC 1035 2.3.4: labels are 63 octets or less, names 255 octets or less. */
#define DNS_LABEL_MAXLEN 63
#define DNS_NAME_MAXLEN  255
/* The most labels a name can have, the root label not counted: 127
 * one-octet labels take 254 octets, plus the root. */
#define DNS_NAME_MAXLABELS 127
/* Cap on compression pointers followed while decoding one name.  Pointers
 * must point strictly backwards, which already rules out loops; the cap
 * bounds the work on a chain of pointers to pointers.  A sane encoder needs
 * at most one pointer per name; 128, as c-ares, leaves room for any
 * pointer-per-label encoding of the longest name. */
#define DNS_NAME_MAXJUMPS 128
/* Longest presentation form: every one of 254 non-root octets escaped as
 * \DDD, plus the dots and the terminating NUL, stays below this. */
#define DNS_NAME_TEXT_MAX 1024

/*
 * Decodes the (possibly compressed) name at r->pos into out, uncompressed,
 * and sets *out_len to its wire length (1 for the root).  r must view the
 * whole message from its first octet: compression pointers are offsets from
 * r->buf (RFC 1035 4.1.4).  On success r->pos is just after the name's
 * in-line part: after the root label, or after the first pointer.
 *
 * Rules (all -EBADMSG): label types 0x40 and 0x80 are reserved (RFC 6891
 * 5 retired 0x40); a pointer must point before the first label of the run of
 * labels that led to it, so every jump strictly decreases the position and
 * no loop or self-reference is possible; at most DNS_NAME_MAXJUMPS jumps;
 * labels of at most 63 octets; the decoded name at most 255 octets.  The
 * reader's sticky error is set on failure.  out may be NULL to validate and
 * skip a name; otherwise it must hold DNS_NAME_MAXLEN bytes.  out_len may be
 * NULL.
 */
int dns_name_decode(struct wire_rd *r, uint8_t *out, size_t *out_len);

/* Wire length of a valid uncompressed name, root label included. */
size_t dns_name_len(const uint8_t *name);

/* Number of labels, the root not counted (0 for the root). */
size_t dns_name_labels(const uint8_t *name);

/* True if a and b are the same name, ASCII letters compared without case
 * (RFC 4343); other octets compare exactly. */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);

/* Canonical DNS order (RFC 4034 6.1): compares label by label from the
 * root, each label as lowercased octets.  Returns <0, 0 or >0. */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);

/* Lowercases the ASCII letters of name in place (RFC 4034 6.2). */
void dns_name_lower(uint8_t *name);

/* True if name is zone or below it ("www.example.com." is a subdomain of
 * "example.com." and of "."; "badexample.com." is not).  This is the
 * bailiwick test, so it compares whole labels, without case. */
bool dns_name_is_sub(const uint8_t *name, const uint8_t *zone);

/* The parent of name: a pointer into name just past its first label, valid
 * as long as name is.  NULL for the root, which has no parent. */
const uint8_t *dns_name_parent(const uint8_t *name);

/*
 * Writes the presentation form of name (RFC 1035 5.1) into out as a
 * NUL-terminated string, absolute with a trailing dot ("." for the root).
 * The octets . \ " ( ) ; @ $ are escaped with a backslash and octets outside
 * printable ASCII as \DDD.  *out_len (may be NULL) gets the string length.
 * -EMSGSIZE if cap is too small (DNS_NAME_TEXT_MAX always suffices); out is
 * then an empty string if cap > 0.
 */
int dns_name_to_text(const uint8_t *name, char *out, size_t cap, size_t *out_len);

/*
 * Parses the presentation form text[0..len) into an uncompressed wire name
 * in out (DNS_NAME_MAXLEN bytes) and sets *out_len.  Names are absolute: a
 * missing trailing dot is accepted and means the same; "." is the root.
 * Escapes \X (X any non-digit) and \DDD (three decimal digits, at most 255)
 * are understood.  -EBADMSG for an empty string, an empty label ("a..b",
 * ".a"), a label over 63 octets, a name over 255, or a bad escape.
 */
int dns_name_from_text(const char *text, size_t len, uint8_t *out, size_t *out_len);

#endif
