# shellcheck shell=bash
# Shared by the test_*_service.sh tests: run one daemon under
# tests/helpers/svcmgr.c (a stand-in for systemd's service manager) and read
# what it reports.  Source after setting: build, src, tmp.
#
#   svc_start ARGS...      the manager in the background (its options, "--", the daemon)
#   svc_pid                the daemon's PID, as the manager printed it
#   svc_wait_for REGEX [S] a line of the manager's output matches within S seconds
#   svc_count REGEX        how many lines match
#   svc_stopped            the manager exited within 5 s; its status in $mgr_rc
#   check DESC CMD...      count a check; pass/fail totals in $pass / $fail

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() {
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

mgr_pid=
svc_out="$tmp/mgr.out"
svc_err="$tmp/daemon.err"
svcmgr="$build/tests/labnet-svcmgr"
[ -x "$svcmgr" ] || { echo "FAIL: $svcmgr was not built"; exit 1; }

svc_pid() { awk '$1 == "PID" { print $2; exit }' "$svc_out" 2>/dev/null; }
svc_wait_for() {
    local i
    for ((i = 0; i < ${2:-5} * 20; i++)); do
        grep -qE -- "$1" "$svc_out" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
svc_count() { grep -cE -- "$1" "$svc_out"; }
svc_start() {
    : >"$svc_out"
    "$svcmgr" -T 60 "$@" >"$svc_out" 2>"$svc_err" &
    mgr_pid=$!
}
svc_stopped() {
    local i
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$mgr_pid" 2>/dev/null; then
            wait "$mgr_pid"
            mgr_rc=$?
            mgr_pid=
            return 0
        fi
        sleep 0.05
    done
    return 1
}
# Only the manager this test started; it takes its daemon with it.
svc_cleanup() {
    if [ -n "$mgr_pid" ] && kill -0 "$mgr_pid" 2>/dev/null; then
        kill -KILL "$(svc_pid)" 2>/dev/null
        wait "$mgr_pid" 2>/dev/null
    fi
}
