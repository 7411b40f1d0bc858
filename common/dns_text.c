#include "common/dns_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct mnemonic {
    uint16_t num;
    const char *name;
};

static const struct mnemonic types[] = {
    {DNS_TYPE_A, "A"},         {DNS_TYPE_NS, "NS"},         {DNS_TYPE_MD, "MD"},
    {DNS_TYPE_MF, "MF"},       {DNS_TYPE_CNAME, "CNAME"},   {DNS_TYPE_SOA, "SOA"},
    {DNS_TYPE_MB, "MB"},       {DNS_TYPE_MG, "MG"},         {DNS_TYPE_MR, "MR"},
    {DNS_TYPE_NULL, "NULL"},   {DNS_TYPE_WKS, "WKS"},       {DNS_TYPE_PTR, "PTR"},
    {DNS_TYPE_HINFO, "HINFO"}, {DNS_TYPE_MINFO, "MINFO"},   {DNS_TYPE_MX, "MX"},
    {DNS_TYPE_TXT, "TXT"},     {DNS_TYPE_AAAA, "AAAA"},     {DNS_TYPE_SRV, "SRV"},
    {DNS_TYPE_NAPTR, "NAPTR"}, {DNS_TYPE_DNAME, "DNAME"},   {DNS_TYPE_OPT, "OPT"},
    {DNS_TYPE_DS, "DS"},       {DNS_TYPE_SSHFP, "SSHFP"},   {DNS_TYPE_RRSIG, "RRSIG"},
    {DNS_TYPE_NSEC, "NSEC"},   {DNS_TYPE_DNSKEY, "DNSKEY"}, {DNS_TYPE_NSEC3, "NSEC3"},
    {DNS_TYPE_TLSA, "TLSA"},   {DNS_TYPE_SVCB, "SVCB"},     {DNS_TYPE_HTTPS, "HTTPS"},
    {DNS_TYPE_IXFR, "IXFR"},   {DNS_TYPE_AXFR, "AXFR"},     {DNS_TYPE_ANY, "ANY"},
    {DNS_TYPE_CAA, "CAA"},
};

static const struct mnemonic classes[] = {
    {DNS_CLASS_IN, "IN"},     {DNS_CLASS_CH, "CH"},   {DNS_CLASS_HS, "HS"},
    {DNS_CLASS_NONE, "NONE"}, {DNS_CLASS_ANY, "ANY"},
};

static const struct mnemonic rcodes[] = {
    {DNS_RCODE_NOERROR, "NOERROR"},
    {DNS_RCODE_FORMERR, "FORMERR"},
    {DNS_RCODE_SERVFAIL, "SERVFAIL"},
    {DNS_RCODE_NXDOMAIN, "NXDOMAIN"},
    {DNS_RCODE_NOTIMP, "NOTIMP"},
    {DNS_RCODE_REFUSED, "REFUSED"},
    {DNS_RCODE_YXDOMAIN, "YXDOMAIN"},
    {DNS_RCODE_YXRRSET, "YXRRSET"},
    {DNS_RCODE_NXRRSET, "NXRRSET"},
    {DNS_RCODE_NOTAUTH, "NOTAUTH"},
    {DNS_RCODE_NOTZONE, "NOTZONE"},
    {DNS_RCODE_BADVERS, "BADVERS"},
    {17, "BADKEY"},
    {18, "BADTIME"},
    {19, "BADMODE"},
    {20, "BADNAME"},
    {21, "BADALG"},
    {22, "BADTRUNC"},
    {DNS_RCODE_BADCOOKIE, "BADCOOKIE"},
};

static const struct mnemonic opcodes[] = {
    {DNS_OPCODE_QUERY, "QUERY"},   {DNS_OPCODE_IQUERY, "IQUERY"}, {DNS_OPCODE_STATUS, "STATUS"},
    {DNS_OPCODE_NOTIFY, "NOTIFY"}, {DNS_OPCODE_UPDATE, "UPDATE"}, {DNS_OPCODE_DSO, "DSO"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup_num(const struct mnemonic *t, size_t n, uint16_t num)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].num == num)
            return t[i].name;
    return NULL;
}

static int lookup_name(const struct mnemonic *t, size_t n, const char *s, uint16_t *num)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(t[i].name, s) == 0) {
            *num = t[i].num;
            return 0;
        }
    }
    return -EBADMSG;
}

/* Strict decimal 0..max: digits only, 1 to 5 of them. */
static int parse_dec(const char *s, unsigned max, unsigned *v)
{
    size_t n = strlen(s);
    if (n == 0 || n > 5)
        return -EBADMSG;
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EBADMSG;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    if (x > max)
        return -EBADMSG;
    *v = x;
    return 0;
}

static void to_text(const struct mnemonic *t, size_t n, uint16_t num, const char *generic,
                    char *out)
{
    const char *name = lookup_num(t, n, num);
    if (name)
        (void)snprintf(out, DNS_MNEMONIC_MAX, "%s", name);
    else
        (void)snprintf(out, DNS_MNEMONIC_MAX, "%s%u", generic, (unsigned)num);
}

void dns_type_to_text(uint16_t type, char *out)
{
    to_text(types, COUNT(types), type, "TYPE", out);
}

void dns_class_to_text(uint16_t rclass, char *out)
{
    to_text(classes, COUNT(classes), rclass, "CLASS", out);
}

void dns_rcode_to_text(uint16_t rcode, char *out)
{
    to_text(rcodes, COUNT(rcodes), rcode, "", out);
}

void dns_opcode_to_text(uint8_t opcode, char *out)
{
    to_text(opcodes, COUNT(opcodes), opcode, "", out);
}

/* Mnemonic, or the RFC 3597 generic prefix followed by a number. */
static int from_text(const struct mnemonic *t, size_t n, const char *s, const char *generic,
                     unsigned max, uint16_t *num)
{
    if (lookup_name(t, n, s, num) == 0)
        return 0;
    size_t gl = strlen(generic);
    if (strncasecmp(s, generic, gl) != 0)
        return -EBADMSG;
    unsigned v;
    if (parse_dec(s + gl, max, &v) != 0)
        return -EBADMSG;
    *num = (uint16_t)v;
    return 0;
}

int dns_type_from_text(const char *s, uint16_t *type)
{
    return from_text(types, COUNT(types), s, "TYPE", UINT16_MAX, type);
}

int dns_class_from_text(const char *s, uint16_t *rclass)
{
    return from_text(classes, COUNT(classes), s, "CLASS", UINT16_MAX, rclass);
}

int dns_rcode_from_text(const char *s, uint16_t *rcode)
{
    /* 12 bits with EDNS (RFC 6891 6.1.3). */
    return from_text(rcodes, COUNT(rcodes), s, "", 4095, rcode);
}

int dns_opcode_from_text(const char *s, uint8_t *opcode)
{
    uint16_t v;
    int err = from_text(opcodes, COUNT(opcodes), s, "", 15, &v);
    if (err == 0)
        *opcode = (uint8_t)v;
    return err;
}

/* An output buffer with a sticky "full" state. */
struct tbuf {
    char *p;
    size_t cap, len;
    bool full;
};

static void tinit(struct tbuf *t, char *out, size_t cap)
{
    t->p = out;
    t->cap = cap;
    t->len = 0;
    t->full = cap == 0;
    if (cap > 0)
        out[0] = '\0';
}

static void tput(struct tbuf *t, const char *s, size_t n)
{
    if (t->full)
        return;
    if (n >= t->cap - t->len) {
        t->full = true;
        return;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void tstr(struct tbuf *t, const char *s)
{
    tput(t, s, strlen(s));
}

/* Formats a short numeric field (a macro rather than a va_list wrapper,
 * so the compiler checks every format against its arguments). */
#define tprintf(t, ...)                                     \
    do {                                                    \
        char tmp_[64];                                      \
        int n_ = snprintf(tmp_, sizeof(tmp_), __VA_ARGS__); \
        if (n_ < 0 || (size_t)n_ >= sizeof(tmp_))           \
            (t)->full = true;                               \
        else                                                \
            tput((t), tmp_, (size_t)n_);                    \
    } while (0)

static int tdone(struct tbuf *t)
{
    if (t->full) {
        if (t->cap > 0)
            t->p[0] = '\0';
        return -EMSGSIZE;
    }
    return 0;
}

static void tname(struct tbuf *t, const uint8_t *name)
{
    char txt[DNS_NAME_TEXT_MAX];
    size_t n;
    if (dns_name_to_text(name, txt, sizeof(txt), &n) != 0) {
        t->full = true;
        return;
    }
    tput(t, txt, n);
}

static void thex(struct tbuf *t, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n && !t->full; i++) {
        char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        tput(t, two, 2);
    }
}

/* RFC 3597 5: "\# <length> <hex>", the hex absent when empty. */
static void tgeneric(struct tbuf *t, const struct dns_msg *m, const struct dns_rr *rr)
{
    struct wire_rd rd;
    dns_rr_rdata(m, rr, &rd);
    size_t n = wire_rd_remaining(&rd);
    tprintf(t, "\\# %zu", n);
    if (n > 0) {
        tput(t, " ", 1);
        thex(t, rd.buf, n);
    }
}

/* RFC 1035 5.1 <character-string>: quoted, with " and \ escaped and
 * non-printables as \DDD. */
static void tcharstr(struct tbuf *t, const uint8_t *s, size_t n)
{
    tput(t, "\"", 1);
    for (size_t i = 0; i < n && !t->full; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            tput(t, e, 2);
        } else if (c < 0x20 || c > 0x7e) {
            tprintf(t, "\\%03u", (unsigned)c);
        } else {
            tput(t, (const char *)&s[i], 1);
        }
    }
    tput(t, "\"", 1);
}

/* Typed RDATA text; -EBADMSG/-ENOTSUP to fall back on the generic form. */
static int typed_rdata(struct tbuf *t, const struct dns_msg *m, const struct dns_rr *rr)
{
    uint8_t addr[16];
    uint8_t name[DNS_NAME_MAXLEN];
    char a[INET6_ADDRSTRLEN];
    int err;
    switch (rr->type) {
    case DNS_TYPE_A:
        if ((err = dns_rr_a(m, rr, addr)) != 0)
            return err;
        tstr(t, inet_ntop(AF_INET, addr, a, sizeof(a)) ? a : "?");
        return 0;
    case DNS_TYPE_AAAA:
        if ((err = dns_rr_aaaa(m, rr, addr)) != 0)
            return err;
        tstr(t, inet_ntop(AF_INET6, addr, a, sizeof(a)) ? a : "?");
        return 0;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_DNAME:
    case DNS_TYPE_PTR:
        if ((err = dns_rr_name(m, rr, name, NULL)) != 0)
            return err;
        tname(t, name);
        return 0;
    case DNS_TYPE_SOA: {
        struct dns_soa soa;
        if ((err = dns_rr_soa(m, rr, &soa)) != 0)
            return err;
        tname(t, soa.mname);
        tput(t, " ", 1);
        tname(t, soa.rname);
        tprintf(t, " %u %u %u %u %u", (unsigned)soa.serial, (unsigned)soa.refresh,
                (unsigned)soa.retry, (unsigned)soa.expire, (unsigned)soa.minimum);
        return 0;
    }
    case DNS_TYPE_MX: {
        struct dns_mx mx;
        if ((err = dns_rr_mx(m, rr, &mx)) != 0)
            return err;
        tprintf(t, "%u ", (unsigned)mx.preference);
        tname(t, mx.exchange);
        return 0;
    }
    case DNS_TYPE_SRV: {
        struct dns_srv srv;
        if ((err = dns_rr_srv(m, rr, &srv)) != 0)
            return err;
        tprintf(t, "%u %u %u ", (unsigned)srv.priority, (unsigned)srv.weight, (unsigned)srv.port);
        tname(t, srv.target);
        return 0;
    }
    case DNS_TYPE_TXT: {
        struct wire_rd it;
        if ((err = dns_rr_txt(m, rr, &it)) != 0)
            return err;
        const uint8_t *s;
        size_t n;
        bool first = true;
        while (dns_txt_next(&it, &s, &n) == 1) {
            if (!first)
                tput(t, " ", 1);
            first = false;
            tcharstr(t, s, n);
        }
        return 0;
    }
    default:
        return -ENOTSUP;
    }
}

static void rdata_text(struct tbuf *t, const struct dns_msg *m, const struct dns_rr *rr)
{
    size_t mark = t->len;
    if (typed_rdata(t, m, rr) != 0 && !t->full) {
        t->len = mark;
        if (t->cap > 0)
            t->p[mark] = '\0';
        tgeneric(t, m, rr);
    }
}

int dns_rdata_to_text(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap)
{
    struct tbuf t;
    tinit(&t, out, cap);
    rdata_text(&t, m, rr);
    return tdone(&t);
}

static void opt_text(struct tbuf *t, const struct dns_msg *m, const struct dns_rr *rr)
{
    struct dns_edns e;
    if (dns_rr_opt(m, rr, &e) != 0) {
        tstr(t, "; EDNS: malformed ");
        tgeneric(t, m, rr);
        return;
    }
    tprintf(t, "; EDNS: version: %u, flags:", (unsigned)e.version);
    if (e.dnssec_ok)
        tstr(t, " do");
    if (e.z)
        tprintf(t, " MBZ: 0x%04x", (unsigned)e.z);
    tprintf(t, "; udp: %u", (unsigned)e.udp_size);
    struct wire_rd it;
    wire_rd_init(&it, e.options, e.options_len);
    uint16_t code, len;
    const uint8_t *data;
    while (dns_edns_opt_next(&it, &code, &data, &len) == 1) {
        tprintf(t, "; OPT=%u: ", (unsigned)code);
        thex(t, data, len);
    }
}

int dns_rr_to_text(const struct dns_msg *m, const struct dns_rr *rr, char *out, size_t cap)
{
    struct tbuf t;
    tinit(&t, out, cap);
    if (rr->type == DNS_TYPE_OPT) {
        opt_text(&t, m, rr);
        return tdone(&t);
    }
    uint8_t owner[DNS_NAME_MAXLEN];
    int err = dns_msg_rr_owner(m, rr, owner, NULL);
    if (err) {
        if (cap > 0)
            out[0] = '\0';
        return err;
    }
    char cls[DNS_MNEMONIC_MAX], typ[DNS_MNEMONIC_MAX];
    dns_class_to_text(rr->rclass, cls);
    dns_type_to_text(rr->type, typ);
    tname(&t, owner);
    tprintf(&t, "\t%u\t", (unsigned)rr->ttl);
    tstr(&t, cls);
    tput(&t, "\t", 1);
    tstr(&t, typ);
    tput(&t, "\t", 1);
    rdata_text(&t, m, rr);
    return tdone(&t);
}

int dns_question_to_text(const struct dns_msg *m, const struct dns_question *q, char *out,
                         size_t cap)
{
    struct tbuf t;
    tinit(&t, out, cap);
    uint8_t name[DNS_NAME_MAXLEN];
    int err = dns_msg_qname(m, q, name, NULL);
    if (err) {
        if (cap > 0)
            out[0] = '\0';
        return err;
    }
    char cls[DNS_MNEMONIC_MAX], typ[DNS_MNEMONIC_MAX];
    dns_class_to_text(q->qclass, cls);
    dns_type_to_text(q->qtype, typ);
    tput(&t, ";", 1);
    tname(&t, name);
    tput(&t, "\t\t", 2);
    tstr(&t, cls);
    tput(&t, "\t", 1);
    tstr(&t, typ);
    return tdone(&t);
}
