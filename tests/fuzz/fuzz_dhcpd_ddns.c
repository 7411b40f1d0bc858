/*
 * Fuzz target: what labnet-dhcpd's DDNS code takes from the network.
 * The whole input is judged as a reply from the DNS server
 * (ddns_reply_check, ID 0x4242, a fixed request MAC); it is also split as
 * [u8 n][option 81 value: n bytes][option 12 value: the rest] for
 * ddns_label_pick.  Checked: a picked label is 1..63 lower-case letters,
 * digits and inner hyphens; a reply is never OK (nobody can sign with the
 * key without knowing it).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_tsig.h"
#include "dhcpd/ddns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_tsig_key k;
    static bool init;
    if (!init) {
        if (dns_tsig_key_parse(
                &k, "hmac-sha256:ddns.lab.:cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs=", NULL,
                0) != 0)
            abort();
        init = true;
    }
    static const uint8_t mac[32] = {1, 2, 3};
    uint16_t rc, te;
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (ddns_reply_check(copy, size, 0x4242, &k, 1700000000, mac, sizeof(mac), &rc, &te) ==
        DDNS_REPLY_OK)
        abort();
    free(copy);

    if (size == 0)
        return 0;
    size_t n = data[0];
    if (n > size - 1)
        n = size - 1;
    char out[DNS_LABEL_MAXLEN + 1];
    const uint8_t *f = n ? data + 1 : NULL;
    const uint8_t *h = size - 1 - n ? data + 1 + n : NULL;
    int r = ddns_label_pick(NULL, f, n, h, size - 1 - n, out);
    if (r == 1) {
        size_t l = strlen(out);
        if (l == 0 || l > DNS_LABEL_MAXLEN || out[0] == '-' || out[l - 1] == '-')
            abort();
        for (size_t i = 0; i < l; i++)
            if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= '0' && out[i] <= '9') ||
                  out[i] == '-'))
                abort();
    }
    return 0;
}
