/*
 * Fuzz target: the DNS UPDATE prescan (RFC 2136 3.1-3.4.1) on hostile
 * messages, as labnet-dnsd runs it before touching a zone.  Invariants:
 * a NOERROR prescan names a zone that every prerequisite and update owner
 * lies in, and every record classifies to a known kind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/dns_msg.h"
#include "common/dns_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
    if (!cond) {
        (void)fprintf(stderr, "fuzz_dns_update: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_question qd[4];
    struct dns_rr rr[64];
    struct dns_msg m = {.qd = qd, .qd_cap = 4, .rr = rr, .rr_cap = 64};
    if (dns_msg_parse(&m, data, size) != 0)
        return 0;
    uint8_t zone[DNS_NAME_MAXLEN];
    if (dns_update_prescan(&m, zone) != DNS_RCODE_NOERROR)
        return 0;
    for (int sec = DNS_UPD_SEC_PR; sec <= DNS_UPD_SEC_UP; sec++) {
        size_t n;
        const struct dns_rr *r = dns_msg_section(&m, sec, &n);
        for (size_t i = 0; i < n; i++) {
            uint8_t owner[DNS_NAME_MAXLEN];
            check(dns_msg_rr_owner(&m, &r[i], owner, NULL) == 0, "owner decodes");
            check(dns_name_is_sub(owner, zone), "owner inside the zone");
            int k =
                sec == DNS_UPD_SEC_PR ? (int)dns_update_prereq(&r[i]) : (int)dns_update_op(&r[i]);
            check(k >= 1 && k <= 5, "known kind");
        }
    }
    return 0;
}
