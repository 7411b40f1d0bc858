/*
 * httpd configuration: built-in defaults, the [server] section of
 * /etc/labnet/httpd.conf, and command-line overrides, validated as a whole.
 * A struct httpd_conf is immutable once loaded; a reload builds a new one
 * and workers switch to it for new connections (refcounted, see retain/release).
 */
#ifndef LABNET_HTTPD_CONF_H
#define LABNET_HTTPD_CONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/http_cookie.h"

struct mime_table;

#define HTTPD_MAX_LISTEN  8
#define HTTPD_MAX_LANGS   16
#define HTTPD_MAX_CACHE   32
#define HTTPD_MAX_VHOSTS  16
#define HTTPD_VHOST_NAMES 8

/* [vhost NAME]: requests whose Host is one of names get this root. */
struct httpd_vhost {
    char names[HTTPD_VHOST_NAMES][256]; /* lower case, no port */
    size_t n_names;
    char root[4096];
    int root_fd;
};

/* One [cache] rule: "rule = /static/ 7d", "rule = .css 1h",
 * "rule = /private/ no-store".  The first rule that matches wins. */
struct httpd_cache_rule {
    char pattern[128]; /* "/prefix", ".ext" or "*" */
    bool is_ext;
    int kind; /* CACHE_MAX_AGE, CACHE_NO_CACHE, CACHE_NO_STORE */
    uint64_t max_age_s;
};
enum { CACHE_MAX_AGE, CACHE_NO_CACHE, CACHE_NO_STORE };

struct httpd_conf {
    atomic_int refs;
    struct net_addr listen[HTTPD_MAX_LISTEN];
    size_t n_listen;
    char root[4096];          /* absolute document root */
    unsigned workers;         /* loops (threads); "auto" = cores */
    char index[64];           /* directory index file name, "" for none */
    bool autoindex;           /* directory listings */
    bool dotfiles;            /* serve names starting with '.' */
    bool server_tokens;       /* version in the Server header */
    uint64_t max_connections; /* over all workers */
    uint64_t header_timeout_ms;
    uint64_t keepalive_timeout_ms;
    uint64_t send_timeout_ms;
    uint64_t max_request_line;
    uint64_t max_header_size;
    uint64_t max_headers;
    uint64_t max_keepalive_requests;
    char mime_types[4096]; /* path of mime.types */
    char default_type[128];
    char charset[32];
    char access_log[4096]; /* path, "" for off */
    char user[64];
    char pid_file[4096];
    uint64_t open_file_cache;          /* entries per worker, 0 = off */
    uint64_t open_file_cache_valid_ms; /* trust an entry this long */
    bool precompressed;                /* serve f.br / f.gz siblings */
    char langs[HTTPD_MAX_LANGS][36];   /* language variants f.<tag> */
    size_t n_langs;
    struct httpd_cache_rule cache[HTTPD_MAX_CACHE];
    size_t n_cache;
    /* [cookies]: visitor ids like nginx's userid module */
    bool cookie_enabled;
    char cookie_name[64];
    char cookie_path[256];
    char cookie_domain[256];
    uint64_t cookie_max_age_s;
    bool cookie_secure;
    bool cookie_httponly;
    int cookie_samesite; /* enum http_cookie_samesite */
    char cookie_key_file[4096];
    struct http_cookie_key cookie_key;
    struct cfg *cfg; /* kept for -t messages; freed with the conf */
    /* Made from the above at load, owned by the conf, so a reload swaps
     * them together and a request always sees one consistent set. */
    int root_fd; /* O_PATH|O_DIRECTORY of root */
    struct httpd_vhost vhosts[HTTPD_MAX_VHOSTS];
    size_t n_vhosts;
    struct mime_table *mime; /* from mime_types, or the built-in types */
};

/* Command-line overrides (NULL / 0 = not given). */
struct httpd_overrides {
    const char *listen;
    const char *root;
    unsigned workers;
};

/* Loads defaults, then path (may be NULL), then overrides.  On success
 * returns 0 and a conf with one reference; otherwise prints every error
 * (file, line, key) to stderr and returns -EINVAL. */
int httpd_conf_load(const char *path, const struct httpd_overrides *ov, struct httpd_conf **out);

struct httpd_conf *httpd_conf_retain(struct httpd_conf *c);
void httpd_conf_release(struct httpd_conf *c);

#endif
