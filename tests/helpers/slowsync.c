/*
 * labnet-slowsync: an LD_PRELOAD shim for the durability test that makes
 * every fsync(2) and fdatasync(2) of the process take LABNET_SLOWSYNC_MS
 * milliseconds longer (default 50) before doing the real thing.  Not
 * installed.
 *
 * On a fast disk a commit is over in a millisecond, so a server that sent
 * its ACKs before its write was durable would almost never be caught by a
 * SIGKILL at a random moment.  With every write held open this long, a
 * kill during a storm lands inside a write nearly every time, and an ACK
 * that left early is in the client's log but not in the database.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void hold(void)
{
    const char *v = getenv("LABNET_SLOWSYNC_MS");
    long ms = v ? strtol(v, NULL, 10) : 50;
    if (ms <= 0 || ms > 10000)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    hold();
    return real(fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    hold();
    return real(fd);
}
