/*
 * labnet-ddnsrecv: a tiny RFC 2136 UPDATE receiver for integration tests
 * (stands in for labnet-dnsd until it takes updates; not installed).
 *
 *   labnet-ddnsrecv ADDR PORT KEYSPEC OUTFILE
 *
 * Verifies each message's TSIG with KEYSPEC ("[alg:]name:secret"), writes
 * one line per update record to OUTFILE (flushed at once):
 *
 *   ZONE add NAME TYPE DATA TTL | ZONE delrrset NAME TYPE |
 *   ZONE delrr NAME TYPE DATA | ZONE delname NAME
 *
 * and answers NOERROR signed over the request's MAC.  A message whose TSIG
 * does not verify is recorded as "BADSIG"/"BADKEY"/"UNSIGNED" and answered
 * NOTAUTH with an unsigned TSIG error (RFC 8945 5.3.2), as BIND does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/dns_msg.h"
#include "common/dns_tsig.h"
#include "common/dns_update.h"
#include "common/dns_write.h"

static void rdata_text(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap)
{
    uint8_t a[4], name[DNS_NAME_MAXLEN];
    if (rr->rdlength == 0)
        snprintf(out, cap, "-");
    else if (rr->type == DNS_TYPE_A && dns_rr_a(m, rr, a) == 0)
        inet_ntop(AF_INET, a, out, (socklen_t)cap);
    else if (rr->type == DNS_TYPE_PTR && dns_rr_name(m, rr, name, NULL) == 0)
        dns_name_to_text(name, out, cap, NULL);
    else
        snprintf(out, cap, "(%u bytes)", rr->rdlength);
}

static const char *type_text(uint16_t t)
{
    static char buf[16];
    if (t == DNS_TYPE_A)
        return "A";
    if (t == DNS_TYPE_PTR)
        return "PTR";
    if (t == DNS_TYPE_ANY)
        return "ANY";
    snprintf(buf, sizeof(buf), "TYPE%u", t);
    return buf;
}

static void record(FILE *out, const struct dns_msg *m, const uint8_t *zone)
{
    char z[DNS_NAME_TEXT_MAX], name[DNS_NAME_TEXT_MAX], data[DNS_NAME_TEXT_MAX];
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t n;
    const struct dns_rr *up = dns_msg_section(m, DNS_UPD_SEC_UP, &n);
    dns_name_to_text(zone, z, sizeof(z), NULL);
    for (size_t i = 0; i < n; i++) {
        dns_msg_rr_owner(m, &up[i], owner, NULL);
        dns_name_lower(owner);
        dns_name_to_text(owner, name, sizeof(name), NULL);
        rdata_text(m, &up[i], data, sizeof(data));
        switch (dns_update_op(&up[i])) {
        case DNS_UPD_ADD:
            fprintf(out, "%s add %s %s %s %u\n", z, name, type_text(up[i].type), data, up[i].ttl);
            break;
        case DNS_UPD_DELETE_RRSET:
            fprintf(out, "%s delrrset %s %s\n", z, name, type_text(up[i].type));
            break;
        case DNS_UPD_DELETE_NAME:
            fprintf(out, "%s delname %s\n", z, name);
            break;
        case DNS_UPD_DELETE_RR:
            fprintf(out, "%s delrr %s %s %s\n", z, name, type_text(up[i].type), data);
            break;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: labnet-ddnsrecv ADDR PORT KEYSPEC OUTFILE\n");
        return 2;
    }
    struct dns_tsig_key key;
    char why[128];
    if (dns_tsig_key_parse(&key, argv[3], why, sizeof(why)) != 0) {
        fprintf(stderr, "labnet-ddnsrecv: key: %s\n", why);
        return 2;
    }
    FILE *out = fopen(argv[4], "a");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (!out || fd < 0 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "labnet-ddnsrecv: cannot listen on %s:%s: %s\n", argv[1], argv[2],
                strerror(errno));
        return 1;
    }
    for (;;) {
        uint8_t q[4096], resp[1024];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t got = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
        if (got <= 0)
            continue;
        struct dns_question qd[4];
        struct dns_rr rr[64];
        struct dns_msg m;
        memset(&m, 0, sizeof(m));
        m.qd = qd;
        m.qd_cap = 4;
        m.rr = rr;
        m.rr_cap = 64;
        uint8_t zone[DNS_NAME_MAXLEN] = {0};
        if (dns_msg_parse(&m, q, (size_t)got) != 0 || dns_update_prescan(&m, zone) != 0) {
            fprintf(out, "FORMERR\n");
            (void)fflush(out);
            continue;
        }
        struct dns_tsig_info t;
        uint16_t terr = DNS_TSIG_BADKEY;
        int f = dns_tsig_find(&m, &t);
        if (f == 1)
            terr = (uint16_t)dns_tsig_verify(&m, &t, &key, 1, (uint64_t)time(NULL), NULL, 0, NULL);
        struct dns_wr d;
        size_t rlen;
        dns_update_begin(&d, resp, sizeof(resp), m.hdr.id, zone);
        d.hdr.qr = true;
        if (f != 1 || terr != 0) {
            fprintf(out, "%s\n",
                    f != 1                    ? "UNSIGNED"
                    : terr == DNS_TSIG_BADKEY ? "BADKEY"
                                              : "BADSIG");
            d.hdr.rcode = DNS_RCODE_NOTAUTH;
            dns_wr_finish(&d, &rlen);
            if (f == 1)
                dns_tsig_sign(resp, &rlen, sizeof(resp), &key, (uint64_t)time(NULL), DNS_TSIG_FUDGE,
                              terr, NULL, 0, NULL, NULL);
        } else {
            record(out, &m, zone);
            dns_wr_finish(&d, &rlen);
            dns_tsig_sign(resp, &rlen, sizeof(resp), &key, (uint64_t)time(NULL), DNS_TSIG_FUDGE, 0,
                          t.mac, t.mac_len, NULL, NULL);
        }
        (void)fflush(out);
        (void)sendto(fd, resp, rlen, 0, (struct sockaddr *)&from, fl);
    }
}
