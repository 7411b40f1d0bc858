/* Check suite for clients/dhcpc_raw (IPv4/UDP framing, checksums,
 * TP_STATUS_CSUMNOTREADY) and the rtnetlink request encoder of
 * clients/dhcpc_nl. */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>

#include "clients/dhcpc_nl.h"
#include "clients/dhcpc_raw.h"
#include "testutil.h"

/* RFC 1071 section 3 example: the sum of 0001 f203 f4f5 f6f7 is ddf2. */
START_TEST(test_dhcpc_raw_csum_rfc1071)
{
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    ck_assert_uint_eq(dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, b, sizeof(b))), (uint16_t)~0xddf2);
    /* Odd length: the last byte is padded with zero. */
    static const uint8_t o[] = {0x01};
    ck_assert_uint_eq(dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, o, 1)), (uint16_t)~0x0100);
}
END_TEST

static const uint8_t payload[] = "\x02\x01\x06\x00 a DHCP reply, or anything";

/* A server's packet: build swaps nothing, so flip the ports by hand. */
static size_t server_packet(uint8_t *buf, size_t cap)
{
    int n = dhcpc_raw_build(buf, cap, test_ip4("10.0.0.1"), test_ip4("10.0.0.10"), payload,
                            sizeof(payload));
    ck_assert_int_gt(n, 0);
    /* 67 -> 68, with the checksum recomputed. */
    buf[20] = 0;
    buf[21] = 67;
    buf[22] = 0;
    buf[23] = 68;
    buf[26] = buf[27] = 0;
    uint32_t sum = dhcpc_raw_csum_add(0, buf + 12, 8) + 17 + (uint32_t)(8 + sizeof(payload));
    uint16_t c = dhcpc_raw_csum_fold(dhcpc_raw_csum_add(sum, buf + 20, 8 + sizeof(payload)));
    buf[26] = (uint8_t)(c >> 8);
    buf[27] = (uint8_t)c;
    return (size_t)n;
}

START_TEST(test_dhcpc_raw_build_layout)
{
    uint8_t buf[200];
    int n = dhcpc_raw_build(buf, sizeof(buf), 0, 0xffffffffu, payload, sizeof(payload));
    ck_assert_int_eq(n, 28 + (int)sizeof(payload));
    ck_assert_uint_eq(buf[0], 0x45);
    ck_assert_uint_eq((unsigned)(buf[2] << 8 | buf[3]), (unsigned)n);
    ck_assert_uint_eq(buf[9], 17);
    ck_assert_uint_eq(buf[21], 68); /* source port */
    ck_assert_uint_eq(buf[23], 67);
    /* The IP header sums to zero with its checksum. */
    ck_assert_uint_eq(dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, buf, 20)), 0);
    ck_assert_int_eq(dhcpc_raw_build(buf, 40, 0, 0, payload, sizeof(payload)), -EMSGSIZE);
}
END_TEST

START_TEST(test_dhcpc_raw_parse_round_trip)
{
    uint8_t buf[200];
    size_t n = server_packet(buf, sizeof(buf));
    const uint8_t *p;
    size_t plen;
    uint32_t src;
    uint8_t *copy = test_exact_copy(buf, n);
    ck_assert_int_eq(dhcpc_raw_parse(copy, n, false, &p, &plen, &src), 0);
    ck_assert_uint_eq(plen, sizeof(payload));
    ck_assert_mem_eq(p, payload, plen);
    ck_assert_uint_eq(src, test_ip4("10.0.0.1"));
    free(copy);
    /* Link-layer padding after the IP packet is ignored. */
    uint8_t padded[200];
    memcpy(padded, buf, n);
    memset(padded + n, 0xee, 20);
    ck_assert_int_eq(dhcpc_raw_parse(padded, n + 20, false, &p, &plen, &src), 0);
    ck_assert_uint_eq(plen, sizeof(payload));
}
END_TEST

START_TEST(test_dhcpc_raw_parse_prefixes_refused)
{
    uint8_t buf[200];
    size_t n = server_packet(buf, sizeof(buf));
    const uint8_t *p;
    size_t plen;
    for (size_t i = 0; i < n; i++) {
        uint8_t *copy = test_exact_copy(buf, i);
        ck_assert_int_eq(dhcpc_raw_parse(copy, i, true, &p, &plen, NULL), -EBADMSG);
        free(copy);
    }
}
END_TEST

/* A corrupted payload fails the UDP checksum -- unless the kernel said the
 * checksum is partial (veth offload), when it was never computed. */
START_TEST(test_dhcpc_raw_checksums_and_csum_not_ready)
{
    uint8_t buf[200];
    size_t n = server_packet(buf, sizeof(buf));
    const uint8_t *p;
    size_t plen;
    buf[40] ^= 0x40;
    ck_assert_int_eq(dhcpc_raw_parse(buf, n, false, &p, &plen, NULL), -EBADMSG);
    ck_assert_int_eq(dhcpc_raw_parse(buf, n, true, &p, &plen, NULL), 0);
    /* A UDP checksum of 0: none was sent (RFC 768). */
    buf[26] = buf[27] = 0;
    ck_assert_int_eq(dhcpc_raw_parse(buf, n, false, &p, &plen, NULL), 0);
    /* A bad IP header checksum is never excused. */
    n = server_packet(buf, sizeof(buf));
    buf[8] ^= 1; /* TTL */
    ck_assert_int_eq(dhcpc_raw_parse(buf, n, true, &p, &plen, NULL), -EBADMSG);
}
END_TEST

static void fix_ip_csum(uint8_t *buf)
{
    buf[10] = buf[11] = 0;
    uint16_t c = dhcpc_raw_csum_fold(dhcpc_raw_csum_add(0, buf, (size_t)(buf[0] & 15) * 4));
    buf[10] = (uint8_t)(c >> 8);
    buf[11] = (uint8_t)c;
}

START_TEST(test_dhcpc_raw_parse_rejects_hostile_headers)
{
    uint8_t buf[200], b[200];
    size_t n = server_packet(buf, sizeof(buf));
    const uint8_t *p;
    size_t plen;
    struct {
        size_t off;
        uint8_t val;
    } cases[] = {
        {0, 0x65},  /* version 6 */
        {0, 0x44},  /* IHL 4 */
        {0, 0x4f},  /* IHL 15: 60 bytes, past the UDP header */
        {2, 0xff},  /* total length beyond the datagram */
        {3, 20},    /* total length below IHL + 8 */
        {6, 0x20},  /* more fragments */
        {7, 0x01},  /* fragment offset */
        {9, 6},     /* TCP */
        {21, 53},   /* source port not 67 */
        {23, 69},   /* destination port not 68 */
        {24, 0xff}, /* UDP length beyond the IP payload */
        {25, 7},    /* UDP length below 8 (with byte 24 = 0) */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(b, buf, n);
        if (cases[i].off == 3)
            b[2] = 0;
        if (cases[i].off == 25)
            b[24] = 0;
        b[cases[i].off] = cases[i].val;
        fix_ip_csum(b);
        ck_assert_msg(dhcpc_raw_parse(b, n, true, &p, &plen, NULL) == -EBADMSG, "case %zu", i);
    }
    /* IP options (IHL 6) are fine: the UDP header moves. */
    memcpy(b, buf, 20);
    b[0] = 0x46;
    b[2] = 0;
    b[3] = (uint8_t)(n + 4);
    memset(b + 20, 1, 4); /* four NOP options */
    memcpy(b + 24, buf + 20, n - 20);
    fix_ip_csum(b);
    ck_assert_int_eq(dhcpc_raw_parse(b, n + 4, true, &p, &plen, NULL), 0);
    ck_assert_mem_eq(p, payload, sizeof(payload));
}
END_TEST

START_TEST(test_dhcpc_nl_addr_msg_layout)
{
    uint8_t msg[256];
    int n = dhcpc_nl_addr_msg(msg, sizeof(msg), true, 3, test_ip4("10.0.0.10"), 24,
                              test_ip4("10.0.0.255"), 600, 600, 77);
    ck_assert_int_gt(n, 0);
    struct nlmsghdr nh;
    memcpy(&nh, msg, sizeof(nh));
    ck_assert_uint_eq(nh.nlmsg_len, (unsigned)n);
    ck_assert_uint_eq(nh.nlmsg_type, RTM_NEWADDR);
    ck_assert_uint_eq(nh.nlmsg_seq, 77);
    ck_assert(nh.nlmsg_flags & NLM_F_ACK);
    struct ifaddrmsg ifa;
    memcpy(&ifa, msg + NLMSG_HDRLEN, sizeof(ifa));
    ck_assert_uint_eq(ifa.ifa_prefixlen, 24);
    ck_assert_uint_eq(ifa.ifa_index, 3);
    /* Walk the attributes: LOCAL, ADDRESS, BROADCAST, CACHEINFO. */
    size_t off = NLMSG_SPACE(sizeof(struct ifaddrmsg));
    unsigned seen = 0;
    while (off + sizeof(struct nlattr) <= (size_t)n) {
        struct nlattr a;
        memcpy(&a, msg + off, sizeof(a));
        ck_assert_uint_ge(a.nla_len, sizeof(a));
        if (a.nla_type == IFA_CACHEINFO) {
            struct ifa_cacheinfo ci;
            memcpy(&ci, msg + off + sizeof(a), sizeof(ci));
            ck_assert_uint_eq(ci.ifa_valid, 600);
            ck_assert_uint_eq(ci.ifa_prefered, 600);
        } else if (a.nla_type == IFA_LOCAL) {
            uint32_t v;
            memcpy(&v, msg + off + sizeof(a), 4);
            ck_assert_uint_eq(v, test_ip4("10.0.0.10"));
        }
        seen |= 1u << a.nla_type;
        off += (a.nla_len + 3u) & ~3u;
    }
    ck_assert_uint_eq(off, (size_t)n);
    ck_assert_uint_eq(seen, 1u << IFA_LOCAL | 1u << IFA_ADDRESS | 1u << IFA_BROADCAST |
                                1u << IFA_CACHEINFO);
    ck_assert_int_eq(dhcpc_nl_addr_msg(msg, 20, true, 3, 1, 24, 0, 1, 1, 1), -EMSGSIZE);
    ck_assert_int_eq(dhcpc_nl_addr_msg(msg, sizeof(msg), true, 3, 1, 33, 0, 1, 1, 1), -EMSGSIZE);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("clients_dhcpc_raw");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dhcpc_raw_csum_rfc1071);
    tcase_add_test(tc, test_dhcpc_raw_build_layout);
    tcase_add_test(tc, test_dhcpc_raw_parse_round_trip);
    tcase_add_test(tc, test_dhcpc_raw_parse_prefixes_refused);
    tcase_add_test(tc, test_dhcpc_raw_checksums_and_csum_not_ready);
    tcase_add_test(tc, test_dhcpc_raw_parse_rejects_hostile_headers);
    tcase_add_test(tc, test_dhcpc_nl_addr_msg_layout);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
