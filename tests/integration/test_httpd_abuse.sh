#!/usr/bin/env bash
# labnet-httpd under abuse, inside a network namespace this test creates:
# random bytes, a header block without end, 10,000 connections, huge Range
# lists, pipelined floods, a very long URL, chunked bodies of tiny chunks,
# and a client that never reads.  test_httpd.sh covers the protocol itself
# (and slowloris, idle connections at the cap, smuggling); this one checks
# that after each attack the same process is alive, still serves, and its
# memory stayed bounded.  The whole run takes well under 2 minutes.
#
# The hostile client is tests/helpers/abuse_conn.c (libc only): the test
# uses BUILD_DIR/tests/abuse_conn when CMake built it, otherwise compiles it
# with cc into a scratch folder, and is skipped (77) when it can do neither.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_httpd_abuse.sh BUILD_DIR}
httpd="$build/httpd/labnet-httpd"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps.sh test)"; exit 77; }
[ -x "$httpd" ] || { echo "FAIL: $httpd not built"; exit 1; }

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
# expect DESCRIPTION 'SHELL CONDITION': for conditions joined by && / ||,
# which "check" would split at the wrong place.
expect() {
    if eval "$2"; then ok "$1"; else bad "$1"; fi
}
# kv LINE KEY: the value of KEY=value in an abuse_conn result line.
kv() { sed -nE "s/.*(^| )$2=([^ ]*).*/\\2/p" <<<"$1"; }

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

abuse="$build/tests/abuse_conn"
if [ ! -x "$abuse" ]; then
    abuse="$tmp/abuse_conn"
    if ! cc -std=c11 -O2 -o "$abuse" "$here/../helpers/abuse_conn.c" 2>"$tmp/cc.log"; then
        cat "$tmp/cc.log"
        echo "SKIP: the abuse_conn helper is neither built nor buildable with cc"
        exit 77
    fi
fi

root="$tmp/www"
mkdir -p "$root"
printf 'hello, lab\n' >"$root/index.html"
printf '0123456789abcdefghij' >"$root/small.txt"
head -c 1000 /dev/zero | tr '\0' . >"$root/thousand.txt"
# Larger than every socket buffer between the server and a client that
# does not read, so a stalled response really stalls.
head -c 64000000 /dev/zero >"$root/big.bin"
big_size=64000000

# Limits chosen so each attack hits one: max-connections 500 for the flood
# of 10,000; max-keepalive-requests 1000 for the pipelined flood; a 1 s
# send timeout for the client that never reads.  The header timeout is
# longer than the 4 s the flood of connections is held, so the server still
# holds its 500 while the test counts them.
cat >"$tmp/httpd.conf" <<CONF
[server]
listen = 127.0.0.1:8080
root = $root
workers = 2
header-timeout = 5s
keepalive-timeout = 10s
send-timeout = 1s
max-connections = 500
max-keepalive-requests = 1000
access-log = $tmp/access.log
CONF

# Under ASan, a freed block sits in a 256 MiB quarantine by default, which
# would make any memory bound meaningless; a small one keeps RSS honest.
asan_opts="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
ns=$(netns_add abuse) || exit 1
in_ns() { netns_exec "$ns" "$@"; }
netns_spawn "$ns" "$tmp/httpd.log" env ASAN_OPTIONS="$asan_opts" "$httpd" -f -c "$tmp/httpd.conf"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving' '$tmp/httpd.log'" 10 || { cat "$tmp/httpd.log"; echo "FAIL: server did not start"; exit 1; }
url=http://127.0.0.1:8080
ab() { in_ns "$abuse" "$@"; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0; }
# Warm up (first requests map the file cache, the log, the date buffer),
# then take the baseline.  The bound: 32 MiB over it for anything an
# attacker can do (a build with sanitizers gets more for their shadow
# memory and allocator).
for _ in 1 2 3; do in_ns curl -s -o /dev/null "$url/small.txt"; done
base_kb=$(rss_kb)
slack_mb=32
grep -q "__asan_init" "$httpd" 2>/dev/null && slack_mb=96
bound_kb=$((base_kb + slack_mb * 1024))
echo "baseline RSS ${base_kb} kB; bound ${bound_kb} kB (peak, VmHWM)"

# alive CASE: after each attack, the same process is alive, still serves
# a plain GET, and its peak memory stayed under the bound.
alive() {
    local c=$1 code
    check "$c: daemon alive (pid $pid)" bash -c "kill -0 $pid 2>/dev/null && grep -q labnet-httpd /proc/$pid/comm"
    code=$(in_ns curl -s -m 5 -o /dev/null -w '%{http_code}' "$url/small.txt")
    check "$c: curl still gets 200 ($code)" [ "$code" = 200 ]
    local hwm
    hwm=$(hwm_kb)
    expect "$c: peak RSS ${hwm} kB <= ${bound_kb} kB" '[ "$hwm" -gt 0 ] && [ "$hwm" -le "$bound_kb" ]'
}
start_all=$(date +%s)

# --- 1. random bytes: every connection gets 400 and is closed -----------
# Garbage without any line end is judged only once a line ends or a limit
# is reached (common/http_parse scans for the end of the head first), so
# until then it is bounded by the header timeout: two such connections run
# in the background while the other cases go on, and are checked at the end.
ab -t 20 127.0.0.1 8080 garbage 2 2048 >"$tmp/nolf.out" &
nolf_pid=$!
r=$(ab -t 30 127.0.0.1 8080 garbage 300 2048 end)
echo "garbage 300 x 2 KiB: $r"
expect "random bytes: 300 connections, each 400 and closed" \
    '[ "$(kv "$r" conns)" = 300 ] && [ "$(kv "$r" status400)" = 300 ] && [ "$(kv "$r" hung)" = 0 ]'
r=$(ab -t 30 127.0.0.1 8080 garbage 20 200000 end)
echo "garbage 20 x 200 kB: $r"
expect "random 200 kB streams: each 4xx (400/414/431) and closed, none left hanging" \
    '[ "$(kv "$r" status4xx)" = 20 ] && [ "$(kv "$r" hung)" = 0 ]'
alive "random bytes"

# --- 2. a header block that never ends: 431 and closed quickly ----------
r=$(ab -t 10 127.0.0.1 8080 headers)
echo "endless headers: $r"
check "endless header block: 431" [ "$(kv "$r" status)" = 431 ]
expect "endless header block: closed by the server within 3 s ($(kv "$r" ms) ms)" \
    '[ "$(kv "$r" closed)" = yes ] && [ "$(kv "$r" ms)" -lt 3000 ]'
check "endless header block: at most 1 MiB taken before the close ($(kv "$r" sent) bytes)" \
    [ "$(kv "$r" sent)" -lt 1048576 ]
alive "endless headers"

# --- 3. 10,000 connections against max-connections = 500 ---------------
# Each connection sends a first byte and stalls: labnet defers accept until
# data arrives (TCP_DEFER_ACCEPT), so silent connections wait in the kernel
# (about a second) before the server ever sees them.
# What the server holds is counted in its own descriptor table: the
# client's view can include connections the kernel completed (SYN cookies)
# but dropped from a full accept queue, which the server never saw.
socks() { find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
base_socks=$(socks)
ab -t 4 127.0.0.1 8080 hold 10000 >"$tmp/hold.out" &
hold_pid=$!
peak=0
for _ in $(seq 1 30); do
    n=$(($(socks) - base_socks))
    [ "$n" -gt "$peak" ] && peak=$n
    sleep 0.1
done
wait "$hold_pid"
r=$(cat "$tmp/hold.out")
echo "hold 10000: $r; server held at most $peak"
opened=$(kv "$r" opened)
expect "10,000 connections all attempted" \
    '[ "$(kv "$r" pending)" = 0 ] && [ $((opened + $(kv "$r" refused))) -eq 10000 ]'
expect "beyond max-connections closed at once: the server held at most 500 ($peak)" \
    '[ "$peak" -le 500 ] && [ "$peak" -ge 400 ]'
check "the rest were closed by the server ($(kv "$r" closed) of $opened)" \
    [ "$(kv "$r" closed)" -ge $((opened - 1000)) ]
check "connection limit logged" grep -q 'connection limit (max-connections = 500) reached' "$tmp/httpd.log"
check "limit message rate-limited (at most 3 lines for 9,500 refusals)" \
    [ "$(grep -c 'connection limit' "$tmp/httpd.log")" -le 3 ]
alive "10,000 connections"

# --- 4. Range lists: thousands of ranges, overlaps ------------------------
# rstat RANGE [PATH]: "status bytes" of a GET with that Range.
rstat() { in_ns curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "Range: bytes=$1" "$url${2:-/thousand.txt}"; }
many=$(seq 0 2 3998 | awk '{printf "%s%d-%d", (NR > 1 ? "," : ""), $1 % 1000, $1 % 1000}')
check "2,000 ranges (over 16) -> 200, whole file, no multipart" [ "$(rstat "$many")" = "200 1000" ]
check "16 identical whole-file ranges -> one part, never 16 copies" \
    bash -c '[[ "$1" =~ ^(200|206)\ 1000$ ]]' _ "$(rstat "$(printf '0-999,%.0s' $(seq 1 15))0-999")"
check "16 overlapping ranges -> merged, at most the file" \
    bash -c 's=${1#* }; [[ "$1" =~ ^(200|206)\  ]] && [ "$s" -le 1000 ]' _ \
    "$(rstat "$(for i in $(seq 0 15); do printf '%d-%d,' $((i * 10)) $((i * 10 + 500)); done)0-1")"
check "16 overlapping suffix/open ranges -> at most the file" \
    bash -c 's=${1#* }; [ "$s" -le 1000 ]' _ "$(rstat "$(printf -- '-999,0-,%.0s' $(seq 1 8) | sed 's/,$//')")"
sparse=$(for i in $(seq 0 15); do printf '%d-%d,' $((i * 4000000)) $((i * 4000000 + 9)); done | sed 's/,$//')
r=$(rstat "$sparse" /big.bin)
check "16 sparse ranges of a 64 MB file -> 206, body bounded by parts ($r)" \
    bash -c 's=${1#* }; [[ "$1" =~ ^206\  ]] && [ "$s" -lt 8000 ]' _ "$r"
check "17 ranges -> 200 whole file" [ "$(rstat "$(printf '0-0,%.0s' $(seq 1 16))0-0")" = "200 1000" ]
check "16 unsatisfiable ranges -> 416" [ "$(rstat "$(printf '5000-6000,%.0s' $(seq 1 15))5000-6000" | cut -d' ' -f1)" = 416 ]
# 10,000 ranges: about 60 KiB of header, beyond max-header-size.
{ printf 'GET /thousand.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-0'
  seq 1 10000 | awk '{printf ",%d-%d", $1 % 1000, $1 % 1000}'
  printf '\r\n\r\n'; } >"$tmp/range10k"
r=$(ab -t 5 127.0.0.1 8080 stream "$tmp/range10k")
echo "10,000 ranges: $r"
expect "10,000 ranges (60 KiB header) -> 431 and closed" '[ "$(kv "$r" status)" = 431 ] && [ "$(kv "$r" closed)" = yes ]'
alive "range lists"

# --- 5. pipelined floods ------------------------------------------------
req=$'GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n'
{ for _ in $(seq 1 20000); do printf '%s' "$req"; done; } >"$tmp/flood20k"
# The access log (written each second) counts what the server answered: a
# client that goes on sending after "Connection: close" loses the tail of
# its responses to the reset that ends the bounded drain (64 KiB).
sleep 1.2
logged=$(wc -l <"$tmp/access.log")
r=$(ab -t 20 127.0.0.1 8080 stream "$tmp/flood20k")
echo "20,000 pipelined: $r"
sleep 1.2
answered=$(($(wc -l <"$tmp/access.log") - logged))
check "20,000 pipelined requests: exactly max-keepalive-requests (1000) answered ($answered)" \
    [ "$answered" = 1000 ]
expect "20,000 pipelined requests: then closed within 5 s, at most 1000 responses received ($(kv "$r" responses))" \
    '[ "$(kv "$r" closed)" = yes ] && [ "$(kv "$r" ms)" -lt 5000 ] && [ "$(kv "$r" responses)" -le 1000 ]'
{ for _ in $(seq 1 900); do printf '%s' "$req"; done
  printf 'GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; } >"$tmp/flood901"
r=$(ab -t 20 127.0.0.1 8080 stream "$tmp/flood901")
echo "901 pipelined: $r"
expect "901 pipelined requests: all answered in one connection" \
    '[ "$(kv "$r" responses)" = 901 ] && [ "$(kv "$r" closed)" = yes ] && [ "$(kv "$r" recv)" -gt $((901 * 20)) ]'
# Pipelined requests for the 64 MB file from one connection: responses
# are sent one at a time, never buffered in memory all together.
{ for _ in $(seq 1 4); do printf 'GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n'; done
  printf 'GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; } >"$tmp/floodbig"
r=$(ab -t 40 127.0.0.1 8080 stream "$tmp/floodbig")
echo "4 x 64 MB pipelined: $r"
expect "4 pipelined 64 MB responses streamed in full (recv $(kv "$r" recv))" \
    '[ "$(kv "$r" recv)" -gt $((4 * big_size)) ] && [ "$(kv "$r" closed)" = yes ]'
alive "pipelined floods"

# --- 6. a very long URL ---------------------------------------------------
{ printf 'GET /'; head -c 1048576 /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$tmp/longurl"
r=$(ab -t 10 127.0.0.1 8080 stream "$tmp/longurl")
echo "1 MiB URL: $r"
expect "1 MiB request line -> 414, closed within 3 s" \
    '[ "$(kv "$r" status)" = 414 ] && [ "$(kv "$r" closed)" = yes ] && [ "$(kv "$r" ms)" -lt 3000 ]'
dots=$(printf '%.0s/..%%2f' $(seq 1 1300))
check "7.8 KiB of encoded ../ segments -> 400" \
    [ "$(in_ns curl -s -o /dev/null -w '%{http_code}' --path-as-is "$url/a$dots")" = 400 ]
deep=$(printf '%.0s/a' $(seq 1 2000))
check "2,000 path segments -> 404, answered" \
    [ "$(in_ns curl -s -o /dev/null -w '%{http_code}' "$url$deep")" = 404 ]
deep=$(printf '%.0s/a' $(seq 1 3500))
check "3,500 path segments (a path over 4 KiB) -> 414" \
    [ "$(in_ns curl -s -o /dev/null -w '%{http_code}' "$url$deep")" = 414 ]
alive "long URL"

# --- 7. request bodies of many tiny chunks ------------------------------
{ printf 'POST /small.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
  for _ in $(seq 1 20); do printf '1\r\nG\r\n%.0s' $(seq 1 5000); done
  printf '0\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$tmp/chunks"
r=$(ab -t 10 127.0.0.1 8080 stream "$tmp/chunks")
echo "100,000 one-byte chunks: $r"
expect "100,000 one-byte chunks: one answer (405), then closed" \
    '[ "$(kv "$r" status)" = 405 ] && [ "$(kv "$r" responses)" = 1 ] && [ "$(kv "$r" closed)" = yes ]'
check "100,000 one-byte chunks: closed within 3 s ($(kv "$r" ms) ms)" [ "$(kv "$r" ms)" -lt 3000 ]
{ printf 'GET /small.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
  printf 'ffffffffffffffff\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$tmp/hugechunk"
r=$(ab -t 10 127.0.0.1 8080 stream "$tmp/hugechunk")
echo "2^64-1 chunk size: $r"
expect "a chunk of 2^64-1 bytes announced: one answer, closed, nothing smuggled" \
    '[ "$(kv "$r" responses)" = 1 ] && [ "$(kv "$r" closed)" = yes ]'
alive "chunked bodies"

# --- 8. a client that never reads its response --------------------------
# send-timeout = 1 s: the response is cut off; meanwhile others are served.
ab -t 3 127.0.0.1 8080 noread /big.bin >"$tmp/noread.out" &
nrpid=$!
sleep 0.5
code=$(in_ns curl -s -m 2 -o /dev/null -w '%{http_code}' "$url/small.txt")
check "while a client stalls a response, others are served ($code)" [ "$code" = 200 ]
wait "$nrpid"
r=$(cat "$tmp/noread.out")
echo "never reads: $r"
expect "a client that never reads is cut off by send-timeout (got $(kv "$r" recv) of $big_size bytes)" \
    '[ "$(kv "$r" eof)" = yes ] && [ "$(kv "$r" recv)" -lt "$big_size" ]'
alive "never reads"

wait "$nolf_pid"
r=$(cat "$tmp/nolf.out")
echo "garbage without a line end: $r"
expect "garbage without a line end: closed by the header timeout, none left hanging" \
    '[ "$(kv "$r" conns)" = 2 ] && [ "$(kv "$r" hung)" = 0 ]'

# --- the end: graceful stop, exit 0 (under ASan, LeakSanitizer runs at
# exit and fails the exit status on any leak) ----------------------------
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "server exited after SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
rc=$?
check "exit status 0 after the abuse (no sanitizer or leak report: rc $rc)" [ "$rc" -eq 0 ]
check "no sanitizer report in the log" bash -c "! grep -qE 'Sanitizer|runtime error' '$tmp/httpd.log'"
elapsed=$(($(date +%s) - start_all))
check "whole run bounded: ${elapsed} s < 110 s" [ "$elapsed" -lt 110 ]
if [ "$fail" -ne 0 ]; then
    echo "--- server log"
    tail -n 30 "$tmp/httpd.log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
