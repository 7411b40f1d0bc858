#include "common/http_date.h"
#include "common/http_chars.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SECS_PER_DAY 86400

static const char wday_short[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char month_name[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12).
 * Howard Hinnant's days_from_civil: eras of 400 years (146097 days) make the
 * leap-year rule exact for any year, negative ones included. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned weekday_from_days(int64_t days)
{
    int64_t w = (days + 4) % 7;
    return (unsigned)(w < 0 ? w + 7 : w);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29u : dim[m - 1];
}

/* Floor division of seconds into days and the second of the day. */
static void split_time(int64_t t, int64_t *days, unsigned *sod)
{
    int64_t d = t / SECS_PER_DAY;
    int64_t r = t % SECS_PER_DAY;
    if (r < 0) {
        r += SECS_PER_DAY;
        d--;
    }
    *days = d;
    *sod = (unsigned)r;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int http_date_format(time_t t, char *buf, size_t cap)
{
    if (cap < HTTP_DATE_BUFSZ) {
        if (cap > 0)
            buf[0] = '\0';
        return -EMSGSIZE;
    }
    int64_t days, y;
    unsigned sod, m, d;
    split_time((int64_t)t, &days, &sod);
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        buf[0] = '\0';
        return -ERANGE;
    }
    memcpy(buf, wday_short[weekday_from_days(days)], 3);
    buf[3] = ',';
    buf[4] = ' ';
    put2(buf + 5, d);
    buf[7] = ' ';
    memcpy(buf + 8, month_name[m - 1], 3);
    buf[11] = ' ';
    put2(buf + 12, (unsigned)(y / 100));
    put2(buf + 14, (unsigned)(y % 100));
    buf[16] = ' ';
    put2(buf + 17, sod / 3600);
    buf[19] = ':';
    put2(buf + 20, sod / 60 % 60);
    buf[22] = ':';
    put2(buf + 23, sod % 60);
    memcpy(buf + 25, " GMT", 5); /* with the NUL */
    return 0;
}

/* A cursor over the date text with a sticky failure flag: the fixed-layout
 * forms are read field by field and checked once at the end.  Every read
 * checks what remains before touching a byte. */
struct cur {
    const char *s;
    size_t n;
    size_t pos;
    bool bad;
};

static void expect_char(struct cur *c, char ch)
{
    if (c->bad || c->pos >= c->n || c->s[c->pos] != ch) {
        c->bad = true;
        return;
    }
    c->pos++;
}

/* Reads exactly k decimal digits. */
static unsigned expect_digits(struct cur *c, size_t k)
{
    if (c->bad || c->n - c->pos < k) {
        c->bad = true;
        return 0;
    }
    unsigned v = 0;
    for (size_t i = 0; i < k; i++) {
        char ch = c->s[c->pos + i];
        if (ch < '0' || ch > '9') {
            c->bad = true;
            return 0;
        }
        v = v * 10 + (unsigned)(ch - '0');
    }
    c->pos += k;
    return v;
}

/* Reads one of the names (case-sensitive) and returns its index. */
static unsigned expect_name(struct cur *c, const char *const *names, size_t count)
{
    if (c->bad) {
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        if (c->n - c->pos >= len && memcmp(c->s + c->pos, names[i], len) == 0) {
            c->pos += len;
            return (unsigned)i;
        }
    }
    c->bad = true;
    return 0;
}

static unsigned expect_short(struct cur *c, const char (*names)[4], size_t count)
{
    const char *ptrs[12];
    for (size_t i = 0; i < count; i++)
        ptrs[i] = names[i];
    return expect_name(c, ptrs, count);
}

static void expect_time(struct cur *c, unsigned *h, unsigned *mi, unsigned *sec)
{
    *h = expect_digits(c, 2);
    expect_char(c, ':');
    *mi = expect_digits(c, 2);
    expect_char(c, ':');
    *sec = expect_digits(c, 2);
}

/* RFC 9110 5.6.7: a two-digit year more than 50 years in the future is the
 * most recent past year with those digits.  Taken as the window
 * (Y-50, Y+50] around the current year Y. */
static int64_t resolve_year2(unsigned yy, time_t now)
{
    int64_t days, y;
    unsigned sod, m, d;
    split_time((int64_t)now, &days, &sod);
    civil_from_days(days, &y, &m, &d);
    int64_t century = y - ((y % 100) + 100) % 100;
    int64_t cand = century + yy;
    if (cand > y + 50)
        cand -= 100;
    else if (cand <= y - 50)
        cand += 100;
    return cand;
}

int http_date_parse(const char *s, size_t n, time_t now, time_t *out)
{
    while (n > 0 && http_is_ows(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && http_is_ows(s[n - 1]))
        n--;

    struct cur c = {.s = s, .n = n, .pos = 0, .bad = false};
    unsigned wday, mday, mon, h, mi, sec;
    int64_t year;

    if (n >= 4 && s[3] == ',') {
        /* IMF-fixdate: day-name "," SP day SP month SP year SP time SP "GMT" */
        wday = expect_short(&c, wday_short, 7);
        expect_char(&c, ',');
        expect_char(&c, ' ');
        mday = expect_digits(&c, 2);
        expect_char(&c, ' ');
        mon = expect_short(&c, month_name, 12);
        expect_char(&c, ' ');
        year = expect_digits(&c, 4);
        expect_char(&c, ' ');
        expect_time(&c, &h, &mi, &sec);
        expect_char(&c, ' ');
        expect_char(&c, 'G');
        expect_char(&c, 'M');
        expect_char(&c, 'T');
    } else if (n >= 4 && s[3] == ' ') {
        /* asctime-date: day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP
         * time-of-day SP year */
        wday = expect_short(&c, wday_short, 7);
        expect_char(&c, ' ');
        mon = expect_short(&c, month_name, 12);
        expect_char(&c, ' ');
        if (!c.bad && c.pos < c.n && c.s[c.pos] == ' ') {
            c.pos++;
            mday = expect_digits(&c, 1);
        } else {
            mday = expect_digits(&c, 2);
        }
        expect_char(&c, ' ');
        expect_time(&c, &h, &mi, &sec);
        expect_char(&c, ' ');
        year = expect_digits(&c, 4);
    } else {
        /* rfc850-date: day-name-l "," SP day "-" month "-" 2DIGIT SP time SP
         * "GMT" */
        wday = expect_name(&c, wday_long, 7);
        expect_char(&c, ',');
        expect_char(&c, ' ');
        mday = expect_digits(&c, 2);
        expect_char(&c, '-');
        mon = expect_short(&c, month_name, 12);
        expect_char(&c, '-');
        unsigned yy = expect_digits(&c, 2);
        expect_char(&c, ' ');
        expect_time(&c, &h, &mi, &sec);
        expect_char(&c, ' ');
        expect_char(&c, 'G');
        expect_char(&c, 'M');
        expect_char(&c, 'T');
        year = c.bad ? 0 : resolve_year2(yy, now);
    }
    if (c.bad || c.pos != c.n)
        return -EBADMSG;

    unsigned month = mon + 1;
    if (mday < 1 || mday > days_in_month(year, month) || h > 23 || mi > 59 || sec > 60)
        return -EBADMSG;
    /* Four-digit years are small, but an RFC 850 year follows now, which may
     * be any time_t: bound it so the arithmetic below cannot overflow. */
    if (year < -100000000 || year > 100000000)
        return -ERANGE;
    int64_t days = days_from_civil(year, month, mday);
    if (weekday_from_days(days) != wday)
        return -EBADMSG;
    int64_t t = days * SECS_PER_DAY + (int64_t)(h * 3600 + mi * 60 + sec);
    if ((int64_t)(time_t)t != t)
        return -ERANGE;
    *out = (time_t)t;
    return 0;
}
