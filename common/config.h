/*
 * config: INI configuration files with typed, range-checked getters.
 *
 * A struct cfg holds every "key = value" of a file (read with libinih) with
 * its section and line.  A program asks for the keys it knows with the
 * cfg_get_* getters; a getter leaves *out untouched when the key is absent,
 * so the caller's built-in default stands and a program runs with no file at
 * all.  Bad values are recorded as errors naming file, line, section and key
 * ("dnsd.conf:12: [server] port: 70000 is out of range 1..65535") and
 * loading goes on, so one run reports every mistake.  cfg_finish then
 * records every section and key no getter asked for as unknown.
 *
 * Getters return 0 (set), -ENOENT (absent, *out unchanged) or -EINVAL (bad,
 * recorded, *out unchanged).  Strings returned point into the cfg and live
 * until cfg_free.  Lines are limited to 196 characters (Debian's libinih is
 * built with a 200-byte line buffer); a longer line is an error, never cut.
 * Not thread-safe: load configuration before starting worker loops.
 */
#ifndef LABNET_CONFIG_H
#define LABNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"

struct cfg;

/* Returns an empty configuration (all defaults), or NULL without memory. */
struct cfg *cfg_new(void);
void cfg_free(struct cfg *c);

/* Loads a file.  Returns 0, -EINVAL after syntax errors (recorded), or a
 * negative errno when the file cannot be read (recorded).  Relative paths
 * read later with cfg_get_path are resolved against the file's directory. */
int cfg_load_file(struct cfg *c, const char *path);

/* Loads text held in memory; name stands in for the file name in errors. */
int cfg_load_string(struct cfg *c, const char *name, const char *text);

/* Records unknown sections and keys (those no getter asked for) as errors.
 * Returns 0 when no error at all was recorded, otherwise -EINVAL. */
int cfg_finish(struct cfg *c);

size_t cfg_error_count(const struct cfg *c);
/* The i-th error message, or NULL.  Lives until cfg_free. */
const char *cfg_error(const struct cfg *c, size_t i);
/* Prints every error, one a line, to f. */
void cfg_errors_print(const struct cfg *c, FILE *f);

/* Records a program's own error about a key (say, a pool outside its
 * subnet) with the key's file and line. */
void cfg_error_at(struct cfg *c, const char *sec, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Line of key in sec, or 0 when absent. */
int cfg_line(const struct cfg *c, const char *sec, const char *key);

/* Iterates distinct section names in file order: start with *iter = 0;
 * returns false at the end.  Only names the file holds are listed. */
bool cfg_section_next(const struct cfg *c, size_t *iter, const char **name);

/* Marks a section as known even when none of its keys is asked for. */
void cfg_section_known(struct cfg *c, const char *sec);

int cfg_get_str(struct cfg *c, const char *sec, const char *key, const char **out);
int cfg_get_int(struct cfg *c, const char *sec, const char *key, int64_t min, int64_t max,
                int64_t *out);
/* yes/no, true/false, on/off, 1/0 (any case). */
int cfg_get_bool(struct cfg *c, const char *sec, const char *key, bool *out);
/* "500ms", "30s", "5m", "12h", "7d", "1w", "1h30m"; a bare number is
 * seconds.  The result, in milliseconds, must lie in min_ms..max_ms. */
int cfg_get_duration(struct cfg *c, const char *sec, const char *key, uint64_t min_ms,
                     uint64_t max_ms, uint64_t *out_ms);
/* Bytes: "4096", "64k", "16M", "1G" (powers of 1024), within min..max. */
int cfg_get_size(struct cfg *c, const char *sec, const char *key, uint64_t min, uint64_t max,
                 uint64_t *out);
/* An endpoint, "addr", "addr:port" or "[v6]:port" (see net_addr_parse_hostport). */
int cfg_get_addr(struct cfg *c, const char *sec, const char *key, uint16_t default_port,
                 struct net_addr *out);
int cfg_get_cidr(struct cfg *c, const char *sec, const char *key, struct net_cidr *out);
/* A path; relative ones are taken relative to the config file's directory. */
int cfg_get_path(struct cfg *c, const char *sec, const char *key, const char **out);

/* Multi-valued keys: every occurrence of the key, each split on commas and
 * white space, fills arr in order.  *n receives the count; more than cap
 * values is an error.  Returns 0, -ENOENT or -EINVAL like the getters; after
 * -EINVAL, *n is unchanged but arr may be partly overwritten. */
int cfg_get_addr_list(struct cfg *c, const char *sec, const char *key, uint16_t default_port,
                      struct net_addr *arr, size_t cap, size_t *n);
int cfg_get_cidr_list(struct cfg *c, const char *sec, const char *key, struct net_cidr *arr,
                      size_t cap, size_t *n);

/* Every occurrence of a repeatable key, whole (not split), in file order,
 * with its line for the caller's own error messages.  Same returns as the
 * list getters; the strings live until cfg_free. */
int cfg_get_str_list(struct cfg *c, const char *sec, const char *key, const char **arr, int *lines,
                     size_t cap, size_t *n);

/* Parses a duration as cfg_get_duration does ("30s", "1h30m", bare number =
 * seconds) for values a program splits itself.  Returns 0 or -EINVAL. */
int cfg_parse_duration(const char *s, uint64_t *out_ms);

/* Records an error about one occurrence of a key, at its line. */
void cfg_error_line(struct cfg *c, int line, const char *sec, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
