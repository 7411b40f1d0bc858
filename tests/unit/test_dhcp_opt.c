/* Check suite for common/dhcp_opt: typed option values, RFC examples, the
 * values busybox udhcpd sent, and hostile encodings. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>

#include "common/dhcp_opt.h"
#include "testutil.h"

START_TEST(test_dhcp_opt_addrs)
{
    static const uint8_t v[] = {192, 0, 2, 53, 192, 0, 2, 54, 192, 0, 2, 55};
    uint8_t *b = test_exact_copy(v, sizeof(v));
    uint32_t out[4];
    size_t n = 99;
    ck_assert_int_eq(dhcp_opt_addrs_decode(b, sizeof(v), out, 4, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(out[0], test_ip4("192.0.2.53"));
    ck_assert_uint_eq(out[2], test_ip4("192.0.2.55"));
    /* More than the caller holds: the first ones, in order of preference. */
    ck_assert_int_eq(dhcp_opt_addrs_decode(b, sizeof(v), out, 2, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(out[1], test_ip4("192.0.2.54"));
    for (size_t len = 0; len < sizeof(v); len++) {
        uint8_t *p = test_exact_copy(v, len);
        int rc = dhcp_opt_addrs_decode(p, len, out, 4, &n);
        ck_assert_int_eq(rc, (len && len % 4 == 0) ? 0 : -EBADMSG);
        free(p);
    }
    free(b);
}
END_TEST

START_TEST(test_dhcp_opt_text)
{
    const uint8_t *t;
    size_t n;
    ck_assert_int_eq(dhcp_opt_text_decode((const uint8_t *)"host", 4, &t, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(dhcp_opt_text_decode((const uint8_t *)"host\0\0", 6, &t, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(dhcp_opt_text_decode((const uint8_t *)"ho\0st", 5, &t, &n), -EBADMSG);
    ck_assert_int_eq(dhcp_opt_text_decode((const uint8_t *)"\0", 1, &t, &n), -EBADMSG);
    ck_assert_int_eq(dhcp_opt_text_decode(NULL, 0, &t, &n), -EBADMSG);
}
END_TEST

START_TEST(test_dhcp_opt_client_id)
{
    uint8_t type;
    const uint8_t *id;
    size_t n;
    ck_assert_int_eq(dhcp_opt_client_id_decode((const uint8_t *)"\x01\x02\x00\x00\x00\x00\x01", 7,
                                               &type, &id, &n),
                     0);
    ck_assert_uint_eq(type, 1);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(id[5], 1);
    ck_assert_int_eq(dhcp_opt_client_id_decode((const uint8_t *)"\xff", 1, &type, &id, &n),
                     -EBADMSG);
    ck_assert_int_eq(dhcp_opt_client_id_decode(NULL, 0, &type, &id, &n), -EBADMSG);
}
END_TEST

START_TEST(test_dhcp_opt_fqdn_decode_forms)
{
    struct dhcp_fqdn f;
    /* RFC 4702 wire form, fully qualified. */
    static const uint8_t fq[] = "\x05\x00\x00\x04host\x07"
                                "example\x00";
    uint8_t *b = test_exact_copy(fq, sizeof(fq) - 1);
    ck_assert_int_eq(dhcp_opt_fqdn_decode(b, sizeof(fq) - 1, &f), 0);
    ck_assert_uint_eq(f.flags, DHCP_FQDN_S | DHCP_FQDN_E);
    ck_assert_int_eq(f.form, DHCP_FQDN_WIRE);
    ck_assert_ptr_eq(f.name, b + 3);
    ck_assert_uint_eq(f.name_len, 14);
    /* Every prefix past the flags is a partial name or invalid. */
    for (size_t len = 0; len < sizeof(fq) - 1; len++) {
        uint8_t *p = test_exact_copy(fq, len);
        int rc = dhcp_opt_fqdn_decode(p, len, &f);
        if (len < 3 || (len > 3 && len < 8) || (len > 8 && len < 16))
            ck_assert_msg(rc == -EBADMSG, "len %zu rc %d", len, rc);
        else {
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(f.form, DHCP_FQDN_WIRE_PARTIAL);
        }
        free(p);
    }
    free(b);
    /* Partial wire name; empty wire name; ASCII form with N set. */
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\x00\x00\x04host", 8, &f), 0);
    ck_assert_int_eq(f.form, DHCP_FQDN_WIRE_PARTIAL);
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\xff\xff", 3, &f), 0);
    ck_assert_uint_eq(f.name_len, 0);
    ck_assert_uint_eq(f.rcode1, 255);
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x08\x00\x00host.ex", 10, &f), 0);
    ck_assert_int_eq(f.form, DHCP_FQDN_ASCII);
    ck_assert_uint_eq(f.name_len, 7);
    ck_assert_mem_eq(f.name, "host.ex", 7);
}
END_TEST

START_TEST(test_dhcp_opt_fqdn_decode_rejects)
{
    struct dhcp_fqdn f;
    /* Compression pointer, reserved label types. */
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\x00\x00\xc0\x0c", 5, &f),
                     -EBADMSG);
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\x00\x00\x40"
                                                           "a",
                                          5, &f),
                     -EBADMSG);
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\x00\x00\x80"
                                                           "a",
                                          5, &f),
                     -EBADMSG);
    /* Data after the root label. */
    ck_assert_int_eq(dhcp_opt_fqdn_decode((const uint8_t *)"\x04\x00\x00\x01"
                                                           "a\x00\x01"
                                                           "b",
                                          8, &f),
                     -EBADMSG);
    /* 64-byte label; 63 is the most. */
    uint8_t v[3 + 1 + 64 + 1] = {DHCP_FQDN_E, 0, 0, 64};
    memset(v + 4, 'a', 64);
    ck_assert_int_eq(dhcp_opt_fqdn_decode(v, sizeof(v), &f), -EBADMSG);
    v[3] = 63;
    ck_assert_int_eq(dhcp_opt_fqdn_decode(v, 3 + 1 + 63, &f), 0);
    /* Over 255 bytes of name. */
    uint8_t big[3 + 256];
    big[0] = DHCP_FQDN_E;
    big[1] = big[2] = 0;
    for (size_t i = 0; i < 4; i++) {
        big[3 + i * 64] = 63;
        memset(big + 3 + i * 64 + 1, 'b', 63);
    }
    ck_assert_int_eq(dhcp_opt_fqdn_decode(big, 3 + 255, &f), -EBADMSG); /* truncated label */
    ck_assert_int_eq(dhcp_opt_fqdn_decode(big, 3 + 256, &f), -EBADMSG); /* too long */
    ck_assert_int_eq(dhcp_opt_fqdn_decode(big, 3 + 192, &f), 0);
}
END_TEST

START_TEST(test_dhcp_opt_fqdn_encode)
{
    uint8_t buf[300];
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, DHCP_FQDN_S, "host.example.", true), 0);
    ck_assert_uint_eq(wire_wr_len(&w), 17);
    ck_assert_mem_eq(buf,
                     "\x05\x00\x00\x04host\x07"
                     "example\x00",
                     17);
    struct dhcp_fqdn f;
    ck_assert_int_eq(dhcp_opt_fqdn_decode(buf, 17, &f), 0);
    ck_assert_int_eq(f.form, DHCP_FQDN_WIRE);

    wire_wr_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, 0, "host", false), 0);
    ck_assert_uint_eq(wire_wr_len(&w), 8);
    ck_assert_int_eq(dhcp_opt_fqdn_decode(buf, 8, &f), 0);
    ck_assert_int_eq(f.form, DHCP_FQDN_WIRE_PARTIAL);

    /* Bad names write nothing. */
    const char *bad[] = {"a..b", ".a", "a.b..", "..",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wire_wr_init(&w, buf, sizeof(buf));
        ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, 0, bad[i], true), -EINVAL);
        ck_assert_uint_eq(wire_wr_len(&w), 0);
    }
    char name[300];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    for (size_t i = 63; i < sizeof(name) - 1; i += 64)
        name[i] = '.';
    wire_wr_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, 0, name, true), -EINVAL);
    /* No room: the writer's error. */
    wire_wr_init(&w, buf, 5);
    ck_assert_int_eq(dhcp_opt_fqdn_encode(&w, 0, "host", true), -EMSGSIZE);
}
END_TEST

START_TEST(test_dhcp_opt_relay_info)
{
    static const uint8_t v[] = {1, 3, 'e', 't', '0', 9, 1, 'x', 2, 2, 0xaa, 0xbb, 1, 1, 'z'};
    uint8_t *b = test_exact_copy(v, sizeof(v));
    struct dhcp_relay_info ri;
    ck_assert_int_eq(dhcp_opt_relay_decode(b, sizeof(v), &ri), 0);
    ck_assert_ptr_eq(ri.circuit_id, b + 2);
    ck_assert_uint_eq(ri.circuit_id_len, 3);
    ck_assert_ptr_eq(ri.remote_id, b + 10);
    ck_assert_uint_eq(ri.remote_id_len, 2);
    for (size_t len = 0; len < sizeof(v); len++) {
        uint8_t *p = test_exact_copy(v, len);
        int rc = dhcp_opt_relay_decode(p, len, &ri);
        bool whole = len == 5 || len == 8 || len == 12;
        ck_assert_int_eq(rc, whole ? 0 : -EBADMSG);
        free(p);
    }
    free(b);
    ck_assert_int_eq(dhcp_opt_relay_decode((const uint8_t *)"\x01\x00", 2, &ri), 0);
    ck_assert_uint_eq(ri.circuit_id_len, 0);
    ck_assert_ptr_null(ri.remote_id);
}
END_TEST

/* Our uncompressed encoding of udhcpd's search list is byte for byte what
 * udhcpd sent (it did not compress either). */
START_TEST(test_dhcp_opt_search_encode)
{
    const char *names[] = {"lab.example", "example.org."};
    uint8_t buf[64];
    struct wire_wr w;
    wire_wr_init(&w, buf, sizeof(buf));
    ck_assert_int_eq(dhcp_opt_search_encode(&w, names, 2), 0);
    ck_assert_uint_eq(wire_wr_len(&w), 26);
    ck_assert_mem_eq(buf, "\3lab\7example\0\7example\3org\0", 26);
    ck_assert_int_eq(dhcp_opt_search_decode(buf, 26), 0);
    ck_assert_int_eq(dhcp_opt_search_decode(buf, 0), -EBADMSG);
    const char *bad[][1] = {{""}, {"."}, {"a..b"}};
    for (size_t i = 0; i < 3; i++) {
        wire_wr_init(&w, buf, sizeof(buf));
        ck_assert_int_eq(dhcp_opt_search_encode(&w, bad[i], 1), -EINVAL);
        ck_assert_uint_eq(wire_wr_len(&w), 0);
    }
    ck_assert_int_eq(dhcp_opt_search_encode(&w, names, 0), -EINVAL);
    wire_wr_init(&w, buf, 20);
    ck_assert_int_eq(dhcp_opt_search_encode(&w, names, 2), -EMSGSIZE);
}
END_TEST

/* RFC 3442 section 3's table of destination encodings. */
START_TEST(test_dhcp_opt_routes_rfc3442_examples)
{
    static const uint8_t wire[] = {0,  192, 0,   2,   1,                 /* 0.0.0.0/0 */
                                   8,  10,  192, 0,   2,   1,            /* 10/8 */
                                   16, 10,  17,  192, 0,   2,   1,       /* 10.17/16 */
                                   24, 10,  27,  129, 192, 0,   2, 1,    /* 10.27.129/24 */
                                   25, 10,  229, 0,   128, 192, 0, 2, 1, /* /25 */
                                   32, 10,  198, 122, 47,  192, 0, 2, 1};
    const char *dest[] = {"0.0.0.0",     "10.0.0.0",     "10.17.0.0",
                          "10.27.129.0", "10.229.0.128", "10.198.122.47"};
    const uint8_t prefix[] = {0, 8, 16, 24, 25, 32};
    uint8_t *b = test_exact_copy(wire, sizeof(wire));
    struct dhcp_route rt[6];
    size_t n;
    ck_assert_int_eq(dhcp_opt_routes_decode(b, sizeof(wire), rt, 6, &n), 0);
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(rt[i].dest, test_ip4(dest[i]));
        ck_assert_uint_eq(rt[i].prefix, prefix[i]);
        ck_assert_uint_eq(rt[i].router, test_ip4("192.0.2.1"));
    }
    /* Round trip to the same bytes. */
    uint8_t out[64];
    struct wire_wr w;
    wire_wr_init(&w, out, sizeof(out));
    ck_assert_int_eq(dhcp_opt_routes_encode(&w, rt, 6), 0);
    ck_assert_uint_eq(wire_wr_len(&w), sizeof(wire));
    ck_assert_mem_eq(out, wire, sizeof(wire));
    /* One slot short: none rather than part. */
    ck_assert_int_eq(dhcp_opt_routes_decode(b, sizeof(wire), rt, 5, &n), -E2BIG);
    /* Every proper prefix that cuts a route is refused. */
    const size_t ends[] = {5, 11, 18, 26, 35, 44};
    for (size_t len = 0; len < sizeof(wire); len++) {
        uint8_t *p = test_exact_copy(wire, len);
        bool whole = false;
        for (size_t i = 0; i < 6; i++)
            whole = whole || ends[i] == len;
        ck_assert_int_eq(dhcp_opt_routes_decode(p, len, rt, 6, &n), whole ? 0 : -EBADMSG);
        free(p);
    }
    free(b);
}
END_TEST

START_TEST(test_dhcp_opt_routes_hostile)
{
    struct dhcp_route rt[4];
    size_t n;
    /* Width over 32. */
    ck_assert_int_eq(dhcp_opt_routes_decode((const uint8_t *)"\x21\x0a\x00\x00\x00\x01\x02\x03\x04",
                                            9, rt, 4, &n),
                     -EBADMSG);
    ck_assert_int_eq(dhcp_opt_routes_decode((const uint8_t *)"\xff\x01\x02\x03\x04", 5, rt, 4, &n),
                     -EBADMSG);
    /* Truncated destination: /24 with two octets and no router. */
    ck_assert_int_eq(dhcp_opt_routes_decode((const uint8_t *)"\x18\x0a\x00", 3, rt, 4, &n),
                     -EBADMSG);
    /* Destination bits beyond the width: /9 with 10.192 (10.128 is fine). */
    ck_assert_int_eq(
        dhcp_opt_routes_decode((const uint8_t *)"\x09\x0a\xc0\xc0\x00\x02\x01", 7, rt, 4, &n),
        -EBADMSG);
    ck_assert_int_eq(
        dhcp_opt_routes_decode((const uint8_t *)"\x09\x0a\x80\xc0\x00\x02\x01", 7, rt, 4, &n), 0);
    ck_assert_uint_eq(rt[0].dest, test_ip4("10.128.0.0"));
    ck_assert_int_eq(dhcp_opt_routes_decode(NULL, 0, rt, 4, &n), -EBADMSG);
    /* Encoder refuses what the decoder refuses. */
    uint8_t out[16];
    struct wire_wr w;
    wire_wr_init(&w, out, sizeof(out));
    struct dhcp_route r = {
        .dest = test_ip4("10.192.0.0"), .prefix = 9, .router = test_ip4("192.0.2.1")};
    ck_assert_int_eq(dhcp_opt_routes_encode(&w, &r, 1), -EINVAL);
    r.prefix = 33;
    r.dest = 0;
    ck_assert_int_eq(dhcp_opt_routes_encode(&w, &r, 1), -EINVAL);
    ck_assert_int_eq(dhcp_opt_routes_encode(&w, &r, 0), -EINVAL);
    ck_assert_uint_eq(wire_wr_len(&w), 0);
}
END_TEST

static Suite *dhcp_opt_suite(void)
{
    Suite *s = suite_create("dhcp_opt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcp_opt_addrs);
    tcase_add_test(tc, test_dhcp_opt_text);
    tcase_add_test(tc, test_dhcp_opt_client_id);
    tcase_add_test(tc, test_dhcp_opt_fqdn_decode_forms);
    tcase_add_test(tc, test_dhcp_opt_fqdn_decode_rejects);
    tcase_add_test(tc, test_dhcp_opt_fqdn_encode);
    tcase_add_test(tc, test_dhcp_opt_relay_info);
    tcase_add_test(tc, test_dhcp_opt_search_encode);
    tcase_add_test(tc, test_dhcp_opt_routes_rfc3442_examples);
    tcase_add_test(tc, test_dhcp_opt_routes_hostile);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcp_opt_suite)
