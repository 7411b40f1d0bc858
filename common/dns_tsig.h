/*
 * dns_tsig: transaction signatures for DNS messages (RFC 8945), the
 * authentication of DNS UPDATE (RFC 2136) between labnet-dhcpd and
 * labnet-dnsd, and of `nsupdate -y` / `dig -y`.
 *
 * A key is a name, an HMAC algorithm and a secret, written as BIND's tools
 * take it on the command line: "[alg:]name:base64-secret".  Only the
 * SHA-2 HMACs and HMAC-SHA1 are accepted; HMAC-MD5 is refused (RFC 8945 6:
 * MUST NOT be used for new deployments... we simply don't offer it).
 *
 * Signing appends the TSIG record to a finished message in place;
 * verifying looks at a parsed message (dns_msg_parse) whose last additional
 * record is the TSIG.  Nothing is allocated except OpenSSL's MAC context
 * inside each call.
 */
#ifndef LABNET_DNS_TSIG_H
#define LABNET_DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"

#define DNS_TYPE_TSIG 250

/* TSIG error codes (RFC 8945 3: in the TSIG record's Error field). */
#define DNS_TSIG_BADSIG   16
#define DNS_TSIG_BADKEY   17
#define DNS_TSIG_BADTIME  18
#define DNS_TSIG_BADTRUNC 22

#define DNS_TSIG_MAC_MAX    64  /* HMAC-SHA512 */
#define DNS_TSIG_SECRET_MAX 128 /* longer HMAC keys are hashed anyway */
#define DNS_TSIG_FUDGE      300 /* seconds of clock skew allowed (RFC 8945 10) */

enum dns_tsig_alg {
    DNS_TSIG_HMAC_SHA1 = 1,
    DNS_TSIG_HMAC_SHA224,
    DNS_TSIG_HMAC_SHA256,
    DNS_TSIG_HMAC_SHA384,
    DNS_TSIG_HMAC_SHA512,
};

struct dns_tsig_key {
    uint8_t name[DNS_NAME_MAXLEN]; /* wire form, lower case */
    enum dns_tsig_alg alg;
    uint8_t secret[DNS_TSIG_SECRET_MAX];
    size_t secret_len;
};

/* Parses "[alg:]name:secret" (alg one of hmac-sha1, hmac-sha224,
 * hmac-sha256 (the default), hmac-sha384, hmac-sha512; secret in base64).
 * Returns 0, or -EINVAL with a reason in err[0..errcap) (may be NULL). */
int dns_tsig_key_parse(struct dns_tsig_key *k, const char *spec, char *err, size_t errcap);

/* The algorithm's name in wire form (e.g. "\x0bhmac-sha256\0") and its
 * MAC length. */
const uint8_t *dns_tsig_alg_name(enum dns_tsig_alg alg);
size_t dns_tsig_alg_mac_len(enum dns_tsig_alg alg);

/* What a message's TSIG record says.  Pointers are into the message. */
struct dns_tsig_info {
    size_t rr_off; /* where the TSIG record starts: the signed message's end */
    uint8_t key_name[DNS_NAME_MAXLEN];
    uint8_t alg_name[DNS_NAME_MAXLEN];
    uint64_t time_signed; /* 48 bits, seconds since the epoch */
    uint16_t fudge;
    const uint8_t *mac;
    uint16_t mac_len;
    uint16_t orig_id;
    uint16_t error;
    const uint8_t *other;
    uint16_t other_len;
};

/* Finds the TSIG record of the parsed message m (all its records must be
 * in m->rr: m->truncated is refused).  Returns 1 and fills t when the last
 * additional record is a well-formed TSIG; 0 when the message has no
 * TSIG; -EBADMSG when a TSIG is malformed, not the last record, or not of
 * class ANY and TTL 0 (RFC 8945 5.2: FORMERR). */
int dns_tsig_find(const struct dns_msg *m, struct dns_tsig_info *t);

/*
 * Verifies the TSIG t of m against keys[0..nkeys) at time now.  req_mac
 * (NULL, 0 for a request) is the MAC of the request this message answers.
 * Returns the TSIG error: 0 (valid; *key gets the key's index), or
 * DNS_TSIG_BADKEY (no key of that name and algorithm), DNS_TSIG_BADSIG
 * (MAC wrong, or shorter than allowed: RFC 8945 5.2.2.1), DNS_TSIG_BADTIME
 * (signed outside now +- fudge; checked after the MAC, RFC 8945 5.2.3).
 * The MAC is compared in constant time.
 */
int dns_tsig_verify(const struct dns_msg *m, const struct dns_tsig_info *t,
                    const struct dns_tsig_key *keys, size_t nkeys, uint64_t now,
                    const uint8_t *req_mac, size_t req_mac_len, size_t *key);

/*
 * Signs the message msg[0..*len) (a finished message whose ID and counts
 * are final) by appending a TSIG record with key k, time now, fudge, and
 * error (0, or the TSIG error this answer reports).  req_mac: the request's
 * MAC when signing a response, else NULL.  With error BADSIG or BADKEY the
 * record is unsigned (MAC size 0, RFC 8945 5.3.2); with BADTIME its other
 * data is the server's time.  On success *len grows, ARCOUNT is
 * incremented, and the MAC is copied to mac_out (DNS_TSIG_MAC_MAX bytes,
 * may be NULL) with its length in *mac_len.  Returns 0, -EMSGSIZE if cap
 * is too small (msg unchanged), -EBADMSG if msg is shorter than a header,
 * -EIO if OpenSSL fails.
 */
int dns_tsig_sign(uint8_t *msg, size_t *len, size_t cap, const struct dns_tsig_key *k, uint64_t now,
                  uint16_t fudge, uint16_t error, const uint8_t *req_mac, size_t req_mac_len,
                  uint8_t *mac_out, size_t *mac_len);

#endif
