/*
 * daemon: the life cycle every labnet daemon shares, on a libuv loop.
 *
 *   SIGTERM, SIGINT  graceful stop: STOPPING=1 to systemd, hooks.stop asks
 *                    the daemon to stop accepting and let in-flight work
 *                    finish; the loop ends when the daemon's last handle is
 *                    closed.  After stop_timeout_ms, or on a second signal,
 *                    the loop is stopped regardless.
 *   SIGHUP           reload: RELOADING=1, hooks.reload (which validates the
 *                    new configuration fully before swapping, and keeps the
 *                    old one on error), then READY=1 again.
 *   watchdog         WATCHDOG=1 from a loop timer at half of WATCHDOG_USEC,
 *                    so a stuck loop stops the pings and systemd restarts it.
 *
 * Notifications go through libsystemd's sd_notify and are no-ops when
 * NOTIFY_SOCKET is unset.  struct daemon is embedded by its owner; its
 * handles live on the owner's loop and are closed by daemon_run.
 */
#ifndef LABNET_DAEMON_H
#define LABNET_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/addr.h"
#include "common/cli.h"

struct daemon_hooks {
    /* SIGHUP.  Returns 0 when the new configuration is in use, or a
     * negative errno when it was refused and the old one still runs.  May
     * be NULL: reload is then a no-op that still answers systemd. */
    int (*reload)(void *ud);
    /* First SIGTERM/SIGINT.  Stop accepting new work; close handles as
     * in-flight work finishes.  May be NULL. */
    void (*stop)(void *ud);
};

struct daemon {
    uv_loop_t *loop;
    struct daemon_hooks hooks;
    void *ud;
    uint64_t stop_timeout_ms; /* default 10 s; set before daemon_start */
    bool stopping;
    bool stop_forced; /* the loop was stopped before work finished */
    unsigned reloads; /* SIGHUPs handled, for tests and status */
    int ready_fd;     /* pipe to a parent waiting in daemon_detach, or -1 */
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t watchdog, stop_timer;
};

/* Process-wide setup every program does first: ignore SIGPIPE (libuv does
 * not, and a write to a reset peer would kill the process). */
void daemon_process_setup(void);

/* Fills d; hooks and ud are copied / kept.  No handles are started yet. */
void daemon_init(struct daemon *d, uv_loop_t *loop, const struct daemon_hooks *hooks, void *ud);

/* Starts the signal handlers and, when systemd asks, the watchdog timer.
 * Returns 0 or a negative errno. */
int daemon_start(struct daemon *d);

/* Tells systemd (READY=1 with STATUS=status) and a parent waiting in
 * daemon_detach that the daemon serves.  Call once sockets are open. */
void daemon_ready(struct daemon *d, const char *status);

/* Begins a graceful stop, as SIGTERM does. */
void daemon_stop(struct daemon *d);

/* Runs the loop until the daemon has stopped, then closes whatever handles
 * remain (logging how many: a clean stop leaves only the daemon's own) and
 * closes the loop.  Returns 0, or a negative errno if the loop could not be
 * closed.  The owner flushes its state after this returns.  After a forced
 * stop (deadline or second signal) handles of unfinished work were closed
 * here without close callbacks: the owner frees that work's memory after
 * daemon_run returns, when no callback can run any more. */
int daemon_run(struct daemon *d);

/* Forks into the background; the parent waits until the child calls
 * daemon_ready (parent exits 0) or dies first (parent exits 1), so a
 * starting script learns of failure.  Call before creating any libuv loop.
 * Returns 0 in the child, or a negative errno (still in the foreground). */
int daemon_detach(struct daemon *d);

/* Switches to user (and its primary group, with supplementary groups
 * reset) after privileged sockets are bound.  Not root: a warning, and 0
 * (as nginx ignores "user" then).  Returns 0 or a negative errno; -ENOENT
 * for an unknown user. */
int daemon_drop_privileges(const char *user);

/* Writes the pid to path, holding an exclusive lock on it so a second
 * instance fails with -EWOULDBLOCK.  Returns the locked fd or a negative
 * errno; daemon_pidfile_remove unlinks and closes it. */
int daemon_pidfile_write(const char *path);
void daemon_pidfile_remove(const char *path, int fd);

/* ---- what every daemon's main does, in this order ---- */

/* Parses the command line (cli_parse), does daemon_process_setup and
 * starts logging at the level chosen.  Returns -1 to go on, else the
 * status for main to return: 0 after --help or --version, 2 for a usage
 * error (already reported). */
int daemon_main_begin(const struct cli_prog *prog, int argc, char **argv, struct cli_opts *opts);

/* After -t/--test-config succeeded: "NAME: configuration PATH is valid"
 * (PATH "(built-in defaults)" when NULL) on standard output. */
void daemon_config_valid(const char *name, const char *config_path);

/* daemon_init, then daemon_detach unless foreground or started by systemd
 * (NOTIFY_SOCKET set: systemd wants the main process to stay).  Returns 0,
 * or -1 with the failure logged. */
int daemon_begin(struct daemon *d, uv_loop_t *loop, const struct daemon_hooks *hooks, void *ud,
                 bool foreground);

/* Once privileged sockets are bound: switches to user (daemon_drop_
 * privileges) and writes pid_file when it is not "" (daemon_pidfile_write).
 * *pid_fd gets the locked pid file's descriptor, or -1.  Returns 0, or -1
 * with what failed logged. */
int daemon_settle(const char *user, const char *pid_file, int *pid_fd);

/* Appends " ADDR:PORT" for each of addrs[0..n) to the status line
 * status[*len..cap), as far as it fits, advancing *len. */
void daemon_status_addrs(char *status, size_t cap, size_t *len, const struct net_addr *addrs,
                         size_t n);

#endif
