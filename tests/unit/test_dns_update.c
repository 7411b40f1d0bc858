/* Tests for common/dns_update: the RFC 2136 prescan and classification on
 * built messages (each refusal), and on what BIND's nsupdate sends (an
 * independent encoder), answered with a signed reply nsupdate accepts. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/dns_msg.h"
#include "common/dns_tsig.h"
#include "common/dns_update.h"
#include "common/dns_write.h"
#include "testutil.h"

#define ZONE   "\003lab\000"
#define SECRET "cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="

struct parsed {
    struct dns_msg m;
    struct dns_question qd[4];
    struct dns_rr rr[32];
};

static int parse(struct parsed *p, const uint8_t *buf, size_t len)
{
    memset(&p->m, 0, sizeof(p->m));
    p->m.qd = p->qd;
    p->m.qd_cap = 4;
    p->m.rr = p->rr;
    p->m.rr_cap = 32;
    return dns_msg_parse(&p->m, buf, len);
}

/* One record in section sec of a fresh UPDATE for lab., prescanned. */
static uint8_t prescan_one(int sec, const char *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                           const void *rdata, uint16_t rdlen)
{
    uint8_t buf[512];
    struct dns_wr d;
    ck_assert_int_eq(dns_update_begin(&d, buf, sizeof(buf), 1, (const uint8_t *)ZONE), 0);
    dns_wr_rrset_begin(&d, sec);
    dns_wr_rr(&d, (const uint8_t *)owner, type, rclass, ttl, rdata, rdlen);
    ck_assert_int_eq(dns_wr_rrset_end(&d), 0);
    size_t len;
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    struct parsed p;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    uint8_t zone[DNS_NAME_MAXLEN];
    return dns_update_prescan(&p.m, zone);
}

START_TEST(test_dns_update_prescan_rules)
{
    static const uint8_t a[4] = {10, 0, 0, 5};
    const char *in = "\003www\003lab\000", *out = "\003www\004corp\000";
    /* Prerequisites: TTL 0; ANY/NONE without RDATA; IN with it. */
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, 0), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_A, DNS_CLASS_IN, 0, a, 4), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_A, DNS_CLASS_ANY, 5, NULL, 0),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_A, DNS_CLASS_ANY, 0, a, 4),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, in, DNS_TYPE_A, DNS_CLASS_CH, 0, a, 4),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_PR, out, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0),
                      DNS_RCODE_NOTZONE);
    /* Updates. */
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_NONE, 0, a, 4), 0);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_ANY, DNS_CLASS_IN, 300, NULL, 0),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_AXFR, DNS_CLASS_ANY, 0, NULL, 0),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_ANY, 300, NULL, 0),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_ANY, 0, a, 4),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_NONE, 9, a, 4),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, in, DNS_TYPE_A, DNS_CLASS_CH, 300, a, 4),
                      DNS_RCODE_FORMERR);
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, out, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4),
                      DNS_RCODE_NOTZONE);
    /* The zone itself is in the zone; a name merely ending in "lab" is not. */
    ck_assert_uint_eq(prescan_one(DNS_UPD_SEC_UP, ZONE, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4), 0);
    ck_assert_uint_eq(
        prescan_one(DNS_UPD_SEC_UP, "\004xlab\000", DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4),
        DNS_RCODE_NOTZONE);
}
END_TEST

START_TEST(test_dns_update_zone_section)
{
    uint8_t buf[512];
    size_t len;
    uint8_t zone[DNS_NAME_MAXLEN];
    struct parsed p;
    /* A plain query is not an UPDATE. */
    ck_assert_int_eq(dns_query_make(buf, sizeof(buf), 1, (const uint8_t *)ZONE, DNS_TYPE_SOA,
                                    DNS_CLASS_IN, false, NULL, &len),
                     0);
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), DNS_RCODE_FORMERR);
    /* Opcode UPDATE but the zone type is not SOA. */
    buf[2] = (uint8_t)(DNS_OPCODE_UPDATE << 3);
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), 0);
    ck_assert(dns_name_eq(zone, (const uint8_t *)ZONE));
    buf[len - 3] = DNS_TYPE_A;
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), DNS_RCODE_FORMERR);
    /* Two zones. */
    struct dns_wr d;
    ck_assert_int_eq(dns_update_begin(&d, buf, sizeof(buf), 1, (const uint8_t *)ZONE), 0);
    dns_wr_question(&d, (const uint8_t *)"\004corp\000", DNS_TYPE_SOA, DNS_CLASS_IN);
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), DNS_RCODE_FORMERR);
    /* A zone in upper case is reported in lower case. */
    ck_assert_int_eq(dns_update_begin(&d, buf, sizeof(buf), 1, (const uint8_t *)"\003LaB\000"), 0);
    ck_assert_int_eq(dns_wr_finish(&d, &len), 0);
    ck_assert_int_eq(parse(&p, buf, len), 0);
    ck_assert_uint_eq(dns_update_prescan(&p.m, zone), 0);
    ck_assert(memcmp(zone, ZONE, 5) == 0);
}
END_TEST

static int udp_listener(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

START_TEST(test_dns_update_nsupdate_interop)
{
    uint16_t port;
    int fd = udp_listener(&port);
    char script[] = "/tmp/labnet-nsupdate-XXXXXX";
    int sfd = mkstemp(script);
    ck_assert_int_ge(sfd, 0);
    FILE *s = fdopen(sfd, "w");
    fprintf(s,
            "server 127.0.0.1 %u\n"
            "zone lab.\n"
            "prereq nxdomain new.lab.\n"
            "prereq yxrrset gw.lab. A\n"
            "update add new.lab. 300 A 10.0.0.5\n"
            "update delete old.lab. A\n"
            "update delete gone.lab.\n"
            "update delete gw.lab. A 10.0.0.9\n"
            "send\n",
            port);
    fclose(s);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "nsupdate -t 3 -u 1 -y 'hmac-sha256:ddns.lab.:%s' %s 2>&1", SECRET,
             script);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run nsupdate (package bind9-dnsutils)");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 5000) == 1, "nsupdate sent nothing (bind9-dnsutils installed?)");
    uint8_t q[4096];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
    ck_assert_int_gt(n, 0);

    struct parsed m;
    ck_assert_int_eq(parse(&m, q, (size_t)n), 0);
    uint8_t zone[DNS_NAME_MAXLEN];
    ck_assert_uint_eq(dns_update_prescan(&m.m, zone), DNS_RCODE_NOERROR);
    ck_assert(dns_name_eq(zone, (const uint8_t *)ZONE));
    size_t npr, nup;
    const struct dns_rr *pr = dns_msg_section(&m.m, DNS_UPD_SEC_PR, &npr);
    const struct dns_rr *up = dns_msg_section(&m.m, DNS_UPD_SEC_UP, &nup);
    ck_assert_uint_eq(npr, 2);
    ck_assert_int_eq(dns_update_prereq(&pr[0]), DNS_PRE_NAME_NOT_IN_USE);
    ck_assert_int_eq(dns_update_prereq(&pr[1]), DNS_PRE_RRSET_EXISTS);
    ck_assert_uint_eq(nup, 4);
    ck_assert_int_eq(dns_update_op(&up[0]), DNS_UPD_ADD);
    ck_assert_int_eq(dns_update_op(&up[1]), DNS_UPD_DELETE_RRSET);
    ck_assert_int_eq(dns_update_op(&up[2]), DNS_UPD_DELETE_NAME);
    ck_assert_int_eq(dns_update_op(&up[3]), DNS_UPD_DELETE_RR);
    uint8_t addr[4];
    ck_assert_int_eq(dns_rr_a(&m.m, &up[0], addr), 0);
    ck_assert_uint_eq(addr[3], 5);
    ck_assert_uint_eq(up[0].ttl, 300);

    /* nsupdate signed it; answer NOERROR, signed over its MAC. */
    struct dns_tsig_key k;
    ck_assert_int_eq(dns_tsig_key_parse(&k, "ddns.lab.:" SECRET, NULL, 0), 0);
    struct dns_tsig_info t;
    ck_assert_int_eq(dns_tsig_find(&m.m, &t), 1);
    ck_assert_int_eq(dns_tsig_verify(&m.m, &t, &k, 1, (uint64_t)time(NULL), NULL, 0, NULL), 0);
    uint8_t resp[512];
    struct dns_wr d;
    ck_assert_int_eq(dns_update_begin(&d, resp, sizeof(resp), m.m.hdr.id, zone), 0);
    d.hdr.qr = true;
    size_t rlen;
    ck_assert_int_eq(dns_wr_finish(&d, &rlen), 0);
    ck_assert_int_eq(dns_tsig_sign(resp, &rlen, sizeof(resp), &k, (uint64_t)time(NULL), 300, 0,
                                   t.mac, t.mac_len, NULL, NULL),
                     0);
    ck_assert_int_eq(sendto(fd, resp, rlen, 0, (struct sockaddr *)&from, fl), (ssize_t)rlen);
    char out[4096];
    size_t got = fread(out, 1, sizeof(out) - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nsupdate refused our answer:\n%s", out);
    unlink(script);
    close(fd);
}
END_TEST

static Suite *dns_update_suite(void)
{
    Suite *s = suite_create("dns_update");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dns_update_prescan_rules);
    tcase_add_test(tc, test_dns_update_zone_section);
    tcase_add_test(tc, test_dns_update_nsupdate_interop);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_update_suite)
