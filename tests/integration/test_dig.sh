#!/usr/bin/env bash
# labnet-dig against a private DNS hierarchy of NSD instances inside a
# network namespace this test creates, with BIND's dig as the reference:
#
#   127.53.0.1  the root zone; delegates lab. (glue) and corp. (no glue)
#   127.53.1.1  lab. (A, AAAA, MX, TXT, SRV, CNAME, an RRset too big for
#               512-octet UDP) and 53.100.in-addr.arpa. (PTR); delegates
#               sub.lab.
#   127.53.2.1  sub.lab. and corp.
#   10.97.0.2   silent: routed over a veth to a namespace that never
#               answers ARP, so queries vanish (timeouts)
#
# The namespace's resolv.conf points at the root server and its hosts file
# names the servers, so neither program can ever reach the host's resolver
# (dig +trace looks servers' names up through getaddrinfo).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dig.sh BUILD_DIR}
dig_bin="$build/clients/labnet-dig"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=nsd.sh
. "$here/nsd.sh"
netns_require
nsd_require
command -v dig >/dev/null || { echo "SKIP: dig (bind9-dnsutils) is not installed"; exit 77; }
[ -x "$dig_bin" ] || { echo "FAIL: $dig_bin not built"; exit 1; }

pass=0
fail=0
check() {
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: $d"; else fail=$((fail + 1)); echo "FAIL: $d"; fi
}

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

cat >"$tmp/root.zone" <<'ZONE'
$ORIGIN .
$TTL 3600
@		IN SOA a.hints. hostmaster.hints. 1 3600 900 604800 300
@		IN NS a.hints.
a.hints.	IN A 127.53.0.1
lab.		IN NS ns1.lab.
ns1.lab.	IN A 127.53.1.1
corp.		IN NS ns-corp.lab.
ZONE
{
    cat <<'ZONE'
$ORIGIN lab.
$TTL 300
@		IN SOA ns1.lab. hostmaster.lab. 2026112401 3600 900 604800 60
@		IN NS ns1.lab.
ns1		IN A 127.53.1.1
www		IN A 192.0.2.10
www		IN AAAA 2001:db8::10
@		IN MX 10 mail.lab.
@		IN MX 20 mail2.lab.
mail		IN A 192.0.2.25
txt		IN TXT "hello lab" "second string"
txt		IN TXT "quote \" and backslash \\"
_http._tcp	IN SRV 10 5 80 www.lab.
alias		IN CNAME www.lab.
a-rather-long-owner-name-for-the-columns IN A 192.0.2.99
sub		IN NS ns1.sub.lab.
ns1.sub		IN A 127.53.2.1
ns-corp		IN A 127.53.2.1
ZONE
    for i in $(seq 1 30); do
        echo "big		IN TXT \"record number $i, long enough to overflow 512 octets\""
    done
} >"$tmp/lab.zone"
cat >"$tmp/rev.zone" <<'ZONE'
$ORIGIN 53.100.in-addr.arpa.
$TTL 300
@		IN SOA ns1.lab. hostmaster.lab. 1 3600 900 604800 60
@		IN NS ns1.lab.
10.0		IN PTR www.lab.
ZONE
cat >"$tmp/sub.zone" <<'ZONE'
$ORIGIN sub.lab.
$TTL 300
@		IN SOA ns1.sub.lab. hostmaster.lab. 1 3600 900 604800 60
@		IN NS ns1.sub.lab.
ns1		IN A 127.53.2.1
host		IN A 192.0.2.77
ZONE
cat >"$tmp/corp.zone" <<'ZONE'
$ORIGIN corp.
$TTL 300
@		IN SOA ns-corp.lab. hostmaster.lab. 1 3600 900 604800 60
@		IN NS ns-corp.lab.
www		IN A 192.0.2.88
ZONE
cat >"$tmp/hints" <<'HINTS'
; private root hints, named.root format
.                        3600000      NS    A.HINTS.
A.HINTS.                 3600000      A     127.53.0.1
HINTS

ns=$(netns_add dig) || exit 1
netns_etc "$ns" resolv.conf "nameserver 127.53.0.1" || {
    echo "FAIL: no /etc/resolv.conf to cover: a lookup could reach the host's resolver"
    exit 1
}
have_hosts=yes
netns_etc "$ns" hosts "127.0.0.1 localhost
127.53.0.1 a.hints
127.53.1.1 ns1.lab
127.53.2.1 ns1.sub.lab ns-corp.lab" || have_hosts=no
sink=$(netns_add sink) || exit 1
netns_link "$ns" "$sink" 10.97.0.1/24 198.18.0.1/32 >/dev/null || exit 1
nsd_start "$ns" "$tmp/nsd-root" 127.53.0.1 "$tmp/root.zone" || exit 1
nsd_start "$ns" "$tmp/nsd-lab" 127.53.1.1 "$tmp/lab.zone" "$tmp/rev.zone" || exit 1
nsd_start "$ns" "$tmp/nsd-sub" 127.53.2.1 "$tmp/sub.zone" "$tmp/corp.zone" || exit 1

L() { netns_exec "$ns" "$dig_bin" "$@"; }
D() { netns_exec "$ns" dig "$@"; }
# Both outputs without what differs by nature: the banner (program name and
# version), dig's server count, query ID, timing and date.
norm() {
    grep -v -e '^; <<>> ' -e '^; (1 server found)' -e '^;; Query time:' -e '^;; WHEN:' |
        sed -e 's/, id: [0-9]*$//' -e 's/ in [0-9]* ms$//'
}
same() { # same ARGS...: identical output from both programs
    local a b
    a=$(L "$@" | norm)
    b=$(D "$@" | norm)
    if [ "$a" != "$b" ] || [ -z "$a" ]; then
        diff <(echo "$b") <(echo "$a") | head -20
        return 1
    fi
}

S=@127.53.1.1
# --- the same text as dig, line for line -------------------------------
check "A, same as dig" same $S www.lab
check "AAAA, same as dig" same $S www.lab AAAA
check "MX (type before name), same as dig" same $S MX lab
check "TXT with quotes and escapes, same as dig" same $S txt.lab TXT
check "SRV, same as dig" same $S _http._tcp.lab SRV
check "CNAME, same as dig" same $S alias.lab
check "long owner (columns), same as dig" same $S a-rather-long-owner-name-for-the-columns.lab
check "NXDOMAIN, same as dig" same $S nx.lab
check "NODATA, same as dig" same $S www.lab MX
check "+norecurse, same as dig" same $S www.lab +norecurse
check "+dnssec, same as dig" same $S www.lab +dnssec
check "+noedns, same as dig" same $S www.lab +noedns
check "+tcp, same as dig" same $S www.lab +tcp
check "-x, same as dig" same $S -x 100.53.0.10
check "class CH (REFUSED, EDE), same as dig" same $S www.lab CH
check "TC then TCP, same as dig" same $S big.lab TXT +noedns
check "+ignore keeps the truncated reply, same as dig" same $S big.lab TXT +noedns +ignore
check "-p 53, same as dig" same -p 53 $S lab SOA

# --- +short ---------------------------------------------------------------
for q in "www.lab" "lab MX" "txt.lab TXT" "_http._tcp.lab SRV" "alias.lab"; do
    # shellcheck disable=SC2086
    check "+short $q, same as dig" same $S $q +short
done
check "+short NXDOMAIN prints nothing, as dig" [ -z "$(L $S nx.lab +short)$(D $S nx.lab +short)" ]
check "+short A" [ "$(L $S www.lab +short)" = 192.0.2.10 ]

# --- flags, rcode, transport, exit status -----------------------------------
out=$(L $S nx.lab)
rc=$?
check "NXDOMAIN exits 0" [ $rc -eq 0 ]
check "NXDOMAIN status line" grep -q '^;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: [0-9]*$' <<<"$out"
out=$(L $S www.lab +norecurse)
check "+norecurse: no rd in the reply's flags" grep -q '^;; flags: qr aa; QUERY: 1, ANSWER: 1,' <<<"$out"
out=$(L $S www.lab)
check "RD by default, with the recursion warning" \
    bash -c 'grep -q "^;; flags: qr aa rd;" <<<"$1" && grep -q "recursion requested but not available" <<<"$1"' _ "$out"
check "SERVER line (UDP)" grep -qx ';; SERVER: 127.53.1.1#53(127.53.1.1) (UDP)' <<<"$out"
check "MSG SIZE line" grep -qx ';; MSG SIZE  rcvd: [0-9]*' <<<"$out"
out=$(L $S www.lab +tcp)
check "+tcp: SERVER line says TCP" grep -qx ';; SERVER: 127.53.1.1#53(127.53.1.1) (TCP)' <<<"$out"
out=$(L $S big.lab TXT +noedns)
check "TC over UDP: retried over TCP, 30 records" \
    bash -c 'grep -q "^;; Truncated, retrying in TCP mode.$" <<<"$1" && grep -q "(TCP)$" <<<"$1" && grep -q "ANSWER: 30," <<<"$1"' _ "$out"
out=$(L $S big.lab TXT +noedns +ignore)
check "+ignore: tc flag, no retry" \
    bash -c 'grep -q "^;; flags: qr aa tc rd;" <<<"$1" && ! grep -q Truncated <<<"$1" && grep -q "(UDP)$" <<<"$1"' _ "$out"
out=$(L $S big.lab TXT +bufsize=4096)
check "+bufsize=4096: the big RRset fits UDP" \
    bash -c 'grep -q "ANSWER: 30," <<<"$1" && grep -q "(UDP)$" <<<"$1" && grep -q "udp: " <<<"$1"' _ "$out"
if [ "$have_hosts" = yes ]; then
    out=$(L @ns1.lab www.lab)
    check "@server by name (c-ares, hosts file)" grep -qx ';; SERVER: 127.53.1.1#53(ns1.lab) (UDP)' <<<"$out"
fi
L @nonexistent.lab www.lab >/dev/null 2>&1
check "@server name not found: exit 10" [ $? -eq 10 ]
out=$(L www.lab +norec)
check "no @server: resolv.conf's first server" grep -qx ';; SERVER: 127.53.0.1#53(127.53.0.1) (UDP)' <<<"$out"

start=$(date +%s%N)
out=$(L @10.97.0.2 www.lab +time=1 +tries=2)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "silent server: exit 9" [ $rc -eq 9 ]
check "silent server: within +time x +tries (took $ms ms)" [ "$ms" -ge 1900 -a "$ms" -lt 3500 ]
check "silent server: timed out twice" [ "$(grep -c 'communications error to 10.97.0.2#53: timed out' <<<"$out")" = 2 ]
check "silent server: no servers could be reached" grep -q '^;; no servers could be reached$' <<<"$out"
L @127.53.1.99 www.lab +tries=1 >/dev/null
check "nothing listening (ICMP refused): exit 9" [ $? -eq 9 ]

L $S www.lab +nosuchoption >/dev/null 2>&1
check "unknown +option: exit 1" [ $? -eq 1 ]
L $S www.lab +time=0 >/dev/null 2>&1
check "+time=0: exit 1" [ $? -eq 1 ]
L -p 0 $S www.lab >/dev/null 2>&1
check "-p 0: exit 1" [ $? -eq 1 ]
L -x 300.1.2.3 $S >/dev/null 2>&1
check "-x with a bad address: exit 1" [ $? -eq 1 ]

# --- +trace -----------------------------------------------------------------
if [ "$have_hosts" = yes ]; then
    check "+trace www.lab from @root, same as dig" same +trace www.lab @127.53.0.1
    check "+trace host.sub.lab (two referrals), same as dig" same +trace host.sub.lab @127.53.0.1
    check "+trace NXDOMAIN, same as dig" same +trace nx.sub.lab @127.53.0.1
    check "+trace glueless corp. (server name looked up), same as dig" same +trace www.corp @127.53.0.1
fi
out=$(L +trace host.sub.lab --root-hints "$tmp/hints")
rc=$?
check "+trace from root hints: exit 0" [ $rc -eq 0 ]
check "+trace from root hints: priming, each referral, the answer" bash -c '
    grep -q "^;; Received [0-9]* bytes from 127.53.0.1#53(A.HINTS) in" <<<"$1" &&
    grep -q "^lab\.			3600	IN	NS	ns1\.lab\.$" <<<"$1" &&
    grep -q "^;; Received [0-9]* bytes from 127.53.0.1#53(a.hints) in" <<<"$1" &&
    grep -q "^sub\.lab\.		300	IN	NS	ns1\.sub\.lab\.$" <<<"$1" &&
    grep -q "^;; Received [0-9]* bytes from 127.53.1.1#53(ns1.lab) in" <<<"$1" &&
    grep -q "^host\.sub\.lab\.		300	IN	A	192\.0\.2\.77$" <<<"$1" &&
    grep -q "^;; Received [0-9]* bytes from 127.53.2.1#53(ns1.sub.lab) in" <<<"$1"' _ "$out"
check "+roothints=FILE is the same as --root-hints" \
    [ "$(L +trace host.sub.lab "+roothints=$tmp/hints" | norm)" = "$(norm <<<"$out")" ]
out=$(L +trace www.lab +tcp --root-hints "$tmp/hints")
check "+trace +tcp reaches the answer" grep -q "^www\.lab\.		300	IN	A	192\.0\.2\.10$" <<<"$out"
printf '. 3600000 NS a.nowhere.\na.nowhere. 3600000 A 10.97.0.2\n' >"$tmp/silent.hints"
L +trace www.lab --root-hints "$tmp/silent.hints" +time=1 +tries=1 >/dev/null
check "+trace with a silent root: exit 9" [ $? -eq 9 ]
printf '. 3600000 NS a.nowhere.\na.nowhere. 3600000 A 10.97.0.2\n. 3600000 NS a.hints.\na.hints. 3600000 A 127.53.0.1\n' >"$tmp/half.hints"
out=$(L +trace host.sub.lab --root-hints "$tmp/half.hints" +time=1 +tries=1)
check "+trace with one silent root server of two: fails over, reaches the answer" \
    grep -q "^host\.sub\.lab\.		300	IN	A	192\.0\.2\.77$" <<<"$out"
printf '; comment\nthis is not a hints file\n' >"$tmp/bad.hints"
err=$(L +trace www.lab --root-hints "$tmp/bad.hints" 2>&1 >/dev/null)
check "+trace with malformed hints: exit 10" [ $? -eq 10 ]
check "+trace with malformed hints: the file, line and reason" \
    grep -q "^labnet-dig: $tmp/bad.hints:2: " <<<"$err"
err=$(L +trace www.lab --root-hints "$tmp/none.hints" 2>&1 >/dev/null)
check "+trace with missing hints file: exit 10" [ $? -eq 10 ]
check "+trace with missing hints file: says so" grep -q "none.hints: No such file" <<<"$err"

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ]
