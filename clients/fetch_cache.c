#include "clients/fetch_cache.h"

#include <errno.h>
#include <fcntl.h>
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
    int n = snprintf(e->tmp_path, sizeof(e->tmp_path), "%s.tmpXXXXXX", e->body_path);
    if (n < 0 || (size_t)n >= sizeof(e->tmp_path)) {
        e->tmp_path[0] = '\0';
        return -ENAMETOOLONG;
    }
    int fd = mkostemp(e->tmp_path, O_CLOEXEC);
    if (fd < 0) {
        e->tmp_path[0] = '\0';
        return -errno;
    }
    e->tmp = fdopen(fd, "w");
    if (!e->tmp) {
        int err = errno;
        close(fd);
        unlink(e->tmp_path);
        e->tmp_path[0] = '\0';
        return -err;
    }
    return 0;
}

void fetch_cache_write(struct fetch_cache_entry *e, const void *data, size_t len)
{
    if (e->tmp && fwrite(data, 1, len, e->tmp) != len) {
        (void)fclose(e->tmp); /* being discarded */
        e->tmp = NULL;
        unlink(e->tmp_path);
        e->tmp_path[0] = '\0';
    }
}

/* Writes text to path atomically. */
static int write_atomic(const char *path, const char *text)
{
    char tmp[4300];
    int m = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
    if (m < 0 || (size_t)m >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    int rc = write(fd, text, n) == (ssize_t)n ? 0 : -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int fetch_cache_end(struct fetch_cache_entry *e, bool complete, const char *etag, size_t etag_len,
                    const char *lastmod, size_t lastmod_len)
{
    if (!e->tmp)
        return 0;
    int rc = fclose(e->tmp) == 0 ? 0 : -errno;
    e->tmp = NULL;
    if (!complete || rc != 0) {
        unlink(e->tmp_path);
        return rc;
    }
    /* Body first, then the validators that describe it. */
    if (rename(e->tmp_path, e->body_path) != 0) {
        rc = -errno;
        unlink(e->tmp_path);
        return rc;
    }
    char meta[600];
    snprintf(meta, sizeof(meta), "etag: %.*s\nlast-modified: %.*s\n",
             (int)(etag_len < 255 ? etag_len : 0), etag ? etag : "",
             (int)(lastmod_len < 63 ? lastmod_len : 0), lastmod ? lastmod : "");
    return write_atomic(e->meta_path, meta);
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
