#!/usr/bin/env bash
# labnet-dnsd under a service manager (tests/helpers/svcmgr.c plays systemd,
# the test plays systemctl): READY=1 from the main pid, queries answered on
# the UDP and TCP sockets passed with LISTEN_FDS, WATCHDOG=1 pings,
# RELOADING=1 then READY=1 on SIGHUP (good and broken file), STOPPING=1 and
# exit 0 on SIGTERM.  Loopback only, on a port of our own.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: test_dnsd_service.sh BUILD_DIR}
dnsd="$build/dnsd/labnet-dnsd"
[ -x "$dnsd" ] || { echo "FAIL: $dnsd not built"; exit 1; }
command -v dig >/dev/null || { echo "SKIP: dig is not installed (scripts/deps.sh test)"; exit 77; }
tmp=$(mktemp -d)
# shellcheck source=service_lib.sh
. "$here/service_lib.sh"
trap 'svc_cleanup; rm -rf "$tmp"' EXIT

port=$((20000 + $$ % 20000))
conf="$tmp/dnsd.conf"
make_conf() { # make_conf ADDRESS-OF-www.lab: the shipped file, our port, one local record
    sed -e "s|^listen = .*|listen = 127.0.0.1:$port|" \
        -e "s|^\[local\]$|[local]\nzones = lab.\nrecord = www.lab. 300 IN A $1|" \
        "$src/conf/dnsd.conf" >"$conf"
}
make_conf 10.0.0.1
"$dnsd" -t -c "$conf" || { echo "FAIL: test configuration invalid"; cat "$conf"; exit 1; }
q() { dig @127.0.0.1 -p "$port" +time=2 +tries=1 +short "$@" www.lab A 2>&1; }

# --- 1. Socket activation (UDP + TCP), notify, watchdog -------------------
svc_start -u "127.0.0.1:$port" -l "127.0.0.1:$port" -w 400000 -- "$dnsd" -f -c "$conf" --threads 2
if ! svc_wait_for '^NOTIFY [0-9]+ READY=1' 5; then
    bad "READY=1 within 5 s"
    cat "$svc_out" "$svc_err"
    exit 1
fi
pid=$(svc_pid)
check "READY=1 comes from the main pid" grep -qE "^NOTIFY $pid READY=1" "$svc_out"
check "a query over UDP is answered on the passed socket" [ "$(q)" = 10.0.0.1 ]
check "a query over TCP is answered on the passed socket" [ "$(q +tcp)" = 10.0.0.1 ]
sleep 1.2
pings=$(svc_count "^NOTIFY $pid WATCHDOG=1\$")
echo "watchdog pings in ~1.5 s at WATCHDOG_USEC=400000: $pings"
check "WATCHDOG=1 every WATCHDOG_USEC/2 from the main pid (>= 4)" [ "$pings" -ge 4 ]

# --- 2. Reload: a good file, then a broken one ---------------------------
make_conf 10.0.0.2
kill -HUP "$pid"
check "RELOADING=1 then READY=1 after SIGHUP" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Configuration reloaded" 5
check "RELOADING=1 precedes it" \
    awk '/RELOADING=1/ { r = NR } /Configuration reloaded/ { e = NR } END { exit !(r && e > r) }' "$svc_out"
check "the reloaded data is served" [ "$(q)" = 10.0.0.2 ]
printf '[server]\nthreads = many\n' >"$conf"
kill -HUP "$pid"
check "a broken file: READY=1 with a failure status" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Reload failed" 5
check "the broken key is named in the log" grep -q "threads" "$svc_err"
check "the previous configuration still serves" [ "$(q)" = 10.0.0.2 ]

# --- 3. Stop -----------------------------------------------------------------
kill -TERM "$pid"
check "STOPPING=1 after SIGTERM" svc_wait_for "^NOTIFY $pid STOPPING=1\$" 5
check "the daemon exits" svc_stopped
check "exit status 0" [ "${mgr_rc:-1}" -eq 0 ]

# --- 4. Negative controls -----------------------------------------------------
make_conf 10.0.0.1
svc_start -u "127.0.0.1:$port" -l "127.0.0.1:$port" -- "$dnsd" -f -c "$conf"
svc_wait_for '^NOTIFY [0-9]+ READY=1' 5
sleep 0.5
check "control: no WATCHDOG=1 without WATCHDOG_USEC" [ "$(svc_count 'WATCHDOG=1')" -eq 0 ]
kill -TERM "$(svc_pid)"
svc_stopped
# LISTEN_PID naming another process: not ours to take, so the daemon binds
# the address itself and finds it held by the manager's sockets.
svc_start -P -u "127.0.0.1:$port" -l "127.0.0.1:$port" -- "$dnsd" -f -c "$conf"
if svc_stopped; then
    check "control: foreign LISTEN_PID ignored, own bind fails (exit != 0)" [ "$mgr_rc" -ne 0 ]
    check "control: no READY=1" [ "$(svc_count 'READY=1')" -eq 0 ]
else
    bad "control: a daemon with a foreign LISTEN_PID should have failed"
    kill -KILL "$(svc_pid)" 2>/dev/null
    svc_stopped
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
