#include "clients/fetch_cache.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void url_key(const struct http_url *u, char hex[65])
{
    char s[HTTP_URL_HOST_MAX + HTTP_URL_PATH_MAX + 16];
    int n = snprintf(s, sizeof(s), "http://%s:%u%s", u->host, u->port, u->target);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (n < 0 || !EVP_Digest(s, (size_t)n, md, &mdlen, EVP_sha256(), NULL))
        mdlen = 0;
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + (size_t)2 * i, 3, "%02x", i < mdlen ? md[i] : 0);
}

void fetch_cache_lookup(const char *dir, const struct http_url *u, struct fetch_cache_entry *e)
{
    memset(e, 0, sizeof(*e));
    char key[65];
    url_key(u, key);
    snprintf(e->body_path, sizeof(e->body_path), "%s/%s.body", dir, key);
    snprintf(e->meta_path, sizeof(e->meta_path), "%s/%s.meta", dir, key);
    FILE *f = fopen(e->meta_path, "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        /* A validator that does not fit would be wrong cut: ignore it. */
        size_t l;
        if (strncmp(line, "etag: ", 6) == 0 && (l = strlen(line + 6)) < sizeof(e->etag))
            memcpy(e->etag, line + 6, l + 1);
        else if (strncmp(line, "last-modified: ", 15) == 0 &&
                 (l = strlen(line + 15)) < sizeof(e->last_modified))
            memcpy(e->last_modified, line + 15, l + 1);
    }
    (void)fclose(f); /* read only */
    e->present = (e->etag[0] || e->last_modified[0]) && access(e->body_path, R_OK) == 0;
}

int fetch_cache_begin(struct fetch_cache_entry *e)
{
    return atomic_file_open(&e->body, e->body_path);
}

void fetch_cache_write(struct fetch_cache_entry *e, const void *data, size_t len)
{
    if (e->body.f && fwrite(data, 1, len, e->body.f) != len)
        atomic_file_abort(&e->body);
}

int fetch_cache_end(struct fetch_cache_entry *e, bool complete, const char *etag, size_t etag_len,
                    const char *lastmod, size_t lastmod_len)
{
    if (!e->body.f)
        return 0;
    if (!complete) {
        atomic_file_abort(&e->body);
        return 0;
    }
    /* Body first, then the validators that describe it. */
    int rc = atomic_file_commit(&e->body);
    if (rc != 0)
        return rc;
    struct atomic_file meta;
    if ((rc = atomic_file_open(&meta, e->meta_path)) != 0)
        return rc;
    fprintf(meta.f, "etag: %.*s\nlast-modified: %.*s\n", (int)(etag_len < 255 ? etag_len : 0),
            etag ? etag : "", (int)(lastmod_len < 63 ? lastmod_len : 0), lastmod ? lastmod : "");
    return atomic_file_commit(&meta);
}

int fetch_cache_replay(const struct fetch_cache_entry *e, FILE *out)
{
    FILE *f = fopen(e->body_path, "re");
    if (!f)
        return -errno;
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = -EIO;
            break;
        }
    (void)fclose(f); /* read only */
    return rc;
}
