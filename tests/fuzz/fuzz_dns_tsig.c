/*
 * Fuzz target: TSIG lookup and verification on hostile messages.  Parses
 * the input as a DNS message, finds its TSIG and verifies it against two
 * fixed keys, as a server receiving an UPDATE would; then signs the
 * unsigned part again and checks that the result verifies (the signer and
 * verifier agree on every message the parser accepts).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_msg.h"
#include "common/dns_tsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXRR 64

static void check(int cond, const char *what)
{
    if (!cond) {
        (void)fprintf(stderr, "fuzz_dns_tsig: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_tsig_key keys[2];
    static int init;
    if (!init) {
        check(dns_tsig_key_parse(
                  &keys[0], "ddns.lab.:cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs=", NULL, 0) == 0,
              "key 0");
        check(dns_tsig_key_parse(
                  &keys[1], "hmac-sha512:k2.:YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=", NULL,
                  0) == 0,
              "key 1");
        init = 1;
    }
    struct dns_question qd[4];
    struct dns_rr rr[MAXRR];
    struct dns_msg m = {.qd = qd, .qd_cap = 4, .rr = rr, .rr_cap = MAXRR};
    if (dns_msg_parse(&m, data, size) != 0)
        return 0;
    struct dns_tsig_info t;
    int rc = dns_tsig_find(&m, &t);
    if (rc != 1)
        return 0;
    check(t.rr_off >= 12 && t.rr_off < size, "TSIG offset inside the message");
    (void)dns_tsig_verify(&m, &t, keys, 2, t.time_signed, t.mac, t.mac_len, NULL);
    (void)dns_tsig_verify(&m, &t, keys, 2, t.time_signed, NULL, 0, NULL);

    /* Re-sign the part before the TSIG with key 0 and verify it. */
    static uint8_t buf[65536 + 512];
    size_t len = t.rr_off;
    memcpy(buf, data, len);
    uint16_t arc = (uint16_t)(buf[10] << 8 | buf[11]);
    arc--;
    buf[10] = (uint8_t)(arc >> 8);
    buf[11] = (uint8_t)arc;
    uint8_t mac[DNS_TSIG_MAC_MAX];
    size_t mac_len;
    if (dns_tsig_sign(buf, &len, sizeof(buf), &keys[0], 1000000, 300, 0, NULL, 0, mac, &mac_len) !=
        0)
        return 0;
    struct dns_msg m2 = {.qd = qd, .qd_cap = 4, .rr = rr, .rr_cap = MAXRR};
    int prc = dns_msg_parse(&m2, buf, len);
    if (prc == -E2BIG)
        return 0;
    check(prc == 0, "re-signed message parses");
    check(dns_tsig_find(&m2, &t) == 1, "re-signed message has a TSIG");
    check(dns_tsig_verify(&m2, &t, keys, 2, 1000000, NULL, 0, NULL) == 0, "re-signed verifies");
    return 0;
}
