/* Check suite for common/dhcp_build: replies to captured client requests,
 * option order and size limits, RFC 3396 splitting, RFC 2131 table 5 rules
 * for client messages, and parse -> build round trips. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "common/dhcp_build.h"
#include "common/dhcp_msg.h"
#include "common/dhcp_opt.h"
#include "testutil.h"

static uint8_t *load_hex(const char *name, size_t *len)
{
    return test_load_hex("dhcp", name, ".hex", len);
}

/* Option codes of a parsed message in wire order. */
static size_t codes_of(const struct dhcp_msg *m, uint8_t *out, size_t cap)
{
    struct dhcp_opt_iter it;
    struct dhcp_opt o;
    size_t n = 0;
    dhcp_msg_opt_iter_init(&it, m);
    while (dhcp_msg_opt_next(&it, &o)) {
        ck_assert_uint_lt(n, cap);
        out[n++] = o.code;
    }
    return n;
}

static const uint8_t v_mask[] = {255, 255, 255, 0};
static const uint8_t v_router[] = {192, 0, 2, 1};
static const uint8_t v_dns[] = {192, 0, 2, 53, 192, 0, 2, 54};
static const uint8_t v_lease[] = {0, 0, 0x0e, 0x10};
static const uint8_t v_t1[] = {0, 0, 0x07, 0x08};
static const uint8_t v_t2[] = {0, 0, 0x0c, 0x4e};
static const uint8_t v_ntp[] = {192, 0, 2, 123};

/* A server's usual candidates: 51, 58, 59 and 1 always; the rest only if
 * asked.  42 is offered but udhcpc's list (1 3 6 12 15 28 42) asks for it. */
static const struct dhcp_opt_val cands[] = {
    {DHCP_OPT_LEASE_TIME, true, v_lease, 4},
    {DHCP_OPT_SUBNET_MASK, true, v_mask, 4},
    {DHCP_OPT_ROUTERS, false, v_router, 4},
    {DHCP_OPT_DNS_SERVERS, false, v_dns, 8},
    {DHCP_OPT_DOMAIN_NAME, false, (const uint8_t *)"lab.example", 11},
    {DHCP_OPT_T1, true, v_t1, 4},
    {DHCP_OPT_T2, true, v_t2, 4},
    {DHCP_OPT_NTP_SERVERS, false, v_ntp, 4},
    {DHCP_OPT_VENDOR_CLASS, false, v_ntp, 4},
};

START_TEST(test_dhcp_build_reply_to_udhcpc_discover)
{
    size_t len;
    uint8_t *rq = load_hex("udhcpc-1.35.0-discover", &len);
    struct dhcp_msg req;
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    struct dhcp_reply rep = {.type = DHCP_OFFER,
                             .server_id = test_ip4("192.0.2.1"),
                             .yiaddr = test_ip4("192.0.2.103"),
                             .siaddr = test_ip4("192.0.2.1"),
                             .opts = cands,
                             .nopts = sizeof(cands) / sizeof(cands[0])};
    uint8_t buf[1500];
    size_t n;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 309);
    uint8_t *out = test_exact_copy(buf, n);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, out, n), 0);
    ck_assert_uint_eq(m.op, DHCP_OP_REPLY);
    ck_assert_uint_eq(m.htype, 1);
    ck_assert_uint_eq(m.hlen, 6);
    ck_assert_uint_eq(m.hops, 0);
    ck_assert_uint_eq(m.xid, 0xfe94684eu);
    ck_assert_uint_eq(m.secs, 0);
    ck_assert_uint_eq(m.flags, req.flags);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert_uint_eq(m.yiaddr, test_ip4("192.0.2.103"));
    ck_assert_uint_eq(m.siaddr, test_ip4("192.0.2.1"));
    ck_assert_uint_eq(m.giaddr, 0);
    ck_assert_mem_eq(m.chaddr, req.chaddr, DHCP_CHADDR_LEN);
    /* 53, 54, then the PRL's order (1 3 6 15 42; 12 and 28 not offered),
     * then the always ones not asked for, in candidate order. */
    static const uint8_t want[] = {53, 54, 1, 3, 6, 15, 42, 51, 58, 59};
    uint8_t codes[32];
    size_t nc = codes_of(&m, codes, sizeof(codes));
    ck_assert_uint_eq(nc, sizeof(want));
    ck_assert_mem_eq(codes, want, sizeof(want));
    uint8_t t;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_OFFER);
    uint32_t a;
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &a), 0);
    ck_assert_uint_eq(a, test_ip4("192.0.2.1"));
    /* Everything after the end option is zero padding. */
    size_t end_at = DHCP_OPT_OFF;
    while (out[end_at] != DHCP_OPT_END)
        end_at += out[end_at] == 0 ? 1 : 2u + out[end_at + 1];
    for (size_t k = end_at + 1; k < n; k++)
        ck_assert_uint_eq(out[k], 0);
    free(out);
    free(rq);
}
END_TEST

START_TEST(test_dhcp_build_reply_header_by_type)
{
    size_t len;
    uint8_t *rq = load_hex("dhclient-4.4.3-P1-release", &len); /* has ciaddr */
    struct dhcp_msg req;
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    /* A relayed, broadcast request: giaddr and flags are echoed. */
    uint8_t *copy = test_exact_copy(rq, len);
    copy[10] = 0x80;
    memcpy(copy + 24, "\xc6\x33\x64\x01", 4);
    ck_assert_int_eq(dhcp_msg_parse(&req, copy, len), 0);
    struct dhcp_reply rep = {.type = DHCP_ACK,
                             .server_id = test_ip4("192.0.2.1"),
                             .yiaddr = test_ip4("192.0.2.103"),
                             .siaddr = test_ip4("192.0.2.9"),
                             .sname = (const uint8_t *)"boot.example",
                             .sname_len = 12,
                             .file = (const uint8_t *)"pxelinux.0",
                             .file_len = 10};
    uint8_t buf[600];
    size_t n;
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    ck_assert_uint_eq(m.ciaddr, test_ip4("192.0.2.103"));
    ck_assert_uint_eq(m.flags, DHCP_FLAG_BROADCAST);
    ck_assert_uint_eq(m.giaddr, test_ip4("198.51.100.1"));
    ck_assert_uint_eq(m.siaddr, test_ip4("192.0.2.9"));
    ck_assert_mem_eq(m.sname, "boot.example\0\0", 14);
    ck_assert_mem_eq(m.file, "pxelinux.0\0", 11);
    rep.type = DHCP_OFFER;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    ck_assert_uint_eq(m.ciaddr, 0);
    rep.type = DHCP_NAK;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert_uint_eq(m.yiaddr, 0);
    ck_assert_uint_eq(m.siaddr, 0);
    uint8_t t;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_NAK);
    /* Bad arguments. */
    rep.type = DHCP_REQUEST;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), -EINVAL);
    rep.type = DHCP_ACK;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, 299, &n), -EMSGSIZE);
    rep.sname_len = 65;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), -EINVAL);
    rep.sname_len = 0;
    const uint8_t reserved[] = {0, 52, 53, 54, 255};
    for (size_t i = 0; i < sizeof(reserved); i++) {
        struct dhcp_opt_val o = {reserved[i], true, v_mask, 1};
        rep.opts = &o;
        rep.nopts = 1;
        ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), -EINVAL);
    }
    free(copy);
    free(rq);
}
END_TEST

/* A request with option 57 = max and the PRL given, in an exact buffer. */
static uint8_t *mk_request(uint16_t max, const uint8_t *prl, size_t prl_len, size_t *len)
{
    static uint8_t buf[1024];
    struct dhcp_request rq = {.type = DHCP_DISCOVER,
                              .xid = 0x11223344,
                              .htype = 1,
                              .hlen = 6,
                              .chaddr = {2, 0, 0, 0, 0, 1},
                              .prl = prl,
                              .prl_len = prl_len,
                              .max_size = max};
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), len), 0);
    return test_exact_copy(buf, *len);
}

/* The client's limit is never exceeded: unrequired options go first,
 * lowest priority (last in the PRL) first; 576 means 548 of DHCP. */
START_TEST(test_dhcp_build_reply_respects_max_size)
{
    static const uint8_t prl[] = {1, 3, 119, 6, 77};
    static uint8_t big[400], mid[100];
    memset(big, 'b', sizeof(big));
    memset(mid, 'm', sizeof(mid));
    const struct dhcp_opt_val opts[] = {
        {DHCP_OPT_LEASE_TIME, true, v_lease, 4}, {DHCP_OPT_SUBNET_MASK, true, v_mask, 4},
        {DHCP_OPT_ROUTERS, false, v_router, 4},  {DHCP_OPT_DOMAIN_SEARCH, false, big, 400},
        {DHCP_OPT_DNS_SERVERS, false, v_dns, 8}, {77, false, mid, 100},
    };
    struct dhcp_reply rep = {.type = DHCP_ACK,
                             .server_id = test_ip4("192.0.2.1"),
                             .yiaddr = test_ip4("192.0.2.103"),
                             .opts = opts,
                             .nopts = 6};
    uint8_t buf[2000];
    size_t n, len;
    uint8_t codes[32];
    struct dhcp_msg req, m;

    /* No 57 (576 -> 548 bytes): 240+3+6 + 6 (1) + 6 (3) + 404 (119) + 10 (6)
     * + 102 (77) + 6 (51) + 1 = 784.  The always ones (1, 51) take 262;
     * then 3 fits, 119 does not and is dropped, 6 and 77 still fit. */
    uint8_t *rq = mk_request(0, prl, sizeof(prl), &len);
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 784 - 404);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    static const uint8_t want576[] = {53, 54, 1, 3, 6, 77, 51};
    ck_assert_uint_eq(codes_of(&m, codes, sizeof(codes)), sizeof(want576));
    ck_assert_mem_eq(codes, want576, sizeof(want576));
    free(rq);

    /* 1000: everything fits (784 <= 972), 119 split into 255 + 145. */
    rq = mk_request(1000, prl, sizeof(prl), &len);
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 784);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    static const uint8_t want1000[] = {53, 54, 1, 3, 119, 119, 6, 77, 51};
    ck_assert_uint_eq(codes_of(&m, codes, sizeof(codes)), sizeof(want1000));
    ck_assert_mem_eq(codes, want1000, sizeof(want1000));
    ck_assert_uint_eq(dhcp_msg_opt_count(&m, 119), 2);
    uint8_t scratch[400];
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 119, scratch, sizeof(scratch), &v, &vl), 0);
    ck_assert_uint_eq(vl, 400);
    ck_assert_mem_eq(v, big, 400);
    /* The caller's buffer is a limit too. */
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, 700, &n), 0);
    ck_assert_uint_le(n, 700);
    free(rq);

    /* 800: 772 bytes of DHCP; 784 does not fit, 77 (the last asked) goes. */
    rq = mk_request(800, prl, sizeof(prl), &len);
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 784 - 102);
    free(rq);
    rq = mk_request(812, prl, sizeof(prl), &len); /* 784 + 28: fits exactly */
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, 784);
    free(rq);

    /* Options marked always that cannot fit: -EMSGSIZE, never truncation. */
    const struct dhcp_opt_val huge[] = {{DHCP_OPT_DOMAIN_SEARCH, true, big, 400},
                                        {77, true, mid, 100}};
    rep.opts = huge;
    rep.nopts = 2;
    rq = mk_request(0, prl, sizeof(prl), &len);
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), -EMSGSIZE);
    free(rq);
}
END_TEST

/* Any size of requested option: the reply stays within 548 and parses. */
START_TEST(test_dhcp_build_reply_size_sweep)
{
    static const uint8_t prl[] = {1, 77};
    static uint8_t val[700];
    memset(val, 0x5a, sizeof(val));
    size_t len;
    uint8_t *rq = mk_request(0, prl, sizeof(prl), &len);
    struct dhcp_msg req, m;
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    for (size_t sz = 0; sz <= sizeof(val); sz++) {
        const struct dhcp_opt_val opts[] = {{DHCP_OPT_SUBNET_MASK, true, v_mask, 4},
                                            {77, false, val, sz}};
        struct dhcp_reply rep = {.type = DHCP_OFFER,
                                 .server_id = test_ip4("192.0.2.1"),
                                 .yiaddr = test_ip4("192.0.2.103"),
                                 .opts = opts,
                                 .nopts = 2};
        uint8_t buf[1500];
        size_t n;
        ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
        ck_assert_uint_le(n, 548);
        ck_assert_uint_ge(n, 300);
        uint8_t *out = test_exact_copy(buf, n);
        ck_assert_int_eq(dhcp_msg_parse(&m, out, n), 0);
        size_t wire = sz == 0 ? 2 : sz + 2 * ((sz + 254) / 255);
        bool fits = 240 + 3 + 6 + 6 + wire + 1 <= 548;
        ck_assert_int_eq(dhcp_msg_opt_has(&m, 77), fits);
        if (fits)
            ck_assert_uint_eq(dhcp_msg_opt_len(&m, 77), sz);
        free(out);
    }
    free(rq);
}
END_TEST

/* A 255-entry PRL (every code, some twice) is honoured in its order, each
 * code once. */
START_TEST(test_dhcp_build_reply_prl_255)
{
    uint8_t prl[255];
    for (size_t i = 0; i < 255; i++)
        prl[i] = (uint8_t)(255 - i); /* 255 254 ... 1 */
    prl[10] = 3;                     /* a duplicate */
    size_t len;
    uint8_t *rq = mk_request(1500, prl, sizeof(prl), &len);
    struct dhcp_msg req, m;
    ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
    struct dhcp_reply rep = {.type = DHCP_OFFER,
                             .server_id = test_ip4("192.0.2.1"),
                             .yiaddr = test_ip4("192.0.2.103"),
                             .opts = cands,
                             .nopts = sizeof(cands) / sizeof(cands[0])};
    uint8_t buf[1500];
    size_t n;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    static const uint8_t want[] = {53, 54, 3, 60, 59, 58, 51, 42, 15, 6, 1};
    uint8_t codes[32];
    ck_assert_uint_eq(codes_of(&m, codes, sizeof(codes)), sizeof(want));
    ck_assert_mem_eq(codes, want, sizeof(want));
    free(rq);
}
END_TEST

/* Our replies survive parse -> rebuild from the parsed fields unchanged. */
START_TEST(test_dhcp_build_reply_round_trip)
{
    const char *reqs[] = {"udhcpc-1.35.0-discover", "udhcpc-1.35.0-request",
                          "dhclient-4.4.3-P1-discover", "dhclient-4.4.3-P1-request"};
    static uint8_t big[600];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    struct dhcp_opt_val opts[sizeof(cands) / sizeof(cands[0]) + 1];
    memcpy(opts, cands, sizeof(cands));
    /* 260 bytes: split in two, and too big for everything to fit in 548. */
    opts[sizeof(cands) / sizeof(cands[0])] = (struct dhcp_opt_val){121, true, big, 260};
    for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
        size_t len;
        uint8_t *rq = load_hex(reqs[r], &len);
        struct dhcp_msg req, m;
        ck_assert_int_eq(dhcp_msg_parse(&req, rq, len), 0);
        struct dhcp_reply rep = {.type = r % 2 ? DHCP_ACK : DHCP_OFFER,
                                 .server_id = test_ip4("192.0.2.1"),
                                 .yiaddr = test_ip4("192.0.2.103"),
                                 .siaddr = test_ip4("192.0.2.2"),
                                 .file = (const uint8_t *)"boot",
                                 .file_len = 4,
                                 .opts = opts,
                                 .nopts = sizeof(opts) / sizeof(opts[0])};
        uint8_t a[1500], b[1500];
        size_t na, nb;
        ck_assert_int_eq(dhcp_build_reply(&req, &rep, a, sizeof(a), &na), 0);
        ck_assert_int_eq(dhcp_msg_parse(&m, a, na), 0);

        /* Rebuild from what was parsed: each code once, joined, always. */
        struct dhcp_opt_val got[64];
        static uint8_t vals[64][700];
        size_t ng = 0;
        bool seen[256] = {false};
        struct dhcp_opt_iter it;
        struct dhcp_opt o;
        dhcp_msg_opt_iter_init(&it, &m);
        while (dhcp_msg_opt_next(&it, &o)) {
            if (o.code == DHCP_OPT_MSG_TYPE || o.code == DHCP_OPT_SERVER_ID || seen[o.code])
                continue;
            seen[o.code] = true;
            const uint8_t *v;
            size_t vl;
            ck_assert_int_eq(dhcp_msg_opt_get(&m, o.code, vals[ng], 700, &v, &vl), 0);
            got[ng] = (struct dhcp_opt_val){o.code, true, v, vl};
            ng++;
        }
        uint8_t t;
        uint32_t sid;
        ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
        ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &sid), 0);
        struct dhcp_reply again = {.type = t,
                                   .server_id = sid,
                                   .yiaddr = m.yiaddr,
                                   .siaddr = m.siaddr,
                                   .sname = m.sname,
                                   .sname_len = DHCP_SNAME_LEN,
                                   .file = m.file,
                                   .file_len = DHCP_FILE_LEN,
                                   .opts = got,
                                   .nopts = ng};
        ck_assert_int_eq(dhcp_build_reply(&req, &again, b, sizeof(b), &nb), 0);
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(a, b, na);
        free(rq);
    }
}
END_TEST

/* The ACK to an INFORM grants no lease (RFC 2131 section 4.3.5). */
START_TEST(test_dhcp_build_reply_to_inform)
{
    size_t len;
    uint8_t *rq = load_hex("udhcpc-1.35.0-discover", &len);
    uint8_t *inf = test_exact_copy(rq, len);
    inf[DHCP_OPT_OFF + 2] = DHCP_INFORM; /* option 53 comes first */
    memcpy(inf + 12, "\xc0\x00\x02\x67", 4);
    struct dhcp_msg req, m;
    ck_assert_int_eq(dhcp_msg_parse(&req, inf, len), 0);
    struct dhcp_reply rep = {.type = DHCP_ACK,
                             .server_id = test_ip4("192.0.2.1"),
                             .yiaddr = test_ip4("192.0.2.103"),
                             .opts = cands,
                             .nopts = sizeof(cands) / sizeof(cands[0])};
    uint8_t buf[600];
    size_t n;
    ck_assert_int_eq(dhcp_build_reply(&req, &rep, buf, sizeof(buf), &n), 0);
    ck_assert_int_eq(dhcp_msg_parse(&m, buf, n), 0);
    ck_assert_uint_eq(m.yiaddr, 0);
    ck_assert_uint_eq(m.ciaddr, test_ip4("192.0.2.103"));
    static const uint8_t want[] = {53, 54, 1, 3, 6, 15, 42};
    uint8_t codes[32];
    ck_assert_uint_eq(codes_of(&m, codes, sizeof(codes)), sizeof(want));
    ck_assert_mem_eq(codes, want, sizeof(want));
    free(inf);
    free(rq);
}
END_TEST

static const uint8_t prl_std[] = {1, 3, 6, 12, 15, 28, 42, 119, 121};
static const uint8_t cid[] = {1, 2, 0, 0, 0, 0, 1};

static struct dhcp_request base_request(uint8_t type, enum dhcp_req_state st)
{
    struct dhcp_request rq = {.type = type,
                              .state = st,
                              .xid = 0xa1b2c3d4,
                              .secs = 7,
                              .broadcast = true,
                              .htype = 1,
                              .hlen = 6,
                              .chaddr = {2, 0, 0, 0, 0, 1},
                              .ciaddr = test_ip4("192.0.2.103"),
                              .requested = test_ip4("192.0.2.103"),
                              .server_id = test_ip4("192.0.2.1"),
                              .client_id = cid,
                              .client_id_len = sizeof(cid),
                              .host_name = (const uint8_t *)"labnet",
                              .host_name_len = 6,
                              .prl = prl_std,
                              .prl_len = sizeof(prl_std),
                              .max_size = 1500};
    return rq;
}

/* RFC 2131 table 5, row by row. */
START_TEST(test_dhcp_build_request_table5)
{
    static const struct {
        uint8_t type;
        enum dhcp_req_state st;
        bool ciaddr, o50, o54, rich;
    } rows[] = {
        {DHCP_DISCOVER, DHCP_REQ_SELECTING, false, true, false, true},
        {DHCP_REQUEST, DHCP_REQ_SELECTING, false, true, true, true},
        {DHCP_REQUEST, DHCP_REQ_INIT_REBOOT, false, true, false, true},
        {DHCP_REQUEST, DHCP_REQ_RENEWING, true, false, false, true},
        {DHCP_REQUEST, DHCP_REQ_REBINDING, true, false, false, true},
        {DHCP_DECLINE, DHCP_REQ_SELECTING, false, true, true, false},
        {DHCP_RELEASE, DHCP_REQ_SELECTING, true, false, true, false},
        {DHCP_INFORM, DHCP_REQ_SELECTING, true, false, false, true},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dhcp_request rq = base_request(rows[i].type, rows[i].st);
        const struct dhcp_opt_val extra[] = {
            {DHCP_OPT_VENDOR_CLASS, false, (const uint8_t *)"labnet", 6},
            {DHCP_OPT_MESSAGE, false, (const uint8_t *)"in use", 6}};
        rq.extra = extra;
        rq.nextra = 2;
        uint8_t buf[600];
        size_t n;
        ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), 0);
        ck_assert_uint_ge(n, 300);
        if (!rows[i].rich)
            ck_assert_uint_eq(n, 300); /* padded to the BOOTP minimum */
        uint8_t *out = test_exact_copy(buf, n);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, out, n), 0);
        uint8_t t;
        ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
        ck_assert_uint_eq(t, rows[i].type);
        ck_assert_uint_eq(m.op, DHCP_OP_REQUEST);
        ck_assert_uint_eq(m.xid, 0xa1b2c3d4u);
        ck_assert_uint_eq(m.ciaddr, rows[i].ciaddr ? test_ip4("192.0.2.103") : 0);
        ck_assert_uint_eq(m.yiaddr, 0);
        ck_assert_uint_eq(m.siaddr, 0);
        ck_assert_uint_eq(m.giaddr, 0);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_REQUESTED_ADDR), rows[i].o50);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_SERVER_ID), rows[i].o54);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_PARAM_LIST), rows[i].rich);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_MAX_SIZE), rows[i].rich);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_HOST_NAME), rows[i].rich);
        ck_assert_int_eq(dhcp_msg_opt_has(&m, DHCP_OPT_VENDOR_CLASS), rows[i].rich);
        ck_assert(dhcp_msg_opt_has(&m, DHCP_OPT_CLIENT_ID));
        ck_assert(dhcp_msg_opt_has(&m, DHCP_OPT_MESSAGE));
        ck_assert_uint_eq(m.secs, rows[i].rich ? 7 : 0);
        ck_assert_uint_eq(m.flags, rows[i].rich ? DHCP_FLAG_BROADCAST : 0);
        ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_LEASE_TIME));
        free(out);
    }
}
END_TEST

START_TEST(test_dhcp_build_request_rejects)
{
    uint8_t buf[600];
    size_t n;
    struct dhcp_request rq = base_request(DHCP_REQUEST, DHCP_REQ_SELECTING);
    rq.server_id = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_REQUEST, DHCP_REQ_INIT_REBOOT);
    rq.requested = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_REQUEST, DHCP_REQ_RENEWING);
    rq.ciaddr = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_REQUEST, (enum dhcp_req_state)42);
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_DECLINE, DHCP_REQ_SELECTING);
    rq.requested = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_RELEASE, DHCP_REQ_SELECTING);
    rq.ciaddr = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_INFORM, DHCP_REQ_SELECTING);
    rq.ciaddr = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_OFFER, DHCP_REQ_SELECTING);
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq = base_request(DHCP_DISCOVER, DHCP_REQ_SELECTING);
    rq.hlen = 17;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq.hlen = 6;
    rq.max_size = 575;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    rq.max_size = 576;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), 0);
    const uint8_t owned[] = {0, 12, 50, 52, 53, 54, 55, 57, 61, 255};
    for (size_t i = 0; i < sizeof(owned); i++) {
        struct dhcp_opt_val o = {owned[i], false, cid, 1};
        rq.extra = &o;
        rq.nextra = 1;
        ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EINVAL);
    }
    /* Too big for 548 bytes, or for the buffer. */
    static uint8_t big[300];
    struct dhcp_opt_val o = {DHCP_OPT_VENDOR_CLASS, false, big, sizeof(big)};
    rq.extra = &o;
    rq.nextra = 1;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), -EMSGSIZE);
    rq.nextra = 0;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, 299, &n), -EMSGSIZE);
}
END_TEST

/* Build -> parse -> build from the parsed fields gives the same bytes, for
 * every message type and state. */
START_TEST(test_dhcp_build_request_round_trip)
{
    static const struct {
        uint8_t type;
        enum dhcp_req_state st;
    } rows[] = {
        {DHCP_DISCOVER, DHCP_REQ_SELECTING},  {DHCP_REQUEST, DHCP_REQ_SELECTING},
        {DHCP_REQUEST, DHCP_REQ_INIT_REBOOT}, {DHCP_REQUEST, DHCP_REQ_RENEWING},
        {DHCP_DECLINE, DHCP_REQ_SELECTING},   {DHCP_RELEASE, DHCP_REQ_SELECTING},
        {DHCP_INFORM, DHCP_REQ_SELECTING},
    };
    static uint8_t fqdn_buf[64];
    struct wire_wr w;
    wire_wr_init(&w, fqdn_buf, sizeof(fqdn_buf));
    ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, DHCP_FQDN_S, "labnet.example", true), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct dhcp_request rq = base_request(rows[i].type, rows[i].st);
        struct dhcp_opt_val extra = {DHCP_OPT_CLIENT_FQDN, false, fqdn_buf, wire_wr_len(&w)};
        rq.extra = &extra;
        rq.nextra = 1;
        uint8_t a[600], b[600];
        size_t na, nb;
        ck_assert_int_eq(dhcp_build_request(&rq, a, sizeof(a), &na), 0);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, a, na), 0);

        struct dhcp_request again = {.htype = m.htype,
                                     .hlen = m.hlen,
                                     .xid = m.xid,
                                     .secs = m.secs,
                                     .broadcast = (m.flags & DHCP_FLAG_BROADCAST) != 0,
                                     .ciaddr = m.ciaddr};
        memcpy(again.chaddr, m.chaddr, DHCP_CHADDR_LEN);
        ck_assert_int_eq(dhcp_msg_type(&m, &again.type), 0);
        bool has50 = dhcp_msg_get_addr(&m, DHCP_OPT_REQUESTED_ADDR, &again.requested) == 0;
        bool has54 = dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &again.server_id) == 0;
        again.state = has54 ? DHCP_REQ_SELECTING : has50 ? DHCP_REQ_INIT_REBOOT : DHCP_REQ_RENEWING;
        dhcp_msg_get_u16(&m, DHCP_OPT_MAX_SIZE, &again.max_size);
        dhcp_msg_opt_get(&m, DHCP_OPT_PARAM_LIST, NULL, 0, &again.prl, &again.prl_len);
        dhcp_msg_opt_get(&m, DHCP_OPT_CLIENT_ID, NULL, 0, &again.client_id, &again.client_id_len);
        dhcp_msg_opt_get(&m, DHCP_OPT_HOST_NAME, NULL, 0, &again.host_name, &again.host_name_len);
        struct dhcp_opt_val ex = {DHCP_OPT_CLIENT_FQDN, false, NULL, 0};
        if (dhcp_msg_opt_get(&m, DHCP_OPT_CLIENT_FQDN, NULL, 0, &ex.val, &ex.len) == 0) {
            struct dhcp_fqdn f;
            ck_assert_int_eq(dhcp_opt_fqdn_decode(ex.val, ex.len, &f), 0);
            ck_assert_int_eq(f.form, DHCP_FQDN_WIRE);
            again.extra = &ex;
            again.nextra = 1;
        }
        ck_assert_int_eq(dhcp_build_request(&again, b, sizeof(b), &nb), 0);
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(a, b, na);
    }
}
END_TEST

/* Our DISCOVER carrying udhcpc's fields says what udhcpc's does: the same
 * header and the same option values (the order differs). */
START_TEST(test_dhcp_build_request_matches_udhcpc)
{
    size_t len;
    uint8_t *cap = load_hex("udhcpc-1.35.0-discover", &len);
    struct dhcp_msg theirs, ours;
    ck_assert_int_eq(dhcp_msg_parse(&theirs, cap, len), 0);
    struct dhcp_request rq = {.type = DHCP_DISCOVER,
                              .xid = theirs.xid,
                              .htype = 1,
                              .hlen = 6,
                              .max_size = 576,
                              .extra = NULL};
    memcpy(rq.chaddr, theirs.chaddr, DHCP_CHADDR_LEN);
    dhcp_msg_opt_get(&theirs, DHCP_OPT_PARAM_LIST, NULL, 0, &rq.prl, &rq.prl_len);
    dhcp_msg_opt_get(&theirs, DHCP_OPT_CLIENT_ID, NULL, 0, &rq.client_id, &rq.client_id_len);
    dhcp_msg_opt_get(&theirs, DHCP_OPT_HOST_NAME, NULL, 0, &rq.host_name, &rq.host_name_len);
    struct dhcp_opt_val vc = {DHCP_OPT_VENDOR_CLASS, false, NULL, 0};
    dhcp_msg_opt_get(&theirs, DHCP_OPT_VENDOR_CLASS, NULL, 0, &vc.val, &vc.len);
    rq.extra = &vc;
    rq.nextra = 1;
    uint8_t buf[600];
    size_t n;
    ck_assert_int_eq(dhcp_build_request(&rq, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(dhcp_msg_parse(&ours, buf, n), 0);
    ck_assert_mem_eq(buf, cap, DHCP_OPT_OFF); /* header and cookie */
    for (unsigned c = 1; c < 255; c++) {
        ck_assert_uint_eq(dhcp_msg_opt_count(&ours, (uint8_t)c),
                          dhcp_msg_opt_count(&theirs, (uint8_t)c));
        if (!dhcp_msg_opt_has(&ours, (uint8_t)c))
            continue;
        const uint8_t *a, *b;
        size_t la, lb;
        ck_assert_int_eq(dhcp_msg_opt_get(&ours, (uint8_t)c, NULL, 0, &a, &la), 0);
        ck_assert_int_eq(dhcp_msg_opt_get(&theirs, (uint8_t)c, NULL, 0, &b, &lb), 0);
        ck_assert_uint_eq(la, lb);
        ck_assert_mem_eq(a, b, la);
    }
    free(cap);
}
END_TEST

static Suite *dhcp_build_suite(void)
{
    Suite *s = suite_create("dhcp_build");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcp_build_reply_to_udhcpc_discover);
    tcase_add_test(tc, test_dhcp_build_reply_header_by_type);
    tcase_add_test(tc, test_dhcp_build_reply_respects_max_size);
    tcase_add_test(tc, test_dhcp_build_reply_size_sweep);
    tcase_add_test(tc, test_dhcp_build_reply_prl_255);
    tcase_add_test(tc, test_dhcp_build_reply_round_trip);
    tcase_add_test(tc, test_dhcp_build_reply_to_inform);
    tcase_add_test(tc, test_dhcp_build_request_table5);
    tcase_add_test(tc, test_dhcp_build_request_rejects);
    tcase_add_test(tc, test_dhcp_build_request_round_trip);
    tcase_add_test(tc, test_dhcp_build_request_matches_udhcpc);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcp_build_suite)
