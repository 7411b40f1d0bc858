#!/usr/bin/env bash
# labnet-dhcp against real DHCP servers, inside network namespaces this test
# creates: a server namespace and a client namespace joined by a veth pair.
# Nothing is ever sent on a host interface.
#
# Servers: busybox udhcpd (busybox comes with the udhcpc package of
# scripts/deps.sh) always when present, and labnet-dhcpd too when it has
# been built (BUILD_DIR/dhcpd/labnet-dhcpd).  Each runs the same checks in
# fresh namespaces; checks only one server can answer are marked.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcp_client.sh BUILD_DIR}
client="$build/clients/labnet-dhcp"
dhcpd="$build/dhcpd/labnet-dhcpd"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
[ -x "$client" ] || { echo "FAIL: $client not built"; exit 1; }

servers=()
if command -v busybox >/dev/null && busybox --list | grep -qx udhcpd; then
    servers+=(udhcpd)
fi
[ -x "$dhcpd" ] && servers+=(labnet)
if [ ${#servers[@]} -eq 0 ]; then
    echo "SKIP: no DHCP server to test against (busybox udhcpd or labnet-dhcpd)"
    exit 77
fi

pass=0
fail=0
check() {
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: $d"; else fail=$((fail + 1)); echo "FAIL: $d"; fi
}

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

# Short back-off and bounds keep the whole run under a minute.
FAST=(--backoff 300 --timeout 8)

start_server() { # KIND IFACE DIR LEASE_SECS
    local kind=$1 ifc=$2 dir=$3 lease=$4
    mkdir -p "$dir"
    if [ "$kind" = udhcpd ]; then
        cat >"$dir/udhcpd.conf" <<CONF
start 10.77.0.100
end 10.77.0.150
interface $ifc
lease_file $dir/udhcpd.leases
pidfile $dir/udhcpd.pid
min_lease 1
option subnet 255.255.255.0
option router 10.77.0.1
option dns 10.77.0.1 10.77.0.2
option domain lab.test
option lease $lease
CONF
        touch "$dir/udhcpd.leases"
        # -a: ARP-probe candidate addresses for 100 ms, not 2 s.
        netns_spawn "$srv" "$dir/server.log" busybox udhcpd -f -a 100 "$dir/udhcpd.conf"
        SERVER_PID=$NETNS_PID
        netns_wait_for "grep -q started '$dir/server.log' 2>/dev/null" 5
    else
        printf '[server]\nstate-dir = %s\n' "$dir" >"$dir/dhcpd.conf"
        STATE_DIRECTORY=$dir netns_spawn "$srv" "$dir/server.log" "$dhcpd" -f \
            -c "$dir/dhcpd.conf" --interface "$ifc" --subnet 10.77.0.0/24 \
            --pool 10.77.0.100-10.77.0.150 --router 10.77.0.1 --dns 10.77.0.1
        SERVER_PID=$NETNS_PID
        sleep 0.5
        kill -0 "$SERVER_PID" 2>/dev/null
    fi
}

suite() {
    local kind=$1 d="$tmp/$1"
    mkdir -p "$d"
    echo "--- against $kind"
    srv=$(netns_add "s$kind") || exit 1
    cli=$(netns_add "c$kind") || exit 1
    read -r sif cif < <(netns_link "$srv" "$cli" 10.77.0.1/24 198.18.0.1/32) || exit 1
    # The client starts without any address, as a fresh host does.
    ip -n "$cli" addr flush dev "$cif"
    start_server "$kind" "$sif" "$d/srv" 600 || {
        cat "$d/srv/server.log"
        fail=$((fail + 1))
        return
    }
    local L="$d/lease"
    C() { netns_exec "$cli" "$client" -l "$L" "${FAST[@]}" "$@"; }

    # DORA, shell output, -v.
    C -v "$cif" >"$d/out" 2>"$d/err"
    check "[$kind] DORA: exit 0" [ $? -eq 0 ]
    local ip='' router='' dns='' serverid='' lease='' mask='' domain='' t1='' t2=''
    # The output is meant for eval: that is the interface under test.
    eval "$(cat "$d/out")"
    check "[$kind] address from the pool" bash -c '[[ $1 =~ ^10\.77\.0\.(1[0-4][0-9]|150)$ ]]' _ "$ip"
    # One command per check: "check D [ a ] && [ b ]" would check only a.
    check "[$kind] router, DNS, server id, mask" \
        test "$router ${dns%% *} $serverid $mask" = "10.77.0.1 10.77.0.1 10.77.0.1 24"
    check "[$kind] lease time and T1/T2 printed" \
        bash -c '[ -n "$1" ] && [ "$1" -gt 0 ] && [ "$2" -le "$3" ]' _ "$lease" "$t1" "$t2"
    if [ "$kind" = udhcpd ]; then
        check "[$kind] domain and lease time as configured" test "$domain $lease" = "lab.test 600"
    fi
    check "[$kind] -v shows DISCOVER, OFFER, REQUEST, ACK in order" bash -c '
        [ "$(sed -E "s/^(<- )?([A-Z]+).*/\1\2/" "$1" | uniq | tr "\n" ,)" = \
            "DISCOVER,<- OFFER,REQUEST,<- ACK," ]' _ "$d/err"
    check "[$kind] -v names offer and server" grep -q "^<- OFFER $ip from 10.77.0.1" "$d/err"
    check "[$kind] lease file written" grep -q "^ip=$ip\$" "$L"
    check "[$kind] nothing configured without --apply" bash -c "! ip -n $cli -4 addr show dev $cif | grep -q inet"

    # Every address this client was given: a server may still hold one
    # of them for it, so --request below asks for none of them.
    local held=" $ip"
    # INIT-REBOOT (RFC 2131 3.2): with an unexpired lease file, a REQUEST
    # for its address without a server id comes first.
    C -v "$cif" >"$d/out" 2>"$d/err"
    check "[$kind] INIT-REBOOT: exit 0, the same address" \
        bash -c '[ $2 -eq 0 ] && grep -qx "ip=.$3." "$1"' _ "$d/out" $? "$ip"
    check "[$kind] INIT-REBOOT: REQUEST (no server id) and ACK, no DISCOVER" bash -c '
        grep -q "^REQUEST (INIT-REBOOT) $2 xid=0x[0-9a-f]* -> broadcast\$" "$1" &&
        [ "$(sed -E "s/^(<- )?([A-Z]+).*/\1\2/" "$1" | uniq | tr "\n" ,)" = "REQUEST,<- ACK," ]' \
        _ "$d/err" "$ip"
    C -v --no-reboot "$cif" >/dev/null 2>"$d/err"
    check "[$kind] --no-reboot: DISCOVER first" bash -c '[ $2 -eq 0 ] && head -n 1 "$1" | grep -q "^DISCOVER"' \
        _ "$d/err" $?
    # A lease from another network: the server refuses it (or stays
    # silent), and the client starts over with DISCOVER.
    sed -i -e 's/^ip=.*/ip=10.99.0.5/' "$L"
    C -v "$cif" >"$d/out" 2>"$d/err"
    rc=$?
    held+=" $(sed -n "s/^ip='\(.*\)'$/\1/p" "$d/out")"
    check "[$kind] INIT-REBOOT elsewhere: exit 0 with a pool address" \
        bash -c '[ $2 -eq 0 ] && grep -qE "^ip=.10\.77\.0\." "$1"' _ "$d/out" $rc
    check "[$kind] INIT-REBOOT elsewhere: asked for 10.99.0.5, then DISCOVER" bash -c '
        head -n 1 "$1" | grep -q "^REQUEST (INIT-REBOOT) 10.99.0.5 " && grep -q "^DISCOVER" "$1"' _ "$d/err"
    if [ "$kind" = labnet ]; then
        check "[$kind] INIT-REBOOT elsewhere: NAK from labnet-dhcpd" grep -q "^<- NAK" "$d/err"
    fi
    # An expired lease is not asked for.
    sed -i -e 's/^obtained=.*/obtained=1000/' "$L"
    C -v "$cif" >"$d/out" 2>"$d/err"
    held+=" $(sed -n "s/^ip='\(.*\)'$/\1/p" "$d/out")"
    check "[$kind] expired lease file: DISCOVER first" bash -c 'head -n 1 "$1" | grep -q "^DISCOVER"' _ "$d/err"

    # --json.
    C --json "$cif" >"$d/json" 2>/dev/null
    check "[$kind] --json: exit 0, one object with the address" \
        grep -qE "^\{\"interface\": \"$cif\", \"address\": \"$ip\", .*\"server_id\": \"10.77.0.1\"\}\$" "$d/json"

    # --apply: address with lifetime, default route.
    C --apply "$cif" >/dev/null 2>"$d/err"
    check "[$kind] --apply: exit 0" [ $? -eq 0 ]
    check "[$kind] --apply: address on the interface with a lifetime" \
        bash -c "ip -n $cli -4 addr show dev $cif | grep -q 'inet $ip/24' && ip -n $cli -4 addr show dev $cif | grep -q 'valid_lft [0-9]*sec'"
    check "[$kind] --apply: default route via the router" \
        bash -c "ip -n $cli route show default | grep -q 'default via 10.77.0.1 dev $cif'"

    # --renew: unicast REQUEST from the configured address.
    C -v --renew "$cif" >"$d/out" 2>"$d/err"
    check "[$kind] --renew: exit 0" [ $? -eq 0 ]
    check "[$kind] --renew: unicast REQUEST, ACK for the same address" \
        bash -c 'grep -q "^REQUEST $2 xid=.* -> 10.77.0.1\$" "$1" && grep -q "^<- ACK $2 " "$1"' _ "$d/err" "$ip"
    # --rebind: the same, broadcast.
    C -v --rebind "$cif" >/dev/null 2>"$d/err"
    check "[$kind] --rebind: exit 0, broadcast REQUEST" \
        bash -c '[ $2 -eq 0 ] && grep -q "^REQUEST .* -> broadcast" "$1"' _ "$d/err" $?

    # --inform: options for the address we have.
    C -v --inform "$cif" >"$d/out" 2>"$d/err"
    check "[$kind] --inform: exit 0 with the DNS servers" \
        bash -c '[ $3 -eq 0 ] && grep -q "^dns=.10.77.0.1" "$1" && grep -q "^INFORM " "$2"' _ "$d/out" "$d/err" $?

    # --release: RELEASE sent, address and route gone, lease file gone.
    C -v --release --apply "$cif" >/dev/null 2>"$d/err"
    check "[$kind] --release: exit 0, RELEASE sent to the server" \
        bash -c '[ $2 -eq 0 ] && grep -q "^RELEASE .* -> 10.77.0.1" "$1"' _ "$d/err" $?
    check "[$kind] --release --apply: address and route removed" \
        bash -c "! ip -n $cli -4 addr show dev $cif | grep -q inet && ! ip -n $cli route | grep -q default"
    check "[$kind] --release: lease file removed" [ ! -e "$L" ]
    if [ "$kind" = udhcpd ]; then
        kill -USR1 "$SERVER_PID"
        sleep 0.3
        check "[$kind] the server holds the lease as expired" \
            bash -c "busybox dumpleases -f '$d/srv/udhcpd.leases' | grep -F ' $ip ' | grep -q expired"
    fi
    if [ "$kind" = labnet ]; then
        check "[$kind] the server holds the lease as released" bash -c \
            '"$1" --state-dir "$2" --leases --json | grep -F "\"address\": \"$3\"," | grep -q "\"state\": \"released\""' \
            _ "$dhcpd" "$d/srv" "$ip"
    fi
    C --renew "$cif" >/dev/null 2>&1
    check "[$kind] --renew without a lease file: exit 5" [ $? -eq 5 ]

    # --request a specific free address, and --hostname.  A new MAC makes
    # a new client: servers (udhcpd) hand a known client its old address
    # whatever it asks for.
    ip -n "$cli" link set dev "$cif" address 02:00:5e:10:00:42
    local want='' n
    for n in $(seq 142 150) $(seq 120 141); do
        case "$held " in *" 10.77.0.$n "*) ;; *) want=10.77.0.$n && break ;; esac
    done
    C -v --request "$want" --hostname labhost "$cif" >"$d/out" 2>"$d/err"
    check "[$kind] --request $want (first held$held): exit 0 and that address" \
        bash -c '[ $2 -eq 0 ] && grep -qx "ip=.$3." "$1"' _ "$d/out" $? "$want"
    check "[$kind] --request: DISCOVER carries it" grep -q "^DISCOVER $want xid" "$d/err"
    if [ "$kind" = udhcpd ]; then
        kill -USR1 "$SERVER_PID"
        sleep 0.3
        check "[$kind] --hostname reached the server" \
            bash -c "busybox dumpleases -f '$d/srv/udhcpd.leases' | grep -F ' $want ' | grep -q labhost"
    fi

    if [ "$kind" = labnet ]; then
        check "[$kind] --hostname reached the server" bash -c \
            '"$1" --state-dir "$2" --leases --json | grep -F "\"address\": \"$3\"," | grep -q "\"hostname\": \"labhost\""' \
            _ "$dhcpd" "$d/srv" "$want"
    fi

    # Hook script: udhcpc-style argument and environment.
    cat >"$d/hook" <<'HOOK'
#!/bin/sh
echo "$1 ip=$ip mask=$mask router=$router dns=$dns interface=$interface" >>"$HOOK_LOG"
HOOK
    sed -i "s|\$HOOK_LOG|$d/hook.log|" "$d/hook"
    chmod +x "$d/hook"
    C --script "$d/hook" "$cif" >/dev/null 2>&1
    check "[$kind] --script: 'bound' with the lease in its environment" \
        grep -qE "^bound ip=10\.77\.0\.[0-9]+ mask=24 router=10.77.0.1 dns=10.77.0.1.* interface=$cif\$" "$d/hook.log"

    # -d with a short lease: renews at T1 (unicast), keeps the address.
    if [ "$kind" = udhcpd ]; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
        start_server "$kind" "$sif" "$d/srv2" 4
        netns_spawn "$cli" "$d/persist.log" "$client" -l "$L" -vv --backoff 300 -d --apply \
            --script "$d/hook" "$cif"
        local cpid=$NETNS_PID
        netns_wait_for "[ \$(grep -c '^<- ACK' '$d/persist.log') -ge 2 ]" 6
        check "[$kind] -d: renews at T1 with a unicast REQUEST" \
            bash -c 'grep -q "^REQUEST .* -> 10.77.0.1$" "$1" && [ $(grep -c "^<- ACK" "$1") -ge 2 ]' _ "$d/persist.log"
        check "[$kind] -d: 'renew' hook ran" grep -q "^renew ip=" "$d/hook.log"
        check "[$kind] -d: address still configured" bash -c "ip -n $cli -4 addr show dev $cif | grep -q 'inet 10.77.0'"
        # Server gone: REBINDING at T2, then expiry removes the address.
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
        netns_wait_for "grep -q 'lease expired' '$d/persist.log'" 8
        check "[$kind] -d: rebinds by broadcast, then the lease expires" \
            bash -c 'grep -q "^REQUEST .* -> broadcast" "$1" && grep -q "lease expired" "$1"' _ "$d/persist.log"
        sleep 0.3
        check "[$kind] -d: expiry removed the address and ran 'deconfig'" \
            bash -c "! ip -n $cli -4 addr show dev $cif | grep -q inet && grep -q '^deconfig' '$d/hook.log'"
        kill "$cpid" 2>/dev/null
        wait "$cpid" 2>/dev/null
    fi
    netns_cleanup
}

for s in "${servers[@]}"; do
    suite "$s"
done

# No server at all: timeout status within the bound.  A fresh pair with
# nothing on the other end.
lone=$(netns_add lone) || exit 1
void=$(netns_add void) || exit 1
read -r _ lif < <(netns_link "$void" "$lone" 10.78.0.1/24 198.18.0.2/32) || exit 1
ip -n "$lone" addr flush dev "$lif"
t0=$(date +%s%N)
netns_exec "$lone" "$client" -l "$tmp/none.lease" --backoff 200 --timeout 2 -v "$lif" \
    >"$tmp/none.out" 2>"$tmp/none.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "no server: exit 4 (timeout)" [ $rc -eq 4 ]
check "no server: gave up within the 2 s bound (took ${ms} ms)" bash -c '[ "$1" -ge 1900 ] && [ "$1" -lt 3500 ]' _ "$ms"
check "no server: retransmitted with back-off" [ "$(grep -c '^DISCOVER' "$tmp/none.err")" -ge 3 ]
check "no server: nothing on standard output" [ ! -s "$tmp/none.out" ]
netns_exec "$lone" "$client" -l "$tmp/none.lease" --backoff 200 --retries 1 "$lif" >/dev/null 2>&1
check "no server: --retries 1 ends after two DISCOVERs with exit 4" [ $? -eq 4 ]
netns_exec "$lone" "$client" --no-such-option "$lif" >/dev/null 2>&1
check "usage error: exit 2" [ $? -eq 2 ]
netns_exec "$lone" "$client" --renew --release "$lif" >/dev/null 2>&1
check "conflicting modes: exit 2" [ $? -eq 2 ]
netns_exec "$lone" "$client" nosuchif0 >/dev/null 2>&1
check "unknown interface: exit 1" [ $? -eq 1 ]

echo "dhcp client: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
