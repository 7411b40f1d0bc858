#!/usr/bin/env bash
# labnet-dhcpd under a service manager (tests/helpers/svcmgr.c plays
# systemd, the test plays systemctl), in network namespaces of its own:
# READY=1 from the main pid, a client (labnet-dhcp) gets a lease,
# WATCHDOG=1 pings, RELOADING=1 then READY=1 on SIGHUP (good and broken
# file), STOPPING=1 and exit 0 on SIGTERM.  STATE_DIRECTORY names the state
# folder, as systemd's StateDirectory= does.  (labnet-dhcpd has no socket
# unit: its sockets are bound to interfaces, see systemd/.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: test_dhcpd_service.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
client="$build/clients/labnet-dhcp"
for p in "$dhcpd" "$client"; do [ -x "$p" ] || { echo "FAIL: $p not built"; exit 1; }; done
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
tmp=$(mktemp -d)
# shellcheck source=service_lib.sh
. "$here/service_lib.sh"
trap 'svc_cleanup; netns_cleanup; rm -rf "$tmp"' EXIT

S=$(netns_add srv) && C=$(netns_add cli) || { echo "FAIL: namespaces"; exit 1; }
netns_bridge "$S" br0 10.78.0.1/24 || { echo "FAIL: bridge"; exit 1; }
cif=$(netns_attach "$S" br0 "$C" "") || { echo "FAIL: veth"; exit 1; }

conf="$tmp/dhcpd.conf"
make_conf() { # make_conf LEASE-TIME: the shipped file's keys, our link
    cat >"$conf" <<CONF
[server]
interfaces = br0
[subnet 10.78.0.0/24]
pool = 10.78.0.100-10.78.0.150
router = 10.78.0.1
dns = 10.78.0.1
lease-time = $1
CONF
}
make_conf 1h
mkdir -p "$tmp/state"
# --apply: a renewal is unicast from the leased address.
lease() { netns_exec "$C" "$client" --apply --timeout 5 --lease-file "$tmp/c.lease" "$cif" 2>&1; }

# --- 1. Notify, serving, watchdog --------------------------------------------
: >"$svc_out"
STATE_DIRECTORY="$tmp/state" ip netns exec "$S" "$svcmgr" -T 60 -w 400000 -- "$dhcpd" -f -c "$conf" \
    >"$svc_out" 2>"$svc_err" &
mgr_pid=$!
if ! svc_wait_for '^NOTIFY [0-9]+ READY=1' 5; then
    bad "READY=1 within 5 s"
    cat "$svc_out" "$svc_err"
    exit 1
fi
pid=$(svc_pid)
check "READY=1 comes from the main pid" grep -qE "^NOTIFY $pid READY=1" "$svc_out"
out=$(lease)
check "a client gets a lease" grep -q "^ip='10.78.0.1[0-9][0-9]'" <<<"$out"
check "lease time 1h" grep -q "^lease='3600'" <<<"$out"
check "the lease is in \$STATE_DIRECTORY" test -s "$tmp/state/dhcpd-leases.sqlite"
sleep 1.2
pings=$(svc_count "^NOTIFY $pid WATCHDOG=1\$")
echo "watchdog pings in ~1.5 s at WATCHDOG_USEC=400000: $pings"
check "WATCHDOG=1 every WATCHDOG_USEC/2 from the main pid (>= 4)" [ "$pings" -ge 4 ]

# --- 2. Reload ------------------------------------------------------------------
make_conf 2h
kill -HUP "$pid"
check "RELOADING=1 then READY=1 after SIGHUP" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Configuration reloaded" 5
check "RELOADING=1 precedes it" \
    awk '/RELOADING=1/ { r = NR } /Configuration reloaded/ { e = NR } END { exit !(r && e > r) }' "$svc_out"
out=$(netns_exec "$C" "$client" --renew --timeout 5 --lease-file "$tmp/c.lease" "$cif" 2>&1)

check "the reloaded lease time is given on renewal (2h)" grep -q "^lease=.7200." <<<"$out"
printf '[server]\ninterfaces = br0\n[subnet 10.78.0.0/24]\npool = 10.79.0.1-10.79.0.9\n' >"$conf"
kill -HUP "$pid"
check "a broken file: READY=1 with a failure status" \
    svc_wait_for "^NOTIFY $pid READY=1 STATUS=Reload failed" 5
check "the broken key is named in the log" grep -q "pool" "$svc_err"
out=$(netns_exec "$C" "$client" --renew --timeout 5 --lease-file "$tmp/c.lease" "$cif" 2>&1)
check "the previous configuration still serves" grep -q "^lease='7200'" <<<"$out"

# --- 3. Stop -----------------------------------------------------------------------
kill -TERM "$pid"
check "STOPPING=1 after SIGTERM" svc_wait_for "^NOTIFY $pid STOPPING=1\$" 5
check "the daemon exits" svc_stopped
check "exit status 0" [ "${mgr_rc:-1}" -eq 0 ]

# --- 4. Negative control: no WATCHDOG_USEC, no pings ---------------------------
make_conf 1h
: >"$svc_out"
STATE_DIRECTORY="$tmp/state" ip netns exec "$S" "$svcmgr" -T 60 -- "$dhcpd" -f -c "$conf" \
    >"$svc_out" 2>"$svc_err" &
mgr_pid=$!
svc_wait_for '^NOTIFY [0-9]+ READY=1' 5
sleep 0.5
check "control: no WATCHDOG=1 without WATCHDOG_USEC" [ "$(svc_count 'WATCHDOG=1')" -eq 0 ]
kill -TERM "$(svc_pid)"
svc_stopped

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
