#!/usr/bin/env bash
# labnet-dhcpd against real clients (busybox udhcpc, ISC dhclient) inside
# network namespaces this test creates: a server namespace with a bridge,
# client namespaces attached to it by veth.  Nothing touches a host
# interface; everything is removed on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcpd.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dhcp_lab.sh
. "$here/dhcp_lab.sh"
netns_require
dhcp_lab_find_udhcpc
command -v dhclient >/dev/null || { echo "SKIP: dhclient (isc-dhcp-client) is not installed"; exit 77; }
[ -x "$dhcpd" ] || { echo "FAIL: $dhcpd not built"; exit 1; }

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

# Client scripts: record what the client was told, configure the address
# (a renewal is unicast from it).
cat >"$tmp/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
out=${UDHCPC_OUT:?}
case "$1" in
deconfig) ip addr flush dev "$interface" ;;
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    echo "event=$1 ip=$ip subnet=$subnet router=$router dns=$dns domain=$domain search=$search ntpsrv=$ntpsrv hostname=${hostname:-} lease=$lease staticroutes=${staticroutes:-}" >>"$out"
    ;;
nak|leasefail) echo "event=$1" >>"$out" ;;
esac
exit 0
SCRIPT
# dhclient runs its script with a cleaned environment: the output path is
# written into the script.
cat >"$tmp/dhclient.sh" <<SCRIPT
#!/bin/sh
out=$tmp/d2.out
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "\$interface"
    ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
    echo "reason=\$reason ip=\$new_ip_address mask=\$new_subnet_mask routers=\$new_routers dns=\$new_domain_name_servers domain=\$new_domain_name lease=\$new_dhcp_lease_time" >>"\$out"
    ;;
esac
exit 0
SCRIPT
chmod +x "$tmp/udhcpc.sh" "$tmp/dhclient.sh"

state="$tmp/state"
conf="$tmp/dhcpd.conf"
cat >"$conf" <<CONF
[server]
interfaces = br0
state-dir = $state
offer-hold = 5s

[subnet 10.77.0.0/24]
pool = 10.77.0.100-10.77.0.150
router = 10.77.0.1
dns = 10.77.0.53, 10.77.0.54
domain = lab.test
search = lab.test, example.test
ntp = 10.77.0.123
route = 192.168.50.0/24 10.77.0.1
lease-time = 1h

[host printer]
mac = 02:00:00:00:00:99
address = 10.77.0.20
hostname = printer
CONF

start_server() {
    netns_spawn "$S" "$tmp/dhcpd.log.$1" "$dhcpd" -f -c "$conf"
    srv_pid=$NETNS_PID
    netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log.$1'" 5
}
leases_json() { "$dhcpd" --state-dir "$state" --leases --json; }

check "configuration is valid (-t)" "$dhcpd" -t -c "$conf"
check "server starts" start_server 1

# --- udhcpc gets a lease with every option ---------------------------------
run_udhcpc() { # run_udhcpc NS IF OUT [extra args]
    local ns=$1 ifc=$2 out=$3
    shift 3
    # shellcheck disable=SC2086
    UDHCPC_OUT=$out timeout 20 ip netns exec "$ns" $udhcpc -f -q -n -t 4 -T 1 -i "$ifc" \
        -s "$tmp/udhcpc.sh" -O search -O ntpsrv -O staticroutes "$@" >>"$tmp/udhcpc.log" 2>&1
}
check "udhcpc gets a lease" run_udhcpc "$C1" "$if1" "$tmp/u1.out"
u1=$(tail -n1 "$tmp/u1.out" 2>/dev/null)
echo "udhcpc: $u1"
ip1=$(sed -n 's/.* ip=\([0-9.]*\).*/\1/p' <<<"$u1")
check "udhcpc address is in the pool" grep -qE 'ip=10\.77\.0\.(1[0-4][0-9]|150) ' <<<"$u1"
check "udhcpc got mask, router, DNS, domain" grep -q \
    "subnet=255.255.255.0 router=10.77.0.1 dns=10.77.0.53 10.77.0.54 domain=lab.test" <<<"$u1"
check "udhcpc got search (119), NTP (42), lease time" grep -qE \
    "search=lab.test example.test ntpsrv=10.77.0.123 .*lease=3600" <<<"$u1"
check "udhcpc got classless routes (121)" grep -q "staticroutes=192.168.50.0/24 10.77.0.1" <<<"$u1"
check "the address is configured in the client namespace" \
    netns_exec "$C1" ip -4 addr show dev "$if1" to "$ip1"
j=$(leases_json)
check "--leases --json lists the udhcpc lease" grep -q \
    "\"address\": \"$ip1\", \"mac\": \"02:00:00:00:00:01\".*\"state\": \"bound\"" <<<"$j"
check "server logged the DORA steps" grep -qE \
    "DHCPDISCOVER from 02:00:00:00:00:01 via br0 -> OFFER $ip1" "$tmp/dhcpd.log.1"

# --- dhclient ----------------------------------------------------------------
run_dhclient() {
    timeout 30 ip netns exec "$C2" dhclient -1 -v -sf "$tmp/dhclient.sh" -lf "$tmp/dhclient.leases" -pf "$tmp/dhclient.pid" \
        "$if2" >>"$tmp/dhclient.log" 2>&1
}
check "dhclient gets a lease" run_dhclient
d2=$(tail -n1 "$tmp/d2.out" 2>/dev/null)
echo "dhclient: $d2"
ip2=$(sed -n 's/.* ip=\([0-9.]*\).*/\1/p' <<<"$d2")
check "dhclient address, mask, router, DNS, domain" grep -qE \
    "reason=BOUND ip=10\.77\.0\.1[0-9][0-9] mask=255.255.255.0 routers=10.77.0.1 dns=10.77.0.53 10.77.0.54 domain=lab.test lease=3600" <<<"$d2"
check "the two clients got different addresses" test -n "$ip2" -a "$ip1" != "$ip2"
[ -f "$tmp/dhclient.pid" ] && kill "$(cat "$tmp/dhclient.pid")" 2>/dev/null

# --- SIGHUP reloads and keeps the leases ---------------------------------------
kill -HUP "$srv_pid"
check "SIGHUP reloads the configuration, keeping the leases" \
    netns_wait_for "grep -qE 'configuration reloaded: [0-9]+ addresses, [1-9][0-9]* leases kept' '$tmp/dhcpd.log.1'" 5

# --- a reserved MAC gets its address ------------------------------------------
netns_exec "$C1" ip link set "$if1" address 02:00:00:00:00:99
check "reserved MAC: udhcpc gets a lease" run_udhcpc "$C1" "$if1" "$tmp/u3.out"
check "reserved MAC gets 10.77.0.20 and its host name" grep -q "ip=10.77.0.20 .*hostname=printer" \
    <(tail -n1 "$tmp/u3.out" 2>/dev/null)
netns_exec "$C1" ip link set "$if1" address 02:00:00:00:00:01
netns_exec "$C1" ip addr flush dev "$if1"

# --- kill -9 after the ACK, restart, renew ----------------------------------
# udhcpc stays running (no -q); after the restart SIGUSR1 makes it renew
# (RENEWING: unicast REQUEST from its address).
: >"$tmp/u4.out"
# shellcheck disable=SC2086 # "busybox udhcpc" is two words
netns_spawn "$C1" "$tmp/udhcpc4.log" env UDHCPC_OUT="$tmp/u4.out" \
    $udhcpc -f -t 4 -T 1 -i "$if1" -s "$tmp/udhcpc.sh"
upid=$NETNS_PID
check "udhcpc (daemon) bound again to its old address" \
    netns_wait_for "grep -q 'event=bound ip=$ip1 ' '$tmp/u4.out'" 10
kill -KILL "$srv_pid"
wait "$srv_pid" 2>/dev/null
check "lease still in the database after kill -9" grep -q "\"address\": \"$ip1\"" <(leases_json)
check "server restarts on the same database" start_server 2
check "restart loaded the leases" grep -qE "lease database .*: [1-9][0-9]* leases loaded" \
    "$tmp/dhcpd.log.2"
kill -USR1 "$upid" 2>/dev/null
check "udhcpc renewal after the restart gets the same address" \
    netns_wait_for "grep -q 'event=renew ip=$ip1 ' '$tmp/u4.out'" 10
check "the renewal was a unicast REQUEST from ciaddr (ACK logged)" \
    grep -q "DHCPREQUEST for $ip1 from 02:00:00:00:00:01 via br0 -> ACK" "$tmp/dhcpd.log.2"
kill "$upid" 2>/dev/null

# dhclient again with its lease file: INIT-REBOOT for the same address.
check "dhclient reboot after the restart" run_dhclient
check "dhclient keeps its address across the server restart" grep -q "reason=REBOOT ip=$ip2 " \
    <(tail -n1 "$tmp/d2.out" 2>/dev/null)
[ -f "$tmp/dhclient.pid" ] && kill "$(cat "$tmp/dhclient.pid")" 2>/dev/null

# --- negative controls -------------------------------------------------------
kill -TERM "$srv_pid"
wait "$srv_pid" 2>/dev/null
printf 'this is not a database, but it was one once' >"$state/bad.sqlite"
cp "$state/dhcpd-leases.sqlite" "$tmp/good.sqlite"
rm -f "$state/dhcpd-leases.sqlite-wal" "$state/dhcpd-leases.sqlite-shm"
cp "$state/bad.sqlite" "$state/dhcpd-leases.sqlite"
netns_exec "$S" "$dhcpd" -f -c "$conf" >"$tmp/dhcpd.log.bad" 2>&1
rc=$?
check "a corrupt database stops start-up" test "$rc" -ne 0
check "...with a clear message" grep -q "not starting: the file was left as it is" "$tmp/dhcpd.log.bad"
check "...and the file is left as it was" cmp -s "$state/bad.sqlite" "$state/dhcpd-leases.sqlite"
check "a pool outside its subnet is refused" bash -c \
    "! '$dhcpd' -t --subnet 10.1.0.0/24 --pool 10.2.0.10-10.2.0.20 >/dev/null 2>&1"
# --- ping-check: an address somebody configured by hand is not offered ----
sed -e "s|state-dir = .*|state-dir = $tmp/state2|" -e 's|^offer-hold = 5s|&\nping-check = yes\nping-timeout = 300ms|' \
    "$conf" >"$tmp/ping.conf"
netns_exec "$C2" ip addr flush dev "$if2"
netns_exec "$C2" ip addr add 10.77.0.100/24 dev "$if2"
netns_exec "$C1" ip addr flush dev "$if1"
# The server's neighbour cache still maps .100 to the client that had it.
netns_exec "$S" ip neigh flush dev br0
netns_spawn "$S" "$tmp/dhcpd.log.ping" "$dhcpd" -f -c "$tmp/ping.conf"
srv_pid=$NETNS_PID
check "ping-check server starts" netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log.ping'" 5
check "ping-check: udhcpc gets a lease" run_udhcpc "$C1" "$if1" "$tmp/u5.out"
check "ping-check: the address in use (10.77.0.100) is skipped" grep -q "ip=10.77.0.101 " \
    <(tail -n1 "$tmp/u5.out" 2>/dev/null)
check "ping-check: the conflict is logged" grep -q "10.77.0.100 answers ping" "$tmp/dhcpd.log.ping"
kill -TERM "$srv_pid"
wait "$srv_pid" 2>/dev/null

# With the server stopped, no client gets an address.
check "no server, no lease" bash -c "! UDHCPC_OUT=$tmp/none.out timeout 10 ip netns exec $C1 \
    $udhcpc -f -q -n -t 2 -T 1 -i $if1 -s $tmp/udhcpc.sh >/dev/null 2>&1"

# Under the sanitizer build the server reports leaks and errors at exit.
check "no sanitizer report from the server" bash -c "! grep -qE 'Sanitizer|runtime error' $tmp/dhcpd.log.*"

echo "$pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for f in "$tmp"/dhcpd.log.* "$tmp/udhcpc.log" "$tmp/dhclient.log"; do
        echo "--- $f"
        tail -n 30 "$f"
    done
fi
[ "$fail" -eq 0 ]
