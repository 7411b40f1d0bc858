#!/usr/bin/env bash
# labnet-dhcpd publishing leases in DNS: RFC 2136 UPDATEs signed with TSIG
# to labnet-ddnsrecv (a TSIG-checking receiver that records each update),
# driven by busybox udhcpc inside namespaces this test creates.  Covers
# add A + PTR on ACK (option 12 and option 81), delete on RELEASE, names
# remembered across a restart, delete on expiry (4 s lease, 10 s scan), a
# host name that is not a DNS label, and a wrong key at the receiver (the
# failure is logged, DHCP still works).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcpd_ddns.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
recv="$build/tests/labnet-ddnsrecv"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dhcp_lab.sh
. "$here/dhcp_lab.sh"
netns_require
dhcp_lab_find_udhcpc
[ -x "$dhcpd" ] || { echo "FAIL: $dhcpd not built"; exit 1; }
[ -x "$recv" ] || { echo "FAIL: $recv not built"; exit 1; }

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

if ! { S=$(netns_add srv) && C1=$(netns_add c1) && C2=$(netns_add c2); }; then
    echo "FAIL: namespaces"
    exit 1
fi
netns_bridge "$S" br0 10.77.0.1/24 || { echo "FAIL: bridge"; exit 1; }
if ! { if1=$(netns_attach "$S" br0 "$C1" "") && if2=$(netns_attach "$S" br0 "$C2" ""); }; then
    echo "FAIL: veth"
    exit 1
fi
netns_exec "$C1" ip link set "$if1" address 02:00:00:00:00:01
netns_exec "$C2" ip link set "$if2" address 02:00:00:00:00:02

cat >"$tmp/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
# The address is configured: udhcpc sends its DHCPRELEASE from it.
case "$1" in
deconfig) ip addr flush dev "$interface" ;;
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    echo "event=$1 ip=$ip" >>"${UDHCPC_OUT:?}"
    ;;
esac
exit 0
SCRIPT
chmod +x "$tmp/udhcpc.sh"

KEY=hmac-sha256:ddns.lab.:cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs=
WRONG=hmac-sha256:ddns.lab.:AAAArKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs=
state="$tmp/state"
write_conf() { # write_conf LEASE_TIME
    cat >"$tmp/dhcpd.conf" <<CONF
[server]
interfaces = br0
state-dir = $state

[subnet 10.77.0.0/24]
pool = 10.77.0.100-10.77.0.150
router = 10.77.0.1
domain = lab.test
lease-time = $1

[ddns]
server = 127.0.0.1:5353
key = $KEY
ttl = 300
CONF
}
n_srv=0
start_server() {
    n_srv=$((n_srv + 1))
    netns_spawn "$S" "$tmp/dhcpd.log.$n_srv" "$dhcpd" -f -c "$tmp/dhcpd.conf"
    srv_pid=$NETNS_PID
    netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log.$n_srv'" 5
}
stop_server() {
    kill -TERM "$srv_pid" 2>/dev/null
    wait "$srv_pid" 2>/dev/null
}
start_recv() { # start_recv KEY
    netns_spawn "$S" "$tmp/recv.log" "$recv" 127.0.0.1 5353 "$1" "$tmp/updates"
    recv_pid=$NETNS_PID
    sleep 0.2
}
run_udhcpc() { # run_udhcpc NS IF OUT [extra args]; one lease, then exit
    local ns=$1 ifc=$2 out=$3
    shift 3
    # shellcheck disable=SC2086 # "busybox udhcpc" is two words
    UDHCPC_OUT=$out timeout 20 ip netns exec "$ns" $udhcpc -f -q -n -t 4 -T 1 -i "$ifc" \
        -s "$tmp/udhcpc.sh" "$@" >>"$tmp/udhcpc.log" 2>&1
}
release_udhcpc() { # release_udhcpc NS IF OUT [extra args]: lease, then SIGTERM with -R
    local ns=$1 ifc=$2 out=$3 pid
    shift 3
    : >"$out"
    # shellcheck disable=SC2086 # "busybox udhcpc" is two words
    netns_spawn "$ns" "$tmp/udhcpc-bg.log" env UDHCPC_OUT="$out" \
        $udhcpc -f -R -t 4 -T 1 -i "$ifc" -s "$tmp/udhcpc.sh" "$@"
    pid=$NETNS_PID
    netns_wait_for "grep -q event=bound '$out'" 10 || { kill "$pid"; return 1; }
    kill -TERM "$pid" # -R: DHCPRELEASE on the way out
    wait "$pid" 2>/dev/null
    return 0
}
saw() { grep -qxF "$1" "$tmp/updates"; }
wait_saw() { netns_wait_for "grep -qxF '$1' '$tmp/updates'" "${2:-5}"; }
log_has() { grep -qF "$1" "$tmp/dhcpd.log.$n_srv"; }

write_conf 1h
check "configuration with [ddns] is valid (-t)" "$dhcpd" -t -c "$tmp/dhcpd.conf"
start_recv "$KEY"
touch "$tmp/updates"
start_server || { bad "server did not start"; cat "$tmp/dhcpd.log.1"; exit 1; }

# --- option 12: add A + PTR -------------------------------------------------
check "udhcpc (hostname c1) gets a lease" run_udhcpc "$C1" "$if1" "$tmp/u1.out" -x hostname:c1
ip1=$(sed -n 's/.*ip=\([0-9.]*\).*/\1/p' "$tmp/u1.out" | tail -1)
rev1=$(echo "$ip1" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa."}')
check "c1: A RRset deleted, then A $ip1 added (TTL 300)" \
    wait_saw "lab.test. add c1.lab.test. A $ip1 300"
check "c1: delete of the A RRset came first" saw "lab.test. delrrset c1.lab.test. A"
check "c1: PTR $rev1 -> c1.lab.test. added" \
    wait_saw "0.77.10.in-addr.arpa. add $rev1 PTR c1.lab.test. 300"
check "c1: the log line says NOERROR" netns_wait_for \
    "log_has 'DDNS add c1.lab.test. A $ip1 (PTR $rev1): NOERROR'" 3
if command -v sqlite3 >/dev/null; then
    check "c1: the published name is in the database" netns_wait_for \
        "sqlite3 '$state/dhcpd-leases.sqlite' 'SELECT ddns_name FROM leases' | grep -qx c1.lab.test." 3
fi

# --- option 81 (udhcpc -F) --------------------------------------------------
check "udhcpc (-F c2, option 81) gets a lease" run_udhcpc "$C2" "$if2" "$tmp/u2.out" -F c2
ip2=$(sed -n 's/.*ip=\([0-9.]*\).*/\1/p' "$tmp/u2.out" | tail -1)
check "c2: A $ip2 added from option 81" wait_saw "lab.test. add c2.lab.test. A $ip2 300"

# --- a host name that is no DNS label: nothing published ---------------------
lines=$(wc -l <"$tmp/updates")
check "udhcpc (hostname 'bad_name') still gets a lease" \
    run_udhcpc "$C1" "$if1" "$tmp/u1b.out" -x hostname:bad_name
sleep 1
# c1's name is withdrawn (its lease now has no valid name), nothing is added.
check "invalid name: nothing added" bash -c "! tail -n +$((lines + 1)) '$tmp/updates' | grep -q ' add '"
check "invalid name: logged" log_has "is not a valid DNS label"
check "invalid name: the old name c1 is withdrawn (A $ip1)" \
    wait_saw "lab.test. delrr c1.lab.test. A $ip1"

# --- renewal with the same name: no update; RELEASE: delete ------------------
check "udhcpc c1 again, then release (-R)" release_udhcpc "$C1" "$if1" "$tmp/u1c.out" -x hostname:c1
check "release: delete A $ip1 (that record only)" \
    netns_wait_for "[ \$(grep -cxF 'lab.test. delrr c1.lab.test. A $ip1' '$tmp/updates') -ge 2 ]" 5
check "release: PTR RRset at $rev1 deleted" wait_saw "0.77.10.in-addr.arpa. delrrset $rev1 PTR"
check "release: DHCPRELEASE seen and the delete logged" netns_wait_for \
    "log_has 'DHCPRELEASE of $ip1' && [ \$(grep -cF 'DDNS delete c1.lab.test. A $ip1 (PTR $rev1): NOERROR' '$tmp/dhcpd.log.$n_srv') -ge 2 ]" 3

# --- restart: the published name is remembered -------------------------------
stop_server
start_server || bad "server restart"
n_before=$(grep -c "add c2.lab.test." "$tmp/updates")
check "after restart: c2 renews and releases" release_udhcpc "$C2" "$if2" "$tmp/u2b.out" -F c2
check "after restart: c2's delete was sent" wait_saw "lab.test. delrr c2.lab.test. A $ip2"
check "after restart: no second add for c2 (its name was remembered)" \
    test "$(grep -c "add c2.lab.test." "$tmp/updates")" = "$n_before"

# --- expiry: 4 s lease, no release; the scan withdraws the name --------------
stop_server
write_conf 4s
start_server || bad "server restart (4s leases)"
check "udhcpc (hostname c3, 4s lease) gets a lease and exits" \
    run_udhcpc "$C1" "$if1" "$tmp/u3.out" -x hostname:c3
ip3=$(sed -n 's/.*ip=\([0-9.]*\).*/\1/p' "$tmp/u3.out" | tail -1)
check "c3: added with TTL capped by the lease (<= 4)" \
    netns_wait_for "grep -qE '^lab.test. add c3.lab.test. A $ip3 [1-4]\$' '$tmp/updates'" 5
check "c3: expired lease withdrawn within the scan interval" \
    wait_saw "lab.test. delrr c3.lab.test. A $ip3" 20
check "c3: expiry logged" log_has "DDNS delete c3.lab.test. A $ip3"

# --- wrong key at the receiver: failure logged, DHCP unaffected --------------
kill "$recv_pid" 2>/dev/null
wait "$recv_pid" 2>/dev/null
start_recv "$WRONG"
check "wrong key: udhcpc (hostname c4) still gets a lease" \
    run_udhcpc "$C2" "$if2" "$tmp/u4.out" -x hostname:c4
check "wrong key: receiver refused the signature" wait_saw "BADSIG"
check "wrong key: dhcpd logs the failed update" \
    netns_wait_for "grep -E 'DDNS add c4.lab.test. .*: server says TSIG BADSIG' '$tmp/dhcpd.log.$n_srv' >/dev/null" 10
check "wrong key: nothing recorded for c4" bash -c "! grep -q c4 '$tmp/updates'"

# --- negative control: no [ddns] section, no updates -------------------------
stop_server
sed -i '/^\[ddns\]/,$d' "$tmp/dhcpd.conf"
kill "$recv_pid" 2>/dev/null
wait "$recv_pid" 2>/dev/null
start_recv "$KEY"
lines=$(wc -l <"$tmp/updates")
start_server || bad "server restart without [ddns]"
check "no [ddns]: udhcpc (hostname c5) gets a lease" run_udhcpc "$C1" "$if1" "$tmp/u5.out" -x hostname:c5
sleep 1
check "no [ddns]: no update sent" test "$(wc -l <"$tmp/updates")" = "$lines"
stop_server

echo "passed $pass, failed $fail"
if [ "$fail" -ne 0 ]; then
    echo "--- updates"
    cat "$tmp/updates"
    for f in "$tmp"/dhcpd.log.*; do
        echo "--- $f"
        cat "$f"
    done
    exit 1
fi
exit 0
