#include "httpd/filecache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FC_PATH_MAX 512 /* longer paths are opened uncached */

struct fc_entry {
    char path[FC_PATH_MAX];
    int fd;
    struct stat st;
    char *data; /* the whole file as st describes it, or NULL (FC_INLINE_MAX) */
    struct fc_memo memo;
    uint64_t opened_ms;
    uint64_t checked_ms; /* loop time of the last fstat */
    uint32_t refs;       /* responses using fd, plus one while in the table */
    bool in_table;
    bool clock_bit; /* recently used (clock eviction) */
};

struct filecache {
    struct fc_entry **slots; /* open addressing, 2x max, NULL = empty */
    size_t n_slots;
    struct fc_entry **all; /* entries for the clock hand */
    unsigned n, max, hand;
    uint64_t valid_ms;
    size_t inline_bytes; /* data held by entries in the table */
};

int filecache_open_beneath(int root_fd, const char *path, int flags)
{
    /* RESOLVE_BENEATH refuses any ".." or symlink (absolute or relative)
     * that would leave the root; RESOLVE_NO_MAGICLINKS the /proc links. */
    struct open_how how = {
        .flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | O_NOCTTY),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

struct filecache *filecache_new(unsigned max, uint64_t valid_ms)
{
    if (max == 0)
        return NULL;
    struct filecache *fc = calloc(1, sizeof(*fc));
    if (!fc)
        return NULL;
    fc->n_slots = (size_t)max * 2;
    /* Both are arrays of pointers to entries, hence sizeof a pointer. */
    fc->slots = calloc(fc->n_slots, sizeof(*fc->slots)); // NOLINT(bugprone-sizeof-expression)
    fc->all = calloc(max, sizeof(*fc->all));             // NOLINT(bugprone-sizeof-expression)
    if (!fc->slots || !fc->all) {
        free(fc->slots);
        free(fc->all);
        free(fc);
        return NULL;
    }
    fc->max = max;
    fc->valid_ms = valid_ms;
    return fc;
}

static size_t hash(const char *s)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void entry_unref(struct fc_entry *e)
{
    if (--e->refs == 0) {
        close(e->fd);
        free(e->data);
        free(e);
    }
}

/* Reads a small regular file whole into e->data, so responses can send it
 * from memory with the head in one sendmsg (no sendfile: for a few KiB
 * the splice path costs more than the copy).  The content must still match
 * e->st after the read (a file being rewritten is left to sendfile). */
static void entry_load(struct filecache *fc, struct fc_entry *e)
{
    size_t size = (size_t)e->st.st_size;
    if (!S_ISREG(e->st.st_mode) || e->st.st_size <= 0 || size > FC_INLINE_MAX ||
        fc->inline_bytes + size > FC_INLINE_BUDGET)
        return;
    char *d = malloc(size);
    if (!d)
        return;
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(e->fd, d + got, size - got, (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    struct stat st;
    if (got != size || fstat(e->fd, &st) != 0 || st.st_size != e->st.st_size ||
        st.st_mtim.tv_sec != e->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != e->st.st_mtim.tv_nsec) {
        free(d);
        return;
    }
    e->data = d;
    fc->inline_bytes += size;
}

/* Slot of path, or of the empty slot where it would go. */
static size_t find_slot(const struct filecache *fc, const char *path)
{
    size_t i = hash(path) % fc->n_slots;
    while (fc->slots[i] && strcmp(fc->slots[i]->path, path) != 0)
        i = (i + 1) % fc->n_slots;
    return i;
}

/* Removes e from the hash table (backward-shift deletion keeps probe
 * chains intact) and from the clock list, dropping the table's ref. */
static void table_remove(struct filecache *fc, struct fc_entry *e)
{
    size_t i = find_slot(fc, e->path);
    fc->slots[i] = NULL;
    for (size_t j = (i + 1) % fc->n_slots; fc->slots[j]; j = (j + 1) % fc->n_slots) {
        struct fc_entry *m = fc->slots[j];
        fc->slots[j] = NULL;
        fc->slots[find_slot(fc, m->path)] = m;
    }
    for (unsigned k = 0; k < fc->n; k++) {
        if (fc->all[k] == e) {
            fc->all[k] = fc->all[--fc->n];
            break;
        }
    }
    e->in_table = false;
    if (e->data)
        fc->inline_bytes -= (size_t)e->st.st_size;
    entry_unref(e);
}

/* Makes room by evicting one entry no response uses (second chance). */
static bool evict_one(struct filecache *fc)
{
    for (unsigned tries = 0; tries < 2 * fc->n; tries++) {
        if (fc->hand >= fc->n)
            fc->hand = 0;
        struct fc_entry *e = fc->all[fc->hand];
        if (e->refs == 1 && !e->clock_bit) {
            table_remove(fc, e);
            return true;
        }
        e->clock_bit = false;
        fc->hand++;
    }
    return false;
}

static int open_fresh(int root_fd, const char *path, struct fc_file *out)
{
    int fd = filecache_open_beneath(root_fd, path, O_RDONLY);
    if (fd < 0)
        return fd;
    if (fstat(fd, &out->st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    out->fd = fd;
    out->entry = NULL;
    out->data = NULL;
    return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int filecache_open(struct filecache *fc, int root_fd, const char *path, uint64_t now_ms,
                   struct fc_file *out)
{
    if (!fc || strlen(path) >= FC_PATH_MAX)
        return open_fresh(root_fd, path, out);
    size_t slot = find_slot(fc, path);
    struct fc_entry *e = fc->slots[slot];
    if (e && now_ms - e->opened_ms < fc->valid_ms) {
        /* Revalidate by mtime: one fstat sees a file changed in place (its
         * new size and mtime make a new ETag); a file replaced by rename
         * keeps the old inode here until valid_ms is over. */
        if (e->checked_ms != now_ms) {
            /* At most once per millisecond of loop time: under load many
             * hits share one fstat. */
            struct stat st;
            if (fstat(e->fd, &st) != 0) {
                table_remove(fc, e);
                return open_fresh(root_fd, path, out);
            }
            if (e->data && !same_file(&st, &e->st)) {
                /* Changed in place: the copy is stale.  Responses in
                 * flight keep the old entry; a new one is read below. */
                table_remove(fc, e);
                e = NULL;
                goto reopen;
            }
            e->st = st;
            e->checked_ms = now_ms;
        }
        e->refs++;
        e->clock_bit = true;
        *out = (struct fc_file){.fd = e->fd, .st = e->st, .entry = e, .data = e->data};
        return 0;
    }
reopen:;
    /* Missing or due for revalidation: open again (confinement included). */
    struct fc_file fresh;
    int rc = open_fresh(root_fd, path, &fresh);
    if (rc != 0) {
        if (e)
            table_remove(fc, e);
        return rc;
    }
    if (e && same_file(&e->st, &fresh.st)) {
        close(fresh.fd);
        e->opened_ms = now_ms;
        e->checked_ms = now_ms;
        e->refs++;
        e->clock_bit = true;
        *out = (struct fc_file){.fd = e->fd, .st = e->st, .entry = e, .data = e->data};
        return 0;
    }
    if (e)
        table_remove(fc, e); /* changed: responses in flight keep the old fd */
    if (fc->n == fc->max && !evict_one(fc)) {
        *out = fresh; /* every entry in use: serve uncached */
        return 0;
    }
    struct fc_entry *ne = malloc(sizeof(*ne));
    if (!ne) {
        *out = fresh;
        return 0;
    }
    memcpy(ne->path, path, strlen(path) + 1);
    ne->fd = fresh.fd;
    ne->st = fresh.st;
    ne->data = NULL;
    ne->memo.set = false;
    ne->opened_ms = now_ms;
    ne->checked_ms = now_ms;
    ne->refs = 2; /* the table's and the caller's */
    ne->in_table = true;
    ne->clock_bit = true;
    fc->slots[find_slot(fc, path)] = ne;
    fc->all[fc->n++] = ne;
    entry_load(fc, ne);
    *out = (struct fc_file){.fd = ne->fd, .st = ne->st, .entry = ne, .data = ne->data};
    return 0;
}

const char *filecache_data(const struct fc_entry *e)
{
    return e ? e->data : NULL;
}

struct fc_memo *filecache_memo(const struct fc_file *f)
{
    return f->entry ? &f->entry->memo : NULL;
}

void filecache_release(struct fc_file *f)
{
    if (f->entry)
        entry_unref(f->entry);
    else if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->entry = NULL;
    f->data = NULL;
}

void filecache_clear(struct filecache *fc)
{
    if (!fc)
        return;
    while (fc->n)
        table_remove(fc, fc->all[fc->n - 1]);
}

void filecache_free(struct filecache *fc)
{
    if (!fc)
        return;
    filecache_clear(fc);
    free(fc->slots);
    free(fc->all);
    free(fc);
}
