/*
 * Fuzz target: labnet-dnsd's DNS UPDATE path end to end (server ->
 * update -> dynzone -> snapshot answers).  The target signs the input
 * itself with the configured key, so the fuzzer reaches the RFC 2136
 * prerequisite and update logic behind TSIG instead of stopping at it.
 *
 * Input: byte 0: bit 0 TCP, bit 1 sign with the key, bit 2 sign an hour
 * early (BADTIME), bit 3 apply twice (the second time over the first's
 * result); the rest is the UPDATE message (without TSIG).
 *
 * Checks: every reply parses and carries the request's ID; an update that
 * is not answered NOERROR leaves the store exactly as it was (RFC 2136
 * 3.4: all or nothing), and one that is leaves every answer parseable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_tsig.h"
#include "common/dns_write.h"
#include "dnsd/conf.h"
#include "dnsd/dynzone.h"
#include "dnsd/localzone.h"
#include "dnsd/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_SPEC "hmac-sha256:ddns:cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs="
#define NOW      1700000000u

static struct dnsd_conf *conf;
static struct dns_tsig_key key;

static void setup(void)
{
    static const char text[] = "[local]\n"
                               "zones = lab. 0.77.10.in-addr.arpa. sub.lab.\n"
                               "record = www.lab. A 10.77.0.1\n"
                               "record = alias.lab. CNAME www.lab.\n"
                               "record = lab. NS ns.lab.\n"
                               "record = 1.0.77.10.in-addr.arpa. PTR www.lab.\n"
                               "[update]\n"
                               "key = " KEY_SPEC "\n";
    if (dnsd_conf_load_string("fuzz.conf", text, NULL, stderr, &conf) != 0 ||
        dns_tsig_key_parse(&key, KEY_SPEC, NULL, 0) != 0)
        abort();
}

static void check_reply(const uint8_t *out, size_t olen, uint16_t id)
{
    struct dns_question qd[2];
    struct dns_rr rr[64];
    struct dns_msg m = {.qd = qd, .qd_cap = 2, .rr = rr, .rr_cap = 64};
    int rc = dns_msg_parse(&m, out, olen);
    if ((rc != 0 && rc != -E2BIG) || !m.hdr.qr || m.hdr.id != id)
        abort();
}

static size_t lz_count(struct dynzone *dz)
{
    struct dynzone_snap *s = NULL;
    size_t n = localzone_count(dynzone_snap_refresh(dz, &s));
    dynzone_snap_release(s);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[65535 + 512], out[65535];
    if (!conf)
        setup();
    if (size < 1 + 12 || size - 1 > 65535)
        return 0;
    uint8_t flags = data[0];
    size_t len = size - 1;
    memcpy(msg, data + 1, len);
    if ((flags & 2) && dns_tsig_sign(msg, &len, sizeof(msg), &key, (flags & 4) ? NOW - 3600 : NOW,
                                     300, 0, NULL, 0, NULL, NULL) != 0)
        return 0;
    uint8_t *copy = malloc(len); /* exact size: ASan sees over-reads */
    if (!copy)
        return 0;
    memcpy(copy, msg, len);
    struct dynzone *dz;
    if (dynzone_new(NULL, &dz, NULL, 0) != 0 || dynzone_rebase(dz, conf) != 0)
        abort();
    struct net_addr peer;
    net_addr_parse_ip(&peer, "127.0.0.1");
    uint16_t id = (uint16_t)(copy[0] << 8 | copy[1]);
    for (int round = 0; round < ((flags & 8) ? 2 : 1); round++) {
        size_t before = dynzone_count(dz), lz_before = lz_count(dz);
        uint32_t serial = dynzone_serial(dz);
        struct dynzone_snap *snap = NULL;
        struct server_ctx ctx = {
            .conf = conf, .dyn = dz, .local = dynzone_snap_refresh(dz, &snap), .wall_s = NOW};
        struct server_query q;
        enum server_event ev;
        size_t olen = 0;
        enum server_verdict v = server_query_handle(&ctx, &peer, flags & 1, copy, len, &q, out,
                                                    sizeof(out), &olen, &ev);
        dynzone_snap_release(snap);
        if (v != SERVER_REPLY)
            continue;
        check_reply(out, olen, id);
        if ((out[3] & 15) != 0 && (dynzone_count(dz) != before || lz_count(dz) != lz_before ||
                                   dynzone_serial(dz) != serial))
            abort(); /* a refused update changed something */
    }
    /* Answers over what the updates left. */
    static const char *const names[] = {"\003www\003lab", "\001h\003lab", "\003lab",
                                        "\005alias\003lab"};
    static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_ANY, DNS_TYPE_SOA, DNS_TYPE_CNAME};
    for (size_t i = 0; i < 4; i++) {
        uint8_t qb[512];
        size_t ql;
        if (dns_query_make(qb, sizeof(qb), 9, (const uint8_t *)names[i], types[i], DNS_CLASS_IN,
                           false, NULL, &ql) != 0)
            abort();
        struct dynzone_snap *snap = NULL;
        struct server_ctx ctx = {
            .conf = conf, .local = dynzone_snap_refresh(dz, &snap), .wall_s = NOW};
        struct server_query q;
        enum server_event ev;
        size_t olen = 0;
        if (server_query_handle(&ctx, &peer, true, qb, ql, &q, out, sizeof(out), &olen, &ev) ==
            SERVER_REPLY)
            check_reply(out, olen, 9);
        dynzone_snap_release(snap);
    }
    dynzone_free(dz);
    free(copy);
    return 0;
}
