/*
 * cli: the command-line convention every labnet program shares.
 *
 *   -c, --config FILE   configuration file (programs run on built-in
 *                       defaults without one)
 *   -t, --test          check the configuration, print what is wrong, exit
 *                       0 or 1 (like nginx -t)
 *   -f, --foreground    stay in the foreground (daemons)
 *   -v, --verbose       more logging (repeatable); -q, --quiet less
 *   -h, --help          usage; --version the version
 *
 * A program adds its own options through extra_short / extra_long and the
 * extra callback, and takes positional arguments after the options.
 */
#ifndef LABNET_CLI_H
#define LABNET_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct cli_opts {
    const char *config_path; /* NULL: built-in defaults */
    bool test_config;
    bool foreground;
    int log_level; /* LOG_LVL_*, moved by -v/-q from the program's default */
    int argi;      /* index of the first positional argument in argv */
};

struct cli_prog {
    const char *name;       /* "labnet-dnsd" */
    const char *summary;    /* one line: what the program does */
    const char *args;       /* positional usage, e.g. "[@server] name [type]", or NULL */
    const char *extra_help; /* lines describing the extra options, or NULL */
    bool is_daemon;         /* accepts -f; its default is to detach */
    /* The program uses -c itself (labnet-fetch: curl's cookie jar); the
     * configuration file is then --config FILE only. */
    bool config_long_only;
    int default_level;               /* LOG_LVL_* before -v/-q */
    const char *extra_short;         /* getopt letters, e.g. "p:" */
    const struct option *extra_long; /* zero-terminated, or NULL */
    /* Called for each extra option; returns 0, or -EINVAL after printing
     * what was wrong. */
    int (*extra)(void *ud, int opt, const char *arg);
    void *ud;
};

/* Parses argv.  Returns 0 to go on, 1 when --help or --version was printed
 * (exit 0), or -EINVAL on a usage error already reported on stderr (exit
 * 2, as getopt-based tools do). */
int cli_parse(const struct cli_prog *p, int argc, char **argv, struct cli_opts *o);

void cli_usage(const struct cli_prog *p, FILE *f);

#endif
