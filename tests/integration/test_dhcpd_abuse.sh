#!/usr/bin/env bash
# labnet-dhcpd under hostile traffic, in network namespaces this test makes
# (a server namespace with a bridge; a flooder and a legitimate client
# attached to it).  Each attack is followed by the same checks: the server
# is alive with the same PID, its RSS stays under a bound, and a legitimate
# udhcpc still gets a lease.  Bounded in time (about 40 s).  Nothing touches
# a host interface; everything is removed on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcpd_abuse.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
flood="$build/tests/labnet-dhcpflood"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dhcp_lab.sh
. "$here/dhcp_lab.sh"
netns_require
dhcp_lab_find_udhcpc
[ -x "$dhcpd" ] || { echo "FAIL: $dhcpd not built"; exit 1; }
[ -x "$flood" ] || { echo "FAIL: $flood not built"; exit 1; }

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

if ! { S=$(netns_add srv) && C=$(netns_add cli) && F=$(netns_add flood); }; then
    echo "FAIL: namespaces"
    exit 1
fi
netns_bridge "$S" br0 10.79.0.1/24 || { echo "FAIL: bridge"; exit 1; }
if ! { cif=$(netns_attach "$S" br0 "$C" "") && fif=$(netns_attach "$S" br0 "$F" ""); }; then
    echo "FAIL: veth"
    exit 1
fi
netns_exec "$C" ip link set "$cif" address 02:00:00:00:00:01

cat >"$tmp/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
case "$1" in
bound | renew) echo "event=$1 ip=$ip" >>"${UDHCPC_OUT:?}" ;;
esac
exit 0
SCRIPT
chmod +x "$tmp/udhcpc.sh"

# A small pool (20 addresses) that a flood could drain; short holds so the
# test stays short (the defaults are 5 s and 10 min).
state="$tmp/state"
cat >"$tmp/dhcpd.conf" <<CONF
[server]
interfaces = br0
state-dir = $state
offer-hold = 2s
decline-quarantine = 6s

[subnet 10.79.0.0/24]
pool = 10.79.0.100-10.79.0.119
router = 10.79.0.1
lease-time = 1h
CONF

netns_spawn "$S" "$tmp/dhcpd.log" "$dhcpd" -f -c "$tmp/dhcpd.conf"
srv_pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log'" 5 || { echo "FAIL: server did not start"; cat "$tmp/dhcpd.log"; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$srv_pid/status" 2>/dev/null || echo 0; }
rows() { "$dhcpd" --state-dir "$state" --leases --json | grep -c '"address"'; }
bound_rows() { "$dhcpd" --state-dir "$state" --leases --json | grep -c '"state": "bound"'; }
# The legitimate client: udhcpc, 4 DISCOVERs a second apart, then gives up.
legit_n=16
legit() { # legit OUT [TRIES]: a new client (fresh MAC) each time, since a
    # known one gets its own binding back even when the pool is taken
    legit_n=$((legit_n + 1))
    netns_exec "$C" ip link set "$cif" address "02:00:00:00:00:$legit_n"
    # shellcheck disable=SC2086 # "busybox udhcpc" is two words
    UDHCPC_OUT=$1 timeout 30 ip netns exec "$C" $udhcpc -f -q -n -t "${2:-4}" -T 1 -i "$cif" \
        -s "$tmp/udhcpc.sh" >>"$tmp/udhcpc.log" 2>&1 && grep -q 'event=bound ip=10\.79\.0\.1[01][0-9]$' "$1"
}
same_pid() { kill -0 "$srv_pid" 2>/dev/null && grep -q labnet-dhcpd "/proc/$srv_pid/cmdline"; }
# RSS: the lease table and SQLite's page cache are allocated at start; a
# flood must not add more than a few MiB (ASan builds: more slack).
rss_limit_kb=$((16 * 1024))
after() { # after NAME: the three checks every attack is followed by
    check "$1: server alive, same PID $srv_pid" same_pid
    local r
    r=$(rss_kb)
    echo "   RSS after $1: ${r} KiB (start ${rss0} KiB)"
    check "$1: RSS grew less than $((rss_limit_kb / 1024)) MiB" test $((r - rss0)) -lt "$rss_limit_kb"
    check "$1: a legitimate udhcpc gets a lease" legit "$tmp/legit.$1"
}

check "control: a legitimate udhcpc gets a lease before any attack" legit "$tmp/legit.control"
rss0=$(rss_kb)
rows0=$(rows)
echo "   RSS at start: ${rss0} KiB, rows: $rows0"

# --- 1. random packets ---------------------------------------------------------
netns_exec "$F" "$flood" -i "$fif" random 20000 1 >"$tmp/flood.random" 2>&1
check "random: 20000 datagrams sent" grep -q 'sent=20000 ' "$tmp/flood.random"
after random

# --- 2. option overload loops and huge option counts ------------------------
netns_exec "$F" "$flood" -i "$fif" overload 500 2 >"$tmp/flood.overload" 2>&1
check "overload: 3500 crafted messages sent" grep -q 'sent=3500 ' "$tmp/flood.overload"
after overload

# --- 3. DISCOVER flood from 10,000 random MACs ----------------------------------
# Offers hold an address for offer-hold in memory only: the flood takes
# the whole pool for at most offer-hold after its last DISCOVER, and writes
# nothing.  udhcpc starts during the flood and keeps trying for 8 s.
rows_before=$(rows)
t0=$(date +%s%N)
(netns_exec "$F" "$flood" -i "$fif" discover 10000 3 >"$tmp/flood.discover" 2>&1; date +%s%N >"$tmp/flood.end") &
fpid=$!
sleep 0.1
check "discover flood: a legitimate udhcpc started during the flood gets a lease" \
    legit "$tmp/legit.during" 8
t_lease=$(date +%s%N)
wait "$fpid"
t_end=$(cat "$tmp/flood.end")
echo "   flood lasted $(((t_end - t0) / 1000000)) ms; the lease came $(((t_lease - t_end) / 1000000)) ms after its end"
# offer-hold (2 s) plus udhcpc's 1 s between DISCOVERs, plus slack.
check "discover flood: ...at most offer-hold + 2 s after the flood ended" test $(((t_lease - t_end) / 1000000)) -lt 4000
check "discover flood: 10000 DISCOVERs sent" grep -q 'sent=10000 ' "$tmp/flood.discover"
check "discover flood: no offer was written (one new row: the legitimate client)" test "$(rows)" -eq $((rows_before + 1))
after discover

# --- 4. DECLINE flood ---------------------------------------------------------------
# Each flooder DISCOVERs, takes the OFFER and DECLINEs it.  A DECLINE counts
# only for an address the client was ACKed (dhcpd/engine.c on_decline), so
# these quarantine nothing: the pool (20 addresses, 5 held by the legitimate
# clients) stays free for a new client at once.
netns_exec "$F" "$flood" -i "$fif" decline 25 4 >"$tmp/flood.decline" 2>&1
cat "$tmp/flood.decline"
# (How many depends on how many OFFERs the pool had free: at least 10.)
check "decline flood: declines were sent" \
    awk -F'declines=' 'NF > 1 && $2 + 0 >= 10 { f = 1 } END { exit !f }' "$tmp/flood.decline"
check "decline flood: DECLINEs of mere OFFERs quarantine nothing" \
    bash -c "! '$dhcpd' --state-dir '$state' --leases --json | grep -q '\"state\": \"declined\"'"
netns_exec "$C" ip link set "$cif" address 02:00:00:00:00:02
check "decline flood: server alive, same PID" same_pid
check "decline flood: a new client gets a lease at once" legit "$tmp/legit.decline" 4

# --- negative controls ------------------------------------------------------
# The RSS and lease checks can fail: with a pool of one address taken by
# the reserved client, nobody else gets a lease.
check "RSS is read from /proc (not zero)" test "$(rss_kb)" -gt 0
check "the database records leases (bound rows > 0)" test "$(bound_rows)" -gt 0
kill -TERM "$srv_pid"
wait "$srv_pid" 2>/dev/null
check "server stopped: the 'same PID' check fails" bash -c "! kill -0 $srv_pid 2>/dev/null"
check "server stopped: the legitimate client gets no lease" bash -c "! UDHCPC_OUT='$tmp/legit.none' \
    timeout 10 ip netns exec '$C' $udhcpc -f -q -n -t 2 -T 1 -i '$cif' -s '$tmp/udhcpc.sh' >/dev/null 2>&1"

check "no sanitizer report from the server" bash -c "! grep -qE 'Sanitizer|runtime error' '$tmp/dhcpd.log'"
check "the server never logged per malformed packet" \
    test "$(grep -c 'malformed\|cannot parse' "$tmp/dhcpd.log")" -lt 20

echo "$pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    echo "--- dhcpd.log"
    tail -n 40 "$tmp/dhcpd.log"
    echo "--- udhcpc.log"
    tail -n 20 "$tmp/udhcpc.log"
fi
[ "$fail" -eq 0 ]
