/*
 * dhcp_build: building DHCPv4 messages (RFC 2131, RFC 3396).
 *
 * Builders write a whole message into a caller buffer of fixed capacity and
 * never allocate.  Option values are passed as struct dhcp_opt_val (make
 * structured ones with the dhcp_opt encoders).  A value longer than 255
 * bytes is split into consecutive instances of the same code (RFC 3396
 * section 6).  Every message is ended with the end option and padded with
 * zeros to DHCP_MSG_MIN_SEND (300) bytes, the BOOTP minimum some clients and
 * relays still insist on (RFC 1542 section 3.3).  Overload (option 52) is
 * never used: when options do not fit, the reply builder drops whole
 * options, lowest priority first (see dhcp_build_reply); clients that
 * ignore overload stay served.
 *
 * Addresses are uint32_t in network order (see dhcp_msg.h).  Errors:
 * -EMSGSIZE the message does not fit the buffer or the size limit, -EINVAL a
 * bad argument (missing required field, reserved option code).
 */
#ifndef LABNET_DHCP_BUILD_H
#define LABNET_DHCP_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dhcp_msg.h"

/* One option to send.  val may be NULL when len is 0. */
struct dhcp_opt_val {
    uint8_t code;
    bool always;        /* reply: send even if the client did not ask (55) */
    const uint8_t *val; /* caller-owned; read during the build only */
    size_t len;         /* up to 65535; split per RFC 3396 beyond 255 */
};

/* What a server says in a reply; the rest comes from the request. */
struct dhcp_reply {
    uint8_t type;       /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
    uint32_t server_id; /* option 54 (RFC 2131 table 3: MUST in all three) */
    uint32_t yiaddr;    /* the address offered or acknowledged; 0 for NAK
                         * and for the ACK to an INFORM */
    uint32_t siaddr;    /* next server (TFTP), or 0 */
    /* Optional contents of 'sname' and 'file' (server host name, boot file):
     * up to 64 and 128 bytes, zero-filled after.  NULL or 0 leaves them
     * zero. */
    const uint8_t *sname;
    size_t sname_len;
    const uint8_t *file;
    size_t file_len;
    /* Candidate options, highest priority first.  Codes 0, 52, 53, 54 and
     * 255 are the builder's own and refused. */
    const struct dhcp_opt_val *opts;
    size_t nopts;
};

/*
 * Builds the reply to req into buf[0..cap); *len receives its length.
 *
 * Header (RFC 2131 section 4.3.1, table 3): op 2; htype, hlen, xid, flags,
 * giaddr and chaddr from req; hops and secs 0; ciaddr from req for an ACK,
 * else 0; yiaddr and siaddr from rep (both forced to 0 for a NAK).  When
 * req is a DHCPINFORM, yiaddr is 0 and candidates 51, 58 and 59 are left out
 * (RFC 2131 section 4.3.5: no lease is granted).
 *
 * Options, in this order: 53, 54; then every candidate whose code is in the
 * request's parameter request list (55), in the order of that list (RFC 2131
 * section 4.3.1 asks the server to honour the client's order; a code listed
 * twice is sent once; a list over 1024 bytes joined is ignored as hostile); then the remaining
 * candidates marked always, in candidate order; then end.  Unrequested candidates without always
 * are not sent.  A candidate code given twice is sent once (the first).
 *
 * Size: the message never exceeds cap nor the client's limit, option 57
 * minus the 28 bytes of IP and UDP headers (548 bytes when 57 is absent or
 * below 576).  Options marked always must fit, or the result is -EMSGSIZE;
 * the requested ones are then taken in the client's order (its priority)
 * while they fit, and one that does not fit is dropped whole (a later,
 * smaller one may still go in).  Option 52 overload is not used.  Also
 * -EMSGSIZE when cap is below 300, -EINVAL for a reserved candidate code, a
 * type other than OFFER/ACK/NAK, or an over-long sname,
 * file or option value.
 */
int dhcp_build_reply(const struct dhcp_msg *req, const struct dhcp_reply *rep, uint8_t *buf,
                     size_t cap, size_t *len);

/* Where a client is when it sends DHCPREQUEST (RFC 2131 section 4.3.2). */
enum dhcp_req_state {
    DHCP_REQ_SELECTING,   /* answering an OFFER: 50 and 54, ciaddr 0 */
    DHCP_REQ_INIT_REBOOT, /* checking a remembered lease: 50, ciaddr 0 */
    DHCP_REQ_RENEWING,    /* unicast renewal: ciaddr, no 50/54 */
    DHCP_REQ_REBINDING,   /* broadcast renewal: ciaddr, no 50/54 */
};

/* What a client sends. */
struct dhcp_request {
    uint8_t type;              /* DISCOVER, REQUEST, DECLINE, RELEASE or INFORM */
    enum dhcp_req_state state; /* DHCP_REQUEST only */
    uint32_t xid;
    uint16_t secs;       /* seconds since the exchange began (0 for DECLINE/RELEASE) */
    bool broadcast;      /* ask for broadcast replies (DISCOVER/REQUEST/INFORM) */
    uint8_t htype, hlen; /* hlen <= 16 */
    uint8_t chaddr[DHCP_CHADDR_LEN];
    uint32_t ciaddr;          /* the client's address: INFORM, RELEASE, RENEWING/REBINDING */
    uint32_t requested;       /* option 50: DECLINE, SELECTING, INIT_REBOOT; optional in DISCOVER */
    uint32_t server_id;       /* option 54: SELECTING, DECLINE, RELEASE */
    const uint8_t *client_id; /* option 61 value (type byte + id), or NULL */
    size_t client_id_len;
    const uint8_t *host_name; /* option 12, or NULL */
    size_t host_name_len;
    const uint8_t *prl; /* option 55 codes, or NULL */
    size_t prl_len;
    uint16_t max_size;                /* option 57 (>= 576), or 0 to leave it out */
    const struct dhcp_opt_val *extra; /* more options (60, 81, 51, 56, ...) */
    size_t nextra;
};

/*
 * Builds a client message into buf[0..cap) following RFC 2131 table 5:
 *  - ciaddr: the client's address for INFORM, RELEASE and REQUEST while
 *    RENEWING/REBINDING; 0 otherwise;
 *  - option 50: required (non-zero) for DECLINE and REQUEST in SELECTING or
 *    INIT_REBOOT, sent in DISCOVER when non-zero, never otherwise;
 *  - option 54: required for DECLINE, RELEASE and REQUEST in SELECTING,
 *    never otherwise;
 *  - options 55, 57, 12 and the extras: sent with DISCOVER, REQUEST and
 *    INFORM; DECLINE and RELEASE carry only 53, 50/54, 61 and an extra 56
 *    (message), other fields being left out ("MUST NOT" in table 5);
 *  - flags carry the broadcast bit and secs the elapsed time, except for
 *    DECLINE and RELEASE where both are 0.
 * Order: 53, 50, 54, 57, 55, 61, 12, extras, end.  The message must fit in
 * cap and in 548 bytes (servers need accept no larger, RFC 2131 section 2).
 * Returns 0 with *len set; -EINVAL for another type, a missing required
 * field, an extra with a code the builder owns (0, 12, 50, 52-55, 57, 61,
 * 255), hlen > 16 or max_size in 1..575; -EMSGSIZE when it does not fit.
 */
int dhcp_build_request(const struct dhcp_request *rq, uint8_t *buf, size_t cap, size_t *len);

#endif
