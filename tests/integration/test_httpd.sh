#!/usr/bin/env bash
# labnet-httpd against real curl (and raw sockets for what curl won't send),
# inside a network namespace this test creates; everything is removed on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_httpd.sh BUILD_DIR}
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
# hasall TEXT PATTERN...: every extended regex matches some line of TEXT.
hasall() {
    local text=$1 p
    shift
    for p; do grep -qE -- "$p" <<<"$text" || return 1; done
}
# count TEXT PATTERN: occurrences in TEXT (bodies without a final newline
# put the next status line mid-line).
count() { grep -oE -- "$2" <<<"$1" | wc -l; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT
root="$tmp/www"
mkdir -p "$root/dir" "$root/noindex" "$root/.git" "$tmp/outside"
printf 'hello, lab\n' >"$root/index.html"
printf '0123456789abcdefghij' >"$root/digits.txt"
printf 'body{}\n' >"$root/dir/style.css"
printf 'secret\n' >"$root/.git/config"
printf 'outside\n' >"$tmp/outside/secret.txt"
ln -s "$tmp/outside/secret.txt" "$root/escape.txt"
ln -s ../digits.txt "$root/dir/inside-link.txt"
head -c 3000000 /dev/urandom >"$root/big.bin"
printf 'x' >"$root/noindex/a b&c.txt"
printf 'plain css\n' >"$root/site.css"
printf 'GZIPPED' >"$root/site.css.gz"
printf 'BROTLI' >"$root/site.css.br"
mkdir -p "$root/static"
printf 'img' >"$root/static/logo.png"
printf 'english\n' >"$root/page.html.en"
printf 'francais\n' >"$root/page.html.fr"
printf 'FR-GZIPPED' >"$root/page.html.fr.gz"
mkdir -p "$tmp/other"
printf 'other site\n' >"$tmp/other/index.html"
# thousand.txt: "ab" + 498 x "." + "ghi" + 497 x "." = 1000 bytes.
{ printf 'ab'; head -c 498 /dev/zero | tr '\0' .; printf 'ghi'; head -c 497 /dev/zero | tr '\0' .; } >"$root/thousand.txt"

conf="$tmp/httpd.conf"
write_conf() {
    cat >"$conf" <<CONF
[server]
listen = 127.0.0.1:8080
root = $root
workers = 2
header-timeout = 1s
keepalive-timeout = 5s
max-connections = 40
access-log = $tmp/access.log
precompressed = yes
languages = en, fr
$1
[cache]
rule = /static/ 7d
rule = .css no-cache
[cookies]
enabled = yes
name = visitor
key-file = $tmp/cookie.key
[vhost other]
hosts = other.lab, www.other.lab
root = $tmp/other
CONF
}
write_conf ""

ns=$(netns_add web) || exit 1
in_ns() { netns_exec "$ns" "$@"; }
netns_spawn "$ns" "$tmp/httpd.log" "$httpd" -f -c "$conf"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving' '$tmp/httpd.log'" 5 || { cat "$tmp/httpd.log"; echo "FAIL: server did not start"; exit 1; }
url=http://127.0.0.1:8080

# curl_h PATH [ARGS]: response head (status line + fields) of a GET.
curl_h() { local p=$1; shift; in_ns curl -s -o /dev/null -D - --path-as-is "$@" "$url$p" | tr -d '\r'; }
status() { local p=$1; shift; in_ns curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@" "$url$p"; }
field() { grep -i "^$1:" | head -n 1 | cut -d' ' -f2-; }

# --- basic GET / HEAD ---
body=$(in_ns curl -s "$url/")
check "GET / serves index.html" [ "$body" = "hello, lab" ]
h=$(curl_h /digits.txt)
check "200 status line" grep -q '^HTTP/1.1 200 OK' <<<"$h"
check "Content-Length" [ "$(field Content-Length <<<"$h")" = 20 ]
check "Content-Type text/plain with charset" grep -qi '^Content-Type: text/plain; charset=utf-8' <<<"$h"
check "Date, Server, Last-Modified, Accept-Ranges" \
    hasall "$h" '^Date: ' '^Server: labnet-httpd' '^Last-Modified: ' '^Accept-Ranges: bytes$'
etag=$(field ETag <<<"$h")
check "strong ETag" grep -qE '^"[^"]+"$' <<<"$etag"
hh=$(in_ns curl -s -I "$url/digits.txt" | tr -d '\r')
check "HEAD has the same ETag and length" hasall "$hh" "^ETag: $etag\$" '^Content-Length: 20$'
check "HEAD sends no body" [ -z "$(in_ns curl -s -X HEAD --max-time 2 "$url/digits.txt" 2>/dev/null)" ]
big=$(in_ns curl -s "$url/big.bin" | cmp - "$root/big.bin" && echo same)
check "3 MB file arrives intact (sendfile)" [ "$big" = same ]
check "CSS type" grep -qi '^Content-Type: text/css' <<<"$(curl_h /dir/style.css)"

# --- conditional requests ---
check "If-None-Match with the ETag -> 304" [ "$(status /digits.txt -H "If-None-Match: $etag")" = 304 ]
h304=$(curl_h /digits.txt -H "If-None-Match: W/$etag, \"other\"")
check "weak comparison in If-None-Match -> 304 with ETag" hasall "$h304" '^HTTP/1.1 304' "^ETag: $etag\$"
check "If-None-Match: * -> 304" [ "$(status /digits.txt -H 'If-None-Match: *')" = 304 ]
check "If-None-Match other -> 200" [ "$(status /digits.txt -H 'If-None-Match: "nope"')" = 200 ]
lm=$(field Last-Modified <<<"$h")
check "If-Modified-Since = Last-Modified -> 304" [ "$(status /digits.txt -H "If-Modified-Since: $lm")" = 304 ]
check "If-Modified-Since ignored when If-None-Match present" \
    [ "$(status /digits.txt -H "If-Modified-Since: $lm" -H 'If-None-Match: "nope"')" = 200 ]
check "If-Match mismatch -> 412" [ "$(status /digits.txt -H 'If-Match: "nope"')" = 412 ]
check "If-Match match -> 200" [ "$(status /digits.txt -H "If-Match: $etag")" = 200 ]
check "If-Unmodified-Since in the past -> 412" \
    [ "$(status /digits.txt -H 'If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT')" = 412 ]

# --- ranges ---
check "Range 0-4 -> 206 01234" [ "$(in_ns curl -s -r 0-4 "$url/digits.txt")" = 01234 ]
hr=$(curl_h /digits.txt -r 0-4)
check "206 with Content-Range" grep -q '^Content-Range: bytes 0-4/20' <<<"$hr"
check "suffix range -3" [ "$(in_ns curl -s -H 'Range: bytes=-3' "$url/digits.txt")" = hij ]
check "open range 15-" [ "$(in_ns curl -s -H 'Range: bytes=15-' "$url/digits.txt")" = fghij ]
h416=$(curl_h /digits.txt -H 'Range: bytes=50-60')
check "unsatisfiable -> 416 bytes */20" hasall "$h416" '^HTTP/1.1 416' '^Content-Range: bytes \*/20$'
# Ranges under 80 bytes apart are coalesced (common/http_range.h), so the
# two parts are taken far apart in a 1000-byte file.
mp=$(in_ns curl -s -D "$tmp/mp.h" -H 'Range: bytes=0-1,500-502' "$url/thousand.txt" | tr -d '\r')
check "two ranges -> multipart/byteranges" grep -qi 'Content-Type: multipart/byteranges; boundary=' "$tmp/mp.h"
check "multipart parts carry data and Content-Range" \
    hasall "$mp" '^Content-Range: bytes 0-1/1000$' '^Content-Range: bytes 500-502/1000$' '^ab$' '^ghi$'
check "near ranges coalesced into one part" \
    grep -q '^Content-Range: bytes 0-11/20' <<<"$(curl_h /digits.txt -H 'Range: bytes=0-1,10-11')"
check "If-Range with the ETag keeps the range" [ "$(status /digits.txt -r 0-1 -H "If-Range: $etag")" = 206 ]
check "If-Range mismatch -> 200 full" [ "$(status /digits.txt -r 0-1 -H 'If-Range: "old"')" = 200 ]
check "malformed Range ignored -> 200" [ "$(status /digits.txt -H 'Range: bytes=x-y')" = 200 ]

# --- content negotiation ---
check "br preferred when both accepted" [ "$(in_ns curl -s -H 'Accept-Encoding: gzip, br' "$url/site.css")" = BROTLI ]
hgz=$(curl_h /site.css -H 'Accept-Encoding: gzip')
check "gzip sibling with Content-Encoding and Vary" \
    hasall "$hgz" '^Content-Encoding: gzip$' '^Vary: Accept-Encoding$' '^Content-Type: text/css'
check "identity when not accepted" [ "$(in_ns curl -s "$url/site.css")" = "plain css" ]
check "q=0 refuses a coding" [ "$(in_ns curl -s -H 'Accept-Encoding: br;q=0, gzip' "$url/site.css")" = GZIPPED ]
e_id=$(field ETag <<<"$(curl_h /site.css)")
e_gz=$(field ETag <<<"$hgz")
check "distinct ETag per encoding" test -n "$e_id" -a "$e_id" != "$e_gz"
check "language by Accept-Language" [ "$(in_ns curl -s -H 'Accept-Language: fr-CH, fr;q=0.9, en;q=0.8' "$url/page.html")" = francais ]
hl=$(curl_h /page.html -H 'Accept-Language: en-GB')
check "Content-Language, Vary and the base type" \
    hasall "$hl" '^Content-Language: en$' '^Vary: Accept-Language$' '^Content-Type: text/html'
check "no acceptable language: first configured" [ "$(in_ns curl -s -H 'Accept-Language: de' "$url/page.html")" = english ]
# A language variant with a precompressed sibling: both negotiations at once.
frgz=(-H 'Accept-Language: fr' -H 'Accept-Encoding: gzip')
hfg=$(curl_h /page.html "${frgz[@]}")
e_fg=$(field ETag <<<"$hfg")
e_fr=$(field ETag <<<"$(curl_h /page.html -H 'Accept-Language: fr')")
check "language + encoding: both fields, ETag naming both" \
    hasall "$hfg" '^Content-Language: fr$' '^Content-Encoding: gzip$' '^ETag: ".*:fr\.gz"$'
check "language + encoding: ETag differs from the language alone" test -n "$e_fr" -a "$e_fr" != "$e_fg"
h304=$(curl_h /page.html "${frgz[@]}" -H "If-None-Match: $e_fg")
check "language + encoding: its ETag revalidates -> 304 with ETag and Vary" \
    hasall "$h304" '^HTTP/1.1 304' "^ETag: $e_fg\$" '^Vary: Accept-Encoding, Accept-Language$'
check "another variant's ETag does not revalidate -> 200" \
    [ "$(status /page.html -H 'Accept-Language: fr' -H "If-None-Match: $e_fg")" = 200 ]
# One file served both ways: as the fr variant of page.html and by its own
# name, which is no variant (the validators the server keeps per cached file
# must not carry one over to the other).
e_own=$(field ETag <<<"$(curl_h /page.html.fr)")
e_fr2=$(field ETag <<<"$(curl_h /page.html -H 'Accept-Language: fr')")
check "a variant file by its own name: an ETag without the variant ($e_own)" \
    bash -c '[ -n "$1" ] && [ "$1" != "$2" ] && [[ "$1" != *:* ]]' _ "$e_own" "$e_fr"
check "...and as the variant again: the variant's ETag ($e_fr2)" [ "$e_fr2" = "$e_fr" ]
# --- Cache-Control rules ---
hs=$(curl_h /static/logo.png)
check "prefix rule: max-age and Expires" hasall "$hs" '^Cache-Control: max-age=604800$' '^Expires: '
check "extension rule: no-cache" grep -q '^Cache-Control: no-cache$' <<<"$hgz"
check "no rule: no Cache-Control" bash -c '! grep -q "^Cache-Control" <<<"$1"' _ "$h"
# --- visitor cookies (signed) ---
hc=$(curl_h /digits.txt)
cookie=$(grep -i '^Set-Cookie: visitor=' <<<"$hc" | sed -E 's/^Set-Cookie: (visitor=[^;]*).*/\1/I')
check "Set-Cookie with attributes" hasall "$hc" '^Set-Cookie: visitor=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Path=/; Max-Age=31536000; Expires=.*; HttpOnly; SameSite=Lax$'
check "a valid cookie is not re-issued" bash -c '! grep -qi "^Set-Cookie" <<<"$1"' _ "$(curl_h /digits.txt -H "Cookie: a=b; $cookie")"
tampered="${cookie%?}A"
[ "$tampered" = "$cookie" ] && tampered="${cookie%?}B"
check "a tampered cookie is replaced" grep -qi '^Set-Cookie: visitor=' <<<"$(curl_h /digits.txt -H "Cookie: $tampered")"
check "key file created 0600" [ "$(stat -c %a "$tmp/cookie.key")" = 600 ]

# --- virtual hosts ---
check "vhost by Host header" [ "$(in_ns curl -s -H 'Host: other.lab:8080' "$url/")" = "other site" ]
check "vhost names are case-insensitive" [ "$(in_ns curl -s -H 'Host: WWW.Other.LAB' "$url/")" = "other site" ]
check "unknown Host gets the [server] root" [ "$(in_ns curl -s -H 'Host: nowhere.lab' "$url/")" = "hello, lab" ]
check "a vhost cannot reach the main root" [ "$(status /digits.txt -H 'Host: other.lab')" = 404 ]

# --- directories ---
hd=$(curl_h /dir)
check "directory without slash -> 301 Location /dir/" hasall "$hd" '^HTTP/1.1 301' '^Location: /dir/$'
check "directory without index -> 403 (listing off)" [ "$(status /noindex/)" = 403 ]
check "symlink inside the root is served" [ "$(in_ns curl -s "$url/dir/inside-link.txt")" = 0123456789abcdefghij ]

# --- hostile paths ---
for p in '/../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/%2E%2e/' '/..%2fetc/passwd' '/dir/..\..\etc' \
    '/a%00.html' '/%00' '/dir/../../etc/passwd'; do
    s=$(status "$p")
    check "traversal $p refused ($s)" [ "$s" = 400 ]
done
check "double-encoded %252e%252e is a literal name -> 404" [ "$(status '/%252e%252e/etc/passwd')" = 404 ]
check "symlink out of the root -> 403" [ "$(status /escape.txt)" = 403 ]
check "dotfile hidden -> 404" [ "$(status /.git/config)" = 404 ]
check "missing -> 404" [ "$(status /nope.txt)" = 404 ]

# --- methods ---
h405=$(curl_h /digits.txt -X POST -d x)
check "POST -> 405 with Allow" hasall "$h405" '^HTTP/1.1 405' '^Allow: GET, HEAD, OPTIONS$'
check "DELETE -> 405" [ "$(status /digits.txt -X DELETE)" = 405 ]
check "unknown method -> 501" [ "$(status /digits.txt -X BREW)" = 501 ]
head -c 200000 /dev/zero >"$tmp/upload"
# Expect: 100-continue with a body: the final status at once (curl would
# otherwise wait its 5 s expect timeout and then upload), and a close.
e100=$(in_ns curl -s -o /dev/null -D - -w 'time=%{time_total}\n' --expect100-timeout 5 \
    -H 'Expect: 100-continue' --data-binary @"$tmp/upload" "$url/digits.txt" | tr -d '\r')
check "Expect: 100-continue -> 405 at once, connection closed" \
    hasall "$e100" '^HTTP/1.1 405' '^Connection: close$' '^time=[0-2]\.'
check "Expect: 100-continue -> no interim 100" [ "$(count "$e100" 'HTTP/1.1 100')" = 0 ]
check "OPTIONS -> Allow" grep -q '^Allow: GET, HEAD, OPTIONS' <<<"$(curl_h /digits.txt -X OPTIONS)"

# --- connections: keep-alive, pipelining, framing attacks (raw bytes) ---
v=$(in_ns curl -sv "$url/digits.txt" "$url/index.html" 2>&1 >/dev/null)
check "keep-alive: second request reuses the connection" grep -qiE 'Re-using existing connection|Reusing existing' <<<"$v"
# raw REQUEST_BYTES: send bytes on one connection, print what comes back.
raw() { in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf "$1" >&3; timeout 3 cat <&3' _ "$1"; }
pipe=$(raw 'GET /digits.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "pipelined requests both answered" [ "$(count "$pipe" 'HTTP/1.1 200')" = 2 ]
check "pipelined bodies in order" grep -q "0123456789abcdefghijHTTP.*hello, lab" <<<"$(tr -d '\r\n' <<<"$pipe")"
check "Content-Length + Transfer-Encoding -> 400" \
    grep -q '^HTTP/1.1 400' <<<"$(raw 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' | tr -d '\r')"
check "differing duplicate Content-Length -> 400" \
    grep -q '^HTTP/1.1 400' <<<"$(raw 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab' | tr -d '\r')"
check "obs-fold -> 400" grep -q '^HTTP/1.1 400' <<<"$(raw 'GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n' | tr -d '\r')"
check "HTTP/2.0 request line -> 505" grep -q '^HTTP/1.1 505' <<<"$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' | tr -d '\r')"
check "missing Host on 1.1 -> 400" grep -q '^HTTP/1.1 400' <<<"$(raw 'GET / HTTP/1.1\r\n\r\n' | tr -d '\r')"
long=$(head -c 9000 /dev/zero | tr '\0' a)
check "request line over 8 KiB -> 414" [ "$(status "/$long")" = 414 ]
hdrs=()
for i in $(seq 1 120); do hdrs+=(-H "X-$i: v"); done
check "120 header fields -> 431" [ "$(status /digits.txt "${hdrs[@]}")" = 431 ]
# A GET with a small body: the body is read and dropped, never taken for
# the next request.
smug=$(raw 'GET /digits.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 33\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | tr -d '\r')
check "request body never parsed as a request" [ "$(count "$smug" 'HTTP/1.1 200')" = 2 ]
check "HTTP/1.0 closes by default" grep -q '^Connection: close' <<<"$(raw 'GET /digits.txt HTTP/1.0\r\n\r\n' | tr -d '\r')"
check "HTTP/1.0 keep-alive on request" grep -q '^Connection: keep-alive' <<<"$(in_ns curl -s -0 -D - -o /dev/null -H 'Connection: keep-alive' "$url/digits.txt" | tr -d '\r')"

# --- slowloris: a head trickled a byte every 0.3 s is cut off by the 1 s
# header timeout (checked once a second), not kept alive by each byte ---
start=$(date +%s%N)
in_ns bash -c 'trap "" PIPE; exec 3<>/dev/tcp/127.0.0.1/8080; for i in $(seq 1 30); do printf "X" >&3 2>/dev/null || exit 0; sleep 0.3; done; exit 1'
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
check "slowloris cut off by the header timeout (after ${elapsed} ms of 9000)" [ "$rc" -eq 0 ]

# --- a silent client: the kernel holds it until data arrives (deferred
# accept, ~1 s), then the server accepts it and the header timeout (1 s,
# checked each second) closes it: EOF well before 8 s ---
start=$(date +%s%N)
in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; timeout 8 cat <&3 >/dev/null'
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
check "silent connection closed by the server (rc $rc after ${elapsed} ms of 8000)" \
    bash -c '[ "$1" -eq 0 ] && [ "$2" -lt 6000 ]' _ "$rc" "$elapsed"

# --- a small file is served from memory: changed in place, its new bytes
# and ETag are served at once (the copy is revalidated every millisecond) ---
printf 'first version\n' >"$root/small.txt"
b1=$(in_ns curl -s "$url/small.txt")
e1=$(curl_h /small.txt | sed -n 's/^ETag: //p')
printf 'second, longer version\n' >"$root/small.txt" # same inode, new size and mtime
sleep 0.05
b2=$(in_ns curl -s "$url/small.txt")
e2=$(curl_h /small.txt | sed -n 's/^ETag: //p')
check "small file changed in place: new body served at once" \
    bash -c '[ "$1" = "first version" ] && [ "$2" = "second, longer version" ]' _ "$b1" "$b2"
check "small file changed in place: new ETag" bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$e1" "$e2"
check "small file from memory: a byte range of it" [ "$(in_ns curl -s -r 8-13 "$url/small.txt")" = "longer" ]
# A file too big to be held in memory keeps its cache entry when it changes
# in place (only its stat is refreshed): its ETag and Last-Modified follow.
# Eight connections first, so both workers' caches very likely hold it.
head -c 20000 /dev/zero | tr '\0' a >"$root/big.txt"
h1=$(curl_h /big.txt)
for _ in 1 2 3 4 5 6 7; do curl_h /big.txt >/dev/null; done
printf 'b' >>"$root/big.txt"                       # same inode, new size
touch -d '2020-01-02 03:04:05 UTC' "$root/big.txt" # and a new mtime
sleep 0.05
stale=0
for _ in 1 2 3 4; do
    h2=$(curl_h /big.txt)
    if [ "$(field ETag <<<"$h2")" = "$(field ETag <<<"$h1")" ] ||
        [ "$(field Last-Modified <<<"$h2")" = "$(field Last-Modified <<<"$h1")" ] ||
        [ "$(field Content-Length <<<"$h2")" != 20001 ]; then
        stale=$((stale + 1))
    fi
done
check "large cached file changed in place: new ETag, Last-Modified, length (stale: $stale of 4)" \
    [ "$stale" = 0 ]

# --- connection cap: 40 stalled clients fill it; a 41st is closed at once.
# Each sends a first byte: the listener defers accept (TCP_DEFER_ACCEPT)
# until data arrives, so a silent connection is only accepted, and
# counted, after about a second ---
in_ns bash -c 'for i in $(seq 1 40); do exec {fd}<>/dev/tcp/127.0.0.1/8080; printf G >&$fd; done; sleep 0.5; curl -s -m 2 -o /dev/null -w "%{http_code}" http://127.0.0.1:8080/digits.txt >'"$tmp/cap.out"'; sleep 0.2' 2>/dev/null
check "over max-connections: new connection refused" [ "$(cat "$tmp/cap.out")" = 000 ]
check "connection limit logged" grep -q "connection limit (max-connections = 40) reached" "$tmp/httpd.log"
sleep 1.5
check "after idle connections time out, clients are served again" [ "$(status /digits.txt)" = 200 ]

# --- access log ---
sleep 1.2 # flushed each second
check "access log in combined format + visitor id" \
    grep -qE '^127\.0\.0\.1 - - \[[^]]+\] "GET /digits.txt HTTP/1.1" 200 20 "-" "curl/[^"]*" [A-Za-z0-9_-]{22} [0-9]+\.[0-9]{3}$' "$tmp/access.log"

# --- reload: SIGHUP turns directory listings on; a broken config is refused ---
write_conf "autoindex = yes"
kill -HUP "$pid"
netns_wait_for "[ \"\$(status /noindex/)\" = 200 ]" 3
listing=$(in_ns curl -s "$url/noindex/")
check "after SIGHUP: listing with escaped names" grep -qF 'a%20b%26c.txt">a b&amp;c.txt' <<<"$listing"
printf '[server]\nlisten = 127.0.0.1:8080\nroot = %s\nbogus = 1\n' "$root" >"$conf"
kill -HUP "$pid"
sleep 0.5
check "broken config on SIGHUP: old one kept" [ "$(status /noindex/)" = 200 ]
check "broken config named in the log" grep -q 'httpd.conf:4: \[server\] bogus: unknown key' "$tmp/httpd.log"

# --- graceful stop during a slow download: the download completes ---
in_ns curl -s --limit-rate 1500k -o "$tmp/slow.bin" "$url/big.bin" &
cpid=$!
sleep 0.5
kill -TERM "$pid"
wait "$cpid"
check "download in flight at SIGTERM completes" cmp -s "$tmp/slow.bin" "$root/big.bin"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "server exited after SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
rc=$?
check "exit status 0 after SIGTERM (under ASan: no LSan report)" [ "$rc" -eq 0 ]
check "exit logged as a clean stop" grep -q 'stopped after' "$tmp/httpd.log"
if [ "$fail" -ne 0 ]; then
    echo "--- server log"
    tail -n 30 "$tmp/httpd.log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
