#!/usr/bin/env bash
# The DHCP client matrix against labnet-dhcpd, inside network namespaces
# this test creates: a server namespace with two bridges (br0 serves
# 10.79.0.0/24, br1 serves 10.80.0.0/24) and one namespace per client,
# attached by veth.  Nothing touches a host interface.
#
#  1. labnet-dhcp, ISC dhclient, busybox udhcpc and dhcpcd, plus four more
#     labnet-dhcp clients, all at once: each gets a pool address with the
#     router, DNS servers, domain and lease time; no two get the same one,
#     and the server's database agrees with every client.
#  2. Reserved MACs (labnet-dhcp, dhcpcd) get their reserved addresses.
#  3. labnet-dhcp against labnet-dhcpd: renew (unicast), rebind
#     (broadcast), inform (options, no lease), release (the lease is freed
#     and another client can have it), decline (quarantined: the next
#     client asking for it gets another), --request of a free address.
#  4. INIT-REBOOT into the wrong subnet: dhclient, holding a lease from
#     br0, is moved to br1; its REQUEST for the old address gets a NAK and
#     it then gets an address of the new subnet.
#  5. labnet-dhcp -d on br2 (T1 2 s, T2 4 s): renews at T1 by unicast; the
#     server is killed with SIGKILL; at T2 the client rebinds by broadcast,
#     the restarted server answers from its database: the same address.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcp_matrix.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
client="$build/clients/labnet-dhcp"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dhcp_lab.sh
. "$here/dhcp_lab.sh"
netns_require
dhcp_lab_find_udhcpc
for tool in dhclient dhcpcd unshare; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed; run scripts/deps.sh"; exit 77; }
done
[ -x "$dhcpd" ] || { echo "FAIL: $dhcpd not built"; exit 1; }
[ -x "$client" ] || { echo "FAIL: $client not built"; exit 1; }
t_start=$(date +%s)

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

# --- topology ------------------------------------------------------------
S=$(netns_add srv) || exit 1
netns_bridge "$S" br0 10.79.0.1/24 || exit 1
netns_bridge "$S" br1 10.80.0.1/24 || exit 1
netns_bridge "$S" br2 10.81.0.1/24 || exit 1
declare -A NS IFC
# attach NAME MAC: a client namespace on br0 with that MAC and no address.
attach() {
    local ns ifc
    ns=$(netns_add "$1") || return 1
    ifc=$(netns_attach "$S" br0 "$ns" "") || return 1
    ip -n "$ns" link set "$ifc" address "$2" || return 1
    NS[$1]=$ns
    IFC[$1]=$ifc
}
for spec in lab:02:00:00:00:01:01 dcl:02:00:00:00:01:02 udh:02:00:00:00:01:03 \
    dcd:02:00:00:00:01:04 x1:02:00:00:00:01:11 x2:02:00:00:00:01:12 x3:02:00:00:00:01:13 \
    x4:02:00:00:00:01:14 res:02:00:00:00:01:99 inf:02:00:00:00:01:30 \
    rel:02:00:00:00:01:21 dec:02:00:00:00:01:22 req:02:00:00:00:01:23; do
    attach "${spec%%:*}" "${spec#*:}" || { echo "FAIL: topology"; exit 1; }
done
mac_of() { ip -n "${NS[$1]}" link show "${IFC[$1]}" | awk '/link\/ether/ {print $2}'; }

state="$tmp/state"
cat >"$tmp/dhcpd.conf" <<CONF
[server]
interfaces = br0, br1, br2
state-dir = $state
offer-hold = 5s
decline-quarantine = 10m

[subnet 10.79.0.0/24]
pool = 10.79.0.100-10.79.0.199
router = 10.79.0.1
dns = 10.79.0.53, 10.79.0.54
domain = lab.test
lease-time = 10m

[subnet 10.80.0.0/24]
pool = 10.80.0.100-10.80.0.150
router = 10.80.0.1
dns = 10.80.0.53
domain = b.test
lease-time = 5m

[subnet 10.81.0.0/24]
pool = 10.81.0.100-10.81.0.150
router = 10.81.0.1
lease-time = 1m
t1 = 2s
t2 = 4s

[host labres]
mac = 02:00:00:00:01:99
address = 10.79.0.20
hostname = labres

[host dcdres]
mac = 02:00:00:00:01:98
address = 10.79.0.21
hostname = dcdres
CONF
netns_spawn "$S" "$tmp/dhcpd.log" "$dhcpd" -f -c "$tmp/dhcpd.conf"
srv_pid=$NETNS_PID
check "labnet-dhcpd serves br0, br1 and br2" \
    netns_wait_for "grep -q 'Serving DHCP on br0 br1 br2' '$tmp/dhcpd.log'" 5
leases() { "$dhcpd" --state-dir "$state" --leases --json; }
# lease_row ADDR: the --leases --json object for ADDR (one per line).
lease_row() { leases | grep -F "\"address\": \"$1\","; }
field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\}[,}].*/\1/p"; }

# labnet-dhcp prints shell assignments, each value single-quoted.
lv() { sed -n "s/^$2='\\(.*\\)'\$/\\1/p" "$1"; }

# --- client runners ----------------------------------------------------------
FAST=(--backoff 300 --timeout 10)
lab() { # lab NAME [args]: labnet-dhcp in NAME's namespace, lease file per NAME
    local n=$1
    shift
    netns_exec "${NS[$n]}" "$client" -l "$tmp/$n.lease" "${FAST[@]}" "$@" "${IFC[$n]}"
}
cat >"$tmp/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
case "$1" in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    echo "ip=$ip mask=$subnet router=$router dns=$dns domain=$domain lease=$lease" >>"$UDHCPC_OUT" ;;
esac
exit 0
SCRIPT
# dhclient cleans its script's environment: the output path is written in.
cat >"$tmp/dhclient.sh" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "\$interface"
    ip addr add "\$new_ip_address/\$new_subnet_mask" dev "\$interface"
    echo "reason=\$reason ip=\$new_ip_address mask=\$new_subnet_mask router=\$new_routers dns=\$new_domain_name_servers domain=\$new_domain_name lease=\$new_dhcp_lease_time" >>$tmp/dcl.out ;;
esac
exit 0
SCRIPT
cat >"$tmp/dhcpcd.hook" <<SCRIPT
#!/bin/sh
case "\$reason" in
BOUND|RENEW|REBIND|REBOOT)
    echo "reason=\$reason ip=\$new_ip_address mask=\$new_subnet_mask router=\$new_routers dns=\$new_domain_name_servers domain=\$new_domain_name lease=\$new_dhcp_lease_time" >>$tmp/dcd.out ;;
esac
exit 0
SCRIPT
# dhcpcd asks only for what its configuration names; noarp skips the
# 5-second probe of the offered address.
printf 'option domain_name_servers, domain_name\nnoarp\n' >"$tmp/dhcpcd.conf"
chmod +x "$tmp/udhcpc.sh" "$tmp/dhclient.sh" "$tmp/dhcpcd.hook"
run_udhcpc() {
    # shellcheck disable=SC2086 # "busybox udhcpc" is two words
    UDHCPC_OUT=$tmp/udh.out timeout 20 ip netns exec "${NS[udh]}" $udhcpc -f -q -n -t 5 -T 1 \
        -i "${IFC[udh]}" -s "$tmp/udhcpc.sh" >"$tmp/udh.log" 2>&1
}
run_dhclient() {
    timeout 25 ip netns exec "${NS[dcl]}" dhclient -1 -v -sf "$tmp/dhclient.sh" \
        -lf "$tmp/dhclient.leases" -pf "$tmp/dhclient.pid" "${IFC[dcl]}" >>"$tmp/dcl.log" 2>&1
    local rc=$?
    # -1 leaves dhclient running once bound; this test wants only the lease.
    [ -f "$tmp/dhclient.pid" ] && kill "$(cat "$tmp/dhclient.pid")" 2>/dev/null
    rm -f "$tmp/dhclient.pid"
    return $rc
}
# dhcpcd keeps its database in /var/lib/dhcpcd and its pid file and socket
# in /run/dhcpcd: a private mount namespace puts both in the test's temp
# directory, so the host's are never touched.
run_dhcpcd() { # run_dhcpcd DBDIR
    mkdir -p "$1/db" "$1/run"
    # shellcheck disable=SC2016 # expanded by the inner sh
    timeout 25 ip netns exec "${NS[dcd]}" unshare -m sh -c '
        mount --bind "$1/db" /var/lib/dhcpcd && mount --bind "$1/run" /run &&
        mkdir -p /run/dhcpcd &&
        exec dhcpcd -B -1 -4 -f "$2" -c "$3" --noipv4ll -t 15 "$4"' _ \
        "$1" "$tmp/dhcpcd.conf" "$tmp/dhcpcd.hook" "${IFC[dcd]}" >>"$tmp/dcd.log" 2>&1
}

# --- 1. every client at once ---------------------------------------------
declare -A PID
lab lab --apply >"$tmp/lab.out" 2>"$tmp/lab.err" &
PID[lab]=$!
run_dhclient &
PID[dcl]=$!
run_udhcpc &
PID[udh]=$!
run_dhcpcd "$tmp/dcd1" &
PID[dcd]=$!
for n in x1 x2 x3 x4; do
    lab "$n" >"$tmp/$n.out" 2>"$tmp/$n.err" &
    PID[$n]=$!
done
for n in lab dcl udh dcd x1 x2 x3 x4; do
    wait "${PID[$n]}"
    check "$n: client exits 0" [ $? -eq 0 ]
done

declare -A IP
ip_of_out() { sed -n 's/.*\bip=\([0-9.]*\).*/\1/p' "$1" | tail -n1; }
for n in lab x1 x2 x3 x4; do
    IP[$n]=$(lv "$tmp/$n.out" ip)
done
IP[dcl]=$(ip_of_out "$tmp/dcl.out")
IP[udh]=$(ip_of_out "$tmp/udh.out")
IP[dcd]=$(ip_of_out "$tmp/dcd.out")
echo "addresses: lab=${IP[lab]} dhclient=${IP[dcl]} udhcpc=${IP[udh]} dhcpcd=${IP[dcd]}" \
    "x1..x4=${IP[x1]} ${IP[x2]} ${IP[x3]} ${IP[x4]}"

o="$tmp/lab.out"
check "labnet-dhcp: pool address, /24, router, both DNS servers, domain, 600 s" \
    bash -c '[[ $1 =~ ^10\.79\.0\.1[0-9][0-9]$ ]] && [ "$2 $3 $4 $5 $6" = "24 10.79.0.1 10.79.0.53 10.79.0.54 lab.test 600" ]' \
    _ "$(lv "$o" ip)" "$(lv "$o" mask)" "$(lv "$o" router)" "$(lv "$o" dns)" "$(lv "$o" domain)" "$(lv "$o" lease)"
want='mask=255.255.255.0 router=10.79.0.1 dns=10.79.0.53 10.79.0.54 domain=lab.test lease=600'
check "dhclient: BOUND, pool address, mask, router, DNS, domain, lease time" \
    grep -qE "reason=BOUND ip=10\.79\.0\.1[0-9][0-9] $want\$" "$tmp/dcl.out"
check "udhcpc: pool address, mask, router, DNS, domain, lease time" \
    grep -qE "ip=10\.79\.0\.1[0-9][0-9] $want\$" "$tmp/udh.out"
check "dhcpcd: BOUND, pool address, mask, router, DNS, domain, lease time" \
    grep -qE "reason=BOUND ip=10\.79\.0\.1[0-9][0-9] $want\$" "$tmp/dcd.out"
check "eight clients at once: eight distinct addresses" \
    bash -c '[ "$1" -eq 8 ] && [ "$2" -eq 8 ]' _ "$(printf '%s\n' "${IP[@]}" | grep -c .)" \
    "$(printf '%s\n' "${IP[@]}" | sort -u | grep -c .)"
j=$(leases)
agree=0
for n in lab dcl udh dcd x1 x2 x3 x4; do
    grep -q "\"address\": \"${IP[$n]}\", \"mac\": \"$(mac_of "$n")\".*\"state\": \"bound\"" <<<"$j" &&
        agree=$((agree + 1))
done
check "the server's database binds each address to the client that has it ($agree/8)" [ "$agree" -eq 8 ]
check "the database holds exactly those eight bound leases" \
    [ "$(grep -c '"state": "bound"' <<<"$j")" -eq 8 ]
check "labnet-dhcp --apply configured its address" \
    bash -c "ip -n ${NS[lab]} -4 addr show dev ${IFC[lab]} | grep -q 'inet ${IP[lab]}/24'"

# --- 2. reservations -------------------------------------------------------
lab res >"$tmp/res.out" 2>&1
check "reserved MAC (labnet-dhcp): exit 0, 10.79.0.20, host name from the reservation" \
    bash -c 'grep -qx "ip=.10.79.0.20." "$1" && grep -qx "hostname=.labres." "$1"' _ "$tmp/res.out"
ip -n "${NS[dcd]}" link set "${IFC[dcd]}" address 02:00:00:00:01:98
ip -n "${NS[dcd]}" addr flush dev "${IFC[dcd]}"
run_dhcpcd "$tmp/dcd2"
check "reserved MAC (dhcpcd): BOUND to 10.79.0.21" \
    grep -q "reason=BOUND ip=10.79.0.21 mask=255.255.255.0" <(tail -n1 "$tmp/dcd.out")
check "reserved addresses bound to their MACs in the database" \
    bash -c 'grep -q "\"address\": \"10.79.0.20\", \"mac\": \"02:00:00:00:01:99\".*\"hostname\": \"labres\", \"state\": \"bound\"" <<<"$1" &&
        grep -q "\"address\": \"10.79.0.21\", \"mac\": \"02:00:00:00:01:98\".*\"state\": \"bound\"" <<<"$1"' _ "$(leases)"

# --- 3. labnet-dhcp against labnet-dhcpd: the life of a lease ------------------
a=${IP[lab]}
exp0=$(lease_row "$a" | field expires)
acks0=$(grep -c "DHCPREQUEST for $a from 02:00:00:00:01:01 via br0 -> ACK $a (600s)" "$tmp/dhcpd.log")
sleep 1 # so that a renewal's new expiry is visibly later
lab lab -v --renew >/dev/null 2>"$tmp/renew.err"
check "renew: exit 0, unicast REQUEST to the server, ACK for the same address" \
    bash -c '[ $3 -eq 0 ] && grep -q "^REQUEST $2 xid=.* -> 10.79.0.1\$" "$1" && grep -q "^<- ACK $2 " "$1"' \
    _ "$tmp/renew.err" "$a" $?
check "renew: the server ACKed once more and the expiry on disk moved later" \
    bash -c '[ "$(grep -c "DHCPREQUEST for $1 from 02:00:00:00:01:01 via br0 -> ACK $1 (600s)" "$2")" -eq $(($5 + 1)) ] &&
        [ "$3" -gt "$4" ]' _ "$a" "$tmp/dhcpd.log" "$(lease_row "$a" | field expires)" "$exp0" "$acks0"
lab lab -v --rebind >/dev/null 2>"$tmp/rebind.err"
check "rebind: exit 0, broadcast REQUEST, ACK for the same address" \
    bash -c '[ $3 -eq 0 ] && grep -q "^REQUEST $2 .* -> broadcast" "$1" && grep -q "^<- ACK $2 " "$1"' \
    _ "$tmp/rebind.err" "$a" $?

ip -n "${NS[inf]}" addr add 10.79.0.30/24 dev "${IFC[inf]}"
n_before=$(leases | grep -c '"address"')
lab inf -v --inform >"$tmp/inf.out" 2>"$tmp/inf.err"
check "inform: exit 0 with router, DNS and domain" \
    bash -c '[ $2 -eq 0 ] && grep -qx "router=.10.79.0.1." "$1" && grep -qx "dns=.10.79.0.53 10.79.0.54." "$1" &&
        grep -qx "domain=.lab.test." "$1"' _ "$tmp/inf.out" $?
check "inform: answered (DHCPINFORM -> ACK), no lease recorded" \
    bash -c 'grep -q "DHCPINFORM from 02:00:00:00:01:30 (10.79.0.30) via br0 -> ACK" "$1" &&
        [ "$2" -eq "$3" ] && ! grep -q "10.79.0.30" <<<"$4"' _ "$tmp/dhcpd.log" "$n_before" \
    "$(leases | grep -c '"address"')" "$(leases)"

lab lab -v --release --apply >/dev/null 2>"$tmp/release.err"
check "release: exit 0, RELEASE unicast to the server" \
    bash -c '[ $2 -eq 0 ] && grep -q "^RELEASE .* -> 10.79.0.1" "$1"' _ "$tmp/release.err" $?
check "release: the lease is freed in the database (state released)" \
    bash -c 'grep -q "\"state\": \"released\"" <<<"$1"' _ "$(lease_row "$a")"
lab rel --request "$a" >"$tmp/rel.out" 2>&1
check "release: another client asking for the freed address gets it" grep -qx "ip='$a'" "$tmp/rel.out"

d=${IP[x1]}
lab x1 -v --decline >/dev/null 2>"$tmp/decline.err"
check "decline: exit 0, DECLINE sent" bash -c '[ $2 -eq 0 ] && grep -q "^DECLINE" "$1"' _ "$tmp/decline.err" $?
check "decline: the address is quarantined (declined) and the server warns" \
    bash -c 'grep -q "\"state\": \"declined\"" <<<"$1" &&
        grep -q "DHCPDECLINE of $2 from 02:00:00:00:01:11 via br0 -> quarantined" "$3"' _ \
    "$(lease_row "$d")" "$d" "$tmp/dhcpd.log"
lab dec -v --request "$d" >"$tmp/dec.out" 2>"$tmp/dec.err"
dip=$(sed -n "s/^ip='\(.*\)'$/\1/p" "$tmp/dec.out")
check "decline: the next client asking for it gets another address ($dip)" \
    bash -c '[[ $1 =~ ^10\.79\.0\.1[0-9][0-9]$ ]] && [ "$1" != "$2" ]' _ "$dip" "$d"
check "decline: still quarantined afterwards" \
    bash -c 'grep -q "\"state\": \"declined\"" <<<"$1"' _ "$(lease_row "$d")"

lab req --request 10.79.0.177 >"$tmp/req.out" 2>&1
check "--request of a free address: exit 0 and exactly that address" grep -qx "ip='10.79.0.177'" "$tmp/req.out"
check "--request: the database binds it to that client" \
    bash -c 'grep -q "\"mac\": \"02:00:00:00:01:23\".*\"state\": \"bound\"" <<<"$1"' _ "$(lease_row 10.79.0.177)"

# --- 4. INIT-REBOOT into the wrong subnet ----------------------------------
# Move dhclient's link from br0 to br1 (server side), as if the laptop were
# carried to another network; its lease file still holds the br0 address.
old=${IP[dcl]}
srv_end="${IFC[dcl]%b}a"
ip -n "$S" link set "$srv_end" nomaster
ip -n "$S" link set "$srv_end" master br1
ip -n "${NS[dcl]}" addr flush dev "${IFC[dcl]}"
: >"$tmp/dcl.out"
run_dhclient
check "moved dhclient: exit 0" [ $? -eq 0 ]
check "moved dhclient: INIT-REBOOT REQUEST for $old arrives on br1 and is NAKed (wrong network)" \
    grep -q "DHCPREQUEST for $old from 02:00:00:00:01:02 via br1 -> NAK (wrong network)" "$tmp/dhcpd.log"
check "moved dhclient: it saw the NAK" grep -q "DHCPNAK from 10.80.0.1" "$tmp/dcl.log"
check "moved dhclient: then BOUND in the new subnet with its options" \
    grep -qE "reason=BOUND ip=10\.80\.0\.1[0-4][0-9] mask=255.255.255.0 router=10.80.0.1 dns=10.80.0.53 domain=b.test lease=300\$" \
    "$tmp/dcl.out"
check "moved dhclient: the old binding on br0 is untouched" \
    bash -c 'grep -q "\"mac\": \"02:00:00:00:01:02\".*\"state\": \"bound\"" <<<"$1"' _ "$(lease_row "$old")"

# --- 5. a resident labnet-dhcp across a server crash ---------------------------------
ns=$(netns_add per) && pif=$(netns_attach "$S" br2 "$ns" "") &&
    ip -n "$ns" link set "$pif" address 02:00:00:00:01:50 || { echo "FAIL: topology"; exit 1; }
netns_spawn "$ns" "$tmp/per.log" "$client" -l "$tmp/per.lease" -vv --backoff 300 -d --apply "$pif"
per_pid=$NETNS_PID
acks() { grep -c '^<- ACK' "$tmp/per.log"; }
check "-d: bound, then renewed at T1 by unicast to the server" \
    netns_wait_for "[ \$(acks) -ge 2 ] && grep -q '^REQUEST .* -> 10.81.0.1\$' '$tmp/per.log'" 6
p=$(sed -n 's/^<- ACK \([0-9.]*\) .*/\1/p' "$tmp/per.log" | head -n1)
kill -KILL "$srv_pid"
wait "$srv_pid" 2>/dev/null
n_acks=$(acks)
check "-d: with the server dead, rebinds by broadcast at T2" \
    netns_wait_for "grep -q '^REQUEST .* -> broadcast' '$tmp/per.log'" 8
netns_spawn "$S" "$tmp/dhcpd.log.2" "$dhcpd" -f -c "$tmp/dhcpd.conf"
srv_pid=$NETNS_PID
check "server restarts after SIGKILL" netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log.2'" 5
check "-d: the restarted server ACKs the rebinding client" \
    netns_wait_for "[ \$(acks) -gt $n_acks ]" 8
check "-d: the same address ($p) before and after the crash, still configured" \
    bash -c '[ -n "$1" ] && [ "$(sed -n "s/^<- ACK \([0-9.]*\) .*/\1/p" "$2" | sort -u)" = "$1" ] &&
        ip -n "$3" -4 addr show dev "$4" | grep -q "inet $1/24"' _ "$p" "$tmp/per.log" "$ns" "$pif"
check "-d: the server logged the ACK from its database" \
    grep -q "DHCPREQUEST for $p from 02:00:00:00:01:50 via br2 -> ACK $p (60s)" "$tmp/dhcpd.log.2"
kill -TERM "$per_pid" 2>/dev/null
wait "$per_pid" 2>/dev/null

check "no sanitizer report from the server" bash -c "! grep -qE 'Sanitizer|runtime error' $tmp/dhcpd.log*"
kill -TERM "$srv_pid"
wait "$srv_pid" 2>/dev/null
check "server stops cleanly on SIGTERM" [ $? -eq 0 ]
echo "took $(($(date +%s) - t_start)) s"
echo "dhcp matrix: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for f in "$tmp"/dhcpd.log* "$tmp"/*.log "$tmp"/*.err; do
        echo "--- $f"
        tail -n 20 "$f"
    done
fi
[ "$fail" -eq 0 ]
