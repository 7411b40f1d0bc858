/*
 * acl: who may query labnet-dnsd, by client address prefix.
 *
 * Rules map CIDR prefixes to an action; the longest matching prefix wins
 * (as Unbound's access-control does), and among equal prefixes the rule
 * added last wins, so configured rules override the built-in ones.  The
 * built-in rules (acl_init) allow 127.0.0.0/8 and ::1 and nothing else:
 * everything else is refused, so the server is never an open resolver.
 *
 * A struct acl is a plain value with a fixed rule capacity: built while
 * loading the configuration, then only read, by any number of threads.
 */
#ifndef LABNET_DNSD_ACL_H
#define LABNET_DNSD_ACL_H

#include <stddef.h>

#include "common/addr.h"

#define ACL_MAX_RULES 256

enum acl_action {
    ACL_ALLOW,  /* served */
    ACL_REFUSE, /* answered REFUSED */
    ACL_DENY,   /* dropped without an answer */
};

struct acl_rule {
    struct net_cidr cidr;
    enum acl_action action;
};

struct acl {
    struct acl_rule rules[ACL_MAX_RULES];
    size_t n;
};

/* Fills a with the built-in rules: allow loopback, refuse the rest. */
void acl_init(struct acl *a);

/* Adds a rule.  Returns 0, or -E2BIG when ACL_MAX_RULES are in use. */
int acl_rule_add(struct acl *a, const struct net_cidr *c, enum acl_action action);

/* The action for a client address (IPv4-mapped IPv6 matches IPv4 rules).
 * Addresses no rule covers are refused. */
enum acl_action acl_addr_check(const struct acl *a, const struct net_addr *addr);

/* "allow", "refuse" or "deny". */
const char *acl_action_name(enum acl_action action);

#endif
