#!/usr/bin/env bash
# Regenerates the captured client packets in this folder (run as root).
#
# Two network namespaces joined by a veth pair, made here and deleted on any
# exit; the host's own interfaces are never touched.  busybox udhcpd serves
# 192.0.2.0/24 (TEST-NET-1) in one namespace while a client runs in the other;
# a raw AF_PACKET socket in the server namespace records every UDP 67/68
# payload.  Each payload is saved as hex, named after the sender, its version
# and the message type.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
tag=$$
srv=lncap-srv-$tag
cli=lncap-cli-$tag
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$cli" 2>/dev/null || true
    ip netns del "$srv" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
ip -n "$srv" link add vs type veth peer name vc netns "$cli"
ip -n "$srv" link set lo up
ip -n "$cli" link set lo up
ip -n "$cli" link set vc address 02:00:00:00:00:01
ip -n "$srv" addr add 192.0.2.1/24 dev vs
ip -n "$srv" link set vs up
ip -n "$cli" link set vc up

cat >"$tmp/udhcpd.conf" <<CONF
start 192.0.2.100
end 192.0.2.110
interface vs
lease_file $tmp/udhcpd.leases
opt subnet 255.255.255.0
opt router 192.0.2.1
opt dns 192.0.2.53 192.0.2.54
opt domain lab.example
opt lease 3600
opt search lab.example example.org
opt staticroutes 198.51.100.0/24 192.0.2.1
CONF
touch "$tmp/udhcpd.leases"
# Both clients call this: the address must be configured for the unicast
# RELEASE to leave the client.
cat >"$tmp/script.sh" <<'SH'
#!/bin/sh
case "$1$reason" in
bound|BOUND) ip addr add "${ip:-$new_ip_address}/24" dev "$interface" ;;
deconfig|RELEASE|PREINIT) ip addr flush dev "$interface" ;;
esac
exit 0
SH
chmod +x "$tmp/script.sh"

cat >"$tmp/cap.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("vs", 0))
s.settimeout(0.5)
end = time.time() + float(sys.argv[2])
n = 0
with open(sys.argv[1], "w") as f:
    while time.time() < end:
        try:
            fr = s.recv(65535)
        except socket.timeout:
            continue
        if fr[12:14] != b"\x08\x00":
            continue
        ip = fr[14:]
        if len(ip) < 20 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        if {sport, dport} & {67, 68}:
            f.write("%d %d %s\n" % (sport, dport, ip[ihl + 8:].hex()))
            f.flush()
            n += 1
PY

ip netns exec "$srv" python3 "$tmp/cap.py" "$tmp/cap.txt" 40 &
pids+=($!)
sleep 1
ip netns exec "$srv" busybox udhcpd -f "$tmp/udhcpd.conf" >"$tmp/udhcpd.log" 2>&1 &
pids+=($!)
sleep 1

# busybox udhcpc: DISCOVER, REQUEST, then RELEASE on exit (-R).
ip netns exec "$cli" timeout 15 busybox udhcpc -i vc -f -q -n -R -t 3 -T 2 \
    -x hostname:labnet-udhcpc -s "$tmp/script.sh" >"$tmp/udhcpc.log" 2>&1 || true
sleep 1
# ISC dhclient: DISCOVER, REQUEST; then a RELEASE (-r).
cat >"$tmp/dhclient.conf" <<CONF
send host-name "labnet-dhclient";
send dhcp-client-identifier 1:02:00:00:00:00:01;
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
    domain-search, host-name, ntp-servers, interface-mtu, rfc3442-classless-static-routes;
CONF
ip netns exec "$cli" timeout 20 dhclient -4 -1 -d -cf "$tmp/dhclient.conf" -sf "$tmp/script.sh" \
    -lf "$tmp/dhclient.leases" -pf "$tmp/dhclient.pid" vc >"$tmp/dhclient.log" 2>&1 || true
ip netns exec "$cli" timeout 10 dhclient -4 -r -cf "$tmp/dhclient.conf" -sf "$tmp/script.sh" -lf "$tmp/dhclient.leases" \
    -pf "$tmp/dhclient.pid" vc >>"$tmp/dhclient.log" 2>&1 || true
sleep 2
kill "${pids[1]}" 2>/dev/null || true
wait "${pids[0]}" || true
# Name each payload: the first xid seen is udhcpc's, later ones dhclient's;
# replies come from udhcpd.  Keep the first of each (sender, type).
python3 - "$tmp/cap.txt" "$out" <<'PY'
import sys
names = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak",
         7: "release", 8: "inform"}
def msgtype(p):
    i = 240
    while i < len(p):
        c = p[i]
        if c == 0: i += 1; continue
        if c == 255: break
        if c == 53: return p[i + 2]
        i += 2 + p[i + 1]
    return 0
first_xid = None
seen = set()
for line in open(sys.argv[1]):
    sport, dport, hx = line.split()
    p = bytes.fromhex(hx)
    xid = p[4:8]
    if first_xid is None: first_xid = xid
    client = "udhcpc-1.35.0" if xid == first_xid else "dhclient-4.4.3-P1"
    sender = client if sport == "68" else "udhcpd-1.35.0-to-" + client.split("-")[0]
    name = "%s-%s" % (sender, names.get(msgtype(p), "unknown"))
    if name in seen: continue
    seen.add(name)
    with open("%s/%s.hex" % (sys.argv[2], name), "w") as f:
        f.write("# %s, captured by capture.sh (%d bytes of UDP payload)\n" % (name, len(p)))
        for k in range(0, len(p), 32):
            f.write(p[k:k + 32].hex() + "\n")
PY
cat "$tmp/udhcpc.log" "$tmp/dhclient.log" "$tmp/udhcpd.log" >&2
