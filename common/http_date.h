/*
 * http_date: HTTP-date (RFC 9110 5.6.7) formatting and parsing.
 *
 * Formatting always writes the preferred IMF-fixdate form,
 * "Sun, 06 Nov 1994 08:49:37 GMT" (exactly HTTP_DATE_LEN characters).
 * Parsing accepts IMF-fixdate and the two obsolete forms every recipient
 * must accept: RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
 * ("Sun Nov  6 08:49:37 1994").  Everything else is rejected.
 *
 * Both directions use the proleptic Gregorian calendar computed here (days
 * from civil date and back), so they depend on no locale, no TZ variable and
 * no libc time conversion, and they never allocate.  Years 0000..9999 are
 * representable both ways; a time outside them cannot be formatted.
 */
#ifndef LABNET_HTTP_DATE_H
#define LABNET_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

/* Characters in an IMF-fixdate, and the buffer size that also holds a NUL. */
#define HTTP_DATE_LEN   29
#define HTTP_DATE_BUFSZ (HTTP_DATE_LEN + 1)

/*
 * Formats t (seconds since 1970-01-01T00:00:00Z) as IMF-fixdate into buf,
 * NUL-terminated: HTTP_DATE_LEN characters, always.  The caller owns buf.
 * Returns 0; -EMSGSIZE when cap < HTTP_DATE_BUFSZ; -ERANGE when t falls
 * outside years 0000..9999 (a four-digit year cannot hold it).  On error buf
 * holds an empty string when cap > 0.
 */
int http_date_format(time_t t, char *buf, size_t cap);

/*
 * Parses the HTTP-date in s[0..n) (not NUL-terminated; surrounding OWS,
 * i.e. spaces and tabs, is ignored) into *out, seconds since the epoch.
 *
 * Rules, beyond the grammar of RFC 9110 5.6.7:
 *  - day and month names are case-sensitive, as the grammar's %s says;
 *  - the day-name must be the weekday of the date it precedes (a sender
 *    that gets it wrong is broken, and a rejected date only makes the
 *    server ignore the conditional header, which is always safe);
 *  - the day must exist in its month (Feb 29 only in leap years), hour
 *    00..23, minute 00..59, second 00..60 (a leap second, counted as the
 *    first second of the next minute, as POSIX time has no leap seconds);
 *  - RFC 850's two-digit year is resolved against now: it names the year
 *    with those two last digits in the window (Y-50, Y+50], Y being the year
 *    of now, so a date "more than 50 years in the future" is taken as the
 *    most recent such year in the past (RFC 9110 5.6.7);
 *  - asctime's day may be "06" or " 6".
 * now is used only for RFC 850 dates.  Returns 0, -EBADMSG for anything not
 * a valid HTTP-date (including trailing bytes), or -ERANGE when the result
 * does not fit a time_t.  *out is written only on success.
 */
int http_date_parse(const char *s, size_t n, time_t now, time_t *out);

#endif
