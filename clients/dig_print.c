#include "clients/dig_print.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dns_text.h"

/* BIND's dig lays records out with 8-wide tabs towards fixed columns
 * (lib/dns/masterdump.c, the style dig prints with): TTL at 24, class at
 * 32, type at 40, RDATA at 48; a field already at or past its column gets
 * one space instead. */
#define TABW      8
#define COL_TTL   24
#define COL_CLASS 32
#define COL_TYPE  40
#define COL_RDATA 48

struct lay {
    char *p;
    size_t cap, len, col;
    bool full;
};

static void lput(struct lay *l, const char *s, size_t n)
{
    if (l->full || n >= l->cap - l->len) {
        l->full = true;
        return;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
    l->col += n;
}

static void lindent(struct lay *l, size_t to)
{
    if (l->col >= to) {
        lput(l, " ", 1);
        return;
    }
    /* to is a multiple of TABW: each tab reaches the next stop. */
    for (size_t tabs = to / TABW - l->col / TABW; tabs > 0; tabs--)
        lput(l, "\t", 1);
    l->col = to;
}

/* Splits off the next tab-separated field of *s. */
static const char *field(const char **s, size_t *n)
{
    const char *start = *s;
    const char *tab = strchr(start, '\t');
    *n = tab ? (size_t)(tab - start) : strlen(start);
    *s = tab ? tab + 1 : start + *n;
    return start;
}

static int layout(const char *fields, char *out, size_t cap, const size_t *cols, size_t ncols,
                  size_t col0)
{
    struct lay l = {.p = out, .cap = cap, .full = cap == 0};
    if (cap > 0)
        out[0] = '\0';
    const char *s = fields;
    size_t n;
    const char *f = field(&s, &n);
    lput(&l, f, n);
    l.col = n >= col0 ? n - col0 : 0;
    for (size_t i = 0; i < ncols; i++) {
        f = field(&s, &n);
        lindent(&l, cols[i]);
        if (i + 1 == ncols) {
            lput(&l, f, strlen(f)); /* the rest, RDATA may hold tabs */
            break;
        }
        lput(&l, f, n);
    }
    if (l.full) {
        if (cap > 0)
            out[0] = '\0';
        return -EMSGSIZE;
    }
    return 0;
}

int dig_layout_rr(const char *fields, char *out, size_t cap)
{
    static const size_t cols[] = {COL_TTL, COL_CLASS, COL_TYPE, COL_RDATA};
    return layout(fields, out, cap, cols, 4, 0);
}

int dig_layout_question(const char *fields, char *out, size_t cap)
{
    /* dig prints the ';' before laying out the name, so it takes no
     * column; the TTL field is empty. */
    static const size_t cols[] = {COL_CLASS, COL_TYPE};
    const char *s = fields;
    size_t n;
    const char *owner = field(&s, &n);
    char tmp[DNS_NAME_TEXT_MAX + 64];
    const char *cls = s;
    /* Skip the empty TTL field of ";owner\t\tCLASS\tTYPE". */
    if (*cls == '\t')
        cls++;
    int w = snprintf(tmp, sizeof(tmp), "%.*s\t%s", (int)n, owner, cls);
    if (w < 0 || (size_t)w >= sizeof(tmp)) {
        if (cap > 0)
            out[0] = '\0';
        return -EMSGSIZE;
    }
    size_t col0 = (n > 0 && owner[0] == ';') ? 1 : 0;
    return layout(tmp, out, cap, cols, 2, col0);
}

void dig_flags_text(const struct dns_hdr *h, char out[32])
{
    static const char *const names[] = {"qr", "aa", "tc", "rd", "ra", "ad", "cd"};
    const bool on[] = {h->qr, h->aa, h->tc, h->rd, h->ra, h->ad, h->cd};
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        if (!on[i])
            continue;
        if (k)
            out[k++] = ' ';
        memcpy(out + k, names[i], 3);
        k += 2;
    }
    out[k] = '\0';
}

static char line_buf[DIG_LINE_MAX];
static char text_buf[DIG_LINE_MAX];

static void print_rr(FILE *f, const struct dns_msg *m, const struct dns_rr *rr)
{
    if (dns_rr_to_text(m, rr, text_buf, sizeof(text_buf)) != 0 ||
        dig_layout_rr(text_buf, line_buf, sizeof(line_buf)) != 0) {
        fprintf(f, ";; (a record that cannot be shown)\n");
        return;
    }
    fprintf(f, "%s\n", line_buf);
}

static void print_section(FILE *f, const struct dns_msg *m, int sec, const char *title, bool header)
{
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, sec, &n);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (rr[i].type == DNS_TYPE_OPT)
            continue; /* shown in the OPT PSEUDOSECTION */
        if (header && shown == 0)
            fprintf(f, ";; %s SECTION:\n", title);
        print_rr(f, m, &rr[i]);
        shown++;
    }
    if (header && shown)
        fprintf(f, "\n");
}

/* RFC 8914 4: the Extended DNS Error codes dig names. */
static const char *const ede_names[] = {
    "Other",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDOMAIN Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
};

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

/* Printable ASCII as is, anything else as '.', as dig shows option text. */
static void print_ascii(FILE *f, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        (void)fputc(p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' ? p[i] : '.', f);
}

static void print_opt(FILE *f, const struct dns_msg *m)
{
    struct dns_edns e;
    fprintf(f, ";; OPT PSEUDOSECTION:\n");
    if (dns_rr_opt(m, &m->opt, &e) != 0) {
        fprintf(f, "; EDNS: malformed OPT record\n");
        return;
    }
    fprintf(f, "; EDNS: version: %u, flags:%s", (unsigned)e.version, e.dnssec_ok ? " do" : "");
    if (e.z)
        fprintf(f, "; MBZ: 0x%04x,", (unsigned)e.z);
    fprintf(f, "; udp: %u\n", (unsigned)e.udp_size);
    struct wire_rd it;
    wire_rd_init(&it, e.options, e.options_len);
    uint16_t code, len;
    const uint8_t *data;
    int rc;
    while ((rc = dns_edns_opt_next(&it, &code, &data, &len)) == 1) {
        switch (code) {
        case 3: /* NSID, RFC 5001 */
            fprintf(f, "; NSID: ");
            print_hex(f, data, len);
            fprintf(f, " (\"");
            print_ascii(f, data, len);
            fprintf(f, "\")\n");
            break;
        case 10: /* COOKIE, RFC 7873 */
            fprintf(f, "; COOKIE: ");
            print_hex(f, data, len);
            fprintf(f, "\n");
            break;
        case 15: /* Extended DNS Error, RFC 8914: INFO-CODE then text */
            if (len < 2) {
                fprintf(f, "; EDE: (malformed)\n");
                break;
            }
            {
                unsigned ic = (unsigned)data[0] << 8 | data[1];
                fprintf(f, "; EDE: %u", ic);
                if (ic < sizeof(ede_names) / sizeof(ede_names[0]))
                    fprintf(f, " (%s)", ede_names[ic]);
                if (len > 2) {
                    fprintf(f, ": (");
                    print_ascii(f, data + 2, len - 2u);
                    fprintf(f, ")");
                }
                fprintf(f, "\n");
            }
            break;
        default:
            fprintf(f, "; OPT=%u: ", (unsigned)code);
            print_hex(f, data, len);
            fprintf(f, "\n");
        }
    }
    if (rc < 0)
        fprintf(f, "; (malformed option area)\n");
}

static void print_stats(FILE *f, const struct dig_stats *st)
{
    fprintf(f, ";; Query time: %llu msec\n", (unsigned long long)st->query_ms);
    fprintf(f, ";; SERVER: %s#%u(%s) (%s)\n", st->server_addr, (unsigned)st->port,
            st->server_name ? st->server_name : st->server_addr, st->tcp ? "TCP" : "UDP");
    if (st->when) {
        struct tm tm;
        char when[64];
        if (localtime_r(&st->when, &tm) &&
            strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Z %Y", &tm) > 0)
            fprintf(f, ";; WHEN: %s\n", when);
    }
    fprintf(f, ";; MSG SIZE  rcvd: %zu\n\n", st->size);
}

int dig_print_reply(FILE *f, const struct dns_msg *m, const struct dig_stats *st)
{
    char op[DNS_MNEMONIC_MAX], rc[DNS_MNEMONIC_MAX], flags[32];
    dns_opcode_to_text(m->hdr.opcode, op);
    dns_rcode_to_text(dns_msg_rcode(m), rc);
    dig_flags_text(&m->hdr, flags);
    fprintf(f, ";; Got answer:\n");
    fprintf(f, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n", op, rc, (unsigned)m->hdr.id);
    fprintf(f, ";; flags:%s%s; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n",
            flags[0] ? " " : "", flags, (unsigned)m->hdr.count[DNS_SEC_QD],
            (unsigned)m->hdr.count[DNS_SEC_AN], (unsigned)m->hdr.count[DNS_SEC_NS],
            (unsigned)m->hdr.count[DNS_SEC_AR]);
    if (m->hdr.rd && !m->hdr.ra)
        fprintf(f, ";; WARNING: recursion requested but not available\n");
    if (m->end < m->len)
        fprintf(f, ";; WARNING: Message has %zu extra bytes at end\n", m->len - m->end);
    fprintf(f, "\n");
    if (m->has_opt)
        print_opt(f, m);
    if (m->qd_n > 0) {
        fprintf(f, ";; QUESTION SECTION:\n");
        for (size_t i = 0; i < m->qd_n; i++) {
            if (dns_question_to_text(m, &m->qd[i], text_buf, sizeof(text_buf)) == 0 &&
                dig_layout_question(text_buf, line_buf, sizeof(line_buf)) == 0)
                fprintf(f, "%s\n", line_buf);
        }
        fprintf(f, "\n");
    }
    print_section(f, m, DNS_SEC_AN, "ANSWER", true);
    print_section(f, m, DNS_SEC_NS, "AUTHORITY", true);
    print_section(f, m, DNS_SEC_AR, "ADDITIONAL", true);
    if (st)
        print_stats(f, st);
    return ferror(f) ? -EIO : 0;
}

int dig_print_short(FILE *f, const struct dns_msg *m)
{
    size_t n;
    const struct dns_rr *rr = dns_msg_section(m, DNS_SEC_AN, &n);
    for (size_t i = 0; i < n; i++) {
        if (dns_rdata_to_text(m, &rr[i], text_buf, sizeof(text_buf)) == 0)
            fprintf(f, "%s\n", text_buf);
    }
    return ferror(f) ? -EIO : 0;
}

int dig_print_trace_step(FILE *f, const struct dns_msg *m, const struct dig_stats *st)
{
    print_section(f, m, DNS_SEC_AN, "ANSWER", false);
    print_section(f, m, DNS_SEC_NS, "AUTHORITY", false);
    fprintf(f, ";; Received %zu bytes from %s#%u(%s) in %llu ms\n\n", st->size, st->server_addr,
            (unsigned)st->port, st->server_name ? st->server_name : st->server_addr,
            (unsigned long long)st->query_ms);
    return ferror(f) ? -EIO : 0;
}
