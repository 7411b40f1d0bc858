#include "clients/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int atomic_file_open(struct atomic_file *a, const char *path)
{
    a->f = NULL;
    size_t n = strlen(path);
    if (n >= sizeof(a->path) || n + sizeof(".tmpXXXXXX") > sizeof(a->tmp))
        return -ENAMETOOLONG;
    memcpy(a->path, path, n + 1);
    memcpy(a->tmp, path, n);
    memcpy(a->tmp + n, ".tmpXXXXXX", sizeof(".tmpXXXXXX"));
    int fd = mkostemp(a->tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        return -e;
    }
    return 0;
}

int atomic_file_commit(struct atomic_file *a)
{
    if (!a->f)
        return -EBADF;
    int rc = 0;
    if (fflush(a->f) != 0 || fsync(fileno(a->f)) != 0)
        rc = -errno;
    if (fclose(a->f) != 0 && rc == 0)
        rc = -errno;
    a->f = NULL;
    if (rc == 0 && rename(a->tmp, a->path) != 0)
        rc = -errno;
    if (rc != 0)
        unlink(a->tmp);
    return rc;
}

void atomic_file_abort(struct atomic_file *a)
{
    if (a->f) {
        (void)fclose(a->f); /* being discarded */
        a->f = NULL;
        unlink(a->tmp);
    }
}
