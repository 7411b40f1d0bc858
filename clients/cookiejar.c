#include "clients/cookiejar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clients/atomic_file.h"
#include "common/http_cookie.h"
#include "common/http_date.h"

void cookiejar_init(struct cookiejar *j)
{
    j->c = NULL;
    j->n = 0;
}

void cookiejar_free(struct cookiejar *j)
{
    free(j->c);
    cookiejar_init(j);
}

/* RFC 6265 5.1.3: host equals domain, or ends with "." + domain and is a
 * name (not an IP address). */
static bool domain_match(const char *host, const char *domain)
{
    if (strcasecmp(host, domain) == 0)
        return true;
    size_t hl = strlen(host), dl = strlen(domain);
    if (dl == 0 || hl <= dl || host[hl - dl - 1] != '.' || strcasecmp(host + hl - dl, domain) != 0)
        return false;
    return strspn(host, "0123456789.") != hl && !strchr(host, ':');
}

/* RFC 6265 5.1.4 path-match. */
static bool path_match(const char *req_path, size_t rl, const char *cpath)
{
    size_t cl = strlen(cpath);
    if (rl < cl || strncmp(req_path, cpath, cl) != 0)
        return false;
    return rl == cl || cpath[cl - 1] == '/' || req_path[cl] == '/';
}

/* RFC 6265 5.1.4 default-path: the request path up to its last '/'. */
static void default_path(const struct http_url *u, char *out, size_t cap)
{
    size_t pl = strcspn(u->target, "?");
    const char *last = NULL;
    for (size_t i = 0; i < pl; i++)
        if (u->target[i] == '/')
            last = u->target + i;
    size_t n = last ? (size_t)(last - u->target) : 0;
    if (n == 0)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)n, u->target);
}

static struct jar_cookie *find(struct cookiejar *j, const char *name, const char *domain,
                               const char *path)
{
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->c[i].name, name) == 0 && strcasecmp(j->c[i].domain, domain) == 0 &&
            strcmp(j->c[i].path, path) == 0)
            return &j->c[i];
    return NULL;
}

static void remove_at(struct cookiejar *j, struct jar_cookie *c)
{
    size_t i = (size_t)(c - j->c);
    memmove(&j->c[i], &j->c[i + 1], (j->n - i - 1) * sizeof(*c));
    j->n--;
}

static int put(struct cookiejar *j, const struct jar_cookie *nc)
{
    struct jar_cookie *old = find(j, nc->name, nc->domain, nc->path);
    if (old) {
        *old = *nc;
        return 0;
    }
    if (j->n == COOKIEJAR_MAX)
        return -E2BIG;
    if (j->n % 16 == 0) {
        struct jar_cookie *nb = realloc(j->c, (j->n + 16) * sizeof(*nb));
        if (!nb)
            return -ENOMEM;
        j->c = nb;
    }
    j->c[j->n++] = *nc;
    return 0;
}

int cookiejar_store(struct cookiejar *j, const struct http_url *u, const char *hdr, size_t len,
                    time_t now)
{
    struct http_set_cookie sc;
    if (http_cookie_set_parse(hdr, len, &sc) != 0)
        return -EBADMSG;
    struct jar_cookie c;
    memset(&c, 0, sizeof(c));
    if (sc.name_len >= sizeof(c.name) || sc.value_len >= sizeof(c.value) ||
        sc.domain_len >= sizeof(c.domain) || sc.path_len >= sizeof(c.path))
        return -EBADMSG;
    memcpy(c.name, sc.name, sc.name_len);
    memcpy(c.value, sc.value, sc.value_len);
    if (sc.domain_len) {
        memcpy(c.domain, sc.domain, sc.domain_len);
        /* A Domain the request host is not inside is refused (5.3 step 6). */
        if (!domain_match(u->host, c.domain))
            return -EBADMSG;
    } else {
        snprintf(c.domain, sizeof(c.domain), "%s", u->host);
        c.host_only = true;
    }
    if (sc.path_len)
        memcpy(c.path, sc.path, sc.path_len);
    else
        default_path(u, c.path, sizeof(c.path));
    c.secure = sc.secure;
    c.http_only = sc.http_only;
    if (sc.has_max_age) {
        /* RFC 6265 5.2.2: zero or negative means expire now. */
        if (sc.max_age <= 0)
            c.expires = 1;
        else if (sc.max_age > INT64_MAX - (int64_t)now)
            c.expires = INT64_MAX;
        else
            c.expires = (int64_t)now + sc.max_age;
    } else if (sc.expires_len) {
        time_t t;
        if (http_date_parse(sc.expires, sc.expires_len, now, &t) == 0)
            c.expires = t > 0 ? (int64_t)t : 1;
    }
    if (c.expires != 0 && c.expires <= now) {
        /* An expiry in the past deletes the cookie. */
        struct jar_cookie *old = find(j, c.name, c.domain, c.path);
        if (old)
            remove_at(j, old);
        return 0;
    }
    return put(j, &c);
}

static int cmp_path_len(const void *a, const void *b)
{
    const struct jar_cookie *x = *(const struct jar_cookie *const *)a;
    const struct jar_cookie *y = *(const struct jar_cookie *const *)b;
    size_t lx = strlen(x->path), ly = strlen(y->path);
    return lx < ly ? 1 : lx > ly ? -1 : 0;
}

size_t cookiejar_header(const struct cookiejar *j, const struct http_url *u, time_t now, char *out,
                        size_t cap)
{
    const struct jar_cookie *sel[COOKIEJAR_MAX];
    size_t n = 0;
    size_t rl = strcspn(u->target, "?");
    for (size_t i = 0; i < j->n; i++) {
        const struct jar_cookie *c = &j->c[i];
        if (c->expires != 0 && c->expires <= now)
            continue;
        if (c->secure) /* plain http only: Secure cookies never go out */
            continue;
        bool dm =
            c->host_only ? strcasecmp(c->domain, u->host) == 0 : domain_match(u->host, c->domain);
        if (dm && path_match(u->target, rl, c->path))
            sel[n++] = c;
    }
    /* An array of pointers is sorted, hence sizeof a pointer. */
    if (n > 1)
        qsort((void *)sel, n, sizeof(sel[0]), cmp_path_len); // NOLINT(bugprone-sizeof-expression)
    size_t pos = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w =
            snprintf(out + pos, cap - pos, "%s%s=%s", pos ? "; " : "", sel[i]->name, sel[i]->value);
        if (w < 0 || (size_t)w >= cap - pos) {
            out[pos] = '\0';
            break;
        }
        pos += (size_t)w;
    }
    return pos;
}

int cookiejar_load(struct cookiejar *j, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -errno;
    char line[2048];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        struct jar_cookie c;
        memset(&c, 0, sizeof(c));
        char *p = line;
        if (strncmp(p, "#HttpOnly_", 10) == 0) {
            c.http_only = true;
            p += 10;
        } else if (p[0] == '#' || p[0] == '\0') {
            continue;
        }
        char *field[7];
        int nf = 0;
        for (char *save = NULL, *t = strtok_r(p, "\t", &save); t && nf < 7;
             t = strtok_r(NULL, "\t", &save))
            field[nf++] = t;
        if (nf < 6)
            continue;
        const char *value = nf == 7 ? field[6] : "";
        const char *dom = field[0][0] == '.' ? field[0] + 1 : field[0];
        if (strlen(dom) >= sizeof(c.domain) || strlen(field[2]) >= sizeof(c.path) ||
            strlen(field[5]) >= sizeof(c.name) || strlen(value) >= sizeof(c.value))
            continue;
        snprintf(c.domain, sizeof(c.domain), "%s", dom);
        c.host_only = strcmp(field[1], "TRUE") != 0;
        snprintf(c.path, sizeof(c.path), "%s", field[2]);
        c.secure = strcmp(field[3], "TRUE") == 0;
        c.expires = strtoll(field[4], NULL, 10);
        snprintf(c.name, sizeof(c.name), "%s", field[5]);
        snprintf(c.value, sizeof(c.value), "%s", value);
        if (put(j, &c) != 0)
            break;
    }
    (void)fclose(f); /* read only: nothing to lose */
    return 0;
}

int cookiejar_save(const struct cookiejar *j, const char *path, time_t now)
{
    struct atomic_file a;
    int rc = atomic_file_open(&a, path);
    if (rc != 0)
        return rc;
    fprintf(a.f, "# Netscape HTTP Cookie File\n# Written by labnet-fetch.\n\n");
    for (size_t i = 0; i < j->n; i++) {
        const struct jar_cookie *c = &j->c[i];
        if (c->expires != 0 && c->expires <= now)
            continue;
        fprintf(a.f, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", c->http_only ? "#HttpOnly_" : "",
                c->host_only ? "" : ".", c->domain, c->host_only ? "FALSE" : "TRUE", c->path,
                c->secure ? "TRUE" : "FALSE", (long long)c->expires, c->name, c->value);
    }
    return atomic_file_commit(&a);
}
