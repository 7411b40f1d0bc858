/* Fuzz target: address, endpoint and CIDR parsers; what parses must format
 * and parse back to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = '\0';
    char buf[NET_ADDR_STRLEN];
    struct net_addr a, b;
    if (net_addr_parse_hostport(&a, s, 53) == 0) {
        if (net_addr_format_port(&a, buf, sizeof(buf)) != 0)
            abort();
        if (a.scope_id == 0 && (net_addr_parse_hostport(&b, buf, 0) != 0 || !net_addr_eq(&a, &b)))
            abort();
    }
    if (net_addr_parse_ip(&a, s) == 0 && net_addr_format(&a, buf, sizeof(buf)) != 0)
        abort();
    struct net_cidr c, d;
    if (net_cidr_parse(&c, s) == 0) {
        if (net_cidr_format(&c, buf, sizeof(buf)) != 0 || net_cidr_parse(&d, buf) != 0 ||
            d.prefix != c.prefix || !net_addr_eq(&c.addr, &d.addr) ||
            !net_cidr_contains(&d, &c.addr))
            abort();
    }
    return 0;
}
