/*
 * Fuzz target: the DNS message codec end to end.  Parses the input, prints
 * every question and record to text, then re-encodes it with the writer
 * and checks the invariants a resolver relies on:
 *   - a message that parsed re-encodes (given room) and the re-encoding
 *     parses, with the same header counts and the same names and types;
 *   - re-encoding is idempotent: encoding the re-encoding gives the same
 *     octets;
 *   - truncating the re-encoding to the original size (as a server
 *     answering over UDP would) yields a valid message too.
 * Any violation aborts, so libFuzzer reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_name.h"
#include "common/dns_text.h"
#include "common/dns_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXQ  8
#define MAXRR 256

struct parsed {
    struct dns_msg m;
    struct dns_question qd[MAXQ];
    struct dns_rr rr[MAXRR];
};

static int parse(struct parsed *p, const uint8_t *buf, size_t len)
{
    memset(&p->m, 0, sizeof(p->m));
    p->m.qd = p->qd;
    p->m.qd_cap = MAXQ;
    p->m.rr = p->rr;
    p->m.rr_cap = MAXRR;
    return dns_msg_parse(&p->m, buf, len);
}

static void check(int cond, const char *what)
{
    if (!cond) {
        (void)fprintf(stderr, "fuzz_dns_msg: invariant broken: %s\n", what);
        abort();
    }
}

/* Writes p's message into out (limit bytes); returns 0 or an error. */
static int encode(const struct parsed *p, uint8_t *out, size_t cap, size_t limit, size_t *len)
{
    struct dns_wr d;
    dns_wr_init(&d, out, cap, limit);
    dns_wr_header(&d, &p->m.hdr);
    for (size_t i = 0; i < p->m.qd_n; i++) {
        uint8_t q[DNS_NAME_MAXLEN];
        check(dns_msg_qname(&p->m, &p->qd[i], q, NULL) == 0, "qname decodes");
        dns_wr_question(&d, q, p->qd[i].qtype, p->qd[i].qclass);
    }
    for (int sec = DNS_SEC_AN; sec < DNS_SEC_COUNT; sec++) {
        size_t n;
        const struct dns_rr *rr = dns_msg_section(&p->m, sec, &n);
        for (size_t i = 0; i < n; i++) {
            dns_wr_rrset_begin(&d, sec);
            check(dns_wr_rr_copy(&d, &p->m, &rr[i]) == 0, "parsed record re-encodes");
            if (dns_wr_rrset_end(&d) != 0)
                break;
        }
    }
    return dns_wr_finish(&d, len);
}

static uint8_t out1[65535 * 2], out2[65535 * 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct parsed p, p2;
    int rc = parse(&p, data, size);
    if (rc != 0 && rc != -E2BIG)
        return 0;

    char text[4096];
    for (size_t i = 0; i < p.m.qd_n; i++)
        check(dns_question_to_text(&p.m, &p.qd[i], text, sizeof(text)) == 0, "question text");
    for (size_t i = 0; i < p.m.rr_n; i++) {
        /* A TXT or unknown record of 64 KiB does not fit 4 KiB of text. */
        int t = dns_rr_to_text(&p.m, &p.rr[i], text, sizeof(text));
        check(t == 0 || t == -EMSGSIZE, "record text");
        uint8_t owner[DNS_NAME_MAXLEN];
        check(dns_msg_rr_owner(&p.m, &p.rr[i], owner, NULL) == 0, "owner decodes");
        check(dns_rr_check(&p.m, &p.rr[i]) == 0, "record checks again");
        check(dns_name_to_text(owner, text, sizeof(text), NULL) == 0, "owner text");
        uint8_t back[DNS_NAME_MAXLEN];
        size_t bn;
        check(dns_name_from_text(text, strlen(text), back, &bn) == 0, "owner text parses");
        check(bn == dns_name_len(owner) && memcmp(back, owner, bn) == 0, "owner text round trip");
    }
    if (rc == -E2BIG)
        return 0;

    /* Decompressing SRV/DNAME targets (sent uncompressed) can grow the
     * message past 64 KiB; that is the only reason encoding may fail. */
    size_t len1;
    int e = encode(&p, out1, sizeof(out1), sizeof(out1), &len1);
    if (e != 0) {
        check(e == -EMSGSIZE || e == -E2BIG, "encode fails only for size");
        return 0;
    }
    check(parse(&p2, out1, len1) == 0 || len1 > 65535, "re-encoding parses");
    if (len1 > 65535)
        return 0;
    check(p2.m.qd_n == p.m.qd_n && p2.m.rr_n == p.m.rr_n, "same counts");
    check(dns_hdr_flags(&p2.m.hdr) == dns_hdr_flags(&p.m.hdr), "same flags");
    for (size_t i = 0; i < p.m.rr_n; i++) {
        uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN];
        check(dns_msg_rr_owner(&p.m, &p.rr[i], a, NULL) == 0, "owner");
        check(dns_msg_rr_owner(&p2.m, &p2.rr[i], b, NULL) == 0, "owner 2");
        check(memcmp(a, b, dns_name_len(a)) == 0, "same owner octets");
        check(p.rr[i].type == p2.rr[i].type && p.rr[i].ttl == p2.rr[i].ttl, "same type, TTL");
    }
    size_t len2;
    check(encode(&p2, out2, sizeof(out2), sizeof(out2), &len2) == 0, "second encode");
    check(len2 == len1 && memcmp(out1, out2, len1) == 0, "encoding is idempotent");

    /* Truncated to a smaller limit, still a valid message. */
    size_t limit = size < len1 ? size : len1 / 2;
    if (limit >= DNS_HDR_LEN) {
        size_t len3;
        int e3 = encode(&p2, out2, sizeof(out2), limit, &len3);
        check(e3 == 0 || e3 == -EMSGSIZE, "truncated encode");
        if (e3 == 0) {
            check(len3 <= limit, "within the limit");
            struct parsed *p3 = &p; /* p is no longer needed */
            check(parse(p3, out2, len3) == 0, "truncated encoding parses");
        }
    }
    return 0;
}
