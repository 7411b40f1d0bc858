#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cli.h"
#include "common/log.h"
#include "labnet_version.h"

enum { OPT_VERSION = 0x100, OPT_CONFIG };

static const struct option common_long[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"test", no_argument, NULL, 't'},
    {"foreground", no_argument, NULL, 'f'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
};

#define N_COMMON  (sizeof(common_long) / sizeof(common_long[0]))
#define MAX_EXTRA 32

void cli_usage(const struct cli_prog *p, FILE *f)
{
    fprintf(f, "Usage: %s [options]%s%s\n%s\n\nOptions:\n", p->name, p->args ? " " : "",
            p->args ? p->args : "", p->summary);
    fprintf(f,
            "%s, --config FILE  read configuration from FILE (default: built-in)\n"
            "  -t, --test         check the configuration and exit 0 (valid) or 1\n",
            p->config_long_only ? "    " : "  -c");
    if (p->is_daemon)
        fprintf(f, "  -f, --foreground   stay in the foreground\n");
    fprintf(f, "  -v, --verbose      more log output (repeat for more)\n"
               "  -q, --quiet        less log output (repeat for less)\n"
               "  -h, --help         show this help\n"
               "      --version      show the version\n");
    if (p->extra_help)
        (void)fputs(p->extra_help, f);
}

int cli_parse(const struct cli_prog *p, int argc, char **argv, struct cli_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->log_level = p->default_level ? p->default_level : LOG_LVL_INFO;

    struct option longopts[N_COMMON + MAX_EXTRA + 1];
    size_t n = 0;
    memcpy(longopts, common_long, sizeof(common_long));
    n = N_COMMON;
    for (const struct option *e = p->extra_long; e && e->name && n < N_COMMON + MAX_EXTRA; e++)
        longopts[n++] = *e;
    memset(&longopts[n], 0, sizeof(longopts[n]));

    char shortopts[128];
    snprintf(shortopts, sizeof(shortopts), "%st%svqh%s",
             p->config_long_only ? "" : "c:", p->is_daemon ? "f" : "",
             p->extra_short ? p->extra_short : "");

    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        /* A short -c is the program's own when config_long_only (then
         * extra_short has it and it reaches the default case below). */
        if (opt == 'c' && !p->config_long_only)
            opt = OPT_CONFIG;
        switch (opt) {
        case OPT_CONFIG:
            o->config_path = optarg;
            break;
        case 't':
            o->test_config = true;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'v':
            if (o->log_level < LOG_LVL_DEBUG)
                o->log_level++;
            break;
        case 'q':
            if (o->log_level > LOG_LVL_ERR)
                o->log_level--;
            break;
        case 'h':
            cli_usage(p, stdout);
            return 1;
        case OPT_VERSION:
            printf("%s %s\n", p->name, LABNET_VERSION);
            return 1;
        case '?':
        case ':':
            if (optopt && optopt < 0x100)
                fprintf(stderr, "%s: %s option -%c\n", p->name,
                        opt == ':' || strchr(shortopts, optopt) ? "missing argument for"
                                                                : "unknown",
                        optopt);
            else
                fprintf(stderr, "%s: unknown or incomplete option %s\n", p->name, argv[optind - 1]);
            fprintf(stderr, "Try '%s --help' for more information.\n", p->name);
            return -EINVAL;
        default:
            if (p->extra && p->extra(p->ud, opt, optarg) == 0)
                break;
            if (!p->extra)
                fprintf(stderr, "%s: unhandled option\n", p->name);
            return -EINVAL;
        }
    }
    o->argi = optind;
    return 0;
}
