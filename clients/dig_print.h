/*
 * dig_print: labnet-dig's output, in dig's presentation format.
 *
 * Records come from common/dns_text (tab-separated fields) and are laid out
 * in the columns BIND's dig uses (owner, then TTL at column 24, class at
 * 32, type at 40, RDATA at 48, reached with 8-wide tabs, or one space once
 * a field runs past its column), so the text matches dig's byte for byte
 * for the types both render alike.  Output goes to a stdio stream; the
 * functions only read the message (a parsed view the caller owns).
 */
#ifndef LABNET_DIG_PRINT_H
#define LABNET_DIG_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/dns_msg.h"

/* Longest line a record can make: owner and RDATA names, a 64 KiB RDATA in
 * generic hex, and the separators. */
#define DIG_LINE_MAX (2 * 65536 + 4096)

/* What the statistics lines say about one exchange. */
struct dig_stats {
    const char *server_addr; /* "127.0.0.1" */
    uint16_t port;
    const char *server_name; /* as the user gave it, or the NS name in +trace */
    bool tcp;
    uint64_t query_ms;
    size_t size; /* octets received */
    time_t when; /* 0: leave out the WHEN line (tests) */
};

/* Lays out "owner\tTTL\tCLASS\tTYPE\tRDATA" (dns_rr_to_text) in dig's
 * columns; a question ";owner\t\tCLASS\tTYPE" (dns_question_to_text) in
 * its own (class at 32, the ';' not counted, as dig does).  Fields after
 * the fourth tab are copied as they are.  0, or -EMSGSIZE if out is too
 * small (out is then ""). */
int dig_layout_rr(const char *fields, char *out, size_t cap);
int dig_layout_question(const char *fields, char *out, size_t cap);

/* The full reply: header and flags lines, OPT PSEUDOSECTION, the four
 * sections that are not empty, and the statistics (st may be NULL to leave
 * them out).  Returns 0 or -EIO on a write error. */
int dig_print_reply(FILE *f, const struct dns_msg *m, const struct dig_stats *st);

/* +short: the RDATA of each answer record, one a line. */
int dig_print_short(FILE *f, const struct dns_msg *m);

/* One +trace step: the answer and authority records, then ";; Received N
 * bytes from ADDR#PORT(NAME) in T ms" and an empty line. */
int dig_print_trace_step(FILE *f, const struct dns_msg *m, const struct dig_stats *st);

/* The flags word as dig lists it: "qr aa rd" (qr aa tc rd ra ad cd order,
 * a trailing space-free list; "" when none).  out holds 32 bytes. */
void dig_flags_text(const struct dns_hdr *h, char out[32]);

#endif
