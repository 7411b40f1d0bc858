/* dnsd worker thread on real loopback sockets: UDP and pipelined TCP
 * answers, a configuration switch, a graceful stop that leaves no handle
 * open.  The resolver is pointed at root hints on 127.0.0.2, where nothing
 * listens, so no query ever leaves the machine. */
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/dns_write.h"
#include "common/listen.h"
#include "dnsd/conf.h"
#include "dnsd/server.h"

static char hints[] = "/tmp/test_dnsd_worker_hintsXXXXXX";

static struct dnsd_conf *conf_text(const char *records)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "[server]\nlisten = 127.0.0.1:0\ntcp-idle-timeout = 500ms\n"
             "[resolver]\nroot-hints = %s\ntimeout = 300ms\n"
             "[local]\nzones = lab.\n%s",
             hints, records);
    struct dnsd_conf *c;
    ck_assert_int_eq(dnsd_conf_load_string("t.conf", text, NULL, stderr, &c), 0);
    return c;
}

static size_t mkq(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype)
{
    uint8_t q[DNS_NAME_MAXLEN];
    size_t l;
    ck_assert_int_eq(dns_name_from_text(name, strlen(name), q, &l), 0);
    ck_assert_int_eq(dns_query_make(buf, 512, id, q, qtype, DNS_CLASS_IN, true, NULL, &l), 0);
    return l;
}

/* One UDP exchange; returns the reply's rcode and answer count. */
static void udp_ask(const struct net_addr *srv, uint16_t id, const char *name, int *rcode,
                    int *ancount)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(srv, &ss);
    uint8_t q[512], r[4096];
    size_t ql = mkq(q, id, name, DNS_TYPE_A);
    ck_assert_int_eq(sendto(fd, q, ql, 0, (struct sockaddr *)&ss, sl), (ssize_t)ql);
    ssize_t n = recv(fd, r, sizeof(r), 0);
    close(fd);
    ck_assert_int_ge(n, 12);
    ck_assert_uint_eq((unsigned)(r[0] << 8 | r[1]), id);
    *rcode = r[3] & 0xf;
    *ancount = r[6] << 8 | r[7];
}

START_TEST(test_dnsd_worker_serves_udp_tcp_reload_stop)
{
    int hfd = mkstemp(hints);
    ck_assert_int_ge(hfd, 0);
    static const char h[] = ". 3600000 NS a.root.\na.root. 3600000 A 127.0.0.2\n";
    ck_assert_int_eq(write(hfd, h, sizeof(h) - 1), (ssize_t)(sizeof(h) - 1));
    close(hfd);
    struct dnsd_conf *c = conf_text("record = www.lab. A 10.0.0.1\n");
    static const struct listen_opts o = {.reuseport = true};
    int ufd = listen_socket(SOCK_DGRAM, &c->listen[0], &o);
    ck_assert_int_ge(ufd, 0);
    struct net_addr srv;
    ck_assert_int_eq(listen_local_addr(ufd, &srv), 0);
    int tfd = listen_socket(SOCK_STREAM, &srv, &o);
    ck_assert_int_ge(tfd, 0);
    ck_assert_int_eq(listen(tfd, 16), 0);
    struct dns_cache *cache = dns_cache_new(&c->cache);
    ck_assert_ptr_nonnull(cache);
    struct server_worker *w = calloc(1, sizeof(*w));
    char err[256] = "";
    ck_assert_msg(server_worker_init(w, 0, c, cache, &ufd, &tfd, 1, NULL, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_int_eq(server_worker_start(w), 0);

    int rcode, an;
    udp_ask(&srv, 1, "www.lab", &rcode, &an);
    ck_assert_int_eq(rcode, DNS_RCODE_NOERROR);
    ck_assert_int_eq(an, 1);
    udp_ask(&srv, 2, "nope.lab", &rcode, &an);
    ck_assert_int_eq(rcode, DNS_RCODE_NXDOMAIN);
    udp_ask(&srv, 3, "example.com", &rcode, &an); /* nobody at 127.0.0.2 */
    ck_assert_int_eq(rcode, DNS_RCODE_SERVFAIL);

    /* TCP: two framed queries in one write, a resolved one first; both
     * answers arrive on the connection, in whatever order. */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(&srv, &ss);
    ck_assert_int_eq(connect(s, (struct sockaddr *)&ss, sl), 0);
    uint8_t out[1024];
    size_t l1 = mkq(out + 2, 0xa1, "example.com", DNS_TYPE_A);
    out[0] = (uint8_t)(l1 >> 8);
    out[1] = (uint8_t)l1;
    size_t l2 = mkq(out + 4 + l1, 0xa2, "www.lab", DNS_TYPE_A);
    out[2 + l1] = (uint8_t)(l2 >> 8);
    out[3 + l1] = (uint8_t)l2;
    ck_assert_int_eq(write(s, out, 4 + l1 + l2), (ssize_t)(4 + l1 + l2));
    uint8_t in[4096];
    size_t got = 0;
    int seen = 0;
    while (seen != 3) {
        struct pollfd p = {.fd = s, .events = POLLIN};
        ck_assert_int_eq(poll(&p, 1, 3000), 1);
        ssize_t n = read(s, in + got, sizeof(in) - got);
        ck_assert_int_gt(n, 0);
        got += (size_t)n;
        while (got >= 2 && got >= 2 + (size_t)(in[0] << 8 | in[1])) {
            size_t ml = (size_t)(in[0] << 8 | in[1]);
            ck_assert_uint_ge(ml, 12);
            unsigned id = (unsigned)(in[2] << 8 | in[3]);
            ck_assert(id == 0xa1 || id == 0xa2);
            seen |= id == 0xa1 ? 1 : 2;
            memmove(in, in + 2 + ml, got - 2 - ml);
            got -= 2 + ml;
        }
    }
    /* The idle timeout (500 ms) closes the connection. */
    struct pollfd p = {.fd = s, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 3000), 1);
    ck_assert_int_eq(read(s, in, sizeof(in)), 0);
    close(s);

    /* A new configuration: the new record is served. */
    struct dnsd_conf *c2 = conf_text("record = new.lab. A 10.0.0.2\n");
    server_worker_post_conf(w, c2);
    dnsd_conf_release(c2);
    for (int i = 0; i < 50; i++) {
        udp_ask(&srv, 4, "new.lab", &rcode, &an);
        if (an == 1)
            break;
        usleep(20000);
    }
    ck_assert_int_eq(rcode, DNS_RCODE_NOERROR);
    ck_assert_int_eq(an, 1);

    server_worker_post_stop(w);
    for (int i = 0; i < 300 && !atomic_load(&w->finished); i++)
        usleep(10000);
    ck_assert(atomic_load(&w->finished));
    ck_assert_int_eq(server_worker_join(w), 0); /* no handle left open */
    ck_assert_uint_ge(atomic_load(&w->queries), 6);
    free(w);
    dns_cache_free(cache);
    dnsd_conf_release(c);
    unlink(hints);
}
END_TEST

START_TEST(test_dnsd_worker_tcp_connection_cap)
{
    char text[512];
    snprintf(text, sizeof(text), "[server]\nlisten = 127.0.0.1:0\nmax-tcp-connections = 1\n");
    struct dnsd_conf *c;
    ck_assert_int_eq(dnsd_conf_load_string("t.conf", text, NULL, stderr, &c), 0);
    static const struct listen_opts o = {.reuseport = true};
    int ufd = listen_socket(SOCK_DGRAM, &c->listen[0], &o);
    struct net_addr srv;
    ck_assert_int_eq(listen_local_addr(ufd, &srv), 0);
    int tfd = listen_socket(SOCK_STREAM, &srv, &o);
    ck_assert_int_eq(listen(tfd, 16), 0);
    struct dns_cache *cache = dns_cache_new(&c->cache);
    struct server_worker *w = calloc(1, sizeof(*w));
    char err[256] = "";
    ck_assert_int_eq(server_worker_init(w, 0, c, cache, &ufd, &tfd, 1, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(server_worker_start(w), 0);
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(&srv, &ss);
    int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(a, (struct sockaddr *)&ss, sl), 0);
    usleep(100000); /* a is accepted first */
    ck_assert_int_eq(connect(b, (struct sockaddr *)&ss, sl), 0);
    /* The second is closed at once; the first stays open (idle 10 s). */
    struct pollfd p = {.fd = b, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 3000), 1);
    uint8_t buf[64];
    ck_assert_int_le(read(b, buf, sizeof(buf)), 0);
    p.fd = a;
    ck_assert_int_eq(poll(&p, 1, 200), 0);
    close(a);
    close(b);
    server_worker_post_stop(w);
    for (int i = 0; i < 300 && !atomic_load(&w->finished); i++)
        usleep(10000);
    ck_assert_int_eq(server_worker_join(w), 0);
    free(w);
    dns_cache_free(cache);
    dnsd_conf_release(c);
}
END_TEST

static Suite *dnsd_worker_suite(void)
{
    Suite *s = suite_create("dnsd_worker");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dnsd_worker_serves_udp_tcp_reload_stop);
    tcase_add_test(tc, test_dnsd_worker_tcp_connection_cap);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dnsd_worker_suite)
