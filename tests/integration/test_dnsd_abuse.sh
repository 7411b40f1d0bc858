#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2034  # expect evaluates its condition later, reading these variables
# labnet-dnsd under hostile input, inside network namespaces this test
# creates (docs/SECURITY.md, "DNS"): thousands of random and truncated
# packets over UDP and TCP, compression loops and pointer chains, a flood
# of 10,000+ queries/s from one source against `rate-limit` (the flooder
# gets at most its share while another client is still served quickly),
# refused and denied networks, connections held open past
# max-tcp-connections, and a flood of distinct names under a zone whose
# server never answers (pending resolutions capped by `max-pending`).
# test_dnsd_serve.sh covers the protocol itself (FORMERR, BADVERS, TC,
# ACL basics); this one checks that after each attack the same process is
# alive, still answers a legitimate dig, and its memory stayed bounded.
# The whole run takes about 30 s.
#
# Hostile clients: tests/helpers/dnsfake.c ("flood" kinds) and
# tests/helpers/abuse_conn.c ("hold").
#
#   test_dnsd_abuse.sh BUILD_DIR
#
# Negative controls (each must make the named checks FAIL):
#   DNSD_ABUSE_NEGATIVE=ratelimit   rate-limit = 0: "flood ... held to the rate"
#   DNSD_ABUSE_NEGATIVE=pending     max-pending = 1000000: the pending-flood
#                                   memory and latency checks
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dnsd_abuse.sh BUILD_DIR}
dnsd="$build/dnsd/labnet-dnsd"
fake="$build/tests/dnsfake"
abuse="$build/tests/abuse_conn"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
command -v dig >/dev/null || { echo "SKIP: dig is not installed (bind9-dnsutils)"; exit 77; }
command -v ss >/dev/null || { echo "SKIP: ss is not installed (iproute2)"; exit 77; }
for b in "$dnsd" "$fake" "$abuse"; do
    [ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }
done
negative=${DNSD_ABUSE_NEGATIVE:-}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect DESCRIPTION 'SHELL CONDITION'
expect() {
    if eval "$2"; then ok "$1"; else bad "$1"; fi
}
# kv LINE KEY: the value of KEY=value in a result line.
kv() { sed -nE "s/.*(^| )$2=([^ ]*).*/\\2/p" <<<"$1"; }
t_start=$(date +%s)

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

# Server namespace: dnsd on 10.77.0.1, and the only "root server"
# (10.77.0.250, dnsfake mode never: reads every query, answers none).
# Client namespace: .2 the flooder, .5 a legitimate client (both
# allowed), .3 not listed (refused), .4 denied.
srv=$(netns_add dns) || exit 1
cli=$(netns_add cli) || exit 1
netns_link "$srv" "$cli" 10.77.0.1/24 10.77.0.2/24 >/dev/null || exit 1
sif=$(ip -n "$srv" -o link show type veth | awk -F'[ :@]+' '{print $2}')
cif=$(ip -n "$cli" -o link show type veth | awk -F'[ :@]+' '{print $2}')
ip -n "$srv" addr add 10.77.0.250/24 dev "$sif"
for a in 3 4 5; do ip -n "$cli" addr add "10.77.0.$a/24" dev "$cif"; done

cat >"$tmp/named.root" <<'EOF'
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     10.77.0.250
EOF
rate=200
max_pending=2000
[ "$negative" = ratelimit ] && rate=0
[ "$negative" = pending ] && max_pending=1000000
conf="$tmp/dnsd.conf"
write_conf() { # RATE
    cat >"$conf" <<CONF
[server]
listen = 10.77.0.1:53
threads = 2
allow = 10.77.0.2/32 10.77.0.5/32
deny = 10.77.0.4/32
rate-limit = $1
rate-limit-slip = 2
tcp-idle-timeout = 2s
max-tcp-connections = 64
max-pending = $max_pending
[resolver]
root-hints = $tmp/named.root
timeout = 3s
[local]
zones = lab.
record = www.lab. 300 IN A 10.0.0.1
CONF
}
write_conf 0

netns_spawn "$srv" "$tmp/root.log" "$fake" serve -l 10.77.0.250 -z . -m never
netns_wait_for "grep -qs '^dnsfake serving' '$tmp/root.log'" 5 || { echo "FAIL: dnsfake root did not start"; exit 1; }
netns_spawn "$srv" "$tmp/dnsd.log" "$dnsd" -f -c "$conf"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DNS' '$tmp/dnsd.log'" 5 || { cat "$tmp/dnsd.log"; echo "FAIL: labnet-dnsd did not start"; exit 1; }

# flood [-b SRC] KIND ARGS...: dnsfake flood from the client namespace
# (source 10.77.0.2 unless -b is given).
flood() {
    local src=10.77.0.2
    if [ "$1" = -b ]; then src=$2; shift 2; fi
    netns_exec "$cli" "$fake" flood 10.77.0.1 "$@" -b "$src"
}
dg() { netns_exec "$cli" dig @10.77.0.1 -b 10.77.0.5 +time=2 +tries=1 "$@" 2>&1; }
vm() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status" 2>/dev/null; } # kB
rss0=$(vm VmRSS)
echo "baseline: VmRSS ${rss0} kB, VmHWM $(vm VmHWM) kB"
# RSS bound after each case: baseline + 64 MiB (measured: +30 MiB at the
# distinct-name flood with max-pending 2000, +300 MiB without the cap).
# Under ASan freed blocks wait in a quarantine and every allocation has
# redzones: 128 MiB.
slack_mb=64
grep -q "__asan_init" "$dnsd" 2>/dev/null && slack_mb=128
rss_bound=$((rss0 + slack_mb * 1024))

# after CASE: the invariants every case must leave behind.
after() {
    local r rss
    expect "$1: same process alive" 'kill -0 "$pid" 2>/dev/null'
    rss=$(vm VmRSS)
    expect "$1: VmRSS ${rss} kB <= ${rss_bound} kB (VmHWM $(vm VmHWM) kB)" '[ "${rss:-999999999}" -le "$rss_bound" ]'
    r=$(dg www.lab A)
    expect "$1: a legitimate dig is still answered" 'grep -Eq "^www\.lab\..*A[[:space:]]+10\.0\.0\.1$" <<<"$r"'
}

# --- random datagrams: dropped (no header) or FORMERR; never anything else ---
out=$(flood random -n 5000 -w 500)
echo "random UDP: $out"
expect "5000 random datagrams sent" '[ "$(kv "$out" sent)" -eq 5000 ]'
expect "... replies only FORMERR/NOTIMP/REFUSED-free ($out)" \
    '[ "$(kv "$out" noerror)" -eq 0 ] && [ "$(kv "$out" refused)" -eq 0 ] && [ "$(kv "$out" servfail)" -le 5 ]'
after "random UDP"

# --- every proper prefix of a query: FORMERR or dropped, never an answer ---
# (paced at 5,000/s so that no socket buffer drops any: all are counted)
out=$(flood trunc -n 3600 -r 5000 -w 500)
echo "truncated UDP: $out"
expect "truncated queries: no answer is NOERROR ($out)" '[ "$(kv "$out" noerror)" -eq 0 ]'
# The query is 37 octets: of its 36 proper prefixes the 25 of 12 octets or
# more hold a header and get FORMERR; the 11 shorter ones are dropped.
# (95%: a datagram now and then is lost between the namespaces)
expect "... the 2500 with a header get FORMERR (95% or more), the 1100 without nothing" \
    '[ "$(kv "$out" formerr)" -ge 2375 ] && [ "$(kv "$out" recv)" -eq "$(kv "$out" formerr)" ] && [ "$(kv "$out" recv)" -le 2500 ]'
after "truncated UDP"

# --- compression loops and pointer chains: FORMERR, each of them ---
# Every reply is FORMERR.  A loaded machine drops datagrams at the
# server's socket; at least half must come back.
out=$(flood loops -n 5000 -r 2500 -w 500)
echo "loops: $out"
expect "5000 loops/chains: every answer FORMERR, >= 2500 answers ($out)" \
    '[ "$(kv "$out" formerr)" -eq "$(kv "$out" recv)" ] && [ "$(kv "$out" recv)" -ge 2500 ]'
after "compression loops"

# --- TCP: random bytes and cut frames on 1000 connections ---
out=$(flood tcp-random -n 500 -w 300)
echo "random TCP: $out"
expect "500 random TCP connections made and closed ($out)" \
    '[ "$(kv "$out" conns)" -eq 500 ] && [ "$(kv "$out" closed)" -eq 500 ] && [ "$(kv "$out" noerror)" -eq 0 ]'
out=$(flood tcp-trunc -n 500 -w 300)
echo "truncated TCP: $out"
expect "500 truncated TCP frames: closed, never answered NOERROR ($out)" \
    '[ "$(kv "$out" closed)" -eq 500 ] && [ "$(kv "$out" noerror)" -eq 0 ]'
after "TCP garbage"

# --- refused network: REFUSED for every query, cheaply ---
out=$(flood -b 10.77.0.3 query -n 5000 -r 5000 -w 500)
echo "refused: $out"
expect "refused network: every answer REFUSED, >= 2500 of 5000 ($out)" \
    '[ "$(kv "$out" refused)" -eq "$(kv "$out" recv)" ] && [ "$(kv "$out" recv)" -ge 2500 ]'
expect "... and quickly (avg $(kv "$out" avg_ms) ms < 20)" \
    'awk -v a="$(kv "$out" avg_ms)" "BEGIN {exit !(a < 20)}"'
# --- denied network: nothing at all ---
out=$(flood -b 10.77.0.4 query -n 5000 -r 10000 -w 1000)
echo "denied: $out"
expect "denied network: 5000 queries, no answer ($out)" '[ "$(kv "$out" recv)" -eq 0 ]'
after "refused/denied"

# --- many TCP connections held open: the cap holds, then idle timeout ---
netns_exec "$cli" "$abuse" -t 5 10.77.0.1 53 hold 300 >"$tmp/hold.out" 2>&1 &
hold_pid=$!
sleep 1
est=$(netns_exec "$srv" ss -Htn state established '( sport = :53 )' | wc -l)
expect "held connections: $est established at the server <= max-tcp-connections 64" '[ "$est" -le 64 ] && [ "$est" -ge 32 ]'
r=$(dg +tcp www.lab A)
expect "... a new TCP client during the hold is turned away (the cap holds)" \
    '! grep -Eq "^www\.lab\..*A[[:space:]]+10\.0\.0\.1$" <<<"$r"'
r=$(dg www.lab A)
expect "... UDP is still served meanwhile" 'grep -Eq "^www\.lab\..*A[[:space:]]+10\.0\.0\.1$" <<<"$r"'
sleep 2.5 # tcp-idle-timeout (2 s) closes the held ones
r=$(dg +tcp www.lab A)
expect "... after the idle timeout a new TCP client is served" 'grep -Eq "^www\.lab\..*A[[:space:]]+10\.0\.0\.1$" <<<"$r"'
wait "$hold_pid"
out=$(cat "$tmp/hold.out")
echo "hold: $out"
expect "... every held connection was closed by the server ($out)" '[ "$(kv "$out" open)" -eq 0 ]'
after "TCP hold"

# --- distinct names under a zone whose server never answers ---
# 15,000 queries at 5,000/s, each a new name: every one starts a
# resolution (3 s timeout).  max-pending caps them per thread; the rest are
# SERVFAIL at once; local names stay fast and memory bounded.
root0=$(grep -c '^query ' "$tmp/root.log")
flood distinct -q dead.test -n 15000 -r 5000 -w 4000 >"$tmp/distinct.out" &
dpid=$!
sleep 1.2
legit=$(flood -b 10.77.0.5 query -q www.lab -n 100 -r 100 -w 500)
hwm_mid=$(vm VmHWM)
fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
wait "$dpid"
out=$(cat "$tmp/distinct.out")
echo "distinct: $out"
echo "legitimate during it: $legit"
root1=$(grep -c '^query ' "$tmp/root.log")
echo "upstream queries to the silent root: $((root1 - root0)); open fds mid-flood: $fds; VmHWM $hwm_mid kB"
expect "distinct flood: every answer SERVFAIL, >= half answered ($out)" \
    '[ "$(kv "$out" recv)" -ge $(( $(kv "$out" sent) / 2 )) ] && [ "$(kv "$out" servfail)" -eq "$(kv "$out" recv)" ]'
expect "... open descriptors bounded by max-pending ($fds <= 2 threads x 2000 + 100)" \
    '[ "$fds" -le $((2 * 2000 + 100)) ]'
# RFC 5452 10: a fresh random source port and ID for every upstream query.
# Of the first 2000 sent to the silent root, nearly all IDs differ (random
# 16-bit IDs collide about 30 times in 2000), and neither IDs nor ports
# follow a sequence (steps of 1..16 between consecutive queries: a counter
# gives ~2000, random values ~1).
grep '^query ' "$tmp/root.log" | head -2000 |
    sed -nE 's/.* from [0-9.]+:([0-9]+) id ([0-9]+)$/\1 \2/p' >"$tmp/upstream.txt"
uids=$(cut -d' ' -f2 "$tmp/upstream.txt" | sort -u | wc -l)
steps() { awk -v c="$1" 'NR > 1 {d = $c - p; if (d >= 1 && d <= 16) n++} {p = $c} END {print n + 0}' "$tmp/upstream.txt"; }
pseq=$(steps 1) iseq=$(steps 2)
expect "... upstream IDs random: $uids distinct of $(wc -l <"$tmp/upstream.txt") (>= 1800), $iseq sequential steps (< 20)" \
    '[ "$uids" -ge 1800 ] && [ "$iseq" -lt 20 ]'
expect "... upstream source ports random: $pseq sequential steps (< 20)" '[ "$pseq" -lt 20 ]'
expect "... dnsd says it is at max-pending" 'grep -q "queries in resolution (max-pending); answering SERVFAIL" "$tmp/dnsd.log"'
expect "... legitimate client served during it: 100/100 ($legit)" '[ "$(kv "$legit" recv)" -eq 100 ]'
expect "... with normal latency (max $(kv "$legit" max_ms) ms < 100)" \
    'awk -v a="$(kv "$legit" max_ms)" "BEGIN {exit !(a < 100)}"'
expect "... VmHWM $hwm_mid kB <= ${rss_bound} kB" '[ "$hwm_mid" -le "$rss_bound" ]'
after "distinct-name flood"

# --- 10,000+ queries/s from one source, with rate-limit ---
write_conf "$rate"
kill -HUP "$pid"
netns_wait_for "grep -q 'configuration reloaded' '$tmp/dnsd.log'" 5 || bad "reload with rate-limit"
flood query -q www.lab -n 30000 -r 20000 -w 1000 >"$tmp/rl.out" &
fpid=$!
sleep 0.5
legit=$(flood -b 10.77.0.5 query -q www.lab -n 100 -r 100 -w 500)
wait "$fpid"
out=$(cat "$tmp/rl.out")
echo "rate flood: $out"
echo "legitimate during it: $legit"
ms=$(kv "$out" send_ms)
full=$(( $(kv "$out" noerror) - $(kv "$out" tc) ))
# At most rate per second plus one second's burst (the bucket), with 10%
# for timing; every second excess query slips as an empty TC=1 answer.
allow=$(( 200 * (ms / 1000 + 2) * 11 / 10 ))
expect "flood at $(( $(kv "$out" sent) * 1000 / (ms > 0 ? ms : 1) ))/s sent ($(kv "$out" sent) in $ms ms)" \
    '[ $(( $(kv "$out" sent) * 1000 / (ms > 0 ? ms : 1) )) -ge 10000 ]'
expect "flood held to the rate: $full full answers <= $allow" '[ "$full" -le "$allow" ]'
expect "... the excess only slips TC=1 ($(kv "$out" tc)), about every 2nd" \
    '[ "$(kv "$out" tc)" -le $(( $(kv "$out" sent) / 2 + 50 )) ]'
expect "... legitimate client from another address: 100/100 ($legit)" '[ "$(kv "$legit" recv)" -eq 100 ] && [ "$(kv "$legit" tc)" -eq 0 ]'
expect "... with normal latency (max $(kv "$legit" max_ms) ms < 100)" \
    'awk -v a="$(kv "$legit" max_ms)" "BEGIN {exit !(a < 100)}"'
after "rate-limited flood"

expect "dnsd logged the rate limit" 'grep -q "rate limit exceeded by 10.77.0.2" "$tmp/dnsd.log" || [ "$negative" = ratelimit ]'
expect "no sanitizer report" '! grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error" "$tmp/dnsd.log"'
el=$(( $(date +%s) - t_start ))
expect "the whole run took ${el} s (< 60)" '[ "$el" -lt 60 ]'

kill -TERM "$pid"
wait "$pid"
rc=$?
expect "SIGTERM: exit status 0 ($rc)" '[ "$rc" -eq 0 ]'

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ] || { echo "--- server log (tail) ---"; tail -30 "$tmp/dnsd.log"; exit 1; }
