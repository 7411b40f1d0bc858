#!/usr/bin/env bash
# labnet-httpd under a service manager: tests/helpers/svcmgr.c plays systemd
# (NOTIFY_SOCKET, LISTEN_FDS/LISTEN_PID, WATCHDOG_USEC) and the test plays
# systemctl (SIGHUP, SIGTERM).  The configuration is the shipped
# conf/httpd.conf with only listen and root changed.  Checks READY=1 from the
# main pid, watchdog pings, RELOADING=1 then READY=1 on reload (good and
# broken file), STOPPING=1 and exit 0 on SIGTERM, and that requests are
# answered on the passed socket.  As root with network namespaces, also
# starts the shipped configuration as is on the socket unit's own addresses.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: test_httpd_service.sh BUILD_DIR}
httpd="$build/httpd/labnet-httpd"
[ -x "$httpd" ] || { echo "FAIL: $httpd not built"; exit 1; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps.sh test)"; exit 77; }

tmp=$(mktemp -d)
# shellcheck source=service_lib.sh
. "$here/service_lib.sh"
cleanup() {
    svc_cleanup
    [ "$(type -t netns_cleanup)" = function ] && netns_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT

root="$tmp/www"
mkdir -p "$root"
printf 'index one\n' >"$root/index.html"
printf 'index two\n' >"$root/two.html"
# A port of our own on loopback; svcmgr fails at once if it is taken.
port=$((20000 + $$ % 20000))
conf="$tmp/httpd.conf"
make_conf() { # make_conf EXTRA-SERVER-LINES
    sed -e "s|^listen = .*|listen = 127.0.0.1:$port|" -e "s|^root = .*|root = $root|" \
        -e "s|^key-file = .*|key-file = $tmp/cookie.key|" \
        -e "s|^\[server\]$|[server]\nworkers = 2\n$1|" "$src/conf/httpd.conf" >"$conf.new"
    mv "$conf.new" "$conf"
}
make_conf ""

# --- 1. Socket activation, notify, watchdog -----------------------------
svc_start -l "127.0.0.1:$port" -w 400000 -- "$httpd" -f -c "$conf"
if ! svc_wait_for '^NOTIFY [0-9]+ READY=1' 5; then
    bad "READY=1 within 5 s"
    cat "$svc_out" "$svc_err"
    exit 1
fi
pid=$(svc_pid)
check "READY=1 comes from the main pid with MAINPID=$pid" \
    grep -qE "^NOTIFY $pid READY=1 STATUS=Serving $root on 127.0.0.1:$port with 2 workers MAINPID=$pid\$" "$svc_out"
body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/")
check "GET / answered on the passed socket" [ "$body" = "index one" ]
# Both worker loops serve from the one passed socket (dups of it).
n_ok=0
for _ in 1 2 3 4 5 6 7 8; do
    [ "$(curl -sS --max-time 5 "http://127.0.0.1:$port/")" = "index one" ] && n_ok=$((n_ok + 1))
done
check "8 more requests answered" [ "$n_ok" -eq 8 ]
sleep 1.2
pings=$(svc_count "^NOTIFY $pid WATCHDOG=1\$")
echo "watchdog pings in ~1.5 s at WATCHDOG_USEC=400000: $pings"
check "WATCHDOG=1 every WATCHDOG_USEC/2 from the main pid (>= 4)" [ "$pings" -ge 4 ]

# --- 2. Reload: a good file, then a broken one ---------------------------
make_conf "index = two.html"
kill -HUP "$pid"
check "RELOADING=1 then READY=1 after SIGHUP" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Configuration reloaded" 5
check "RELOADING=1 carries MONOTONIC_USEC" grep -qE "^NOTIFY $pid RELOADING=1 MONOTONIC_USEC=[0-9]+\$" "$svc_out"
check "RELOADING=1 precedes the READY=1 that ends the reload" \
    awk '/RELOADING=1/ { r = NR } /Configuration reloaded/ { e = NR } END { exit !(r && e > r) }' "$svc_out"
body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/")
check "the reloaded configuration serves (index two)" [ "$body" = "index two" ]
make_conf "max-headers = 999999"
kill -HUP "$pid"
check "a broken file: RELOADING=1, READY=1 with a failure status" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Reload failed" 5
check "the broken file is named in the log" grep -q "max-headers" "$svc_err"
body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/")
check "the previous configuration still serves" [ "$body" = "index two" ]

# --- 3. Stop ---------------------------------------------------------------
kill -TERM "$pid"
check "STOPPING=1 after SIGTERM" svc_wait_for "^NOTIFY $pid STOPPING=1\$" 5
check "the daemon exits" svc_stopped
check "exit status 0" [ "${mgr_rc:-1}" -eq 0 ]

# --- 4. Negative controls --------------------------------------------------
# Without WATCHDOG_USEC there are no pings.
make_conf ""
svc_start -l "127.0.0.1:$port" -- "$httpd" -f -c "$conf"
svc_wait_for '^NOTIFY [0-9]+ READY=1' 5
sleep 0.5
check "control: no WATCHDOG=1 without WATCHDOG_USEC" [ "$(svc_count 'WATCHDOG=1')" -eq 0 ]
kill -TERM "$(svc_pid)"
svc_stopped
# LISTEN_PID naming another process: the sockets are not ours to take, so the
# daemon binds the address itself and finds it taken by the manager's socket.
# Passing is what made the runs above work.
svc_start -P -l "127.0.0.1:$port" -- "$httpd" -f -c "$conf"
if svc_stopped; then
    check "control: foreign LISTEN_PID ignored, own bind fails (exit != 0)" [ "$mgr_rc" -ne 0 ]
    check "control: no READY=1" [ "$(svc_count 'READY=1')" -eq 0 ]
    check "control: the log names the address in use" grep -q "127.0.0.1:$port: Address already in use" "$svc_err"
else
    bad "control: daemon with a foreign LISTEN_PID should have failed"
    kill -KILL "$(svc_pid)" 2>/dev/null
    svc_stopped
fi

# --- 5. The shipped configuration on the socket unit's addresses ----------
# As root inside a network namespace of our own, the daemon run as nobody (no
# capability, as in the service): every listen address of conf/httpd.conf
# must come from labnet-httpd.socket's ListenStream= lines, since the daemon
# cannot bind port 80 itself, and every socket the unit passes must be used.
unit="$src/systemd/labnet-httpd.socket.in"
mapfile -t streams < <(sed -n 's/^ListenStream=//p' "$unit")
# run80 SOCKET...: start the shipped configuration with these sockets.
run80() {
    local args=() s
    for s; do args+=(-l "$s"); done
    : >"$svc_out"
    ip netns exec "$ns" "$svcmgr" -T 30 "${args[@]}" -- setpriv --reuid=nobody --regid=nogroup \
        --clear-groups "$httpd" -f -c "$tmp/shipped-httpd.conf" -r "$root" >"$svc_out" 2>"$svc_err" &
    mgr_pid=$!
}
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    echo "skip (part 5): starting on the socket unit's port 80 needs root and setpriv"
else
    # shellcheck source=netns.sh
    . "$here/netns.sh"
    if (netns_require >/dev/null 2>&1); then
        chmod 755 "$tmp"
        # The shipped file, unchanged, where nobody can read it (a clone in
        # /root is not readable by nobody).
        cp "$src/conf/httpd.conf" "$tmp/shipped-httpd.conf"
        chmod 644 "$tmp/shipped-httpd.conf"
        ns=$(netns_add svc)
        svc_out="$tmp/mgr80.out"
        svc_err="$tmp/httpd80.err"
        run80 "${streams[@]}"
        if svc_wait_for '^NOTIFY [0-9]+ READY=1' 5; then
            ok "shipped httpd.conf starts as nobody on ${streams[*]} from the socket unit"
            for s in "${streams[@]}"; do
                check "the daemon serves the unit's $s" grep -qF " $s" "$svc_out"
            done
            body=$(ip netns exec "$ns" curl -sS --max-time 5 "http://127.0.0.1/")
            check "GET http://127.0.0.1/ on port 80" [ "$body" = "index one" ]
            body=$(ip netns exec "$ns" curl -sS --max-time 5 "http://[::1]/")
            check "GET http://[::1]/ on port 80" [ "$body" = "index one" ]
            kill -TERM "$(svc_pid)"
            svc_stopped
        else
            bad "shipped httpd.conf on the socket unit's addresses: no READY=1"
            cat "$svc_err"
            kill -KILL "$(svc_pid)" 2>/dev/null
            svc_stopped
        fi
        # Control: a socket unit that lacks one of the configured addresses.
        run80 "${streams[0]}"
        if svc_stopped; then
            check "control: a unit without ${streams[1]:-?} fails the start" [ "$mgr_rc" -ne 0 ]
        else
            bad "control: the daemon started without all of its sockets"
            kill -KILL "$(svc_pid)" 2>/dev/null
            svc_stopped
        fi
    else
        echo "skip (part 5): no network namespaces here"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
