/*
 * dig_opts: labnet-dig's query description and its dig-style arguments.
 *
 *   labnet-dig [@server] [-p port] [-x addr] [name] [type] [class] [+opt...]
 *
 * The dash options go through common/cli.h; what getopt leaves over (the
 * server, the name, type, class and the +options, in any order, as dig
 * takes them) is fed here one argument at a time.  A word that is a type
 * mnemonic (or TYPEnnn) is the type while none has been given, a class
 * mnemonic likewise the class; anything else is the name.  Nothing here
 * allocates or prints: errors come back as codes for the caller to report.
 */
#ifndef LABNET_DIG_OPTS_H
#define LABNET_DIG_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dns_name.h"

#define DIG_PORT_DEFAULT    53
#define DIG_BUFSIZE_DEFAULT 1232 /* dig 9.18's, the DNS flag day 2020 value */
#define DIG_TIME_DEFAULT    5    /* seconds per try */
#define DIG_TRIES_DEFAULT   3
/* Bounds on +time and +tries, so one run stays bounded (dig caps them too). */
#define DIG_TIME_MAX  300
#define DIG_TRIES_MAX 10

struct dig_opts {
    const char *server; /* @server as given (address or name), NULL: resolv.conf */
    uint16_t port;
    uint8_t qname[DNS_NAME_MAXLEN]; /* wire form; the root until a name is given */
    uint16_t qtype, qclass;
    bool have_name, have_type, have_class;
    bool reverse;   /* -x: qname is the reverse-map name, type PTR by default */
    bool tcp;       /* +tcp / +vc */
    bool recurse;   /* RD; +norecurse clears it */
    bool short_out; /* +short: RDATA of the answer only */
    bool trace;     /* +trace: iterate from the root, printing each referral */
    bool ignore_tc; /* +ignore: do not retry a truncated reply over TCP */
    bool edns;      /* send an OPT record (+edns / +noedns) */
    uint8_t edns_version;
    bool dnssec; /* DO bit (RFC 3225); implies EDNS */
    bool adflag, cdflag;
    uint16_t bufsize;       /* EDNS UDP payload size advertised */
    unsigned time_s;        /* per-try timeout */
    unsigned tries;         /* attempts per server */
    const char *root_hints; /* +roothints=FILE / --root-hints: named.root file */
};

/* Defaults: port 53, root name, type A (NS for the root without a name,
 * applied by dig_opts_finish), class IN, RD, EDNS with DIG_BUFSIZE_DEFAULT,
 * +time=5, +tries=3.  The struct holds pointers into argv afterwards. */
void dig_opts_init(struct dig_opts *o);

/* One positional argument: "@server", "+option", a type, a class or the
 * name.  arg must outlive o.  Returns 0; -ENOTSUP for an unknown +option;
 * -EINVAL for a bad value (+time=0, a bad name, a second name, "@"). */
int dig_opts_arg(struct dig_opts *o, const char *arg);

/* "+name[=value]" and "+noname" (arg with or without the '+').  Errors as
 * dig_opts_arg. */
int dig_opts_plus(struct dig_opts *o, const char *arg);

/* -p: a port number 1..65535.  0 or -EINVAL. */
int dig_opts_port(struct dig_opts *o, const char *arg);

/* -x: sets the name to the reverse-map name of an IPv4 or IPv6 address
 * (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa) and marks the query
 * reverse.  0 or -EINVAL if addr is neither. */
int dig_opts_reverse(struct dig_opts *o, const char *addr);

/* Applies the defaults that depend on what was given: PTR for -x, NS for
 * the root when no name was given (dig's ". NS" query).  Always 0. */
int dig_opts_finish(struct dig_opts *o);

/* The reverse-map name of addr into out (DNS_NAME_MAXLEN bytes).  0 or
 * -EINVAL. */
int dig_reverse_name(const char *addr, uint8_t *out, size_t *out_len);

#endif
