/*
 * Fuzz target: labnet-dnsd's query path end to end, bytes in -> reply
 * bytes out (server_query_handle, then server_reply_resolved for queries
 * that would be resolved), over local data, access rules and the rate
 * limit.  Every reply must parse, carry the query's ID, and fit the size
 * limit of its transport.
 *
 * Input: byte 0 picks the transport (bit 0: TCP) and the client (bits
 * 1-3); the rest is the DNS message.
 *
 * No resolver is attached (the query path skips the cache without one),
 * so queries that would be resolved get the SERVFAIL a failed resolution
 * gives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd/acl.h"
#include "dnsd/conf.h"
#include "dnsd/localzone.h"
#include "dnsd/ratelimit.h"
#include "dnsd/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dnsd_conf *conf;

static void setup(void)
{
    static const char text[] = "[server]\n"
                               "allow = 10.1.0.0/16\n"
                               "refuse = 10.2.0.0/16\n"
                               "deny = 10.66.0.0/16\n"
                               "rate-limit = 50\n"
                               "[local]\n"
                               "zones = lab. 10.in-addr.arpa.\n"
                               "record = www.lab. A 10.0.0.1\n"
                               "record = www.lab. AAAA fd00::1\n"
                               "record = lab. MX 10 mail.lab.\n"
                               "record = mail.lab. A 10.0.0.2\n"
                               "record = _sip._udp.lab. SRV 0 5 5060 www.lab.\n"
                               "record = lab. TXT \"v=spf1 -all\" more\n"
                               "record = alias.lab. CNAME www.lab.\n"
                               "record = loop.lab. CNAME loop2.lab.\n"
                               "record = loop2.lab. CNAME loop.lab.\n"
                               "record = 1.0.0.10.in-addr.arpa. PTR www.lab.\n"
                               "record = out.example. A 192.0.2.1\n";
    if (dnsd_conf_load_string("fuzz.conf", text, NULL, stderr, &conf) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const peers[] = {"127.0.0.1", "::1",       "10.1.0.7",    "10.2.0.7",
                                        "10.66.0.7", "192.0.2.9", "2001:db8::1", "::ffff:10.1.0.1"};
    static uint8_t out[65535];
    static uint64_t now;
    if (!conf)
        setup();
    if (size < 1)
        return 0;
    bool tcp = data[0] & 1;
    struct net_addr peer;
    if (net_addr_parse_ip(&peer, peers[(data[0] >> 1) & 7]) != 0)
        abort();
    const uint8_t *msg = data + 1;
    size_t len = size - 1;
    uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
    if (!copy)
        return 0;
    if (len)
        memcpy(copy, msg, len);
    struct server_ctx ctx = {.conf = conf, .resolver = NULL, .now_ms = now++};
    struct server_query q;
    enum server_event ev;
    size_t olen = 0;
    enum server_verdict v =
        server_query_handle(&ctx, &peer, tcp, copy, len, &q, out, sizeof(out), &olen, &ev);
    if (v == SERVER_RESOLVE && server_reply_resolved(&q, NULL, out, sizeof(out), &olen) == 0)
        v = SERVER_REPLY;
    if (v == SERVER_REPLY) {
        struct dns_question qd[2];
        struct dns_rr rr[64];
        struct dns_msg m = {.qd = qd, .qd_cap = 2, .rr = rr, .rr_cap = 64};
        int rc = dns_msg_parse(&m, out, olen);
        if ((rc != 0 && rc != -E2BIG) || !m.hdr.qr || len < 2 ||
            m.hdr.id != (uint16_t)(copy[0] << 8 | copy[1]))
            abort();
        if (!tcp && olen > (q.limit > 512 ? q.limit : 512))
            abort();
    }
    free(copy);
    return 0;
}
