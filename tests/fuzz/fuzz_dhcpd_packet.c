/*
 * Fuzz target: the DHCP server's packet path (dhcpd/engine) as bytes ->
 * reply, with an in-memory lease table kept across the packets of one
 * input, so whole conversations (DISCOVER, REQUEST, DECLINE, RELEASE, ...)
 * are explored.  Input: records of [u16 length][u8 clock step][packet],
 * up to 16 of them; the clock moves by 16 s per step unit, far enough to
 * run out offers (5 s), leases (1 min) and quarantines (2 min).
 * Checked after every packet: a reply parses, fits its buffer, and never
 * hands out an address reserved to someone else or outside the subnet.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/dhcp_msg.h"
#include "common/log.h"
#include "dhcpd/conf.h"
#include "dhcpd/engine.h"
#include "dhcpd/lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] = "[server]\n"
                                "offer-hold = 5s\n"
                                "decline-quarantine = 2m\n"
                                "[subnet 10.0.0.0/24]\n"
                                "pool = 10.0.0.10-10.0.0.17\n"
                                "router = 10.0.0.1\n"
                                "dns = 10.0.0.53\n"
                                "domain = lab.test\n"
                                "search = lab.test\n"
                                "ntp = 10.0.0.1\n"
                                "route = 192.168.0.0/16 10.0.0.254\n"
                                "lease-time = 1m\n"
                                "[subnet 10.5.0.0/24]\n"
                                "pool = 10.5.0.100-10.5.0.103\n"
                                "[host printer]\n"
                                "mac = 02:00:00:00:00:99\n"
                                "address = 10.0.0.12\n"
                                "hostname = printer\n"
                                "[host byid]\n"
                                "client-id = ff:00:00:00:01:00:01\n"
                                "address = 10.0.0.50\n";

static struct dhcpd_conf *conf;

static void check_reply(const struct dhcpd_out *o)
{
    struct dhcp_msg m;
    if (o->len > sizeof(o->buf) || dhcp_msg_parse(&m, o->buf, o->len) != 0 || m.op != DHCP_OP_REPLY)
        abort();
    if (o->type == DHCP_NAK && m.yiaddr != 0)
        abort();
    if (m.yiaddr && !dhcpd_conf_subnet_of(conf, m.yiaddr))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!conf) {
        log_set_output(-1, false);
        if (dhcpd_conf_load_string(conf_text, NULL, &conf) != 0)
            abort();
    }
    struct lease_table *t;
    if (lease_table_new(conf, &t) != 0)
        return 0;
    struct dhcpd_engine e;
    dhcpd_engine_init(&e, conf, t);
    struct dhcpd_iface ifc = {.name = "veth0", .index = 2, .addr = htonl(0x0a000001)};
    static struct dhcpd_out out;
    int64_t now = 1700000000;
    size_t pos = 0;
    for (int n = 0; n < 16 && size - pos >= 3; n++) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        now += 16 * (int64_t)data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        /* An exact-size copy, so ASan sees any read past the packet. */
        uint8_t *pkt = malloc(len ? len : 1);
        if (!pkt)
            break;
        memcpy(pkt, data + pos, len);
        pos += len;
        int rc = dhcpd_engine_handle(&e, &ifc, pkt, len, now, &out);
        free(pkt);
        if (rc == 1) {
            check_reply(&out);
            /* A reserved address goes to its owner only. */
            struct dhcp_msg m;
            dhcp_msg_parse(&m, out.buf, out.len);
            const struct dhcpd_host *h = m.yiaddr ? dhcpd_conf_host_of_addr(conf, m.yiaddr) : NULL;
            struct lease *l = m.yiaddr ? lease_table_find_addr(t, m.yiaddr) : NULL;
            if (m.yiaddr && !l)
                abort();
            if (h && m.htype == 1) {
                bool by_id = h->client_id_len && l->key_len == 1 + h->client_id_len &&
                             l->key[0] == 'c' &&
                             memcmp(l->key + 1, h->client_id, h->client_id_len) == 0;
                bool by_mac = h->has_mac && m.hlen == 6 && memcmp(m.chaddr, h->mac, 6) == 0;
                if (!by_id && !by_mac)
                    abort();
            }
        }
        /* Commits happen between packets in the server: forget the marks. */
        for (size_t i = 0; i < t->n_dirty; i++)
            t->v[t->dirty[i]].dirty = false;
        t->n_dirty = 0;
    }
    lease_table_free(t);
    return 0;
}
