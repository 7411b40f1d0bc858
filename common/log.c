#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "labnet";
static int log_level = LOG_LVL_INFO;
static int log_fd = STDERR_FILENO;
static bool log_journal;

static const char *const level_names[] = {"emerg", "alert",  "crit", "error",
                                          "warn",  "notice", "info", "debug"};

/* systemd documents JOURNAL_STREAM as "device:inode" of the stream it
 * connected; only trust it when stderr is still that stream, since a child
 * whose stderr was redirected inherits the variable. */
static bool stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    struct stat st;
    unsigned long long dev, ino;
    if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int level)
{
    if (ident) {
        const char *slash = strrchr(ident, '/');
        log_ident = slash ? slash + 1 : ident;
    }
    log_set_level(level);
    log_fd = STDERR_FILENO;
    log_journal = stderr_is_journal();
}

void log_set_level(int level)
{
    if (level < LOG_LVL_ERR)
        level = LOG_LVL_ERR;
    if (level > LOG_LVL_DEBUG)
        level = LOG_LVL_DEBUG;
    log_level = level;
}

int log_get_level(void)
{
    return log_level;
}

void log_set_output(int fd, bool journal)
{
    log_fd = fd;
    log_journal = journal;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    if (level < 0)
        level = 0;
    char line[1024];
    size_t n = 0;
    if (log_journal) {
        n = (size_t)snprintf(line, sizeof(line), "<%d>", level);
    } else {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n += (size_t)snprintf(line + n, sizeof(line) - n,
                              ".%03dZ %s[%ld] %s: ", (int)(tv.tv_usec / 1000), log_ident,
                              (long)getpid(), level_names[level]);
    }
    if (n >= sizeof(line))
        n = sizeof(line) - 1;

    size_t text_start = n;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    /* Leave room for the newline; a cut line ends in "..." to say so. */
    if (n > sizeof(line) - 2) {
        n = sizeof(line) - 2;
        line[n - 3] = line[n - 2] = line[n - 1] = '.';
    }
    for (size_t i = text_start; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            line[i] = '?';
    }
    line[n++] = '\n';
    /* One write keeps the line whole; a failed log write has nowhere to go. */
    ssize_t w = write(log_fd, line, n);
    (void)w;
}

bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ms, uint32_t burst,
                         uint64_t interval_ms, uint32_t *suppressed)
{
    if (suppressed)
        *suppressed = 0;
    if (rl->count == 0 || now_ms - rl->window_start_ms >= interval_ms ||
        now_ms < rl->window_start_ms) {
        if (suppressed)
            *suppressed = rl->dropped;
        rl->window_start_ms = now_ms;
        rl->count = 0;
        rl->dropped = 0;
    }
    if (rl->count < burst) {
        rl->count++;
        return true;
    }
    if (rl->dropped < UINT32_MAX)
        rl->dropped++;
    return false;
}
