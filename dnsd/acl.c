#include "dnsd/acl.h"

#include <errno.h>
#include <string.h>

void acl_init(struct acl *a)
{
    memset(a, 0, sizeof(*a));
    struct net_cidr c;
    /* The parse of these literals cannot fail. */
    if (net_cidr_parse(&c, "127.0.0.0/8") == 0)
        acl_rule_add(a, &c, ACL_ALLOW);
    if (net_cidr_parse(&c, "::1/128") == 0)
        acl_rule_add(a, &c, ACL_ALLOW);
}

int acl_rule_add(struct acl *a, const struct net_cidr *c, enum acl_action action)
{
    if (a->n == ACL_MAX_RULES)
        return -E2BIG;
    a->rules[a->n].cidr = *c;
    a->rules[a->n].action = action;
    a->n++;
    return 0;
}

enum acl_action acl_addr_check(const struct acl *a, const struct net_addr *addr)
{
    enum acl_action act = ACL_REFUSE;
    int best = -1;
    /* A linear walk: a lab has a handful of rules, and this runs once per
     * query, far below the cost of parsing it. */
    for (size_t i = 0; i < a->n; i++) {
        const struct acl_rule *r = &a->rules[i];
        /* net_cidr_contains matches a mapped IPv6 client against IPv4
         * prefixes; compare prefix lengths within one family only. */
        int len = r->cidr.prefix;
        if (r->cidr.addr.family == AF_INET && addr->family == AF_INET6)
            len += 96;
        if (len >= best && net_cidr_contains(&r->cidr, addr)) {
            best = len;
            act = r->action;
        }
    }
    return act;
}

const char *acl_action_name(enum acl_action action)
{
    switch (action) {
    case ACL_ALLOW:
        return "allow";
    case ACL_REFUSE:
        return "refuse";
    case ACL_DENY:
        return "deny";
    }
    return "?";
}
