#!/usr/bin/env bash
# End to end: "scripts/labnet up" (the README's first command) builds the
# lab; every client gets a lease, resolves www.lab through labnet-dnsd and
# fetches the page from labnet-httpd with the page's ETag; "up" again is
# harmless; "scripts/labnet down" leaves no namespace, link or process.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$1
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
for p in dhcpd/labnet-dhcpd dnsd/labnet-dnsd httpd/labnet-httpd clients/labnet-dhcp \
    clients/labnet-dig clients/labnet-fetch; do
    [ -x "$build/$p" ] || { echo "FAIL: $build/$p was not built"; exit 1; }
done

fails=0
check() {
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
export LABNET_BUILD="$build" LABNET_PREFIX="$NETNS_PREFIX"
run="$build/run-$NETNS_PREFIX"
trap 'LABNET_BUILD=$build LABNET_PREFIX=$NETNS_PREFIX "$top/scripts/labnet" down >/dev/null 2>&1; netns_cleanup; rm -rf "$run"' EXIT

out=$("$top/scripts/labnet" up -n 2 2>&1)
rc=$?
echo "$out" | sed 's/^/  | /'
check "labnet up exits 0" [ "$rc" = 0 ]
check "both clients got through" grep -q '2 of 2 clients got a lease' <<<"$out"
# The strong ETag is "<inode>-<size>-<mtime ns>" in hex (common/http_etag.c).
read -r ino size < <(stat -c '%i %s' "$run/www/index.html")
etag=$(printf '"%x-%x-' "$ino" "$size")
for i in 1 2; do
    ns="$NETNS_PREFIX-c$i"
    addr=$(ip -n "$ns" -4 -o addr show dev eth0 | awk '{print $4}')
    check "c$i has a lease in the pool ($addr)" grep -qE '^10\.77\.0\.(1[0-9][0-9])/24$' <<<"$addr"
    check "c$i has the default route via the gateway" \
        grep -q 'default via 10.77.0.1' <<<"$(ip -n "$ns" route)"
    ans=$(ip netns exec "$ns" dig +short @10.77.0.1 www.lab A)
    check "c$i resolves www.lab with dig" grep -q '^10\.77\.0\.1$' <<<"$ans"
    hdr=$(ip netns exec "$ns" curl -sI http://www.lab/ | tr -d '\r')
    check "c$i fetches http://www.lab/ (200)" grep -q '^HTTP/1.1 200' <<<"$hdr"
    check "c$i sees the page's ETag" grep -qF "ETag: $etag" <<<"$hdr"
done
# Names in DNS: each client's lease (hostname c<i>) was published by
# labnet-dhcpd in labnet-dnsd's zone (TSIG-signed DNS UPDATE).
c2addr=$(ip -n "$NETNS_PREFIX-c2" -4 -o addr show dev eth0 | awk '{print $4}')
check "c1 finds c2 by name (c2.lab A, published from the lease)" \
    [ "$(ip netns exec "$NETNS_PREFIX-c1" dig +short c2.lab A)" = "${c2addr%/*}" ]
rev=$(echo "${c2addr%/*}" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
check "and back (PTR c2.lab.)" [ "$(ip netns exec "$NETNS_PREFIX-c1" dig +short "$rev" PTR)" = c2.lab. ]
c1=$(ip -n "$NETNS_PREFIX-c1" -4 -o addr show dev eth0 | awk '{print $4}')
c2=$(ip -n "$NETNS_PREFIX-c2" -4 -o addr show dev eth0 | awk '{print $4}')
check "the two clients have different addresses" [ "$c1" != "$c2" ]
leases=$("$build/dhcpd/labnet-dhcpd" --leases --state-dir "$run/state" 2>&1)
check "labnet-dhcpd --leases lists both" [ "$(grep -c '10\.77\.0\.' <<<"$leases")" -ge 2 ]

pids=$(cat "$run"/*.pid 2>/dev/null)
again=$("$top/scripts/labnet" up -n 2 2>&1)
check "labnet up twice is safe" grep -q '2 of 2 clients got a lease' <<<"$again"
check "... and starts nothing new" [ "$(cat "$run"/*.pid 2>/dev/null)" = "$pids" ]
st=$("$top/scripts/labnet" status 2>&1)
check "labnet status shows the daemons" [ "$(grep -c ': running, pid' <<<"$st")" = 3 ]

# A released lease takes its name out of DNS.
ip netns exec "$NETNS_PREFIX-c2" "$build/clients/labnet-dhcp" --release --apply \
    --lease-file "$run/c2.lease" eth0 >/dev/null 2>&1
gone=no
for _ in $(seq 1 30); do
    [ -z "$(ip netns exec "$NETNS_PREFIX-c1" dig +short c2.lab A)" ] && gone=yes && break
    sleep 0.2
done
check "after c2 releases its lease, c2.lab is gone from DNS" [ "$gone" = yes ]

"$top/scripts/labnet" down >/dev/null 2>&1
check "labnet down removes every namespace" \
    [ -z "$(ip netns list | awk '{print $1}' | grep "^$NETNS_PREFIX-")" ]
for pid in $pids; do
    check "labnet down stops pid $pid" bash -c "! kill -0 $pid 2>/dev/null"
done
check "labnet down leaves no per-namespace /etc/netns folder" \
    bash -c "! ls -d /etc/netns/$NETNS_PREFIX-* 2>/dev/null"
check "no lab link is left in the host" bash -c "! ip -o link | grep -qE ': (c[0-9]+|br0)[@:]'"
echo "lab: $fails failed"
[ "$fails" = 0 ]
