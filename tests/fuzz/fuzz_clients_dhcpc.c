/*
 * Fuzz target: labnet-dhcp's receive path.  The input is run through the
 * IP/UDP framing parser (both checksum modes), then, as a DHCP reply, into
 * the client state machine: once as it is, and once patched with the
 * machine's own xid and chaddr so hostile options reach the OFFER and ACK
 * logic instead of being dropped at the first check.  Two replies in a row
 * take the machine from SELECTING through REQUESTING.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clients/dhcpc_fsm.h"
#include "clients/dhcpc_raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *payload;
    size_t plen;
    uint32_t src;
    (void)dhcpc_raw_parse(data, size, false, &payload, &plen, &src);
    (void)dhcpc_raw_parse(data, size, true, &payload, &plen, &src);

    static struct dhcpc c;
    static struct dhcpc_out out;
    struct dhcpc_conf conf = {
        .mode = DHCPC_MODE_OBTAIN,
        .htype = 1,
        .hlen = 6,
        .chaddr = {2, 0, 0, 0, 0, 1},
        .backoff_ms = 4000,
        .backoff_max_ms = 64000,
        .jitter_ms = 1000,
        .tries = 3,
        .renew_min_ms = 60000,
        .max_naks = 2,
        .seed = 42,
    };
    if (dhcpc_init(&c, &conf) != 0)
        abort();
    dhcpc_start(&c, 1000, &out);
    dhcpc_input(&c, 1001, data, size, &out);
    if (size < 240 || size > 4096)
        return 0;
    uint8_t *p = malloc(size);
    if (!p)
        return 0;
    memcpy(p, data, size);
    p[0] = 2; /* BOOTREPLY */
    p[1] = 1;
    p[2] = 6;
    p[4] = (uint8_t)(c.xid >> 24);
    p[5] = (uint8_t)(c.xid >> 16);
    p[6] = (uint8_t)(c.xid >> 8);
    p[7] = (uint8_t)c.xid;
    memcpy(p + 28, conf.chaddr, 6);
    dhcpc_input(&c, 1002, p, size, &out);
    /* Whatever the first did, a second reply meets the next state. */
    p[4] = (uint8_t)(c.xid >> 24);
    p[5] = (uint8_t)(c.xid >> 16);
    p[6] = (uint8_t)(c.xid >> 8);
    p[7] = (uint8_t)c.xid;
    dhcpc_input(&c, 1003, p, size, &out);
    dhcpc_timer(&c, 1000000, &out);
    free(p);
    return 0;
}
