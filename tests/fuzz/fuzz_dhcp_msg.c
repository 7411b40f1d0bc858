/* Fuzz target: DHCPv4 parse, a walk over every option, every typed
 * accessor, a reply built to the message as if it were a request, and a
 * client message rebuilt from its fields.  Whatever a builder produces must
 * parse again; the index must agree with the walk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "common/dhcp_opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[DHCP_MSG_MAX];

static void typed(const struct dhcp_msg *m)
{
    uint8_t t;
    uint32_t a;
    uint16_t s;
    dhcp_msg_type(m, &t);
    if (dhcp_msg_max_size(m) < DHCP_MAX_SIZE_MIN)
        abort();
    const uint8_t addr_codes[] = {1, 28, 50, 54};
    for (size_t i = 0; i < sizeof(addr_codes); i++)
        dhcp_msg_get_addr(m, addr_codes[i], &a);
    dhcp_msg_get_u32(m, DHCP_OPT_LEASE_TIME, &a);
    dhcp_msg_get_u32(m, DHCP_OPT_T1, &a);
    dhcp_msg_get_u32(m, DHCP_OPT_T2, &a);
    dhcp_msg_get_u16(m, DHCP_OPT_MAX_SIZE, &s);

    const uint8_t *v, *p;
    size_t n, k;
    uint32_t list[8];
    const uint8_t list_codes[] = {3, 6, 42};
    for (size_t i = 0; i < sizeof(list_codes); i++)
        if (dhcp_msg_opt_get(m, list_codes[i], scratch, sizeof(scratch), &v, &n) == 0)
            dhcp_opt_addrs_decode(v, n, list, 8, &k);
    if (dhcp_msg_opt_get(m, DHCP_OPT_HOST_NAME, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_text_decode(v, n, &p, &k);
    if (dhcp_msg_opt_get(m, DHCP_OPT_DOMAIN_NAME, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_text_decode(v, n, &p, &k);
    if (dhcp_msg_opt_get(m, DHCP_OPT_PARAM_LIST, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_prl_decode(v, n);
    if (dhcp_msg_opt_get(m, DHCP_OPT_CLIENT_ID, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_client_id_decode(v, n, &t, &p, &k);
    struct dhcp_fqdn f;
    if (dhcp_msg_opt_get(m, DHCP_OPT_CLIENT_FQDN, scratch, sizeof(scratch), &v, &n) == 0 &&
        dhcp_opt_fqdn_decode(v, n, &f) == 0 && f.name_len > n)
        abort();
    struct dhcp_relay_info ri;
    if (dhcp_msg_opt_get(m, DHCP_OPT_RELAY_AGENT_INFO, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_relay_decode(v, n, &ri);
    if (dhcp_msg_opt_get(m, DHCP_OPT_DOMAIN_SEARCH, scratch, sizeof(scratch), &v, &n) == 0)
        dhcp_opt_search_decode(v, n);
    struct dhcp_route rt[16];
    if (dhcp_msg_opt_get(m, DHCP_OPT_CLASSLESS_ROUTES, scratch, sizeof(scratch), &v, &n) == 0 &&
        dhcp_opt_routes_decode(v, n, rt, 16, &k) == 0) {
        /* What decodes re-encodes to the same bytes. */
        uint8_t out[16 * 9];
        struct wire_wr w;
        wire_wr_init(&w, out, sizeof(out));
        if (k > 0 && (dhcp_opt_routes_encode(&w, rt, k) != 0 || wire_wr_len(&w) != n ||
                      memcmp(out, v, n) != 0))
            abort();
    }
}

static void reply_to(const struct dhcp_msg *req)
{
    static const uint8_t mask[] = {255, 255, 255, 0}, lease[] = {0, 0, 0x0e, 0x10};
    static uint8_t big[300];
    struct dhcp_opt_val opts[6] = {
        {DHCP_OPT_SUBNET_MASK, true, mask, 4}, {DHCP_OPT_LEASE_TIME, true, lease, 4},
        {DHCP_OPT_ROUTERS, false, mask, 4},    {DHCP_OPT_DOMAIN_SEARCH, false, big, sizeof(big)},
        {DHCP_OPT_HOST_NAME, false, mask, 3},
    };
    size_t nopts = 5;
    const uint8_t *v;
    size_t n;
    /* RFC 3046 section 2.2: the relay's option comes back unchanged. */
    if (dhcp_msg_opt_get(req, DHCP_OPT_RELAY_AGENT_INFO, scratch, sizeof(scratch), &v, &n) == 0 &&
        n <= 255)
        opts[nopts++] = (struct dhcp_opt_val){DHCP_OPT_RELAY_AGENT_INFO, true, v, n};
    struct dhcp_reply rep = {.type = DHCP_OFFER,
                             .server_id = 0x0102000a,
                             .yiaddr = 0x6702000a,
                             .opts = opts,
                             .nopts = nopts};
    uint8_t buf[1500];
    size_t len;
    if (dhcp_build_reply(req, &rep, buf, sizeof(buf), &len) != 0)
        abort(); /* at most ~270 mandatory bytes: always fits in 548 */
    if (len > (size_t)dhcp_msg_max_size(req) - DHCP_IP_UDP_HDR_LEN)
        abort();
    struct dhcp_msg m;
    if (dhcp_msg_parse(&m, buf, len) != 0 || m.xid != req->xid)
        abort();
}

static void request_from(const struct dhcp_msg *m)
{
    struct dhcp_request rq = {.htype = m->htype,
                              .hlen = m->hlen,
                              .xid = m->xid,
                              .secs = m->secs,
                              .broadcast = (m->flags & DHCP_FLAG_BROADCAST) != 0,
                              .ciaddr = m->ciaddr,
                              .state = (enum dhcp_req_state)(m->xid & 3)};
    memcpy(rq.chaddr, m->chaddr, DHCP_CHADDR_LEN);
    if (dhcp_msg_type(m, &rq.type) != 0)
        return;
    dhcp_msg_get_addr(m, DHCP_OPT_REQUESTED_ADDR, &rq.requested);
    dhcp_msg_get_addr(m, DHCP_OPT_SERVER_ID, &rq.server_id);
    dhcp_msg_get_u16(m, DHCP_OPT_MAX_SIZE, &rq.max_size);
    /* Slices of the message only (no scratch): single instances. */
    dhcp_msg_opt_get(m, DHCP_OPT_PARAM_LIST, NULL, 0, &rq.prl, &rq.prl_len);
    dhcp_msg_opt_get(m, DHCP_OPT_CLIENT_ID, NULL, 0, &rq.client_id, &rq.client_id_len);
    dhcp_msg_opt_get(m, DHCP_OPT_HOST_NAME, NULL, 0, &rq.host_name, &rq.host_name_len);
    uint8_t buf[600];
    size_t len;
    if (dhcp_build_request(&rq, buf, sizeof(buf), &len) != 0)
        return;
    struct dhcp_msg again;
    if (len > 548 || dhcp_msg_parse(&again, buf, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dhcp_msg m;
    if (dhcp_msg_parse(&m, data, size) != 0)
        return 0;
    /* The walk and the index agree on counts and lengths. */
    size_t count[256] = {0}, total[256] = {0};
    struct dhcp_opt_iter it;
    struct dhcp_opt o;
    dhcp_msg_opt_iter_init(&it, &m);
    while (dhcp_msg_opt_next(&it, &o)) {
        if (o.val < m.buf || o.val + o.len > m.buf + m.len)
            abort();
        count[o.code]++;
        total[o.code] += o.len;
    }
    for (unsigned c = 0; c < 256; c++) {
        if (count[c] != dhcp_msg_opt_count(&m, (uint8_t)c) ||
            total[c] != dhcp_msg_opt_len(&m, (uint8_t)c))
            abort();
        const uint8_t *v;
        size_t n;
        int rc = dhcp_msg_opt_get(&m, (uint8_t)c, scratch, sizeof(scratch), &v, &n);
        if ((rc == 0) != (count[c] > 0) || (rc == 0 && n != total[c]))
            abort();
    }
    typed(&m);
    reply_to(&m);
    request_from(&m);
    return 0;
}
