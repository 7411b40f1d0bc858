/*
 * dhcp_build: building DHCPv4 messages.  See dhcp_build.h for the contract.
 *
 * Both builders first decide which options go out and check that the
 * result fits, then write; the write itself goes through a wire writer so a
 * sizing slip shows as -EMSGSIZE, never as an overflow.
 */
#include "common/dhcp_build.h"

#include <errno.h>
#include <string.h>

#include "common/wire.h"

#define OPT_VAL_MAX 65535
/* The most options a reply orders: each code at most once. */
#define ORDER_MAX 256

/* Bytes an option takes on the wire once split into 255-byte pieces
 * (RFC 3396 section 6); an empty value still takes code and length. */
static size_t opt_wire_size(size_t len)
{
    if (len == 0)
        return 2;
    return len + 2 * ((len + 254) / 255);
}

static void put_opt(struct wire_wr *w, uint8_t code, const uint8_t *val, size_t len)
{
    if (len == 0) {
        wire_wr_u8(w, code);
        wire_wr_u8(w, 0);
        return;
    }
    /* RFC 3396 section 6: split into consecutive instances of the code. */
    while (len > 0) {
        size_t n = len > 255 ? 255 : len;
        wire_wr_u8(w, code);
        wire_wr_u8(w, (uint8_t)n);
        wire_wr_bytes(w, val, n);
        val += n;
        len -= n;
    }
}

static void put_addr_opt(struct wire_wr *w, uint8_t code, uint32_t addr)
{
    put_opt(w, code, (const uint8_t *)&addr, 4);
}

/* Header through the cookie.  Addresses are already in network order. */
static void put_header(struct wire_wr *w, uint8_t op, uint8_t htype, uint8_t hlen, uint32_t xid,
                       uint16_t secs, uint16_t flags, const uint32_t addrs[4],
                       const uint8_t chaddr[DHCP_CHADDR_LEN])
{
    wire_wr_u8(w, op);
    wire_wr_u8(w, htype);
    wire_wr_u8(w, hlen);
    wire_wr_u8(w, 0); /* hops: only relays count them */
    wire_wr_u32(w, xid);
    wire_wr_u16(w, secs);
    wire_wr_u16(w, flags);
    for (size_t i = 0; i < 4; i++)
        wire_wr_bytes(w, &addrs[i], 4);
    wire_wr_bytes(w, chaddr, DHCP_CHADDR_LEN);
}

/* A fixed text field: the bytes given, zero-filled to its size. */
static void put_field(struct wire_wr *w, const uint8_t *v, size_t n, size_t size)
{
    if (v && n)
        wire_wr_bytes(w, v, n);
    else
        n = 0;
    wire_wr_zero(w, size - n);
}

/* End option, then zero padding up to the BOOTP minimum. */
static int finish(struct wire_wr *w, size_t *len)
{
    wire_wr_u8(w, DHCP_OPT_END);
    if (wire_wr_len(w) < DHCP_MSG_MIN_SEND)
        wire_wr_zero(w, DHCP_MSG_MIN_SEND - wire_wr_len(w));
    if (!wire_wr_ok(w))
        return w->err;
    *len = wire_wr_len(w);
    return 0;
}

int dhcp_build_reply(const struct dhcp_msg *req, const struct dhcp_reply *rep, uint8_t *buf,
                     size_t cap, size_t *len)
{
    if (rep->sname_len > DHCP_SNAME_LEN || rep->file_len > DHCP_FILE_LEN)
        return -EINVAL;
    if (rep->type != DHCP_OFFER && rep->type != DHCP_ACK && rep->type != DHCP_NAK)
        return -EINVAL;
    if (cap < DHCP_MSG_MIN_SEND)
        return -EMSGSIZE;

    /* RFC 2131 section 4.3.5: the ACK to an INFORM carries no lease: no
     * address, and no lease time (nor T1/T2, which only time a lease). */
    uint8_t req_type = 0;
    bool inform = dhcp_msg_type(req, &req_type) == 0 && req_type == DHCP_INFORM;

    /* First candidate per code (index + 1, 0 = none). */
    uint16_t by_code[256] = {0};
    if (rep->nopts > OPT_VAL_MAX)
        return -EINVAL;
    for (size_t i = 0; i < rep->nopts; i++) {
        const struct dhcp_opt_val *o = &rep->opts[i];
        if (o->code == DHCP_OPT_PAD || o->code == DHCP_OPT_END || o->code == DHCP_OPT_OVERLOAD ||
            o->code == DHCP_OPT_MSG_TYPE || o->code == DHCP_OPT_SERVER_ID || o->len > OPT_VAL_MAX)
            return -EINVAL;
        if (inform &&
            (o->code == DHCP_OPT_LEASE_TIME || o->code == DHCP_OPT_T1 || o->code == DHCP_OPT_T2))
            continue;
        if (by_code[o->code] == 0)
            by_code[o->code] = (uint16_t)(i + 1);
    }

    /* The order: requested codes in the client's order, then the always
     * ones.  Each code is placed once, so order[] never exceeds 256. */
    uint16_t order[ORDER_MAX];
    bool placed[256] = {false};
    size_t norder = 0;
    uint8_t prl_buf[1024];
    const uint8_t *prl = NULL;
    size_t prl_len = 0;
    /* A list longer than the scratch cannot name more than 254 distinct
     * codes anyway; such a client is treated as having asked for nothing
     * rather than trusted. */
    if (dhcp_msg_opt_get(req, DHCP_OPT_PARAM_LIST, prl_buf, sizeof(prl_buf), &prl, &prl_len) != 0)
        prl_len = 0;
    for (size_t i = 0; i < prl_len; i++) {
        uint8_t c = prl[i];
        if (by_code[c] && !placed[c]) {
            placed[c] = true;
            order[norder++] = (uint16_t)(by_code[c] - 1);
        }
    }
    for (size_t i = 0; i < rep->nopts; i++) {
        uint8_t c = rep->opts[i].code;
        if (rep->opts[i].always && !placed[c] && by_code[c] == i + 1) {
            placed[c] = true;
            order[norder++] = (uint16_t)i;
        }
    }

    /* RFC 2131 section 2 and RFC 2132 section 9.10: the client's maximum
     * covers the IP datagram, so take the IP and UDP headers off. */
    size_t limit = (size_t)dhcp_msg_max_size(req) - DHCP_IP_UDP_HDR_LEN;
    if (limit > cap)
        limit = cap;
    /* Options marked always must all fit; the others then go in by
     * priority (the client's order) while they fit, so one big option that
     * does not fit costs only itself. */
    size_t need = DHCP_OPT_OFF + 3 + 6 + 1; /* header, cookie, 53, 54, end */
    bool keep[ORDER_MAX];
    for (size_t k = 0; k < norder; k++) {
        keep[k] = rep->opts[order[k]].always;
        if (keep[k])
            need += opt_wire_size(rep->opts[order[k]].len);
    }
    if (need > limit)
        return -EMSGSIZE;
    for (size_t k = 0; k < norder; k++) {
        size_t sz = opt_wire_size(rep->opts[order[k]].len);
        if (!keep[k] && sz <= limit - need) {
            keep[k] = true;
            need += sz;
        }
    }

    bool nak = rep->type == DHCP_NAK;
    /* RFC 2131 table 3: ciaddr echoes the request only in an ACK. */
    uint32_t addrs[4] = {rep->type == DHCP_ACK ? req->ciaddr : 0, nak || inform ? 0 : rep->yiaddr,
                         nak ? 0 : rep->siaddr, req->giaddr};
    struct wire_wr w;
    wire_wr_init(&w, buf, cap);
    put_header(&w, DHCP_OP_REPLY, req->htype, req->hlen, req->xid, 0, req->flags, addrs,
               req->chaddr);
    put_field(&w, rep->sname, rep->sname_len, DHCP_SNAME_LEN);
    put_field(&w, rep->file, rep->file_len, DHCP_FILE_LEN);
    wire_wr_u32(&w, DHCP_COOKIE);
    put_opt(&w, DHCP_OPT_MSG_TYPE, &rep->type, 1);
    put_addr_opt(&w, DHCP_OPT_SERVER_ID, rep->server_id);
    for (size_t k = 0; k < norder; k++) {
        const struct dhcp_opt_val *o = &rep->opts[order[k]];
        if (keep[k])
            put_opt(&w, o->code, o->val, o->len);
    }
    return finish(&w, len);
}

/* Codes the request builder writes itself. */
static bool request_owns(uint8_t c)
{
    return c == DHCP_OPT_PAD || c == DHCP_OPT_END || c == DHCP_OPT_HOST_NAME ||
           c == DHCP_OPT_REQUESTED_ADDR || c == DHCP_OPT_OVERLOAD || c == DHCP_OPT_MSG_TYPE ||
           c == DHCP_OPT_SERVER_ID || c == DHCP_OPT_PARAM_LIST || c == DHCP_OPT_MAX_SIZE ||
           c == DHCP_OPT_CLIENT_ID;
}

int dhcp_build_request(const struct dhcp_request *rq, uint8_t *buf, size_t cap, size_t *len)
{
    bool ciaddr = false, want50 = false, want54 = false, may50 = false, rich = true;
    switch (rq->type) {
    case DHCP_DISCOVER:
        may50 = true;
        break;
    case DHCP_REQUEST:
        /* RFC 2131 section 4.3.2. */
        switch (rq->state) {
        case DHCP_REQ_SELECTING:
            want50 = want54 = true;
            break;
        case DHCP_REQ_INIT_REBOOT:
            want50 = true;
            break;
        case DHCP_REQ_RENEWING:
        case DHCP_REQ_REBINDING:
            ciaddr = true;
            break;
        default:
            return -EINVAL;
        }
        break;
    case DHCP_DECLINE:
        want50 = want54 = true;
        rich = false;
        break;
    case DHCP_RELEASE:
        ciaddr = want54 = true;
        rich = false;
        break;
    case DHCP_INFORM:
        ciaddr = true;
        break;
    default:
        return -EINVAL;
    }
    if (rq->hlen > DHCP_CHADDR_LEN)
        return -EINVAL;
    if ((want50 && rq->requested == 0) || (want54 && rq->server_id == 0) ||
        (ciaddr && rq->ciaddr == 0))
        return -EINVAL;
    if (rq->max_size != 0 && rq->max_size < DHCP_MAX_SIZE_MIN)
        return -EINVAL;
    if (rq->client_id_len > OPT_VAL_MAX || rq->host_name_len > OPT_VAL_MAX ||
        rq->prl_len > OPT_VAL_MAX)
        return -EINVAL;
    for (size_t i = 0; i < rq->nextra; i++)
        if (request_owns(rq->extra[i].code) || rq->extra[i].len > OPT_VAL_MAX)
            return -EINVAL;

    /* Size first, so that nothing is half-written on failure. */
    bool send50 = want50 || (may50 && rq->requested != 0);
    size_t need = DHCP_OPT_OFF + 3 + 1;
    need += send50 ? 6 : 0;
    need += want54 ? 6 : 0;
    need += rq->client_id ? opt_wire_size(rq->client_id_len) : 0;
    if (rich) {
        need += rq->max_size ? 4 : 0;
        need += rq->prl ? opt_wire_size(rq->prl_len) : 0;
        need += rq->host_name ? opt_wire_size(rq->host_name_len) : 0;
    }
    for (size_t i = 0; i < rq->nextra; i++)
        if (rich || rq->extra[i].code == DHCP_OPT_MESSAGE)
            need += opt_wire_size(rq->extra[i].len);
    size_t limit = DHCP_MAX_SIZE_MIN - DHCP_IP_UDP_HDR_LEN;
    if (need > limit || need > cap || cap < DHCP_MSG_MIN_SEND)
        return -EMSGSIZE;

    /* RFC 2131 table 5: DECLINE and RELEASE carry neither secs nor flags. */
    uint16_t secs = rich ? rq->secs : 0;
    uint16_t flags = (rich && rq->broadcast) ? DHCP_FLAG_BROADCAST : 0;
    uint32_t addrs[4] = {ciaddr ? rq->ciaddr : 0, 0, 0, 0};
    struct wire_wr w;
    wire_wr_init(&w, buf, cap);
    put_header(&w, DHCP_OP_REQUEST, rq->htype, rq->hlen, rq->xid, secs, flags, addrs, rq->chaddr);
    wire_wr_zero(&w, DHCP_SNAME_LEN + DHCP_FILE_LEN);
    wire_wr_u32(&w, DHCP_COOKIE);
    put_opt(&w, DHCP_OPT_MSG_TYPE, &rq->type, 1);
    if (send50)
        put_addr_opt(&w, DHCP_OPT_REQUESTED_ADDR, rq->requested);
    if (want54)
        put_addr_opt(&w, DHCP_OPT_SERVER_ID, rq->server_id);
    if (rich && rq->max_size) {
        uint8_t ms[2] = {(uint8_t)(rq->max_size >> 8), (uint8_t)rq->max_size};
        put_opt(&w, DHCP_OPT_MAX_SIZE, ms, 2);
    }
    if (rich && rq->prl)
        put_opt(&w, DHCP_OPT_PARAM_LIST, rq->prl, rq->prl_len);
    if (rq->client_id)
        put_opt(&w, DHCP_OPT_CLIENT_ID, rq->client_id, rq->client_id_len);
    if (rich && rq->host_name)
        put_opt(&w, DHCP_OPT_HOST_NAME, rq->host_name, rq->host_name_len);
    for (size_t i = 0; i < rq->nextra; i++)
        if (rich || rq->extra[i].code == DHCP_OPT_MESSAGE)
            put_opt(&w, rq->extra[i].code, rq->extra[i].val, rq->extra[i].len);
    return finish(&w, len);
}
