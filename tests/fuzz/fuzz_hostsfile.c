/*
 * Fuzz target: hosts-file parsing into labnet-dnsd's local data
 * (localzone_hosts_parse), then indexing and a few answers from what was
 * loaded.  The fuzz build links only labnet_common, so localzone.c is
 * compiled in here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd/localzone.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct localzone *lz = localzone_new();
    if (!lz)
        return 0;
    char *text = malloc(size ? size : 1); /* exact size, not NUL-terminated */
    if (!text) {
        localzone_free(lz);
        return 0;
    }
    if (size)
        memcpy(text, data, size);
    char err[256];
    static const uint8_t lab[] = "\3lab";
    localzone_zone_add(lz, lab);
    int rc = localzone_hosts_parse(lz, "fuzz", text, size, err, sizeof(err));
    if (rc == 0 && localzone_finish(lz, err, sizeof(err)) == 0) {
        /* Ask for every owner loaded, and a name that is not there. */
        static uint8_t buf[4096];
        for (size_t i = 0; i < lz->n && i < 64; i++) {
            uint8_t owner[DNS_NAME_MAXLEN];
            memcpy(owner, rr_owner(lz, &lz->rr[i]), dns_name_len(rr_owner(lz, &lz->rr[i])));
            for (int t = 0; t < 3; t++) {
                static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_PTR, DNS_TYPE_ANY};
                struct dns_wr d;
                dns_wr_init(&d, buf, sizeof(buf), 512);
                struct dns_hdr h = {.qr = true};
                dns_wr_header(&d, &h);
                dns_wr_question(&d, owner, types[t], DNS_CLASS_IN);
                if (localzone_answer(lz, owner, types[t], DNS_CLASS_IN, &d) != 1)
                    abort(); /* every loaded name is local */
                size_t len;
                if (dns_wr_finish(&d, &len) != 0 || len > 512)
                    abort();
            }
        }
    }
    free(text);
    localzone_free(lz);
    return 0;
}
