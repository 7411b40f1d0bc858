/*
 * dhcp_msg: DHCPv4 message parsing (RFC 2131, RFC 2132, RFC 3396).
 *
 * dhcp_msg_parse() checks a received datagram completely -- BOOTP header,
 * magic cookie, every option in the options area and, when option 52 says
 * so, in 'file' and 'sname' -- and builds a per-code index in the same pass,
 * so later lookups never re-validate and cost at most one walk of the
 * message.  It never allocates: struct dhcp_msg is a view of the caller's
 * buffer (about 2 KiB, meant for the stack) and every pointer it hands out
 * points into that buffer, or into a scratch buffer the caller passed.  The
 * buffer must outlive the view and every slice taken from it.
 *
 * Conventions for the whole DHCP codec (dhcp_msg, dhcp_opt, dhcp_build):
 * IPv4 addresses are uint32_t in NETWORK byte order, i.e. the four wire
 * bytes memcpy'd as they are, the same representation as
 * struct in_addr.s_addr (compare with 0 or with each other; use ntohl() for
 * arithmetic).  Every other integer (xid, secs, flags, lease times, sizes) is
 * in host order.  Errors are 0 or a negative errno: -EBADMSG malformed,
 * -EMSGSIZE no room in a caller buffer, -E2BIG a limit exceeded, -ENOENT an
 * option absent, -ENOTSUP valid but not understood.
 */
#ifndef LABNET_DHCP_MSG_H
#define LABNET_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 2131 section 2: the fixed BOOTP header, then the options field that
 * starts with the magic cookie 99.130.83.99. */
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN  64
#define DHCP_FILE_LEN   128
#define DHCP_SNAME_OFF  44
#define DHCP_FILE_OFF   108
#define DHCP_FIXED_LEN  236
#define DHCP_COOKIE     0x63825363u
#define DHCP_OPT_OFF    240 /* first option byte, after the cookie */
/* Longest message parse accepts: the largest UDP payload fits, and offsets
 * fit the index's 16-bit slots. */
#define DHCP_MSG_MAX 65535
/* RFC 1542 section 3.3: BOOTP messages are at least 300 bytes. */
#define DHCP_MSG_MIN_SEND 300
/* RFC 2131 section 2: every host accepts a 576-byte IP datagram; minus the
 * 20-byte IP and 8-byte UDP headers that leaves 548 bytes of DHCP. */
#define DHCP_MAX_SIZE_MIN   576
#define DHCP_IP_UDP_HDR_LEN 28

#define DHCP_OP_REQUEST     1
#define DHCP_OP_REPLY       2
#define DHCP_FLAG_BROADCAST 0x8000u /* RFC 2131 section 2, figure 2 */
#define DHCP_HTYPE_ETHER    1

/* Option codes (RFC 2132 unless noted). */
#define DHCP_OPT_PAD              0
#define DHCP_OPT_SUBNET_MASK      1
#define DHCP_OPT_ROUTERS          3
#define DHCP_OPT_DNS_SERVERS      6
#define DHCP_OPT_HOST_NAME        12
#define DHCP_OPT_DOMAIN_NAME      15
#define DHCP_OPT_BROADCAST        28
#define DHCP_OPT_NTP_SERVERS      42
#define DHCP_OPT_REQUESTED_ADDR   50
#define DHCP_OPT_LEASE_TIME       51
#define DHCP_OPT_OVERLOAD         52
#define DHCP_OPT_MSG_TYPE         53
#define DHCP_OPT_SERVER_ID        54
#define DHCP_OPT_PARAM_LIST       55
#define DHCP_OPT_MESSAGE          56
#define DHCP_OPT_MAX_SIZE         57
#define DHCP_OPT_T1               58
#define DHCP_OPT_T2               59
#define DHCP_OPT_VENDOR_CLASS     60
#define DHCP_OPT_CLIENT_ID        61
#define DHCP_OPT_CLIENT_FQDN      81  /* RFC 4702 */
#define DHCP_OPT_RELAY_AGENT_INFO 82  /* RFC 3046 */
#define DHCP_OPT_DOMAIN_SEARCH    119 /* RFC 3397 */
#define DHCP_OPT_CLASSLESS_ROUTES 121 /* RFC 3442 */
#define DHCP_OPT_END              255

/* Option 52 values (RFC 2132 section 9.3). */
#define DHCP_OVERLOAD_FILE  1
#define DHCP_OVERLOAD_SNAME 2

/* Option 53 values (RFC 2132 section 9.6).  Codes above DHCP_INFORM
 * (FORCERENEW, RFC 3203; the leasequery family, RFC 4388) are reported as
 * unknown by dhcp_msg_type(). */
#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_DECLINE  4
#define DHCP_ACK      5
#define DHCP_NAK      6
#define DHCP_RELEASE  7
#define DHCP_INFORM   8

/* A parsed message: the fixed header copied out, the variable parts as
 * slices of the parsed buffer, and the option index. */
struct dhcp_msg {
    const uint8_t *buf; /* the whole message, as passed to dhcp_msg_parse */
    size_t len;

    uint8_t op, htype, hlen, hops;           /* hlen <= DHCP_CHADDR_LEN */
    uint32_t xid;                            /* host order */
    uint16_t secs, flags;                    /* host order; flags & DHCP_FLAG_BROADCAST */
    uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
    uint8_t chaddr[DHCP_CHADDR_LEN];         /* all 16 bytes; hlen of them significant */
    /* 'sname' and 'file' as raw fixed-size fields (not NUL-checked), or
     * NULL when option 52 has given them over to options. */
    const uint8_t *sname; /* DHCP_SNAME_LEN bytes or NULL */
    const uint8_t *file;  /* DHCP_FILE_LEN bytes or NULL */
    uint8_t overload;     /* option 52: 0, or DHCP_OVERLOAD_FILE | DHCP_OVERLOAD_SNAME */

    /* Index, per option code: offset of the first instance's code byte
     * (0 = absent: no option starts at offset 0), number of instances, and
     * the length of all instances joined (RFC 3396).  Pad and end are not
     * indexed.  Read through the functions below. */
    uint16_t opt_first[256];
    uint16_t opt_count[256];
    uint32_t opt_total[256];
};

/* One option instance as it sits on the wire (not joined). */
struct dhcp_opt {
    uint8_t code;
    uint8_t len;
    const uint8_t *val; /* len bytes inside the message */
};

/* Walks every option instance in wire order: options area, then 'file',
 * then 'sname' (RFC 2131 section 4.1).  Fields are private. */
struct dhcp_opt_iter {
    const struct dhcp_msg *m;
    uint8_t area; /* 0 options, 1 file, 2 sname, 3 done */
    size_t pos;
};

/*
 * Parses and fully validates buf[0..len).  On success fills *m, which then
 * refers to buf (keep buf alive and unchanged while m or any slice is used).
 *
 * Rules (each failure is -EBADMSG unless noted):
 *  - at least 240 bytes: 236-byte header and the magic cookie; a message
 *    without the cookie (plain BOOTP) is refused;
 *  - op is 1 or 2; hlen <= 16;
 *  - options: pad (0) is skipped, every other option but end has a length
 *    byte and that many value bytes inside its area; an area must end with
 *    the end option (RFC 2131 section 4.1: "the last option must always be
 *    the 'end' option"); bytes after it are ignored;
 *  - option 52 may appear only in the options area, its joined value is one
 *    byte 1..3; the areas it names are walked after the options area, file
 *    before sname, each needing its own end option.  52 inside file or sname
 *    is refused, so there is no way to loop;
 *  - len > DHCP_MSG_MAX is -E2BIG.
 * Any prefix of a message that stops before its end option is therefore
 * rejected.  Work is one pass over at most len bytes.
 */
int dhcp_msg_parse(struct dhcp_msg *m, const void *buf, size_t len);

/* True when option code is present (pad and end never are). */
bool dhcp_msg_opt_has(const struct dhcp_msg *m, uint8_t code);

/* Number of instances of code (RFC 3396: more than one means "join"). */
size_t dhcp_msg_opt_count(const struct dhcp_msg *m, uint8_t code);

/* Length of the value of code with all its instances joined, or 0 when
 * absent (a present option may also be empty: use dhcp_msg_opt_has). */
size_t dhcp_msg_opt_len(const struct dhcp_msg *m, uint8_t code);

/*
 * Looks option code up and returns its whole value in *val / *len.
 * A single instance comes back as a slice of the message (scratch is not
 * touched).  Several instances (RFC 3396 long options, or a client that
 * repeats one) are joined in wire order into scratch[0..cap) and *val points
 * into scratch.  scratch may be NULL when cap is 0.
 * Returns 0; -ENOENT when absent; -EMSGSIZE when the joined value exceeds
 * cap (size it with dhcp_msg_opt_len).  Work is bounded by the message size.
 */
int dhcp_msg_opt_get(const struct dhcp_msg *m, uint8_t code, uint8_t *scratch, size_t cap,
                     const uint8_t **val, size_t *len);

/* Starts an iteration over every option instance of m (pad and end are
 * skipped).  The iterator is valid while m is. */
void dhcp_msg_opt_iter_init(struct dhcp_opt_iter *it, const struct dhcp_msg *m);

/* Fills *o with the next instance and returns true, or returns false at the
 * end.  o->val points into the message. */
bool dhcp_msg_opt_next(struct dhcp_opt_iter *it, struct dhcp_opt *o);

/* Scalar accessors for fixed-size options; each returns 0, -ENOENT when the
 * option is absent, or -EBADMSG when its joined value has the wrong length.
 * dhcp_msg_get_addr: 4 bytes, network order (options 1, 28, 50, 54, ...).
 * dhcp_msg_get_u32: 4 bytes, host order (options 51, 58, 59, ...).
 * dhcp_msg_get_u16: 2 bytes, host order. */
int dhcp_msg_get_addr(const struct dhcp_msg *m, uint8_t code, uint32_t *addr);
int dhcp_msg_get_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *v);
int dhcp_msg_get_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *v);

/* Option 53.  *type receives the raw value whenever one byte is present.
 * Returns 0 for DHCP_DISCOVER..DHCP_INFORM, -ENOTSUP for other values
 * (RFC 3203 FORCERENEW, RFC 4388 leasequery: valid but not ours), -EBADMSG
 * for 0 or a length other than 1, -ENOENT when absent (plain BOOTP). */
int dhcp_msg_type(const struct dhcp_msg *m, uint8_t *type);

/* Option 57 as a limit on the whole IP datagram the client accepts:
 * DHCP_MAX_SIZE_MIN when absent, malformed, or below that minimum (RFC 2132
 * section 9.10 makes 576 the least legal value).  Never fails. */
uint16_t dhcp_msg_max_size(const struct dhcp_msg *m);

#endif
