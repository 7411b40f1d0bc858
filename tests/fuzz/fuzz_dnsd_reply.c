/* Fuzz target: what labnet-dnsd's resolver does with an upstream reply
 * before trusting any of it -- the reply check (ID, question), RDATA
 * decompression into RRset blobs, the blob reader, and writing the blobs
 * back into a message, which must parse again. */
#include <stdint.h>
#include <stdlib.h>

#include "dnsd/rrset.h"
#include "dnsd/upstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *msg = malloc(size ? size : 1); /* exact size: ASan sees over-reads */
    if (!msg)
        return 0;
    if (size)
        memcpy(msg, data, size);
    static struct dns_question qd[1];
    static struct dns_rr rr[UPSTREAM_MAX_RR];
    struct dns_msg m = {.qd = qd, .qd_cap = 1, .rr = rr, .rr_cap = UPSTREAM_MAX_RR};
    /* Check the reply against the question it carries (so the fuzzer can
     * reach everything after the check), once case-exact, once not. */
    uint8_t qname[DNS_NAME_MAXLEN];
    uint16_t id = 0;
    if (size >= 2)
        id = (uint16_t)((unsigned)msg[0] << 8 | msg[1]);
    if (dns_msg_parse(&m, msg, size) < 0 || m.qd_n != 1 ||
        dns_msg_qname(&m, &qd[0], qname, NULL) < 0) {
        (void)upstream_reply_check(msg, size, id, (const uint8_t *)"\0", 1, 1, true, &m);
        free(msg);
        return 0;
    }
    uint16_t qtype = qd[0].qtype, qclass = qd[0].qclass;
    (void)upstream_reply_check(msg, size, id, qname, qtype, qclass, false, &m);
    if (upstream_reply_check(msg, size, id, qname, qtype, qclass, true, &m) < 0) {
        free(msg);
        return 0;
    }
    static uint8_t out[65535];
    struct dns_wr d;
    dns_wr_init(&d, out, sizeof(out), sizeof(out));
    struct dns_hdr h = {.id = id, .qr = true};
    dns_wr_header(&d, &h);
    dns_wr_question(&d, qname, qtype, qclass);
    for (size_t i = 0; i < m.rr_n; i++) {
        static uint8_t rd[65535], blob[65535 + 300];
        size_t rdlen;
        uint8_t owner[DNS_NAME_MAXLEN];
        if (dns_msg_rr_owner(&m, &rr[i], owner, NULL) < 0)
            abort();                    /* the parser validated every owner */
        if (rr[i].type == DNS_TYPE_OPT) /* EDNS, not data */
            continue;
        if (rrset_rdata_from_msg(&m, &rr[i], rd, sizeof(rd), &rdlen) < 0)
            continue;
        struct rrset_build b;
        rrset_build_begin(&b, blob, sizeof(blob), owner, rr[i].type, rr[i].rclass, rr[i].ttl);
        rrset_build_add(&b, rd, rdlen, rr[i].ttl);
        int len = rrset_build_finish(&b);
        if (len < 0)
            continue;
        struct rrset_view v;
        if (rrset_view(blob, (size_t)len, &v) < 0 || v.nrr != 1)
            abort(); /* a blob we built must read back */
        if (rrset_write(&d, DNS_SEC_AN, &v, NULL, v.ttl) == -EBADMSG)
            abort(); /* decompressed RDATA must be writable */
    }
    size_t olen;
    if (dns_wr_finish(&d, &olen) == 0) {
        static struct dns_rr rr2[UPSTREAM_MAX_RR];
        struct dns_msg m2 = {.qd = qd, .qd_cap = 1, .rr = rr2, .rr_cap = UPSTREAM_MAX_RR};
        int rc = dns_msg_parse(&m2, out, olen);
        if (rc < 0 && rc != -E2BIG)
            abort(); /* what we write parses */
    }
    free(msg);
    return 0;
}
