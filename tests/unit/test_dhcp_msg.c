/* Check suite for common/dhcp_msg: captured client and server messages
 * (tests/data/dhcp/, see capture.sh there), prefixes, hand-built hostile
 * messages, RFC 3396 joining and option overload. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "common/dhcp_msg.h"
#include "common/dhcp_opt.h"
#include "testutil.h"

/* Reads tests/data/dhcp/<name>.hex ('#' lines are comments) into an
 * exact-size allocation. */
static uint8_t *load_hex(const char *name, size_t *len)
{
    return test_load_hex("dhcp", name, ".hex", len);
}

/* A 240-byte request header (xid 0x01020304, chaddr 02:00:00:00:00:01) and
 * cookie, followed by opts[0..n), in an exact-size allocation. */
static uint8_t *mk_msg(const uint8_t *opts, size_t n, size_t *len)
{
    static uint8_t tmp[70000];
    memset(tmp, 0, DHCP_OPT_OFF);
    tmp[0] = DHCP_OP_REQUEST;
    tmp[1] = 1;
    tmp[2] = 6;
    tmp[4] = 1, tmp[5] = 2, tmp[6] = 3, tmp[7] = 4;
    tmp[28] = 2, tmp[33] = 1;
    tmp[236] = 99, tmp[237] = 130, tmp[238] = 83, tmp[239] = 99;
    ck_assert_uint_le(n, sizeof(tmp) - DHCP_OPT_OFF);
    if (n)
        memcpy(tmp + DHCP_OPT_OFF, opts, n);
    *len = DHCP_OPT_OFF + n;
    return test_exact_copy(tmp, *len);
}

static int parse_opts(const uint8_t *opts, size_t n)
{
    size_t len;
    uint8_t *b = mk_msg(opts, n, &len);
    struct dhcp_msg m;
    int rc = dhcp_msg_parse(&m, b, len);
    free(b);
    return rc;
}

static void check_opt_bytes(const struct dhcp_msg *m, uint8_t code, const void *want, size_t n)
{
    const uint8_t *v;
    size_t len;
    uint8_t scratch[512];
    ck_assert_int_eq(dhcp_msg_opt_get(m, code, scratch, sizeof(scratch), &v, &len), 0);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(v, want, n);
}

static const uint8_t chaddr_cap[DHCP_CHADDR_LEN] = {2, 0, 0, 0, 0, 1};

START_TEST(test_dhcp_msg_parse_udhcpc_discover)
{
    size_t len;
    uint8_t *b = load_hex("udhcpc-1.35.0-discover", &len);
    ck_assert_uint_eq(len, 300);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(m.op, DHCP_OP_REQUEST);
    ck_assert_uint_eq(m.htype, 1);
    ck_assert_uint_eq(m.hlen, 6);
    ck_assert_uint_eq(m.hops, 0);
    ck_assert_uint_eq(m.xid, 0xfe94684eu);
    ck_assert_uint_eq(m.secs, 0);
    ck_assert_uint_eq(m.flags, 0);
    ck_assert_uint_eq(m.ciaddr, 0);
    ck_assert_uint_eq(m.yiaddr, 0);
    ck_assert_uint_eq(m.siaddr, 0);
    ck_assert_uint_eq(m.giaddr, 0);
    ck_assert_mem_eq(m.chaddr, chaddr_cap, DHCP_CHADDR_LEN);
    ck_assert_ptr_eq(m.sname, b + DHCP_SNAME_OFF);
    ck_assert_ptr_eq(m.file, b + DHCP_FILE_OFF);
    ck_assert_uint_eq(m.overload, 0);

    uint8_t t;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_DISCOVER);
    ck_assert_uint_eq(dhcp_msg_max_size(&m), 576);
    check_opt_bytes(&m, DHCP_OPT_PARAM_LIST, "\x01\x03\x06\x0c\x0f\x1c\x2a", 7);
    check_opt_bytes(&m, DHCP_OPT_HOST_NAME, "labnet-udhcpc", 13);
    check_opt_bytes(&m, DHCP_OPT_VENDOR_CLASS, "udhcp 1.35.0", 12);

    const uint8_t *v, *id;
    size_t n, idlen;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_CLIENT_ID, NULL, 0, &v, &n), 0);
    ck_assert_ptr_eq(v, b + 287); /* a single instance is a slice */
    ck_assert_int_eq(dhcp_opt_client_id_decode(v, n, &t, &id, &idlen), 0);
    ck_assert_uint_eq(t, 1);
    ck_assert_uint_eq(idlen, 6);
    ck_assert_mem_eq(id, chaddr_cap, 6);
    ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_SERVER_ID, NULL, 0, &v, &n), -ENOENT);
    uint32_t a;
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_REQUESTED_ADDR, &a), -ENOENT);

    /* Iteration sees every option once, in wire order. */
    static const uint8_t order[] = {53, 57, 55, 12, 60, 61};
    struct dhcp_opt_iter it;
    struct dhcp_opt o;
    size_t k = 0;
    dhcp_msg_opt_iter_init(&it, &m);
    while (dhcp_msg_opt_next(&it, &o)) {
        ck_assert_uint_lt(k, sizeof(order));
        ck_assert_uint_eq(o.code, order[k]);
        ck_assert_uint_eq(o.len, dhcp_msg_opt_len(&m, o.code));
        k++;
    }
    ck_assert_uint_eq(k, sizeof(order));
    ck_assert(!dhcp_msg_opt_next(&it, &o));
    free(b);
}
END_TEST

START_TEST(test_dhcp_msg_parse_udhcpc_request)
{
    size_t len;
    uint8_t *b = load_hex("udhcpc-1.35.0-request", &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(m.xid, 0xfe94684eu);
    ck_assert_uint_eq(m.secs, 2);
    uint8_t t;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_REQUEST);
    uint32_t a;
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_REQUESTED_ADDR, &a), 0);
    ck_assert_uint_eq(a, test_ip4("192.0.2.103"));
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &a), 0);
    ck_assert_uint_eq(a, test_ip4("192.0.2.1"));
    ck_assert_uint_eq(m.ciaddr, 0);
    free(b);
}
END_TEST

START_TEST(test_dhcp_msg_parse_dhclient_messages)
{
    size_t len;
    uint8_t *b = load_hex("dhclient-4.4.3-P1-discover", &len);
    struct dhcp_msg m;
    uint8_t t;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_DISCOVER);
    ck_assert_uint_eq(m.xid, 0x51638614u);
    check_opt_bytes(&m, DHCP_OPT_HOST_NAME, "labnet-dhclient", 15);
    check_opt_bytes(&m, DHCP_OPT_PARAM_LIST, "\x01\x1c\x03\x0f\x06\x77\x0c\x2a\x1a\x79", 10);
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_MAX_SIZE));
    ck_assert_uint_eq(dhcp_msg_max_size(&m), 576);
    free(b);

    b = load_hex("dhclient-4.4.3-P1-request", &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_REQUEST);
    uint32_t a;
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_REQUESTED_ADDR, &a), 0);
    ck_assert_uint_eq(a, test_ip4("192.0.2.103"));
    free(b);

    b = load_hex("dhclient-4.4.3-P1-release", &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
    ck_assert_uint_eq(t, DHCP_RELEASE);
    ck_assert_uint_eq(m.ciaddr, test_ip4("192.0.2.103"));
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &a), 0);
    ck_assert_uint_eq(a, test_ip4("192.0.2.1"));
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_REQUESTED_ADDR));
    free(b);
}
END_TEST

/* busybox udhcpd's OFFER and ACK: every option this server sent. */
START_TEST(test_dhcp_msg_parse_udhcpd_replies)
{
    const char *names[] = {"udhcpd-1.35.0-to-udhcpc-offer", "udhcpd-1.35.0-to-udhcpc-ack",
                           "udhcpd-1.35.0-to-dhclient-offer", "udhcpd-1.35.0-to-dhclient-ack"};
    const uint8_t types[] = {DHCP_OFFER, DHCP_ACK, DHCP_OFFER, DHCP_ACK};
    for (size_t i = 0; i < 4; i++) {
        size_t len;
        uint8_t *b = load_hex(names[i], &len);
        ck_assert_uint_eq(len, 329);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
        ck_assert_uint_eq(m.op, DHCP_OP_REPLY);
        ck_assert_uint_eq(m.yiaddr, test_ip4("192.0.2.103"));
        ck_assert_mem_eq(m.chaddr, chaddr_cap, DHCP_CHADDR_LEN);
        uint8_t t;
        ck_assert_int_eq(dhcp_msg_type(&m, &t), 0);
        ck_assert_uint_eq(t, types[i]);
        uint32_t a, v;
        ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SERVER_ID, &a), 0);
        ck_assert_uint_eq(a, test_ip4("192.0.2.1"));
        ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SUBNET_MASK, &a), 0);
        ck_assert_uint_eq(a, test_ip4("255.255.255.0"));
        ck_assert_int_eq(dhcp_msg_get_u32(&m, DHCP_OPT_LEASE_TIME, &v), 0);
        ck_assert_uint_eq(v, 3600);
        ck_assert_int_eq(dhcp_msg_get_u32(&m, DHCP_OPT_T1, &v), -ENOENT);

        const uint8_t *val, *text;
        size_t n, tl;
        uint32_t list[4];
        ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_ROUTERS, NULL, 0, &val, &n), 0);
        ck_assert_int_eq(dhcp_opt_addrs_decode(val, n, list, 4, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(list[0], test_ip4("192.0.2.1"));
        ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_DNS_SERVERS, NULL, 0, &val, &n), 0);
        ck_assert_int_eq(dhcp_opt_addrs_decode(val, n, list, 4, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(list[0], test_ip4("192.0.2.53"));
        ck_assert_uint_eq(list[1], test_ip4("192.0.2.54"));
        ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_DOMAIN_NAME, NULL, 0, &val, &n), 0);
        ck_assert_int_eq(dhcp_opt_text_decode(val, n, &text, &tl), 0);
        ck_assert_uint_eq(tl, 11);
        ck_assert_mem_eq(text, "lab.example", 11);
        ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_DOMAIN_SEARCH, NULL, 0, &val, &n), 0);
        ck_assert_int_eq(dhcp_opt_search_decode(val, n), 0);
        ck_assert_uint_eq(n, 26);
        ck_assert_mem_eq(val, "\3lab\7example\0\7example\3org\0", 26);
        struct dhcp_route rt[2];
        ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_CLASSLESS_ROUTES, NULL, 0, &val, &n), 0);
        ck_assert_int_eq(dhcp_opt_routes_decode(val, n, rt, 2, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(rt[0].dest, test_ip4("198.51.100.0"));
        ck_assert_uint_eq(rt[0].prefix, 24);
        ck_assert_uint_eq(rt[0].router, test_ip4("192.0.2.1"));
        free(b);
    }
}
END_TEST

/* Every proper prefix that stops before the end option is refused; longer
 * prefixes (only padding cut) parse to the same options. */
START_TEST(test_dhcp_msg_parse_rejects_every_prefix)
{
    const char *names[] = {"udhcpc-1.35.0-discover",       "udhcpc-1.35.0-request",
                           "dhclient-4.4.3-P1-discover",   "dhclient-4.4.3-P1-request",
                           "dhclient-4.4.3-P1-release",    "udhcpd-1.35.0-to-udhcpc-offer",
                           "udhcpd-1.35.0-to-dhclient-ack"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t len;
        uint8_t *full = load_hex(names[i], &len);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, full, len), 0);
        /* Where the end option sits (none of these overload). */
        size_t end_at = DHCP_OPT_OFF;
        while (full[end_at] != DHCP_OPT_END)
            end_at += full[end_at] == DHCP_OPT_PAD ? 1 : 2u + full[end_at + 1];
        size_t want_opts = 0;
        for (size_t c = 1; c < 255; c++)
            want_opts += dhcp_msg_opt_count(&m, (uint8_t)c);
        for (size_t n = 0; n < len; n++) {
            uint8_t *p = test_exact_copy(full, n);
            int rc = dhcp_msg_parse(&m, p, n);
            if (n <= end_at) {
                ck_assert_msg(rc == -EBADMSG, "%s prefix %zu: %d", names[i], n, rc);
            } else {
                ck_assert_int_eq(rc, 0);
                size_t got = 0;
                for (size_t c = 1; c < 255; c++)
                    got += dhcp_msg_opt_count(&m, (uint8_t)c);
                ck_assert_uint_eq(got, want_opts);
            }
            free(p);
        }
        free(full);
    }
}
END_TEST

START_TEST(test_dhcp_msg_parse_rejects_bad_header)
{
    size_t len;
    uint8_t *b = mk_msg((const uint8_t *)"\xff", 1, &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    b[2] = 16;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    b[2] = 17; /* hlen > 16 */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[2] = 255;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[2] = 6;
    b[0] = 0; /* op */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[0] = 3;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[0] = 2;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    b[239] = 98; /* cookie */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    memset(b + 236, 0, 4); /* plain BOOTP: no cookie */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    free(b);
    ck_assert_int_eq(dhcp_msg_parse(&m, NULL, 0), -EBADMSG);
    /* Just the cookie and no end option. */
    ck_assert_int_eq(parse_opts(NULL, 0), -EBADMSG);
}
END_TEST

START_TEST(test_dhcp_msg_parse_option_area_rules)
{
    /* Empty options: just end. */
    ck_assert_int_eq(parse_opts((const uint8_t *)"\xff", 1), 0);
    /* Pads then end; bytes after end are ignored. */
    ck_assert_int_eq(parse_opts((const uint8_t *)"\0\0\0\xff\x35\x09", 6), 0);
    /* Pads only: no end option. */
    ck_assert_int_eq(parse_opts((const uint8_t *)"\0\0\0", 3), -EBADMSG);
    /* Option cut short: no length byte, length crossing the end. */
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x35", 1), -EBADMSG);
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x0c\x03"
                                                 "ab",
                                4),
                     -EBADMSG);
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x0c\x03"
                                                 "abc",
                                5),
                     -EBADMSG);
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x0c\x03"
                                                 "abc\xff",
                                6),
                     0);
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x0c\xff"
                                                 "abc\xff",
                                6),
                     -EBADMSG);
    /* A length that swallows the end option. */
    ck_assert_int_eq(parse_opts((const uint8_t *)"\x0c\x01\xff", 3), -EBADMSG);
    /* Zero-length options are structurally fine (rapid commit, RFC 4039). */
    size_t len;
    uint8_t *b = mk_msg((const uint8_t *)"\x50\x00\x35\x00\x33\x00\x01\x00\xff", 9, &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert(dhcp_msg_opt_has(&m, 80));
    ck_assert_uint_eq(dhcp_msg_opt_len(&m, 80), 0);
    const uint8_t *v;
    size_t n;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 80, NULL, 0, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* ... but not where a value is required. */
    uint8_t t;
    uint32_t u;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), -EBADMSG);
    ck_assert_int_eq(dhcp_msg_get_u32(&m, DHCP_OPT_LEASE_TIME, &u), -EBADMSG);
    ck_assert_int_eq(dhcp_msg_get_addr(&m, DHCP_OPT_SUBNET_MASK, &u), -EBADMSG);
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_PAD));
    ck_assert(!dhcp_msg_opt_has(&m, DHCP_OPT_END));
    free(b);
    /* Longer than any UDP payload. */
    ck_assert_int_eq(dhcp_msg_parse(&m, "", (size_t)DHCP_MSG_MAX + 1), -E2BIG);
}
END_TEST

START_TEST(test_dhcp_msg_type_values)
{
    static const struct {
        const char *opts;
        size_t n;
        int rc;
        uint8_t t;
    } cases[] = {
        {"\x35\x01\x01\xff", 4, 0, DHCP_DISCOVER},
        {"\x35\x01\x08\xff", 4, 0, DHCP_INFORM},
        {"\x35\x01\x09\xff", 4, -ENOTSUP, 9},        /* RFC 3203 FORCERENEW */
        {"\x35\x01\x0a\xff", 4, -ENOTSUP, 10},       /* RFC 4388 LEASEQUERY */
        {"\x35\x01\x0d\xff", 4, -ENOTSUP, 13},       /* RFC 4388 LEASEACTIVE */
        {"\x35\x01\x00\xff", 4, -EBADMSG, 0},        /* no such type */
        {"\x35\x02\x01\x01\xff", 5, -EBADMSG, 0xee}, /* two bytes */
        {"\xff", 1, -ENOENT, 0xee},                  /* plain BOOTP */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        uint8_t *b = mk_msg((const uint8_t *)cases[i].opts, cases[i].n, &len);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
        uint8_t t = 0xee;
        ck_assert_int_eq(dhcp_msg_type(&m, &t), cases[i].rc);
        ck_assert_uint_eq(t, cases[i].t);
        free(b);
    }
}
END_TEST

START_TEST(test_dhcp_msg_max_size_floor)
{
    static const struct {
        const char *opts;
        size_t n;
        uint16_t want;
    } cases[] = {
        {"\xff", 1, 576},
        {"\x39\x02\x01\xf4\xff", 5, 576}, /* 500 */
        {"\x39\x02\x02\x40\xff", 5, 576},
        {"\x39\x02\x05\xdc\xff", 5, 1500},
        {"\x39\x03\x05\xdc\x00\xff", 6, 576}, /* malformed */
        {"\x39\x00\xff", 3, 576},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len;
        uint8_t *b = mk_msg((const uint8_t *)cases[i].opts, cases[i].n, &len);
        struct dhcp_msg m;
        ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
        ck_assert_uint_eq(dhcp_msg_max_size(&m), cases[i].want);
        free(b);
    }
}
END_TEST

/* RFC 3396: instances of one code are joined in order, into scratch. */
START_TEST(test_dhcp_msg_long_option_joined)
{
    static const uint8_t opts[] = {51, 2, 0,    0,    12, 3, 'a', 'b', 'c',
                                   51, 2, 0x0e, 0x10, 12, 2, 'd', 'e', 255};
    size_t len;
    uint8_t *b = mk_msg(opts, sizeof(opts), &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(dhcp_msg_opt_count(&m, 12), 2);
    ck_assert_uint_eq(dhcp_msg_opt_len(&m, 12), 5);
    uint32_t lease;
    ck_assert_int_eq(dhcp_msg_get_u32(&m, DHCP_OPT_LEASE_TIME, &lease), 0);
    ck_assert_uint_eq(lease, 3600);
    uint8_t scratch[5];
    const uint8_t *v;
    size_t n;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 12, scratch, 4, &v, &n), -EMSGSIZE);
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 12, NULL, 0, &v, &n), -EMSGSIZE);
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 12, scratch, 5, &v, &n), 0);
    ck_assert_ptr_eq(v, scratch);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(v, "abcde", 5);
    free(b);
}
END_TEST

/* 255 instances of one option, 200 bytes each: joined in order, bounded. */
START_TEST(test_dhcp_msg_255_instances)
{
    static uint8_t opts[255 * 202 + 1];
    size_t k = 0;
    for (size_t i = 0; i < 255; i++) {
        opts[k++] = 77;
        opts[k++] = 200;
        memset(opts + k, (int)i, 200);
        k += 200;
    }
    opts[k++] = 255;
    size_t len;
    uint8_t *b = mk_msg(opts, k, &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(dhcp_msg_opt_count(&m, 77), 255);
    ck_assert_uint_eq(dhcp_msg_opt_len(&m, 77), 255 * 200);
    uint8_t *scratch = malloc(255 * 200);
    ck_assert_ptr_nonnull(scratch);
    const uint8_t *v;
    size_t n;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 77, scratch, 255 * 200 - 1, &v, &n), -EMSGSIZE);
    ck_assert_int_eq(dhcp_msg_opt_get(&m, 77, scratch, 255 * 200, &v, &n), 0);
    ck_assert_uint_eq(n, 255 * 200);
    for (size_t i = 0; i < 255; i++)
        ck_assert_uint_eq(v[i * 200 + 199], i);
    free(scratch);
    free(b);

    /* 255 one-byte message types join to 255 bytes: not a message type. */
    k = 0;
    for (size_t i = 0; i < 255; i++) {
        opts[k++] = 53;
        opts[k++] = 1;
        opts[k++] = 1;
    }
    opts[k++] = 255;
    b = mk_msg(opts, k, &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    uint8_t t;
    ck_assert_int_eq(dhcp_msg_type(&m, &t), -EBADMSG);
    free(b);
}
END_TEST

START_TEST(test_dhcp_msg_prl_255_entries)
{
    uint8_t opts[2 + 255 + 1];
    opts[0] = 55;
    opts[1] = 255;
    for (size_t i = 0; i < 255; i++)
        opts[2 + i] = (uint8_t)(i + 1);
    opts[257] = 255;
    size_t len;
    uint8_t *b = mk_msg(opts, sizeof(opts), &len);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    const uint8_t *v;
    size_t n;
    ck_assert_int_eq(dhcp_msg_opt_get(&m, DHCP_OPT_PARAM_LIST, NULL, 0, &v, &n), 0);
    ck_assert_uint_eq(n, 255);
    ck_assert_int_eq(dhcp_opt_prl_decode(v, n), 0);
    ck_assert_uint_eq(v[254], 255);
    free(b);
    ck_assert_int_eq(dhcp_opt_prl_decode(NULL, 0), -EBADMSG);
}
END_TEST

/* Option 52: options area, then file, then sname (RFC 2131 section 4.1),
 * each ending with its own end option; a long option continues across. */
START_TEST(test_dhcp_msg_overload_order)
{
    size_t len;
    uint8_t *b = mk_msg((const uint8_t *)"\x34\x01\x03\x0c\x02"
                                         "ab\xff",
                        8, &len);
    memcpy(b + DHCP_FILE_OFF,
           "\x0c\x02"
           "cd\x0f\x01x\xff",
           8);
    memcpy(b + DHCP_SNAME_OFF,
           "\x0c\x01"
           "e\xff",
           4);
    struct dhcp_msg m;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(m.overload, 3);
    ck_assert_ptr_null(m.sname);
    ck_assert_ptr_null(m.file);
    check_opt_bytes(&m, 12, "abcde", 5);
    check_opt_bytes(&m, 15, "x", 1);
    ck_assert_uint_eq(dhcp_msg_opt_count(&m, 12), 3);
    static const uint8_t order[] = {52, 12, 12, 15, 12};
    struct dhcp_opt_iter it;
    struct dhcp_opt o;
    size_t k = 0;
    dhcp_msg_opt_iter_init(&it, &m);
    while (dhcp_msg_opt_next(&it, &o)) {
        ck_assert_uint_lt(k, sizeof(order));
        ck_assert_uint_eq(o.code, order[k++]);
    }
    ck_assert_uint_eq(k, sizeof(order));

    /* Overload 1: only file; sname stays a name (and its bytes are not
     * options even though they look like some). */
    b[DHCP_OPT_OFF + 2] = 1;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_ptr_eq(m.sname, b + DHCP_SNAME_OFF);
    ck_assert_ptr_null(m.file);
    check_opt_bytes(&m, 12, "abcd", 4);
    /* Overload 2: only sname. */
    b[DHCP_OPT_OFF + 2] = 2;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_ptr_null(m.sname);
    ck_assert_ptr_eq(m.file, b + DHCP_FILE_OFF);
    check_opt_bytes(&m, 12, "abe", 3);
    ck_assert(!dhcp_msg_opt_has(&m, 15));
    /* Bad overload values. */
    b[DHCP_OPT_OFF + 2] = 0;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[DHCP_OPT_OFF + 2] = 4;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    free(b);
    /* Two bytes of 52, and an empty 52. */
    b = mk_msg((const uint8_t *)"\x34\x02\x01\x01\xff", 5, &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    free(b);
    b = mk_msg((const uint8_t *)"\x34\x00\xff", 3, &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    free(b);
    /* 52 split per RFC 3396 (an empty instance, then the byte) joins to 1. */
    b = mk_msg((const uint8_t *)"\x34\x00\x34\x01\x01\xff", 6, &len);
    b[DHCP_FILE_OFF] = 255;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    ck_assert_uint_eq(m.overload, 1);
    free(b);
}
END_TEST

START_TEST(test_dhcp_msg_overload_hostile)
{
    size_t len;
    struct dhcp_msg m;
    /* File overloaded but without an end option (all pads). */
    uint8_t *b = mk_msg((const uint8_t *)"\x34\x01\x01\xff", 4, &len);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    /* Options filling file with no end. */
    for (size_t i = 0; i < DHCP_FILE_LEN; i += 2) {
        b[DHCP_FILE_OFF + i] = 77;
        b[DHCP_FILE_OFF + i + 1] = 0;
    }
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    /* An option in file whose length would run into the cookie. */
    memset(b + DHCP_FILE_OFF, 0, DHCP_FILE_LEN);
    b[DHCP_FILE_OFF + 120] = 12;
    b[DHCP_FILE_OFF + 121] = 7; /* value 230..236: one byte of cookie */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[DHCP_FILE_OFF + 121] = 6; /* fits exactly, but leaves no end */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[DHCP_FILE_OFF + 121] = 5;
    b[DHCP_FILE_OFF + 127] = 255;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    /* 52 inside file pointing back (or on to sname): refused. */
    memcpy(b + DHCP_FILE_OFF, "\x34\x01\x03\xff", 4);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    memcpy(b + DHCP_FILE_OFF, "\x34\x01\x01\xff", 4);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    free(b);
    /* 52 inside sname. */
    b = mk_msg((const uint8_t *)"\x34\x01\x02\xff", 4, &len);
    memcpy(b + DHCP_SNAME_OFF, "\x34\x01\x02\xff", 4);
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    /* sname without end, option crossing into file. */
    memset(b + DHCP_SNAME_OFF, 0, DHCP_SNAME_LEN);
    b[DHCP_SNAME_OFF + 62] = 12;
    b[DHCP_SNAME_OFF + 63] = 1;
    b[DHCP_FILE_OFF] = 255; /* would end the option if areas ran together */
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), -EBADMSG);
    b[DHCP_SNAME_OFF + 62] = 255;
    ck_assert_int_eq(dhcp_msg_parse(&m, b, len), 0);
    free(b);
}
END_TEST

static Suite *dhcp_msg_suite(void)
{
    Suite *s = suite_create("dhcp_msg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcp_msg_parse_udhcpc_discover);
    tcase_add_test(tc, test_dhcp_msg_parse_udhcpc_request);
    tcase_add_test(tc, test_dhcp_msg_parse_dhclient_messages);
    tcase_add_test(tc, test_dhcp_msg_parse_udhcpd_replies);
    tcase_add_test(tc, test_dhcp_msg_parse_rejects_every_prefix);
    tcase_add_test(tc, test_dhcp_msg_parse_rejects_bad_header);
    tcase_add_test(tc, test_dhcp_msg_parse_option_area_rules);
    tcase_add_test(tc, test_dhcp_msg_type_values);
    tcase_add_test(tc, test_dhcp_msg_max_size_floor);
    tcase_add_test(tc, test_dhcp_msg_long_option_joined);
    tcase_add_test(tc, test_dhcp_msg_255_instances);
    tcase_add_test(tc, test_dhcp_msg_prl_255_entries);
    tcase_add_test(tc, test_dhcp_msg_overload_order);
    tcase_add_test(tc, test_dhcp_msg_overload_hostile);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcp_msg_suite)
