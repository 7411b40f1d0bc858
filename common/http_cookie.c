/*
 * http_cookie: Cookie / Set-Cookie codecs, signed visitor ids, the key file.
 */
#include "common/http_cookie.h"
#include "common/http_chars.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/wire.h"

/* ---- character classes ------------------------------------------------ */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* RFC 6265 4.1.1: US-ASCII except CTLs, whitespace, DQUOTE, comma,
 * semicolon and backslash. */
static bool is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static bool all_tchar(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!http_is_tchar(s[i]))
            return false;
    return n > 0;
}

static bool any_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_ctl((unsigned char)s[i]) && s[i] != '\t')
            return true;
    return false;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && is_blank(**s))
        (*s)++;
    while (*e > *s && is_blank((*e)[-1]))
        (*e)--;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

/* ---- Cookie request header -------------------------------------------- */

void http_cookie_iter_init(struct http_cookie_iter *it, const char *hdr, size_t len)
{
    it->pos = hdr;
    it->end = hdr ? hdr + len : hdr;
    it->examined = 0;
    it->truncated = false;
}

bool http_cookie_next(struct http_cookie_iter *it, struct http_cookie_pair *pair)
{
    while (it->pos < it->end) {
        if (it->examined >= HTTP_COOKIE_MAX_PAIRS) {
            it->truncated = true;
            return false;
        }
        it->examined++;
        const char *s = it->pos;
        const char *semi = memchr(s, ';', (size_t)(it->end - s));
        const char *e = semi ? semi : it->end;
        it->pos = semi ? semi + 1 : it->end;

        /* RFC 6265 4.2.1 says "; " exactly; 5.4's user agents and the
         * servers behind them accept ";" alone and blanks around "=". */
        trim(&s, &e);
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq)
            continue;
        const char *ns = s, *ne = eq, *vs = eq + 1, *ve = e;
        trim(&ns, &ne);
        trim(&vs, &ve);
        size_t nlen = (size_t)(ne - ns), vlen = (size_t)(ve - vs);
        if (!all_tchar(ns, nlen) || any_ctl(vs, vlen))
            continue;
        /* RFC 6265 4.1.1 allows the value in DQUOTEs; they are not part
         * of it. */
        if (vlen >= 2 && vs[0] == '"' && vs[vlen - 1] == '"') {
            vs++;
            vlen -= 2;
        }
        pair->name = ns;
        pair->name_len = nlen;
        pair->value = vs;
        pair->value_len = vlen;
        return true;
    }
    return false;
}

int http_cookie_find(const char *hdr, size_t len, const char *name, size_t name_len,
                     const char **value, size_t *value_len)
{
    struct http_cookie_iter it;
    struct http_cookie_pair p;
    http_cookie_iter_init(&it, hdr, len);
    while (http_cookie_next(&it, &p)) {
        if (p.name_len == name_len && memcmp(p.name, name, name_len) == 0) {
            *value = p.value;
            *value_len = p.value_len;
            return 0;
        }
    }
    return -ENOENT;
}

/* ---- Set-Cookie: building ---------------------------------------------- */

static void put_str(struct wire_wr *w, const char *s)
{
    wire_wr_bytes(w, s, strlen(s));
}

/* IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", formatted
 * by hand: strftime's %a and %b follow the locale.  Returns false for years
 * outside 1970..9999 (four digits, and no pre-epoch surprises). */
static bool imf_fixdate(time_t t, char out[30])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (t < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 ||
        tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
        return false;
    int n = snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n == 29;
}

static bool valid_value(const char *v, size_t n)
{
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_cookie_octet((unsigned char)v[i]))
            return false;
    return true;
}

/* RFC 6265 4.1.1 path-value: any CHAR except CTLs or ";". */
static bool valid_path(const char *p)
{
    for (; *p; p++)
        if (is_ctl((unsigned char)*p) || *p == ';' || (unsigned char)*p >= 0x80)
            return false;
    return true;
}

/* RFC 6265 4.1.1 domain-value is a subdomain (RFC 1034 3.5); a leading
 * '.' is tolerated by user agents (5.2.3) and allowed here too. */
static bool valid_domain(const char *d)
{
    if (!*d)
        return false;
    for (const char *p = d; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

int http_cookie_set_format(const char *name, size_t name_len, const char *value, size_t value_len,
                           const struct http_cookie_attrs *attrs, char *out, size_t cap,
                           size_t *out_len)
{
    static const struct http_cookie_attrs none = {0};
    if (!attrs)
        attrs = &none;
    if (!all_tchar(name, name_len) || !valid_value(value, value_len))
        return -EINVAL;
    if (attrs->path && !valid_path(attrs->path))
        return -EINVAL;
    if (attrs->domain && !valid_domain(attrs->domain))
        return -EINVAL;
    if (attrs->has_max_age && attrs->max_age < 0)
        return -EINVAL;
    /* Browsers drop SameSite=None cookies that are not Secure (RFC 6265bis
     * 5.6.7 step 8's user agents); refuse to build a cookie that vanishes. */
    if (attrs->samesite == HTTP_COOKIE_SAMESITE_NONE && !attrs->secure)
        return -EINVAL;
    if (attrs->samesite > HTTP_COOKIE_SAMESITE_NONE)
        return -EINVAL;
    char date[30];
    if (attrs->has_expires && !imf_fixdate(attrs->expires, date))
        return -EINVAL;

    struct wire_wr w;
    wire_wr_init(&w, out, cap);
    wire_wr_bytes(&w, name, name_len);
    wire_wr_u8(&w, '=');
    wire_wr_bytes(&w, value, value_len);
    if (attrs->path) {
        put_str(&w, "; Path=");
        put_str(&w, attrs->path);
    }
    if (attrs->domain) {
        put_str(&w, "; Domain=");
        put_str(&w, attrs->domain);
    }
    if (attrs->has_max_age) {
        char num[24];
        int n = snprintf(num, sizeof(num), "%lld", (long long)attrs->max_age);
        put_str(&w, "; Max-Age=");
        wire_wr_bytes(&w, num, n > 0 ? (size_t)n : 0);
    }
    if (attrs->has_expires) {
        put_str(&w, "; Expires=");
        put_str(&w, date);
    }
    if (attrs->secure)
        put_str(&w, "; Secure");
    if (attrs->http_only)
        put_str(&w, "; HttpOnly");
    if (attrs->samesite == HTTP_COOKIE_SAMESITE_STRICT)
        put_str(&w, "; SameSite=Strict");
    else if (attrs->samesite == HTTP_COOKIE_SAMESITE_LAX)
        put_str(&w, "; SameSite=Lax");
    else if (attrs->samesite == HTTP_COOKIE_SAMESITE_NONE)
        put_str(&w, "; SameSite=None");
    wire_wr_u8(&w, 0);
    if (!wire_wr_ok(&w))
        return -EMSGSIZE;
    if (out_len)
        *out_len = wire_wr_len(&w) - 1;
    return 0;
}

/* ---- Set-Cookie: parsing ------------------------------------------------ */

/* RFC 6265 5.2.2: "-"? DIGIT+, anything else ignores the attribute.
 * Saturates instead of overflowing; negatives read as 0 (expire now). */
static bool parse_max_age(const char *s, size_t n, int64_t *out)
{
    bool neg = n > 0 && s[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n)
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
    }
    *out = neg ? 0 : v;
    return true;
}

int http_cookie_set_parse(const char *hdr, size_t len, struct http_set_cookie *sc)
{
    memset(sc, 0, sizeof(*sc));
    /* RFC 6265bis 5.6 step 1: a control byte ignores the whole cookie. */
    if (!hdr || any_ctl(hdr, len))
        return -EBADMSG;
    const char *end = hdr + len;
    const char *semi = memchr(hdr, ';', len);
    const char *s = hdr, *e = semi ? semi : end;
    /* RFC 6265 5.2 steps 2-5: the name-value pair needs '=' and a name. */
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq)
        return -EBADMSG;
    const char *ns = s, *ne = eq, *vs = eq + 1, *ve = e;
    trim(&ns, &ne);
    trim(&vs, &ve);
    if (ns == ne)
        return -EBADMSG;
    sc->name = ns;
    sc->name_len = (size_t)(ne - ns);
    sc->value = vs;
    sc->value_len = (size_t)(ve - vs);

    unsigned count = 0;
    const char *pos = semi ? semi + 1 : end;
    while (semi) {
        if (++count > HTTP_COOKIE_MAX_ATTRS)
            return -E2BIG;
        semi = memchr(pos, ';', (size_t)(end - pos));
        const char *as = pos, *ae = semi ? semi : end;
        pos = semi ? semi + 1 : end;
        trim(&as, &ae);
        const char *aeq = memchr(as, '=', (size_t)(ae - as));
        const char *an_end = aeq ? aeq : ae;
        const char *av = aeq ? aeq + 1 : ae, *av_end = ae;
        trim(&as, &an_end);
        trim(&av, &av_end);
        size_t an = (size_t)(an_end - as), avl = (size_t)(av_end - av);

        /* RFC 6265 5.2.1 to 5.2.6; the last occurrence of each wins. */
        if (ieq(as, an, "expires") && avl > 0) {
            sc->expires = av;
            sc->expires_len = avl;
        } else if (ieq(as, an, "max-age")) {
            if (parse_max_age(av, avl, &sc->max_age))
                sc->has_max_age = true;
            else
                sc->unknown++;
        } else if (ieq(as, an, "domain") && avl > 0) {
            if (av[0] == '.') {
                av++;
                avl--;
            }
            sc->domain = avl ? av : NULL;
            sc->domain_len = avl;
        } else if (ieq(as, an, "path")) {
            /* 5.2.4: an empty or relative path means the default path. */
            bool ok = avl > 0 && av[0] == '/';
            sc->path = ok ? av : NULL;
            sc->path_len = ok ? avl : 0;
        } else if (ieq(as, an, "secure")) {
            sc->secure = true;
        } else if (ieq(as, an, "httponly")) {
            sc->http_only = true;
        } else if (ieq(as, an, "samesite")) {
            if (ieq(av, avl, "strict"))
                sc->samesite = HTTP_COOKIE_SAMESITE_STRICT;
            else if (ieq(av, avl, "lax"))
                sc->samesite = HTTP_COOKIE_SAMESITE_LAX;
            else if (ieq(av, avl, "none"))
                sc->samesite = HTTP_COOKIE_SAMESITE_NONE;
            else
                sc->unknown++;
        } else if (an > 0) {
            sc->unknown++;
        }
    }
    return 0;
}

/* ---- base64url (RFC 4648 5), no padding ---------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Writes ceil(4n/3) characters, no padding, no NUL. */
static size_t b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t w = 0, i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[w++] = b64url[v >> 18 & 63];
        out[w++] = b64url[v >> 12 & 63];
        out[w++] = b64url[v >> 6 & 63];
        out[w++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[w++] = b64url[v >> 18 & 63];
        out[w++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[w++] = b64url[v >> 18 & 63];
        out[w++] = b64url[v >> 12 & 63];
        out[w++] = b64url[v >> 6 & 63];
    }
    return w;
}

static int b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes exactly ceil(4 * outn / 3) characters into out[0..outn).
 * Canonical only (RFC 4648 3.5): the unused low bits of the last character
 * must be zero, so each id has exactly one spelling.  Returns false on any
 * other length, character or spelling. */
static bool b64url_decode(const char *in, size_t n, uint8_t *out, size_t outn)
{
    if (n != (outn * 4 + 2) / 3)
        return false;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val((unsigned char)in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (w >= outn)
                return false;
            out[w++] = (uint8_t)(acc >> bits);
        }
    }
    return w == outn && (acc & ((1u << bits) - 1)) == 0;
}

/* ---- visitor ids ---------------------------------------------------------- */

static int fill_random(uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)r;
    }
    return 0;
}

int http_cookie_id_new(uint8_t id[HTTP_COOKIE_ID_LEN])
{
    return fill_random(id, HTTP_COOKIE_ID_LEN);
}

static int id_mac(const struct http_cookie_key *key, const uint8_t id[HTTP_COOKIE_ID_LEN],
                  uint8_t mac[32])
{
    unsigned int mlen = 0;
    if (!HMAC(EVP_sha256(), key->bytes, HTTP_COOKIE_KEY_LEN, id, HTTP_COOKIE_ID_LEN, mac, &mlen) ||
        mlen != 32)
        return -ENOMEM;
    return 0;
}

int http_cookie_id_sign(const struct http_cookie_key *key, const uint8_t id[HTTP_COOKIE_ID_LEN],
                        char *out, size_t cap)
{
    if (cap < HTTP_COOKIE_SIGNED_LEN + 1)
        return -EMSGSIZE;
    uint8_t mac[32];
    int rc = id_mac(key, id, mac);
    if (rc)
        return rc;
    size_t w = b64url_encode(id, HTTP_COOKIE_ID_LEN, out);
    out[w++] = '.';
    w += b64url_encode(mac, sizeof(mac), out + w);
    out[w] = '\0';
    return 0;
}

int http_cookie_id_verify(const struct http_cookie_key *key, const char *val, size_t len,
                          uint8_t id[HTTP_COOKIE_ID_LEN])
{
    enum { ID_CHARS = (HTTP_COOKIE_ID_LEN * 4 + 2) / 3 };
    uint8_t mac[32], want[32];
    memset(id, 0, HTTP_COOKIE_ID_LEN);
    if (!val || len != HTTP_COOKIE_SIGNED_LEN || val[ID_CHARS] != '.')
        return -EBADMSG;
    uint8_t got[HTTP_COOKIE_ID_LEN];
    if (!b64url_decode(val, ID_CHARS, got, sizeof(got)) ||
        !b64url_decode(val + ID_CHARS + 1, len - ID_CHARS - 1, mac, sizeof(mac)))
        return -EBADMSG;
    if (id_mac(key, got, want) != 0)
        return -EBADMSG;
    /* Constant time, so the signature cannot be guessed byte by byte from
     * response timing. */
    if (CRYPTO_memcmp(mac, want, sizeof(mac)) != 0)
        return -EBADMSG;
    memcpy(id, got, HTTP_COOKIE_ID_LEN);
    return 0;
}

/* ---- key ------------------------------------------------------------------ */

int http_cookie_key_from_hex(const char *hex, size_t len, struct http_cookie_key *key)
{
    if (!hex || len != 2 * (size_t)HTTP_COOKIE_KEY_LEN)
        return -EINVAL;
    uint8_t tmp[HTTP_COOKIE_KEY_LEN];
    for (size_t i = 0; i < HTTP_COOKIE_KEY_LEN; i++) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = hex[2 * i + k];
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return -EINVAL;
            v = v << 4 | d;
        }
        tmp[i] = (uint8_t)v;
    }
    memcpy(key->bytes, tmp, sizeof(tmp));
    return 0;
}

static int fail(char *err, size_t errlen, int rc, const char *path, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "cookie key %s: %s", path, what);
    return rc;
}

/* Reads the key from an open file; closes fd. */
static int read_key(int fd, const char *path, struct http_cookie_key *key, char *err, size_t errlen)
{
    struct stat st;
    char msg[96];
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(msg, sizeof(msg), "%s", strerror(-rc));
    } else if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        snprintf(msg, sizeof(msg), "not a regular file");
    } else if (st.st_mode & 077) {
        /* A signing key others can read lets them forge visitor ids. */
        rc = -EPERM;
        snprintf(msg, sizeof(msg), "mode %04o gives group or others access; chmod 600",
                 (unsigned)(st.st_mode & 07777));
    } else if (st.st_size != HTTP_COOKIE_KEY_LEN) {
        rc = -EINVAL;
        snprintf(msg, sizeof(msg), "is %lld bytes, want %d", (long long)st.st_size,
                 HTTP_COOKIE_KEY_LEN);
    } else {
        uint8_t buf[HTTP_COOKIE_KEY_LEN + 1];
        size_t got = 0;
        /* Read one byte more than needed: the file may have grown since
         * fstat, and a longer key is as wrong as a shorter one. */
        while (got < sizeof(buf)) {
            ssize_t r = read(fd, buf + got, sizeof(buf) - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = -errno;
                snprintf(msg, sizeof(msg), "%s", strerror(-rc));
                break;
            }
            if (r == 0)
                break;
            got += (size_t)r;
        }
        if (rc == 0 && got != HTTP_COOKIE_KEY_LEN) {
            rc = -EINVAL;
            snprintf(msg, sizeof(msg), "read %zu bytes, want %d", got, HTTP_COOKIE_KEY_LEN);
        }
        if (rc == 0)
            memcpy(key->bytes, buf, HTTP_COOKIE_KEY_LEN);
        OPENSSL_cleanse(buf, sizeof(buf));
    }
    close(fd);
    return rc ? fail(err, errlen, rc, path, msg) : 0;
}

static void fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof(dir))
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        /* Best effort: the key is in place either way; this only makes the
         * rename survive a crash. */
        (void)fsync(fd);
        close(fd);
    }
}

/* Creates path with a fresh key unless it exists.  Returns 0, -EEXIST when
 * another process won the race, or a negative errno (message in err). */
static int create_key(const char *path, struct http_cookie_key *key, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return fail(err, errlen, -ENAMETOOLONG, path, "path too long");
    struct http_cookie_key fresh;
    int rc = fill_random(fresh.bytes, sizeof(fresh.bytes));
    if (rc)
        return fail(err, errlen, rc, path, "getrandom failed");
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        char msg[96];
        snprintf(msg, sizeof(msg), "cannot create a temporary file beside it: %s", strerror(-rc));
        return fail(err, errlen, rc, path, msg);
    }
    const char *what = NULL;
    if (fchmod(fd, 0600) != 0)
        what = "fchmod";
    else if (write(fd, fresh.bytes, sizeof(fresh.bytes)) != (ssize_t)sizeof(fresh.bytes))
        what = "write"; /* a regular file takes 32 bytes at once or fails */
    else if (fsync(fd) != 0)
        what = "fsync";
    rc = what ? -errno : 0;
    if (rc == 0 && what)
        rc = -EIO; /* a short write leaves errno unset */
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
        what = "close";
    }
    if (rc == 0) {
        /* Never replace: two daemons starting at once must end up sharing
         * one key, not each holding one the other overwrote. */
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
            rc = -errno;
            if (rc == -EINVAL || rc == -ENOSYS) {
                /* File systems without RENAME_NOREPLACE: link(2) does not
                 * replace either. */
                rc = link(tmp, path) == 0 ? 0 : -errno;
            }
            what = "rename";
        }
    }
    (void)unlink(tmp); /* after a rename this fails harmlessly with ENOENT */
    if (rc == -EEXIST) {
        OPENSSL_cleanse(&fresh, sizeof(fresh));
        return rc;
    }
    if (rc != 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%s failed: %s", what, strerror(-rc));
        OPENSSL_cleanse(&fresh, sizeof(fresh));
        return fail(err, errlen, rc, path, msg);
    }
    fsync_parent(path);
    *key = fresh;
    OPENSSL_cleanse(&fresh, sizeof(fresh));
    return 0;
}

int http_cookie_key_load_or_create(const char *path, struct http_cookie_key *key, char *err,
                                   size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    /* Two rounds: a lost creation race sends us back to read the winner's
     * file. */
    for (int round = 0; round < 2; round++) {
        /* O_NONBLOCK: a FIFO planted at the path must not hang startup;
         * read_key then refuses anything but a regular file. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd >= 0)
            return read_key(fd, path, key, err, errlen);
        int rc = -errno;
        if (rc != -ENOENT) {
            char msg[96];
            snprintf(msg, sizeof(msg), "cannot open: %s", strerror(-rc));
            return fail(err, errlen, rc, path, msg);
        }
        rc = create_key(path, key, err, errlen);
        if (rc != -EEXIST)
            return rc;
    }
    return fail(err, errlen, -EAGAIN, path, "created and removed concurrently");
}
