#!/usr/bin/env bash
# labnet-dhcpd behind a relay (ISC dhcrelay), in network namespaces this
# test creates:
#
#   clients --- lan1 (10.90.0.0/24) --+
#                                     R (dhcrelay -a, forwarding) --- 10.91.0.0/24 --- S (labnet-dhcpd)
#   clients --- lan2 (10.92.0.0/24) --+
#
# The server has a subnet for each LAN and one for its own link (with a
# pool of its own, so that choosing by the arrival interface would show).
# Checked: each client gets an address of its own LAN's subnet, chosen by
# giaddr; the reply goes back through the relay; dhcrelay -a adds option
# 82 and the server echoes it unchanged (seen on the server's link by a
# packet sniffer); a renewal goes unicast, routed, straight to the server;
# a release frees the lease; a NAK for a client moved to the other LAN
# (INIT-REBOOT, wrong network) comes back through the relay.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcp_relay.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
client="$build/clients/labnet-dhcp"
sniffer="$build/tests/labnet-dhcpstorm"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dhcp_lab.sh
. "$here/dhcp_lab.sh"
netns_require
for tool in dhcrelay dhclient; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed; run scripts/deps.sh"; exit 77; }
done
dhcp_lab_find_udhcpc
for f in "$dhcpd" "$client" "$sniffer"; do
    [ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
t_start=$(date +%s)

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

S=$(netns_add srv) || exit 1
R=$(netns_add relay) || exit 1
read -r rup sif < <(netns_link "$R" "$S" 10.91.0.1/24 10.91.0.2/24) || exit 1
netns_bridge "$R" lan1 10.90.0.1/24 || exit 1
netns_bridge "$R" lan2 10.92.0.1/24 || exit 1
netns_exec "$R" sysctl -qw net.ipv4.ip_forward=1 || exit 1
ip -n "$S" route add 10.90.0.0/24 via 10.91.0.1 || exit 1
ip -n "$S" route add 10.92.0.0/24 via 10.91.0.1 || exit 1
declare -A NS IFC
attach() { # attach NAME LAN MAC
    local ns ifc
    ns=$(netns_add "$1") || return 1
    ifc=$(netns_attach "$R" "$2" "$ns" "") || return 1
    ip -n "$ns" link set "$ifc" address "$3" || return 1
    NS[$1]=$ns
    IFC[$1]=$ifc
}
attach lab lan1 02:00:00:00:02:01 && attach udh lan1 02:00:00:00:02:02 &&
    attach dcl lan2 02:00:00:00:02:03 || { echo "FAIL: topology"; exit 1; }

state="$tmp/state"
cat >"$tmp/dhcpd.conf" <<CONF
[server]
interfaces = $sif
state-dir = $state

[subnet 10.91.0.0/24]
pool = 10.91.0.100-10.91.0.150
router = 10.91.0.1

[subnet 10.90.0.0/24]
pool = 10.90.0.100-10.90.0.150
router = 10.90.0.1
dns = 10.90.0.53
domain = lan1.test
lease-time = 10m

[subnet 10.92.0.0/24]
pool = 10.92.0.100-10.92.0.150
router = 10.92.0.1
dns = 10.92.0.53
domain = lan2.test
lease-time = 5m
CONF
netns_spawn "$S" "$tmp/dhcpd.log" "$dhcpd" -f -c "$tmp/dhcpd.conf"
srv_pid=$NETNS_PID
check "labnet-dhcpd starts" netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log'" 5
netns_spawn "$S" "$tmp/sniff.out" "$sniffer" -i "$sif" --sniff -t 50
sniff_pid=$NETNS_PID
# -a: add option 82 (circuit id = the client's interface); -id/-iu: the
# downstream (client) and upstream (server) interfaces.
netns_spawn "$R" "$tmp/dhcrelay.log" dhcrelay -4 -d --no-pid -a -id lan1 -id lan2 -iu "$rup" 10.91.0.2
relay_pid=$NETNS_PID
check "dhcrelay starts" netns_wait_for "grep -q 'Sending on' '$tmp/dhcrelay.log'" 5
check "sniffer on the server's link starts" netns_wait_for "grep -q sniffing '$tmp/sniff.out'" 5
leases() { "$dhcpd" --state-dir "$state" --leases --json; }
lease_row() { leases | grep -F "\"address\": \"$1\","; }
lv() { sed -n "s/^$2='\\(.*\\)'\$/\\1/p" "$1"; }
lab() {
    netns_exec "${NS[lab]}" "$client" -l "$tmp/lab.lease" --backoff 300 --timeout 10 "$@" "${IFC[lab]}"
}

# --- labnet-dhcp on lan1 ----------------------------------------------------------
lab -v --apply >"$tmp/lab.out" 2>"$tmp/lab.err"
check "labnet-dhcp via the relay: exit 0" [ $? -eq 0 ]
a=$(lv "$tmp/lab.out" ip)
check "lan1 client gets a lan1 address ($a) with lan1's router, DNS, domain, lease" \
    bash -c '[[ $1 =~ ^10\.90\.0\.1[0-4][0-9]$ ]] && [ "$2 $3 $4 $5" = "10.90.0.1 10.90.0.53 lan1.test 600" ]' \
    _ "$a" "$(lv "$tmp/lab.out" router)" "$(lv "$tmp/lab.out" dns)" "$(lv "$tmp/lab.out" domain)" \
    "$(lv "$tmp/lab.out" lease)"
check "the server identifier is the server's own address" grep -qx "serverid='10.91.0.2'" "$tmp/lab.out"
check "the server chose the subnet by giaddr (logged via its link, relayed)" \
    grep -q "DHCPREQUEST for $a from 02:00:00:00:02:01 via $sif -> ACK $a" "$tmp/dhcpd.log"
check "dhcrelay forwarded the request up and the reply down" \
    bash -c 'grep -q "Forwarded BOOTREQUEST for 02:00:00:00:02:01 to 10.91.0.2" "$1" &&
        grep -q "Forwarded BOOTREPLY for 02:00:00:00:02:01 to" "$1"' _ "$tmp/dhcrelay.log"
# Option 82 on the server's link: the relay's requests carry it and the
# server's replies carry the same bytes back.
req82=$(awk '$1 == "REQUEST" && $3 == "giaddr=10.90.0.1" {print $5}' "$tmp/sniff.out" | head -n1)
ack82=$(awk -v y="yiaddr=$a" '$1 == "ACK" && $3 == "giaddr=10.90.0.1" && $4 == y {print $5}' "$tmp/sniff.out" | head -n1)
check "dhcrelay -a added option 82 to the relayed REQUEST (${req82})" \
    bash -c '[[ $1 =~ ^opt82=01[0-9a-f]+ ]]' _ "$req82"
check "the server's ACK echoes option 82 unchanged" bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$ack82" "$req82"
check "the OFFER and ACK went to the relay (giaddr set, op 2)" \
    bash -c 'grep -q "^OFFER op=2 giaddr=10.90.0.1 yiaddr=$2" "$1" && grep -q "^ACK op=2 giaddr=10.90.0.1 yiaddr=$2" "$1"' \
    _ "$tmp/sniff.out" "$a"

# Renewal: unicast from the leased address, routed through R to the server,
# the ACK straight back to ciaddr.
lab -v --renew >/dev/null 2>"$tmp/renew.err"
check "renew across the router: exit 0, unicast REQUEST to 10.91.0.2, ACK for $a" \
    bash -c '[ $3 -eq 0 ] && grep -q "^REQUEST $2 xid=.* -> 10.91.0.2\$" "$1" && grep -q "^<- ACK $2 " "$1"' \
    _ "$tmp/renew.err" "$a" $?
check "the server ACKed the routed renewal itself (giaddr 0, trusting ciaddr)" \
    grep -q "^ACK op=2 giaddr=0.0.0.0 yiaddr=$a opt82=-" "$tmp/sniff.out"
check "...and never NAKed it as on the wrong network" \
    bash -c '! grep -q "DHCPREQUEST for $1 from 02:00:00:00:02:01 via .* -> NAK" "$2"' _ "$a" "$tmp/dhcpd.log"
lab -v --inform >"$tmp/inform.out" 2>"$tmp/inform.err"
check "inform from the routed client: exit 0, lan1's router and domain" \
    bash -c '[ $2 -eq 0 ] && grep -qx "router=.10.90.0.1." "$1" && grep -qx "domain=.lan1.test." "$1"' \
    _ "$tmp/inform.out" $?

# --- udhcpc on lan1, dhclient on lan2 ----------------------------------------------
cat >"$tmp/udhcpc.sh" <<SCRIPT
#!/bin/sh
case "\$1" in
bound|renew) echo "ip=\$ip mask=\$subnet router=\$router dns=\$dns domain=\$domain lease=\$lease" >>$tmp/udh.out ;;
esac
exit 0
SCRIPT
cat >"$tmp/dhclient.sh" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "\$interface"
    ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
    echo "reason=\$reason ip=\$new_ip_address router=\$new_routers dns=\$new_domain_name_servers domain=\$new_domain_name lease=\$new_dhcp_lease_time" >>$tmp/dcl.out ;;
esac
exit 0
SCRIPT
chmod +x "$tmp/udhcpc.sh" "$tmp/dhclient.sh"
timeout 20 ip netns exec "${NS[udh]}" $udhcpc -f -q -n -t 5 -T 1 -i "${IFC[udh]}" \
    -s "$tmp/udhcpc.sh" >"$tmp/udh.log" 2>&1
check "udhcpc via the relay: a lan1 address with lan1's options" \
    grep -qE "^ip=10\.90\.0\.1[0-4][0-9] mask=255.255.255.0 router=10.90.0.1 dns=10.90.0.53 domain=lan1.test lease=600\$" \
    "$tmp/udh.out"
run_dhclient() {
    timeout 25 ip netns exec "${NS[dcl]}" dhclient -1 -v -sf "$tmp/dhclient.sh" \
        -lf "$tmp/dhclient.leases" -pf "$tmp/dhclient.pid" "${IFC[dcl]}" >>"$tmp/dcl.log" 2>&1
    local rc=$?
    [ -f "$tmp/dhclient.pid" ] && kill "$(cat "$tmp/dhclient.pid")" 2>/dev/null
    rm -f "$tmp/dhclient.pid"
    return $rc
}
run_dhclient
check "dhclient on lan2 via the relay: exit 0" [ $? -eq 0 ]
check "dhclient gets a lan2 address with lan2's options" \
    grep -qE "^reason=BOUND ip=10\.92\.0\.1[0-4][0-9] router=10.92.0.1 dns=10.92.0.53 domain=lan2.test lease=300\$" \
    "$tmp/dcl.out"
check "no client got an address of the server's own link" bash -c '! grep -q "10\.91\.0\.1[0-9][0-9]" <<<"$1"' _ "$(leases)"
d=$(sed -n 's/.* ip=\([0-9.]*\) .*/\1/p' "$tmp/dcl.out" | tail -n1)
lan2_82=$(awk '$1 == "REQUEST" && $3 == "giaddr=10.92.0.1" {print $5}' "$tmp/sniff.out" | head -n1)
check "option 82 differs per LAN (circuit id names the relay's interface)" \
    bash -c '[[ $1 =~ ^opt82=01 ]] && [ "$1" != "$2" ]' _ "$lan2_82" "$req82"

# --- a NAK through the relay -------------------------------------------------------
# dhclient, holding a lan2 lease, is plugged into lan1: its INIT-REBOOT
# REQUEST arrives with giaddr 10.90.0.1 and gets a NAK (wrong network),
# which the relay must deliver.
rend="${IFC[dcl]%b}a"
ip -n "$R" link set "$rend" nomaster && ip -n "$R" link set "$rend" master lan1
ip -n "${NS[dcl]}" addr flush dev "${IFC[dcl]}"
: >"$tmp/dcl.out"
run_dhclient
check "moved dhclient: its REQUEST for $d is NAKed (wrong network)" \
    grep -q "DHCPREQUEST for $d from 02:00:00:00:02:03 via $sif -> NAK (wrong network)" "$tmp/dhcpd.log"
check "the NAK went to the relay with the broadcast bit, and reached dhclient" \
    bash -c 'grep -q "^NAK op=2 giaddr=10.90.0.1 .* flags=0x8000" "$1" && grep -q "DHCPNAK from" "$2"' _ "$tmp/sniff.out" "$tmp/dcl.log"
check "moved dhclient: then BOUND in lan1" \
    grep -qE "^reason=BOUND ip=10\.90\.0\.1[0-4][0-9] router=10.90.0.1 dns=10.90.0.53 domain=lan1.test lease=600\$" \
    "$tmp/dcl.out"

# --- release through the router ------------------------------------------------------
lab -v --release --apply >/dev/null 2>"$tmp/release.err"
check "release: exit 0, RELEASE sent to 10.91.0.2" \
    bash -c '[ $2 -eq 0 ] && grep -q "^RELEASE .* -> 10.91.0.2" "$1"' _ "$tmp/release.err" $?
check "release: the server freed the lease" \
    bash -c 'grep -q "\"state\": \"released\"" <<<"$1"' _ "$(lease_row "$a")"

check "no sanitizer report from the server" bash -c "! grep -qE 'Sanitizer|runtime error' '$tmp/dhcpd.log'"
kill -TERM "$relay_pid" "$sniff_pid" "$srv_pid" 2>/dev/null
wait "$srv_pid" 2>/dev/null
check "server stops cleanly on SIGTERM" [ $? -eq 0 ]
echo "took $(($(date +%s) - t_start)) s"
echo "dhcp relay: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for f in "$tmp"/dhcpd.log "$tmp"/dhcrelay.log "$tmp"/sniff.out "$tmp"/*.err "$tmp"/dcl.log; do
        echo "--- $f"
        tail -n 25 "$f"
    done
fi
[ "$fail" -eq 0 ]
