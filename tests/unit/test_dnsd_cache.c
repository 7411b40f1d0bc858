/* unit.dnsd_cache: the shared RRset / negative cache and the RRset blobs it
 * stores. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_write.h"
#include "dnsd/cache.h"
#include "dnsd/rrset.h"
#include "testutil.h"

static uint64_t fake_now;

static uint64_t test_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static void name(const char *text, uint8_t out[DNS_NAME_MAXLEN])
{
    ck_assert_int_eq(dns_name_from_text(text, strlen(text), out, NULL), 0);
}

/* A blob of A records for owner with addresses 192.0.2.<last[i]>. */
static size_t make_a(uint8_t *buf, size_t cap, const char *owner, uint32_t ttl, const uint8_t *last,
                     size_t n)
{
    uint8_t o[DNS_NAME_MAXLEN];
    name(owner, o);
    struct rrset_build b;
    rrset_build_begin(&b, buf, cap, o, DNS_TYPE_A, DNS_CLASS_IN, ttl);
    for (size_t i = 0; i < n; i++) {
        uint8_t a[4] = {192, 0, 2, last[i]};
        rrset_build_add(&b, a, 4, ttl);
    }
    int len = rrset_build_finish(&b);
    ck_assert_int_gt(len, 0);
    return (size_t)len;
}

static size_t make_soa(uint8_t *buf, size_t cap, const char *zone, uint32_t ttl)
{
    uint8_t o[DNS_NAME_MAXLEN], rd[DNS_NAME_MAXLEN * 2 + 20];
    name(zone, o);
    size_t n = 0;
    uint8_t mname[DNS_NAME_MAXLEN];
    name("ns.example.", mname);
    memcpy(rd, mname, dns_name_len(mname));
    n += dns_name_len(mname);
    memcpy(rd + n, mname, dns_name_len(mname));
    n += dns_name_len(mname);
    memset(rd + n, 0, 20);
    rd[n + 19] = 60; /* MINIMUM */
    n += 20;
    struct rrset_build b;
    rrset_build_begin(&b, buf, cap, o, DNS_TYPE_SOA, DNS_CLASS_IN, ttl);
    rrset_build_add(&b, rd, n, ttl);
    int len = rrset_build_finish(&b);
    ck_assert_int_gt(len, 0);
    return (size_t)len;
}

static struct dns_cache *new_cache(size_t max_bytes)
{
    struct dns_cache_config cfg = {.max_bytes = max_bytes};
    struct dns_cache *c = dns_cache_new(&cfg);
    ck_assert_ptr_nonnull(c);
    fake_now = 1000;
    dns_cache_set_clock(c, test_clock, NULL);
    return c;
}

START_TEST(test_dnsd_rrset_build_dedups_and_keeps_lowest_ttl)
{
    uint8_t buf[512], o[DNS_NAME_MAXLEN];
    name("www.example.", o);
    struct rrset_build b;
    rrset_build_begin(&b, buf, sizeof(buf), o, DNS_TYPE_A, DNS_CLASS_IN, 300);
    static const uint8_t a1[4] = {192, 0, 2, 1}, a2[4] = {192, 0, 2, 2};
    rrset_build_add(&b, a1, 4, 300);
    rrset_build_add(&b, a2, 4, 100);
    rrset_build_add(&b, a1, 4, 200);
    int len = rrset_build_finish(&b);
    ck_assert_int_gt(len, 0);
    struct rrset_view v;
    ck_assert_int_eq(rrset_view(buf, (size_t)len, &v), 0);
    ck_assert_uint_eq(v.nrr, 2);
    ck_assert_uint_eq(v.ttl, 100);
    /* Every proper prefix of a blob is rejected (exact-size copies). */
    for (size_t i = 0; i < (size_t)len; i++) {
        uint8_t *p = test_exact_copy(buf, i);
        ck_assert_int_eq(rrset_view(p, i, &v), -EBADMSG);
        free(p);
    }
}
END_TEST

START_TEST(test_dnsd_rrset_build_no_room)
{
    uint8_t buf[20], o[DNS_NAME_MAXLEN];
    name("www.example.", o);
    struct rrset_build b;
    rrset_build_begin(&b, buf, sizeof(buf), o, DNS_TYPE_A, DNS_CLASS_IN, 300);
    static const uint8_t a1[4] = {192, 0, 2, 1};
    rrset_build_add(&b, a1, 4, 300);
    ck_assert_int_eq(rrset_build_finish(&b), -EMSGSIZE);
}
END_TEST

/* Writing a blob recompresses RDATA names against the message. */
START_TEST(test_dnsd_rrset_write_compresses_ns)
{
    uint8_t o[DNS_NAME_MAXLEN], t[DNS_NAME_MAXLEN], blob[256];
    name("example.", o);
    name("ns1.example.", t);
    struct rrset_build b;
    rrset_build_begin(&b, blob, sizeof(blob), o, DNS_TYPE_NS, DNS_CLASS_IN, 60);
    rrset_build_add(&b, t, dns_name_len(t), 60);
    int len = rrset_build_finish(&b);
    struct rrset_view v;
    ck_assert_int_eq(rrset_view(blob, (size_t)len, &v), 0);
    uint8_t msg[512];
    struct dns_wr d;
    dns_wr_init(&d, msg, sizeof(msg), sizeof(msg));
    struct dns_hdr h = {.id = 1, .qr = true};
    dns_wr_header(&d, &h);
    dns_wr_question(&d, o, DNS_TYPE_NS, DNS_CLASS_IN);
    ck_assert_int_eq(rrset_write(&d, DNS_SEC_AN, &v, NULL, 42), 0);
    size_t mlen;
    ck_assert_int_eq(dns_wr_finish(&d, &mlen), 0);
    /* header 12 + question 9+4 + owner ptr 2 + 10 + "ns1" 4 + ptr 2 */
    ck_assert_uint_eq(mlen, 12 + 13 + 2 + 10 + 6);
    struct dns_rr rr[4];
    struct dns_question qd[1];
    struct dns_msg m = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = 4};
    ck_assert_int_eq(dns_msg_parse(&m, msg, mlen), 0);
    ck_assert_uint_eq(rr[0].ttl, 42);
    uint8_t got[DNS_NAME_MAXLEN];
    ck_assert_int_eq(dns_rr_name(&m, &rr[0], got, NULL), 0);
    ck_assert(dns_name_eq(got, t));
}
END_TEST

START_TEST(test_dnsd_cache_insert_lookup_case_insensitive)
{
    struct dns_cache *c = new_cache(1 << 20);
    uint8_t blob[256], buf[1024], q[DNS_NAME_MAXLEN];
    static const uint8_t last[] = {1, 2};
    size_t len = make_a(blob, sizeof(blob), "WWW.Example.", 300, last, 2);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    name("www.EXAMPLE.", q);
    struct dns_cache_entry e;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(!e.negative);
    ck_assert_uint_eq(e.set.nrr, 2);
    ck_assert_uint_eq(e.ttl, 300);
    /* The owner keeps the case it was cached in. */
    ck_assert_mem_eq(e.set.owner, "\3WWW\7Example", 12);
    /* Other type, other class: misses. */
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_AAAA, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 0);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_CH, 0, buf, sizeof(buf), &e), 0);
    /* Too small a buffer says so. */
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, 10, &e), -EMSGSIZE);
    dns_cache_free(c);
}
END_TEST

START_TEST(test_dnsd_cache_ttl_counts_down_and_expires)
{
    struct dns_cache *c = new_cache(1 << 20);
    uint8_t blob[256], buf[1024], q[DNS_NAME_MAXLEN];
    static const uint8_t last[] = {1};
    size_t len = make_a(blob, sizeof(blob), "www.example.", 100, last, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    name("www.example.", q);
    struct dns_cache_entry e;
    fake_now += 40;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.ttl, 60);
    ck_assert_uint_eq(e.set.ttl, 60); /* the copied blob carries it too */
    fake_now += 59;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.ttl, 1);
    fake_now += 1;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 0);
    ck_assert_uint_eq(dns_cache_count(c), 0); /* dropped on the expired lookup */
    dns_cache_free(c);
}
END_TEST

START_TEST(test_dnsd_cache_ttl_clamps)
{
    struct dns_cache_config cfg = {.max_bytes = 1 << 20, .min_ttl = 30, .max_ttl = 600};
    struct dns_cache *c = dns_cache_new(&cfg);
    fake_now = 5;
    dns_cache_set_clock(c, test_clock, NULL);
    uint8_t blob[256], buf[1024], q[DNS_NAME_MAXLEN];
    static const uint8_t last[] = {1};
    size_t len = make_a(blob, sizeof(blob), "low.example.", 2, last, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    len = make_a(blob, sizeof(blob), "high.example.", 999999, last, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    struct dns_cache_entry e;
    name("low.example.", q);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.ttl, 30);
    name("high.example.", q);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.ttl, 600);
    ck_assert_uint_eq(dns_cache_clamp_ttl(c, 0), 30);
    dns_cache_free(c);
}
END_TEST

START_TEST(test_dnsd_cache_negative_entries)
{
    struct dns_cache_config cfg = {.max_bytes = 1 << 20, .neg_max_ttl = 900};
    struct dns_cache *c = dns_cache_new(&cfg);
    fake_now = 5;
    dns_cache_set_clock(c, test_clock, NULL);
    uint8_t soa[512], buf[1024], q[DNS_NAME_MAXLEN];
    size_t slen = make_soa(soa, sizeof(soa), "example.", 3600);
    name("nx.example.", q);
    ck_assert_int_eq(dns_cache_put_negative(c, q, DNS_CACHE_NXDOMAIN, DNS_CLASS_IN, 7200,
                                            DNS_RANK_AUTH_AUTHORITY, soa, slen),
                     0);
    struct dns_cache_entry e;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_CACHE_NXDOMAIN, DNS_CLASS_IN, 0, buf, sizeof(buf), &e),
                     1);
    ck_assert(e.negative);
    ck_assert_uint_eq(e.ttl, 900); /* capped at neg_max_ttl */
    ck_assert_uint_eq(e.set.type, DNS_TYPE_SOA);
    ck_assert_uint_eq(e.set.ttl, 900); /* the SOA counts down with it */
    /* A NODATA entry is per type. */
    name("www.example.", q);
    ck_assert_int_eq(dns_cache_put_negative(c, q, DNS_TYPE_AAAA, DNS_CLASS_IN, 60,
                                            DNS_RANK_AUTH_AUTHORITY, soa, slen),
                     0);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_AAAA, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(e.negative);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 0);
    /* The positive RRset of the same type replaces a NODATA of no higher
     * rank. */
    static const uint8_t last[] = {7};
    uint8_t blob[256];
    size_t len = make_a(blob, sizeof(blob), "www.example.", 100, last, 1);
    ck_assert_int_eq(dns_cache_put_negative(c, q, DNS_TYPE_A, DNS_CLASS_IN, 60,
                                            DNS_RANK_AUTH_AUTHORITY, soa, slen),
                     0);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(!e.negative);
    /* A bad SOA blob is refused. */
    ck_assert_int_eq(dns_cache_put_negative(c, q, DNS_TYPE_MX, DNS_CLASS_IN, 60,
                                            DNS_RANK_AUTH_AUTHORITY, blob, len),
                     -EBADMSG);
    dns_cache_free(c);
}
END_TEST

/* RFC 2181 5.4.1: additional-section data never replaces authoritative
 * answer data; authoritative data replaces glue. */
START_TEST(test_dnsd_cache_credibility)
{
    struct dns_cache *c = new_cache(1 << 20);
    uint8_t blob[256], buf[1024], q[DNS_NAME_MAXLEN];
    static const uint8_t good[] = {1}, spoof[] = {66};
    name("ns.example.", q);
    size_t len = make_a(blob, sizeof(blob), "ns.example.", 300, good, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    len = make_a(blob, sizeof(blob), "ns.example.", 300, spoof, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_ADDITIONAL), 1);
    struct dns_cache_entry e;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.rank, DNS_RANK_AUTH_ANSWER);
    ck_assert_uint_eq(e.set.rdata[2 + 3], 1);
    /* Once the good data expires, anything may take its place. */
    fake_now += 301;
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_ADDITIONAL), 0);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.set.rdata[2 + 3], 66);
    /* And an authoritative answer replaces glue. */
    len = make_a(blob, sizeof(blob), "ns.example.", 300, good, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert_uint_eq(e.set.rdata[2 + 3], 1);
    dns_cache_free(c);
}
END_TEST

/* Under a tiny limit the accounted bytes never pass it, the least recently
 * used entries go first, and one kept in use survives. */
START_TEST(test_dnsd_cache_lru_eviction_under_limit)
{
    const size_t limit = 16 * 1024;
    struct dns_cache *c = new_cache(limit);
    uint8_t blob[256], buf[1024], keep[DNS_NAME_MAXLEN], first[DNS_NAME_MAXLEN];
    static const uint8_t last[] = {1, 2, 3};
    size_t len = make_a(blob, sizeof(blob), "keep.example.", 3600, last, 3);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    len = make_a(blob, sizeof(blob), "first.example.", 3600, last, 3);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    name("keep.example.", keep);
    name("first.example.", first);
    struct dns_cache_entry e;
    for (int i = 0; i < 2000; i++) {
        char n[64];
        (void)snprintf(n, sizeof(n), "h%d.example.", i);
        len = make_a(blob, sizeof(blob), n, 3600, last, 3);
        ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
        ck_assert_uint_le(dns_cache_bytes(c), limit);
        ck_assert_int_eq(dns_cache_get(c, keep, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e),
                         1);
    }
    ck_assert_int_eq(dns_cache_get(c, first, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 0);
    ck_assert_uint_gt(dns_cache_count(c), 16);
    ck_assert_uint_lt(dns_cache_count(c), 2000);
    /* An entry bigger than a shard's share is refused outright. */
    uint8_t big[8192], o[DNS_NAME_MAXLEN];
    name("big.example.", o);
    struct rrset_build b;
    rrset_build_begin(&b, big, sizeof(big), o, DNS_TYPE_TXT, DNS_CLASS_IN, 60);
    uint8_t txt[2000];
    memset(txt, 'x', sizeof(txt));
    txt[0] = 255;
    rrset_build_add(&b, txt, sizeof(txt), 60);
    int blen = rrset_build_finish(&b);
    ck_assert_int_gt(blen, 0);
    ck_assert_int_eq(dns_cache_put(c, big, (size_t)blen, DNS_RANK_AUTH_ANSWER), -E2BIG);
    dns_cache_free(c);
}
END_TEST

START_TEST(test_dnsd_cache_serve_stale_and_prefetch)
{
    struct dns_cache_config cfg = {
        .max_bytes = 1 << 20, .serve_stale = true, .stale_ttl = 30, .stale_max = 100};
    struct dns_cache *c = dns_cache_new(&cfg);
    fake_now = 5;
    dns_cache_set_clock(c, test_clock, NULL);
    uint8_t blob[256], buf[1024], q[DNS_NAME_MAXLEN];
    static const uint8_t last[] = {1};
    size_t len = make_a(blob, sizeof(blob), "www.example.", 100, last, 1);
    ck_assert_int_eq(dns_cache_put(c, blob, len, DNS_RANK_AUTH_ANSWER), 0);
    name("www.example.", q);
    struct dns_cache_entry e;
    fake_now += 50;
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(!e.prefetch);
    fake_now += 45; /* 5 s left of 100: inside the last tenth */
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(e.prefetch);
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 1);
    ck_assert(!e.prefetch); /* only once */
    fake_now += 10;         /* expired 5 s ago */
    ck_assert_int_eq(dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, 0, buf, sizeof(buf), &e), 0);
    ck_assert_int_eq(
        dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, DNS_CACHE_STALE_OK, buf, sizeof(buf), &e), 1);
    ck_assert(e.stale);
    ck_assert_uint_eq(e.ttl, 30);
    fake_now += 100; /* past stale_max */
    ck_assert_int_eq(
        dns_cache_get(c, q, DNS_TYPE_A, DNS_CLASS_IN, DNS_CACHE_STALE_OK, buf, sizeof(buf), &e), 0);
    dns_cache_free(c);
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("dnsd_cache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dnsd_rrset_build_dedups_and_keeps_lowest_ttl);
    tcase_add_test(tc, test_dnsd_rrset_build_no_room);
    tcase_add_test(tc, test_dnsd_rrset_write_compresses_ns);
    tcase_add_test(tc, test_dnsd_cache_insert_lookup_case_insensitive);
    tcase_add_test(tc, test_dnsd_cache_ttl_counts_down_and_expires);
    tcase_add_test(tc, test_dnsd_cache_ttl_clamps);
    tcase_add_test(tc, test_dnsd_cache_negative_entries);
    tcase_add_test(tc, test_dnsd_cache_credibility);
    tcase_add_test(tc, test_dnsd_cache_lru_eviction_under_limit);
    tcase_add_test(tc, test_dnsd_cache_serve_stale_and_prefetch);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cache_suite)
