/*
 * log: one line per event, to stderr.
 *
 * Interactive runs get "2026-11-24T04:55:35.123Z labnet-dnsd[42] warn: text".
 * When stderr is connected to the journal (systemd sets JOURNAL_STREAM to
 * stderr's device:inode) lines carry a "<N>" priority prefix instead of a
 * timestamp, which journald turns into the entry's priority.  Each line is
 * written with a single write(2) so concurrent loops never interleave, and
 * control characters in the text (a peer-supplied name, say) are replayed
 * as '?' so one event stays one line.
 *
 * Levels are syslog priorities.  The module holds process-wide state set
 * up once by log_init before any thread starts.
 */
#ifndef LABNET_LOG_H
#define LABNET_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
    LOG_LVL_ERR = 3,
    LOG_LVL_WARN = 4,
    LOG_LVL_NOTICE = 5,
    LOG_LVL_INFO = 6,
    LOG_LVL_DEBUG = 7,
};

/* Sets the program name and threshold; detects the journal from the
 * environment.  ident must outlive all logging (argv[0] or a literal). */
void log_init(const char *ident, int level);

void log_set_level(int level);
int log_get_level(void);

/* Redirects output to fd and forces the journal form on or off (tests). */
void log_set_output(int fd, bool journal);

static inline bool log_enabled(int level)
{
    return level <= log_get_level();
}

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                           \
    do {                                         \
        if (log_enabled(LOG_LVL_DEBUG))          \
            log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
    } while (0)

/*
 * Rate limit for messages a peer can trigger: at most burst messages per
 * interval.  Embed one per call site (or per peer); zero-initialise it.
 * log_ratelimit_allow returns true when the caller may log; when a new
 * interval starts after suppression, *suppressed (if non-NULL) receives the
 * count dropped so the caller can say so once.
 */
struct log_ratelimit {
    uint64_t window_start_ms;
    uint32_t count;
    uint32_t dropped;
};

bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ms, uint32_t burst,
                         uint64_t interval_ms, uint32_t *suppressed);

#endif
