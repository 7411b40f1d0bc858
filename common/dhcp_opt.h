/*
 * dhcp_opt: typed DHCPv4 option values (RFC 2132, 3046, 3397, 3442, 4702).
 *
 * Decoders take one option's whole value -- val[0..len), as returned by
 * dhcp_msg_opt_get(), which has already joined RFC 3396 instances -- and
 * never allocate: anything variable comes back as a slice of val, so it
 * lives as long as the message buffer or scratch that val points into.
 * Encoders append an option VALUE (no code or length byte) to a wire writer;
 * hand the bytes to dhcp_build as a struct dhcp_opt_val.  Addresses are
 * uint32_t in network order (see dhcp_msg.h).
 *
 * Errors: -EBADMSG malformed value (including an empty value where the
 * option requires bytes), -E2BIG more entries than the caller's array holds
 * where dropping some would change the meaning, -EINVAL a bad argument to an
 * encoder, -EMSGSIZE the writer is full (its sticky error).
 */
#ifndef LABNET_DHCP_OPT_H
#define LABNET_DHCP_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/* Options 3, 6, 42 (and other address lists, RFC 2132 sections 3.5, 3.8,
 * 8.3): a non-empty multiple of 4 bytes.  The first cap addresses go to
 * out, in wire order (the order of preference); any further ones are
 * ignored, since a shorter list of servers is still a correct one.
 * *n receives how many were stored. */
int dhcp_opt_addrs_decode(const uint8_t *val, size_t len, uint32_t *out, size_t cap, size_t *n);

/* Text options 12 (host name) and 15 (domain name): at least one byte
 * (RFC 2132 sections 3.14, 3.17).  Trailing NULs, which some clients send,
 * are dropped from the slice; a NUL anywhere else or a value of NULs only is
 * -EBADMSG.  The slice is not NUL-terminated. */
int dhcp_opt_text_decode(const uint8_t *val, size_t len, const uint8_t **text, size_t *text_len);

/* Option 55 (RFC 2132 section 9.8): at least one code; the codes are the
 * value itself, so this only checks it is non-empty. */
int dhcp_opt_prl_decode(const uint8_t *val, size_t len);

/* Option 61 (RFC 2132 section 9.14): a type byte and at least one byte of
 * identifier.  *id points into val. */
int dhcp_opt_client_id_decode(const uint8_t *val, size_t len, uint8_t *type, const uint8_t **id,
                              size_t *id_len);

/* Option 81 client FQDN (RFC 4702). */
#define DHCP_FQDN_S 0x01 /* server should do the A update */
#define DHCP_FQDN_O 0x02 /* server overrode the client's S (server only) */
#define DHCP_FQDN_E 0x04 /* name in canonical wire format */
#define DHCP_FQDN_N 0x08 /* server should do no update */

enum dhcp_fqdn_form {
    DHCP_FQDN_ASCII,        /* E clear: deprecated ASCII text (RFC 4702 2.3.1) */
    DHCP_FQDN_WIRE,         /* E set, ends with the root label: fully qualified */
    DHCP_FQDN_WIRE_PARTIAL, /* E set, no root label: a partial name */
};

struct dhcp_fqdn {
    uint8_t flags;  /* the raw flags byte; MBZ bits are kept, not judged */
    uint8_t rcode1; /* RFC 4702 section 2.2: deprecated, 0 or 255 */
    uint8_t rcode2;
    enum dhcp_fqdn_form form;
    const uint8_t *name; /* slice of val; may be empty ("you pick a name") */
    size_t name_len;
};

/* Decodes option 81: at least 3 bytes.  With E set the name must be a
 * sequence of uncompressed labels (length 1..63, RFC 1035 section 3.1; a
 * compression pointer or reserved label type is -EBADMSG), at most 255
 * bytes, optionally ending with the root label; nothing may follow the
 * root label.  Turning the wire name into text is dns_name's job.  With E
 * clear the name is returned as is. */
int dhcp_opt_fqdn_decode(const uint8_t *val, size_t len, struct dhcp_fqdn *f);

/* Appends an option 81 value with the name in wire format (E is forced on,
 * as RFC 4702 section 2.1 asks of new clients): text is a dotted name
 * ("host" for a partial name, "host.example." or "host.example" for a fully
 * qualified one: fully_qualified says which).  -EINVAL for an empty label, a
 * label over 63 bytes or a name over 255 bytes in wire form. */
int dhcp_opt_fqdn_encode(struct wire_wr *w, uint8_t flags, const char *name, bool fully_qualified);

/* Option 82 relay agent information (RFC 3046 section 2.0): sub-options of
 * code, length, value, which must exactly fill the value.  The first
 * circuit id (1) and remote id (2) are returned as slices (NULL and 0 when
 * absent); other sub-options are skipped.  A server echoes the whole option
 * back unchanged (RFC 3046 section 2.2), so keep val for that. */
#define DHCP_RELAY_CIRCUIT_ID 1
#define DHCP_RELAY_REMOTE_ID  2
struct dhcp_relay_info {
    const uint8_t *circuit_id;
    size_t circuit_id_len;
    const uint8_t *remote_id;
    size_t remote_id_len;
};
int dhcp_opt_relay_decode(const uint8_t *val, size_t len, struct dhcp_relay_info *ri);

/* Option 119 domain search (RFC 3397): the raw value must be non-empty;
 * decoding its compressed names is dns_name's job, so this returns 0 or
 * -EBADMSG only. */
int dhcp_opt_search_decode(const uint8_t *val, size_t len);

/* Appends an option 119 value for names[0..n): each dotted name ("a.example"
 * or "a.example.") as an uncompressed wire name ending with the root label
 * (RFC 3397 section 2 permits, without requiring, compression).  -EINVAL
 * for an empty name list, an empty label, a label over 63 bytes or a name
 * over 255 bytes in wire form. */
int dhcp_opt_search_encode(struct wire_wr *w, const char *const *names, size_t n);

/* Option 121 classless static routes (RFC 3442 section 3). */
struct dhcp_route {
    uint32_t dest;   /* network order, host bits zero */
    uint8_t prefix;  /* 0..32 */
    uint32_t router; /* network order */
};

/* Decodes option 121 into out[0..cap): each route is a width byte (0..32),
 * ceil(width/8) significant destination octets and a 4-byte router.  Width
 * over 32, a truncated route, an empty value or destination bits set beyond
 * the width is -EBADMSG; more routes than cap is -E2BIG (a partial route
 * table would misroute, so none is better).  *n receives the count. */
int dhcp_opt_routes_decode(const uint8_t *val, size_t len, struct dhcp_route *out, size_t cap,
                           size_t *n);

/* Appends the compact encoding of routes[0..n).  -EINVAL for an empty list,
 * a prefix over 32 or host bits set in a destination. */
int dhcp_opt_routes_encode(struct wire_wr *w, const struct dhcp_route *routes, size_t n);

#endif
