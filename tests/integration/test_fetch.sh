#!/usr/bin/env bash
# labnet-fetch against labnet-httpd (and curl as a reference) inside a
# network namespace this test creates.  Most checks use the server's IP
# address; the name checks resolve through the namespace's own /etc/hosts,
# and its resolv.conf points at a loopback address where nothing listens,
# so no query ever leaves the namespace.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_fetch.sh BUILD_DIR}
httpd="$build/httpd/labnet-httpd"
fetch="$build/clients/labnet-fetch"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
[ -x "$httpd" ] && [ -x "$fetch" ] || { echo "FAIL: programs not built"; exit 1; }

pass=0
fail=0
check() {
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: $d"; else fail=$((fail + 1)); echo "FAIL: $d"; fi
}

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT
root="$tmp/www"
mkdir -p "$root/sub"
printf 'hello, lab\n' >"$root/index.html"
printf 'sub\n' >"$root/sub/index.html"
printf '0123456789' >"$root/digits.txt"
head -c 200000 /dev/urandom >"$root/blob.bin"
cat >"$tmp/httpd.conf" <<CONF
[server]
listen = 127.0.0.1:8080
root = $root
access-log = $tmp/access.log
[cookies]
enabled = yes
key = $(printf '%064x' 12345)
CONF
ns=$(netns_add fetch) || exit 1
have_hosts=yes
netns_etc "$ns" hosts "127.0.0.1 localhost www.lab" || have_hosts=no
netns_etc "$ns" resolv.conf "nameserver 127.0.0.9" || {
    echo "FAIL: no /etc/resolv.conf to cover: a lookup could reach the host's resolver"
    exit 1
}
# A black hole: 10.97.0.0/24 leads over a veth to a namespace whose end has
# no address, so ARP for 10.97.0.2 is never answered and a connect hangs.
sink=$(netns_add sink) || exit 1
netns_link "$ns" "$sink" 10.97.0.1/24 198.18.0.1/32 >/dev/null || exit 1
netns_spawn "$ns" "$tmp/httpd.log" "$httpd" -f -c "$tmp/httpd.conf"
netns_wait_for "grep -q Serving '$tmp/httpd.log'" 5 || { cat "$tmp/httpd.log"; exit 1; }
F() { netns_exec "$ns" "$fetch" "$@"; }
U=http://127.0.0.1:8080

if [ "$have_hosts" = yes ]; then
    check "GET through a name from /etc/hosts (c-ares)" [ "$(F http://www.lab:8080/)" = "hello, lab" ]
else
    echo "SKIP: GET through a name: this machine has no /etc/hosts (1 check not run)"
fi
check "GET by address" [ "$(F "$U/")" = "hello, lab" ]
F -o "$tmp/blob.out" "$U/blob.bin"
check "-o writes the body intact" cmp -s "$tmp/blob.out" "$root/blob.bin"
ours=$(F "$U/digits.txt")
check "same bytes as curl" [ -n "$ours" -a "$ours" = "$(netns_exec "$ns" curl -s "$U/digits.txt")" ]
h=$(F -I "$U/digits.txt" | tr -d '\r')
check "-I prints the head" bash -c 'grep -q "^HTTP/1.1 200 OK" <<<"$1" && grep -q "^Content-Length: 10" <<<"$1"' _ "$h"
v=$(F -v "$U/digits.txt" "$U/" 2>&1 >/dev/null)
check "-v shows request and response heads" bash -c 'grep -q "^> GET /digits.txt HTTP/1.1" <<<"$1" && grep -q "^< HTTP/1.1 200 OK" <<<"$1"' _ "$v"
check "two URLs share one keep-alive connection" grep -q 'reusing the connection' <<<"$v"
check "one TCP connection in the server's view" [ "$(grep -c '^\* connecting' <<<"$v")" = 1 ]
check "-r range" [ "$(F -r 2-4 "$U/digits.txt")" = 234 ]
check "-L follows the directory redirect" [ "$(F -L "$U/sub")" = sub ]
F --max-redirs 0 -L "$U/sub" >/dev/null 2>&1
check "too many redirects -> 47" [ $? -eq 47 ]
F "$U/nope" >/dev/null 2>&1
check "HTTP 404 -> exit 22" [ $? -eq 22 ]
F http://nosuch.lab:8080/ >/dev/null 2>&1
check "unresolvable name -> exit 6" [ $? -eq 6 ]
F http://127.0.0.1:1/ >/dev/null 2>&1
check "refused connection -> exit 7" [ $? -eq 7 ]
start=$(date +%s%N)
F -m 1 http://10.97.0.2:8080/ >/dev/null 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "timeout -> exit 28 after about 1 s (${ms} ms)" [ "$rc" -eq 28 -a "$ms" -lt 2500 ]
F https://www.lab/ >/dev/null 2>&1
check "https refused -> exit 3" [ $? -eq 3 ]

# Cookie jar: the server's signed visitor cookie is stored, sent back, and
# not re-issued; the jar is in curl's format (curl reads it too).
F -c "$tmp/jar" "$U/digits.txt" >/dev/null
check "jar written in Netscape format" grep -qP '^#HttpOnly_127\.0\.0\.1\tFALSE\t/\tFALSE\t[0-9]+\tuid\t' "$tmp/jar"
v=$(F -v -b "$tmp/jar" "$U/digits.txt" 2>&1 >/dev/null)
check "cookie sent back" grep -q '^> Cookie: uid=' <<<"$v"
check "valid cookie not re-issued" bash -c '! grep -q "^< Set-Cookie" <<<"$1"' _ "$v"
cv=$(netns_exec "$ns" curl -sv -b "$tmp/jar" "$U/digits.txt" 2>&1 >/dev/null)
check "curl reads our jar" grep -q '^> Cookie: uid=' <<<"$cv"

# Cache: the second fetch revalidates (304) and prints the stored body.
mkdir -p "$tmp/cache"
F --cache "$tmp/cache" "$U/digits.txt" >/dev/null
v=$(F -v --cache "$tmp/cache" "$U/digits.txt" 2>"$tmp/v.err")
check "revalidation sends If-None-Match" grep -q '^> If-None-Match: "' "$tmp/v.err"
check "304 answered" grep -q '^< HTTP/1.1 304' "$tmp/v.err"
check "cached body printed on 304" [ "$v" = 0123456789 ]
printf 'ABCDEFGHIJKLMNOP' >"$root/digits.txt"
check "changed file: new body" [ "$(F --cache "$tmp/cache" "$U/digits.txt")" = ABCDEFGHIJKLMNOP ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
