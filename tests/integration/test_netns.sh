#!/usr/bin/env bash
# Self-test of netns.sh: a bridge lab with two hosts, a daemon serving on
# one of them and a client on the other, then proof that cleanup removes
# every namespace and process, also when the test body fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_netns.sh BUILD_DIR}
demod="$build/tests/labnet-demod"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require

fail() {
    echo "FAIL: $*"
    exit 1
}

# udp_ask NS ADDR PORT MSG LEN: send MSG from inside NS, print a reply of LEN bytes.
udp_ask() {
    netns_exec "$1" bash -c "exec 3<>/dev/udp/$2/$3; printf '%s' '$4' >&3; IFS= read -r -t 2 -N $5 r <&3 && printf '%s' \"\$r\"" 2>/dev/null
}

tmp=$(mktemp -d)
conf="$tmp/demo.conf"

# 1. A lab in a child shell that fails on purpose after starting a daemon:
#    its trap must still remove everything.
(
    netns_trap
    gw=$(netns_add gw) || exit 2
    c1=$(netns_add c1) || exit 2
    c2=$(netns_add c2) || exit 2
    netns_bridge "$gw" br0 10.99.0.1/24 || exit 2
    netns_attach "$gw" br0 "$c1" 10.99.0.11/24 >/dev/null || exit 2
    netns_attach "$gw" br0 "$c2" 10.99.0.12/24 >/dev/null || exit 2
    printf '[demo]\nlisten = 10.99.0.11:7000\n' >"$conf"
    netns_spawn "$c1" "$tmp/demod.log" "$demod" -f -c "$conf"
    echo "$NETNS_PID" >"$tmp/pid"
    echo "$gw $c1 $c2" >"$tmp/names"
    netns_wait_for "grep -q 'listening on' '$tmp/demod.log'" 5 || exit 3
    # The client on c2 reaches the daemon on c1 across the bridge.
    reply=$(udp_ask "$c2" 10.99.0.11 7000 ping 11)
    [ "$reply" = "hello: ping" ] || { echo "reply was '$reply'"; exit 4; }
    # The gateway reaches both clients.
    reply=$(udp_ask "$gw" 10.99.0.11 7000 gw 9)
    [ "$reply" = "hello: gw" ] || { echo "gw reply was '$reply'"; exit 4; }
    # Negative control: c2 itself serves nothing on that port.
    reply=$(udp_ask "$c1" 10.99.0.12 7000 ping 11)
    [ -z "$reply" ] || { echo "unexpected reply '$reply'"; exit 4; }
    exit 42 # the deliberate failure
)
rc=$?
[ "$rc" -eq 42 ] || { cat "$tmp/demod.log" 2>/dev/null; fail "lab body ended with $rc, expected 42"; }
echo "ok: bridge lab answered across namespaces"

read -r gw c1 c2 <"$tmp/names"
for ns in $gw $c1 $c2; do
    ip netns list | grep -qw "$ns" && fail "namespace $ns left behind"
done
pid=$(cat "$tmp/pid")
kill -0 "$pid" 2>/dev/null && fail "daemon $pid left running"
grep -q "stopping" "$tmp/demod.log" || fail "daemon was not stopped with SIGTERM"
echo "ok: cleanup removed namespaces and the daemon after a failure"

# 2. A point-to-point veth link.
a=$(netns_add a) && b=$(netns_add b) || fail "cannot make namespaces"
netns_link "$a" "$b" 10.98.0.1/30 10.98.0.2/30 >/dev/null || fail "cannot link"
printf '[demo]\nlisten = 10.98.0.2:7001\ngreeting = hi\n' >"$conf"
netns_spawn "$b" "$tmp/demod2.log" "$demod" -f -c "$conf"
netns_wait_for "grep -q 'listening on' '$tmp/demod2.log'" 5 || fail "daemon did not start"
reply=$(udp_ask "$a" 10.98.0.2 7001 x 5)
[ "$reply" = "hi: x" ] || fail "veth reply was '$reply'"
echo "ok: veth link answered"
netns_cleanup
ip netns list | grep -q "$NETNS_PREFIX" && fail "namespaces left after cleanup"
rm -rf "$tmp"
echo "1 passed, 0 failed"
