#include "httpd/conf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mime.h"

static int copy_str(struct cfg *cfg, const char *key, const char *v, char *dst, size_t cap)
{
    if (strlen(v) >= cap) {
        cfg_error_at(cfg, "server", key, "longer than %zu characters", cap - 1);
        return -EINVAL;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Reads an optional string key into a fixed buffer. */
static void get_str(struct cfg *cfg, const char *key, char *dst, size_t cap)
{
    const char *v;
    if (cfg_get_str(cfg, "server", key, &v) == 0)
        copy_str(cfg, key, v, dst, cap);
}

static void get_path(struct cfg *cfg, const char *key, char *dst, size_t cap)
{
    const char *v;
    if (cfg_get_path(cfg, "server", key, &v) == 0)
        copy_str(cfg, key, v, dst, cap);
}

/* "languages = en, fr, pt-BR": tags of 1..35 letters, digits and '-'. */
static void get_langs(struct cfg *cfg, struct httpd_conf *c)
{
    const char *v;
    if (cfg_get_str(cfg, "server", "languages", &v) != 0)
        return;
    const char *p = v;
    for (;;) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        if (c->n_langs == HTTPD_MAX_LANGS) {
            cfg_error_at(cfg, "server", "languages", "more than %d languages", HTTPD_MAX_LANGS);
            return;
        }
        if (n >= sizeof(c->langs[0]) || strspn(p, "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") < n) {
            cfg_error_at(cfg, "server", "languages", "\"%.*s\" is not a language tag", (int)n, p);
            return;
        }
        memcpy(c->langs[c->n_langs], p, n);
        c->langs[c->n_langs][n] = '\0';
        c->n_langs++;
        p += n;
    }
}

/* [cache] rule = PATTERN VALUE */
static void get_cache_rules(struct cfg *cfg, struct httpd_conf *c)
{
    const char *vals[HTTPD_MAX_CACHE];
    int lines[HTTPD_MAX_CACHE];
    size_t n = 0;
    if (cfg_get_str_list(cfg, "cache", "rule", vals, lines, HTTPD_MAX_CACHE, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char pat[128], val[64], junk[2];
        struct httpd_cache_rule *r = &c->cache[c->n_cache];
        if (sscanf(vals[i], "%127s %63s %1s", pat, val, junk) != 2 ||
            (pat[0] != '/' && pat[0] != '.' && strcmp(pat, "*") != 0)) {
            cfg_error_line(cfg, lines[i], "cache", "rule",
                           "expected \"/prefix|.ext|* DURATION|no-cache|no-store\", got \"%s\"",
                           vals[i]);
            continue;
        }
        memcpy(r->pattern, pat, strlen(pat) + 1);
        r->is_ext = pat[0] == '.';
        uint64_t ms;
        if (strcmp(val, "no-cache") == 0) {
            r->kind = CACHE_NO_CACHE;
        } else if (strcmp(val, "no-store") == 0) {
            r->kind = CACHE_NO_STORE;
        } else if (cfg_parse_duration(val, &ms) == 0 && ms / 1000 <= 10ull * 365 * 86400) {
            r->kind = CACHE_MAX_AGE;
            r->max_age_s = ms / 1000;
        } else {
            cfg_error_line(cfg, lines[i], "cache", "rule",
                           "\"%s\" is not a duration (up to 10 years), no-cache or no-store", val);
            continue;
        }
        c->n_cache++;
    }
}

static void get_cookies(struct cfg *cfg, struct httpd_conf *c)
{
    const char *v;
    snprintf(c->cookie_name, sizeof(c->cookie_name), "uid");
    snprintf(c->cookie_path, sizeof(c->cookie_path), "/");
    c->cookie_max_age_s = 365ull * 86400;
    c->cookie_httponly = true;
    c->cookie_samesite = HTTP_COOKIE_SAMESITE_LAX;
    /* Under systemd the key lives in the service's state directory
     * (STATE_DIRECTORY; the first of a colon-separated list). */
    const char *sd = getenv("STATE_DIRECTORY");
    if (sd && sd[0] == '/')
        snprintf(c->cookie_key_file, sizeof(c->cookie_key_file), "%.*s/httpd-cookie.key",
                 (int)strcspn(sd, ":"), sd);
    else
        snprintf(c->cookie_key_file, sizeof(c->cookie_key_file),
                 "/var/lib/labnet/httpd-cookie.key");
    cfg_section_known(cfg, "cookies");
    cfg_get_bool(cfg, "cookies", "enabled", &c->cookie_enabled);
    if (cfg_get_str(cfg, "cookies", "name", &v) == 0) {
        if (!*v || strlen(v) >= sizeof(c->cookie_name) ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") <
                strlen(v))
            cfg_error_at(cfg, "cookies", "name", "use 1..63 letters, digits, '_' or '-'");
        else
            snprintf(c->cookie_name, sizeof(c->cookie_name), "%s", v);
    }
    if (cfg_get_str(cfg, "cookies", "path", &v) == 0)
        snprintf(c->cookie_path, sizeof(c->cookie_path), "%s", v);
    if (cfg_get_str(cfg, "cookies", "domain", &v) == 0)
        snprintf(c->cookie_domain, sizeof(c->cookie_domain), "%s", v);
    uint64_t ms = c->cookie_max_age_s * 1000;
    if (cfg_get_duration(cfg, "cookies", "max-age", 0, 20ull * 365 * 86400 * 1000, &ms) == 0)
        c->cookie_max_age_s = ms / 1000;
    cfg_get_bool(cfg, "cookies", "secure", &c->cookie_secure);
    cfg_get_bool(cfg, "cookies", "httponly", &c->cookie_httponly);
    if (cfg_get_str(cfg, "cookies", "samesite", &v) == 0) {
        if (strcmp(v, "strict") == 0)
            c->cookie_samesite = HTTP_COOKIE_SAMESITE_STRICT;
        else if (strcmp(v, "lax") == 0)
            c->cookie_samesite = HTTP_COOKIE_SAMESITE_LAX;
        else if (strcmp(v, "none") == 0)
            c->cookie_samesite = HTTP_COOKIE_SAMESITE_NONE;
        else if (strcmp(v, "off") == 0)
            c->cookie_samesite = HTTP_COOKIE_SAMESITE_UNSET;
        else
            cfg_error_at(cfg, "cookies", "samesite", "use strict, lax, none or off");
    }
    if (c->cookie_samesite == HTTP_COOKIE_SAMESITE_NONE && !c->cookie_secure)
        cfg_error_at(cfg, "cookies", "samesite", "none requires secure = yes (browsers refuse it)");
    const char *hex = NULL;
    bool have_hex = cfg_get_str(cfg, "cookies", "key", &hex) == 0;
    if (cfg_get_path(cfg, "cookies", "key-file", &v) == 0)
        snprintf(c->cookie_key_file, sizeof(c->cookie_key_file), "%s", v);
    if (!c->cookie_enabled)
        return;
    if (have_hex) {
        if (http_cookie_key_from_hex(hex, strlen(hex), &c->cookie_key) != 0)
            cfg_error_at(cfg, "cookies", "key", "expected 64 hexadecimal digits");
        return;
    }
    char err[512];
    if (http_cookie_key_load_or_create(c->cookie_key_file, &c->cookie_key, err, sizeof(err)) != 0)
        cfg_error_at(cfg, "cookies", "key-file", "%s", err);
}

static void check_root(struct cfg *cfg, char *root, size_t cap, bool from_cli);

/* [vhost NAME] sections: hosts = a.lab, b.lab; root = /srv/a */
static void get_vhosts(struct cfg *cfg, struct httpd_conf *c)
{
    size_t it = 0;
    const char *sec;
    while (cfg_section_next(cfg, &it, &sec)) {
        if (strncmp(sec, "vhost ", 6) != 0)
            continue;
        if (c->n_vhosts == HTTPD_MAX_VHOSTS) {
            cfg_error_at(cfg, sec, "hosts", "more than %d virtual hosts", HTTPD_MAX_VHOSTS);
            return;
        }
        struct httpd_vhost *v = &c->vhosts[c->n_vhosts];
        v->root_fd = -1;
        const char *names, *root;
        if (cfg_get_str(cfg, sec, "hosts", &names) != 0) {
            cfg_error_at(cfg, sec, "root", "a [vhost] needs hosts = NAME[, NAME...]");
            names = "";
        }
        for (const char *p = names;;) {
            p += strspn(p, ", \t");
            size_t n = strcspn(p, ", \t");
            if (n == 0)
                break;
            if (v->n_names == HTTPD_VHOST_NAMES || n >= sizeof(v->names[0])) {
                cfg_error_at(cfg, sec, "hosts", "at most %d names of up to 255 characters",
                             HTTPD_VHOST_NAMES);
                break;
            }
            for (size_t i = 0; i < n; i++)
                v->names[v->n_names][i] = (char)tolower((unsigned char)p[i]);
            v->names[v->n_names][n] = '\0';
            v->n_names++;
            p += n;
        }
        if (cfg_get_path(cfg, sec, "root", &root) != 0) {
            cfg_error_at(cfg, sec, "hosts", "a [vhost] needs root = DIR");
            continue;
        }
        snprintf(v->root, sizeof(v->root), "%s", root);
        check_root(cfg, v->root, sizeof(v->root), false);
        c->n_vhosts++;
    }
}

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (unsigned)n : 1;
}

static void get_workers(struct cfg *cfg, unsigned *out)
{
    const char *v;
    if (cfg_get_str(cfg, "server", "workers", &v) != 0)
        return;
    if (strcmp(v, "auto") == 0) {
        *out = cores();
        return;
    }
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || end == v || n < 1 || n > 256) {
        cfg_error_at(cfg, "server", "workers", "\"%s\" is not \"auto\" or a number 1..256", v);
        return;
    }
    *out = (unsigned)n;
}

/* The document root must exist and be a directory; it is made absolute so
 * that later chdir() calls or relative config paths can't change it. */
static void check_root(struct cfg *cfg, char *root, size_t cap, bool from_cli)
{
    char abs[PATH_MAX];
    if (!realpath(root, abs)) {
        if (from_cli)
            fprintf(stderr, "labnet-httpd: document root %s: %s\n", root, strerror(errno));
        else
            cfg_error_at(cfg, "server", "root", "%s: %s", root, strerror(errno));
        root[0] = '\0';
        return;
    }
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (from_cli)
            fprintf(stderr, "labnet-httpd: document root %s is not a directory\n", abs);
        else
            cfg_error_at(cfg, "server", "root", "%s is not a directory", abs);
        root[0] = '\0';
        return;
    }
    snprintf(root, cap, "%s", abs);
}

int httpd_conf_load(const char *path, const struct httpd_overrides *ov, struct httpd_conf **out)
{
    struct httpd_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    atomic_init(&c->refs, 1);
    c->root_fd = -1;
    c->cfg = cfg_new();
    if (!c->cfg) {
        free(c);
        return -ENOMEM;
    }
    struct cfg *cfg = c->cfg;
    if (path)
        cfg_load_file(cfg, path);

    /* Built-in defaults: serve the current directory on 127.0.0.1:8080,
     * like "python3 -m http.server" but loopback-only. */
    net_addr_parse_hostport(&c->listen[0], "127.0.0.1:8080", 0);
    c->n_listen = 1;
    snprintf(c->root, sizeof(c->root), ".");
    c->workers = 1;
    snprintf(c->index, sizeof(c->index), "index.html");
    c->server_tokens = true;
    c->max_connections = 10000;
    c->header_timeout_ms = 10000;
    c->keepalive_timeout_ms = 75000;
    c->send_timeout_ms = 60000;
    c->max_request_line = 8192;
    c->max_header_size = 32768;
    c->max_headers = 100;
    c->max_keepalive_requests = 10000;
    snprintf(c->mime_types, sizeof(c->mime_types), "/etc/mime.types");
    snprintf(c->default_type, sizeof(c->default_type), "application/octet-stream");
    snprintf(c->charset, sizeof(c->charset), "utf-8");

    cfg_get_addr_list(cfg, "server", "listen", 80, c->listen, HTTPD_MAX_LISTEN, &c->n_listen);
    get_path(cfg, "root", c->root, sizeof(c->root));
    get_workers(cfg, &c->workers);
    get_str(cfg, "index", c->index, sizeof(c->index));
    if (strchr(c->index, '/'))
        cfg_error_at(cfg, "server", "index", "must be a file name, not a path");
    cfg_get_bool(cfg, "server", "autoindex", &c->autoindex);
    cfg_get_bool(cfg, "server", "dotfiles", &c->dotfiles);
    cfg_get_bool(cfg, "server", "server-tokens", &c->server_tokens);
    int64_t n;
    if (cfg_get_int(cfg, "server", "max-connections", 1, 1000000, &n) == 0)
        c->max_connections = (uint64_t)n;
    if (cfg_get_int(cfg, "server", "max-headers", 1, 1000, &n) == 0)
        c->max_headers = (uint64_t)n;
    if (cfg_get_int(cfg, "server", "max-keepalive-requests", 1, 100000000, &n) == 0)
        c->max_keepalive_requests = (uint64_t)n;
    cfg_get_duration(cfg, "server", "header-timeout", 100, 3600000, &c->header_timeout_ms);
    cfg_get_duration(cfg, "server", "keepalive-timeout", 0, 3600000, &c->keepalive_timeout_ms);
    cfg_get_duration(cfg, "server", "send-timeout", 100, 3600000, &c->send_timeout_ms);
    cfg_get_size(cfg, "server", "max-request-line", 256, 1 << 20, &c->max_request_line);
    cfg_get_size(cfg, "server", "max-header-size", 1024, 1 << 20, &c->max_header_size);
    get_path(cfg, "mime-types", c->mime_types, sizeof(c->mime_types));
    get_str(cfg, "default-type", c->default_type, sizeof(c->default_type));
    get_str(cfg, "charset", c->charset, sizeof(c->charset));
    /* "off" is a word, not a file: compare before get_path makes a
     * relative value relative to the configuration file's folder. */
    const char *alog;
    if (cfg_get_str(cfg, "server", "access-log", &alog) == 0 && strcmp(alog, "off") == 0)
        c->access_log[0] = '\0';
    else
        get_path(cfg, "access-log", c->access_log, sizeof(c->access_log));
    get_str(cfg, "user", c->user, sizeof(c->user));
    get_path(cfg, "pid-file", c->pid_file, sizeof(c->pid_file));
    c->open_file_cache = 1000;
    c->open_file_cache_valid_ms = 1000;
    int64_t ofc;
    if (cfg_get_int(cfg, "server", "open-file-cache", 0, 100000, &ofc) == 0)
        c->open_file_cache = (uint64_t)ofc;
    cfg_get_duration(cfg, "server", "open-file-cache-valid", 0, 3600000,
                     &c->open_file_cache_valid_ms);
    cfg_get_bool(cfg, "server", "precompressed", &c->precompressed);
    get_langs(cfg, c);
    get_cache_rules(cfg, c);
    get_cookies(cfg, c);
    get_vhosts(cfg, c);

    bool cli_root = false;
    if (ov && ov->listen) {
        if (net_addr_parse_hostport(&c->listen[0], ov->listen, 8080) != 0) {
            fprintf(stderr, "labnet-httpd: -l %s: not an address (e.g. 127.0.0.1:8080)\n",
                    ov->listen);
            cfg_error_at(cfg, "server", "listen", "overridden by an invalid -l");
        }
        c->n_listen = 1;
    }
    if (ov && ov->root) {
        snprintf(c->root, sizeof(c->root), "%s", ov->root);
        cli_root = true;
    }
    if (ov && ov->workers)
        c->workers = ov->workers;
    check_root(cfg, c->root, sizeof(c->root), cli_root);

    c->mime = mime_table_new(c->default_type, c->charset);
    if (!c->mime)
        cfg_error_at(cfg, "server", c->default_type[0] ? "default-type" : "charset",
                     "not a valid media type / charset");
    int rc = cfg_finish(cfg);
    if (rc != 0 || c->root[0] == '\0' || !c->mime) {
        cfg_errors_print(cfg, stderr);
        httpd_conf_release(c);
        return -EINVAL;
    }
    /* A missing mime.types is not fatal: the built-in web types remain. */
    int mrc = mime_table_load(c->mime, c->mime_types);
    if (mrc != 0)
        log_warn("%s: %s; using built-in media types", c->mime_types, strerror(-mrc));
    c->root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; i < c->n_vhosts && c->root_fd >= 0; i++) {
        c->vhosts[i].root_fd = open(c->vhosts[i].root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->vhosts[i].root_fd < 0) {
            fprintf(stderr, "labnet-httpd: document root %s: %s\n", c->vhosts[i].root,
                    strerror(errno));
            httpd_conf_release(c);
            return -EINVAL;
        }
    }
    if (c->root_fd < 0) {
        fprintf(stderr, "labnet-httpd: document root %s: %s\n", c->root, strerror(errno));
        httpd_conf_release(c);
        return -EINVAL;
    }
    *out = c;
    return 0;
}

struct httpd_conf *httpd_conf_retain(struct httpd_conf *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void httpd_conf_release(struct httpd_conf *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        if (c->root_fd >= 0)
            close(c->root_fd);
        for (size_t i = 0; i < c->n_vhosts; i++)
            if (c->vhosts[i].root_fd >= 0)
                close(c->vhosts[i].root_fd);
        mime_table_free(c->mime);
        cfg_free(c->cfg);
        free(c);
    }
}
