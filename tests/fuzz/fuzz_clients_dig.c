/*
 * Fuzz target: labnet-dig's own modules.  The first octet picks what the
 * rest feeds: 0 a reply (printed as dig does, +short, a trace step, and
 * classified as answer/referral), 1 a root-hints file (named.root format),
 * 2 command-line arguments (one per line) plus column layout and reverse
 * names.  Output goes to /dev/null: only crashes and sanitizer reports
 * matter here.
 */
#include "clients/dig_opts.h"
#include "clients/dig_print.h"
#include "clients/dig_trace.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct dns_question qd[8];
static struct dns_rr rr[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0] % 3;
    data++;
    size--;
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    if (sel == 0) {
        struct dns_msg m;
        memset(&m, 0, sizeof(m));
        m.qd = qd;
        m.qd_cap = 8;
        m.rr = rr;
        m.rr_cap = 64;
        int rc = dns_msg_parse(&m, data, size);
        if (rc == 0 || rc == -E2BIG) {
            struct dig_stats st = {.server_addr = "1.2.3.4", .port = 53, .size = size};
            dig_print_reply(null, &m, &st);
            dig_print_short(null, &m);
            dig_print_trace_step(null, &m, &st);
            static struct dig_zone cur, next;
            memset(&cur, 0, sizeof(cur));
            uint8_t qn[DNS_NAME_MAXLEN];
            if (m.qd_n && dns_msg_qname(&m, &m.qd[0], qn, NULL) == 0) {
                dig_trace_classify(&m, qn, &cur, &next);
                memcpy(cur.name, qn, dns_name_len(qn));
                dig_trace_classify(&m, qn, &cur, &next);
            }
        }
    } else if (sel == 1) {
        static struct dig_zone z, z2;
        char err[128];
        char *t = malloc(size ? size : 1);
        if (!t)
            return 0;
        memcpy(t, data, size);
        if (dig_hints_parse(t, size, &z, err, sizeof(err)) == 0)
            dig_zone_fill(&z2, &z);
        free(t);
    } else {
        char *s = malloc(size + 1);
        if (!s)
            return 0;
        memcpy(s, data, size);
        s[size] = 0;
        struct dig_opts o;
        dig_opts_init(&o);
        /* Split on NUL-less newlines into args. */
        char *save, *tok = strtok_r(s, "\n", &save);
        int n = 0;
        while (tok && n++ < 16) {
            dig_opts_arg(&o, tok);
            tok = strtok_r(NULL, "\n", &save);
        }
        dig_opts_finish(&o);
        char lay[256];
        dig_layout_rr(s, lay, sizeof(lay));
        dig_layout_question(s, lay, sizeof(lay));
        uint8_t nm[DNS_NAME_MAXLEN];
        dig_reverse_name(s, nm, NULL);
        free(s);
    }
    return 0;
}
