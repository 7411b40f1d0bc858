#include "common/roothints.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/dns_msg.h"
#include "common/dns_roots.h"

static int fail(char *err, size_t errcap, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errcap, size_t line, const char *fmt, ...)
{
    if (err && errcap) {
        int n = snprintf(err, errcap, "%zu: ", line);
        if (n >= 0 && (size_t)n < errcap) {
            va_list ap;
            va_start(ap, fmt);
            (void)vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -EBADMSG;
}

/* One record of the file. */
struct hint_rr {
    uint8_t owner[DNS_NAME_MAXLEN];
    uint16_t type;
    uint8_t target[DNS_NAME_MAXLEN]; /* NS */
    struct net_addr addr;            /* A, AAAA */
};

#define MAX_TOKENS 6

/* Splits line[0..len) on blanks into at most MAX_TOKENS tokens, a ';'
 * ending the line.  Returns the count, or -1 for too many. */
static int tokenize(const char *line, size_t len, const char *tok[], size_t tlen[])
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i == len || line[i] == ';')
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' && line[i] != ';')
            i++;
        if (n == MAX_TOKENS)
            return -1;
        tok[n] = line + start;
        tlen[n] = i - start;
        n++;
    }
    return n;
}

static bool tok_is(const char *t, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(t, word, n) == 0;
}

static bool tok_ttl(const char *t, size_t n)
{
    if (n == 0 || n > 10)
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        v = v * 10 + (unsigned)(t[i] - '0');
    }
    return v <= UINT32_MAX;
}

/* Parses one line.  Returns 1 with *rr filled, 0 for a blank or comment
 * line, -EBADMSG (err set) for a bad one. */
static int parse_line(const char *line, size_t len, size_t lineno, struct hint_rr *rr, char *err,
                      size_t errcap)
{
    const char *tok[MAX_TOKENS];
    size_t tlen[MAX_TOKENS];
    memset(rr, 0, sizeof(*rr));
    if (memchr(line, '\0', len))
        return fail(err, errcap, lineno, "NUL byte");
    int n = tokenize(line, len, tok, tlen);
    if (n < 0)
        return fail(err, errcap, lineno, "too many fields");
    if (n == 0)
        return 0;
    if (tok[0][0] == '$')
        return fail(err, errcap, lineno, "directives are not supported");
    if (line[0] == ' ' || line[0] == '\t')
        return fail(err, errcap, lineno, "missing owner name");
    if (dns_name_from_text(tok[0], tlen[0], rr->owner, NULL) < 0)
        return fail(err, errcap, lineno, "bad owner name");
    /* TTL and class, each optional, in either order (RFC 1035 5.1). */
    int i = 1;
    bool have_ttl = false, have_class = false;
    for (int k = 0; k < 2 && i < n; k++) {
        if (!have_ttl && tok_ttl(tok[i], tlen[i])) {
            have_ttl = true;
            i++;
        } else if (!have_class && tok_is(tok[i], tlen[i], "IN")) {
            have_class = true;
            i++;
        }
    }
    if (n - i != 2)
        return fail(err, errcap, lineno, "expected TYPE and RDATA after the owner");
    const char *rd = tok[i + 1];
    size_t rdlen = tlen[i + 1];
    if (tok_is(tok[i], tlen[i], "NS")) {
        rr->type = DNS_TYPE_NS;
        if (rr->owner[0] != 0)
            return fail(err, errcap, lineno, "NS record not owned by the root");
        if (dns_name_from_text(rd, rdlen, rr->target, NULL) < 0)
            return fail(err, errcap, lineno, "bad NS name");
        return 1;
    }
    bool a = tok_is(tok[i], tlen[i], "A");
    if (!a && !tok_is(tok[i], tlen[i], "AAAA"))
        return fail(err, errcap, lineno, "type must be NS, A or AAAA");
    rr->type = a ? DNS_TYPE_A : DNS_TYPE_AAAA;
    char text[64];
    if (rdlen >= sizeof(text))
        return fail(err, errcap, lineno, "bad address");
    memcpy(text, rd, rdlen);
    text[rdlen] = '\0';
    if (net_addr_parse_ip(&rr->addr, text) < 0 || rr->addr.scope_id != 0 ||
        rr->addr.family != (a ? AF_INET : AF_INET6))
        return fail(err, errcap, lineno, "bad %s address", a ? "IPv4" : "IPv6");
    return 1;
}

/* One pass over the lines of text: pass 0 validates everything
 * and collects NS names, pass 1 attaches addresses. */
static int run_pass(struct roothints *h, const char *text, size_t len, int pass, char *err,
                    size_t errcap)
{
    size_t pos = 0, lineno = 0;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (llen > ROOTHINTS_MAX_LINE)
            return fail(err, errcap, lineno, "line too long");
        struct hint_rr rr;
        int rc = parse_line(text + pos, llen, lineno, &rr, err, errcap);
        pos += llen + (nl ? 1 : 0);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        if (pass == 0 && rr.type == DNS_TYPE_NS) {
            bool dup = false;
            for (size_t k = 0; k < h->nns; k++)
                dup = dup || dns_name_eq(h->ns[k].name, rr.target);
            if (dup)
                continue;
            if (h->nns == ROOTHINTS_MAX_NS)
                return fail(err, errcap, lineno, "more than %d root servers", ROOTHINTS_MAX_NS);
            struct roothints_server *s = &h->ns[h->nns++];
            memcpy(s->name, rr.target, dns_name_len(rr.target));
            s->naddr = 0;
        } else if (pass == 1 && rr.type != DNS_TYPE_NS) {
            for (size_t k = 0; k < h->nns; k++) {
                struct roothints_server *s = &h->ns[k];
                if (!dns_name_eq(s->name, rr.owner) || s->naddr == ROOTHINTS_MAX_ADDR)
                    continue;
                bool dup = false;
                for (size_t j = 0; j < s->naddr; j++)
                    dup = dup || net_addr_eq(&s->addr[j], &rr.addr);
                if (!dup)
                    s->addr[s->naddr++] = rr.addr;
            }
        }
    }
    return 0;
}

int roothints_parse(struct roothints *h, const char *text, size_t len, char *err, size_t errcap)
{
    h->nns = 0;
    if (err && errcap)
        err[0] = '\0';
    int rc = run_pass(h, text, len, 0, err, errcap);
    if (rc == 0)
        rc = run_pass(h, text, len, 1, err, errcap);
    if (rc < 0) {
        h->nns = 0;
        return rc;
    }
    /* Servers we cannot reach without resolving are of no use to start
     * from: drop them. */
    size_t k = 0;
    for (size_t i = 0; i < h->nns; i++)
        if (h->ns[i].naddr > 0)
            h->ns[k++] = h->ns[i];
    h->nns = k;
    if (k == 0)
        return fail(err, errcap, 0, "no root server with an address");
    return 0;
}

int roothints_load(struct roothints *h, const char *path, char *err, size_t errcap)
{
    h->nns = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (err && errcap)
            (void)snprintf(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    char *buf = malloc(ROOTHINTS_MAX_BYTES + 1);
    if (!buf) {
        (void)close(fd);
        if (err && errcap)
            (void)snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, ROOTHINTS_MAX_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            (void)close(fd);
            free(buf);
            if (err && errcap)
                (void)snprintf(err, errcap, "%s: %s", path, strerror(e));
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > ROOTHINTS_MAX_BYTES) {
            (void)close(fd);
            free(buf);
            if (err && errcap)
                (void)snprintf(err, errcap, "%s: larger than %u bytes", path, ROOTHINTS_MAX_BYTES);
            return -E2BIG;
        }
    }
    (void)close(fd);
    char msg[256];
    int rc = roothints_parse(h, buf, len, msg, sizeof(msg));
    free(buf);
    if (rc < 0 && err && errcap)
        (void)snprintf(err, errcap, "%s:%s", path, msg);
    return rc;
}

void roothints_builtin(struct roothints *h)
{
    /* The built-in text is known good; a failure would be a bug caught
     * by the unit test. */
    (void)roothints_parse(h, dns_roots_iana, strlen(dns_roots_iana), NULL, 0);
}
