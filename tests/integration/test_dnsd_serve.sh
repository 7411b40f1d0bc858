#!/usr/bin/env bash
# labnet-dnsd's serving front against real dig (bind9-dnsutils) and raw
# UDP/TCP from bash, inside network namespaces this test creates: local
# records, NXDOMAIN with SOA, TCP pipelining, TC, access control, BADVERS,
# NOTIMP, malformed packets, SIGHUP reload and SIGTERM.  Nothing leaves the
# namespaces; everything is removed on exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dnsd_serve.sh BUILD_DIR}
dnsd="$build/dnsd/labnet-dnsd"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
command -v dig >/dev/null || { echo "SKIP: dig is not installed (bind9-dnsutils)"; exit 77; }
[ -x "$dnsd" ] || { echo "FAIL: $dnsd not built"; exit 1; }

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
has() { grep -qE -- "$2" <<<"$1"; }

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

# Server namespace with the lab link; the client namespace has one allowed
# address, one not listed (refused) and one denied (dropped).
srv=$(netns_add dns) || exit 1
cli=$(netns_add cli) || exit 1
netns_link "$srv" "$cli" 10.77.0.1/24 10.77.0.2/24 >/dev/null || exit 1
cif=$(ip -n "$cli" -o link show type veth | awk -F'[ :@]+' '{print $2}')
ip -n "$cli" addr add 10.77.0.3/24 dev "$cif"
ip -n "$cli" addr add 10.77.0.4/24 dev "$cif"

# Root hints naming a server inside the namespace that does not exist, so
# the resolver (whatever it is) has nowhere real to go.
cat >"$tmp/named.root" <<'EOF2'
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     10.77.0.250
EOF2
cat >"$tmp/hosts" <<'EOF2'
# the lab's machines
10.0.0.5    printer.lab printer
10.0.0.6    nas.lab
fd00::6     nas.lab
EOF2
conf="$tmp/dnsd.conf"
write_conf() {
    {
        cat <<CONF
[server]
listen = 127.0.0.1:53 [::1]:53 10.77.0.1:53
threads = 2
allow = 10.77.0.2/32
deny = 10.77.0.4/32
tcp-idle-timeout = 2s
pid-file = $tmp/dnsd.pid
[resolver]
root-hints = $tmp/named.root
timeout = 1s
[local]
zones = lab. 10.in-addr.arpa.
hosts-file = $tmp/hosts
record = www.lab. 300 IN A 10.0.0.1
record = www.lab. AAAA fd00::1
record = lab. MX 10 mail.lab.
record = mail.lab. A 10.0.0.2
record = _http._tcp.lab. SRV 0 5 80 www.lab.
record = lab. TXT "v=spf1 -all"
record = alias.lab. CNAME www.lab.
CONF
        for i in $(seq 1 40); do echo "record = big.lab. TXT \"padding-$i-0123456789abcdefghijklmnopqrstuvwxyz\""; done
        printf '%s\n' "$@"
    } >"$conf"
}
write_conf

# --- -t checks the configuration and exits ---
out=$("$dnsd" -t -c "$conf" 2>&1)
check "-t accepts a valid configuration" [ $? -eq 0 ]
check "-t says so" has "$out" 'is valid'
printf '[server]\nthreads = 0\n[local]\nrecord = x.lab. A 300.1.2.3\n' >"$tmp/bad.conf"
out=$("$dnsd" -t -c "$tmp/bad.conf" 2>&1)
check "-t rejects a bad configuration (exit 1)" [ $? -eq 1 ]
check "-t names file:line of each error" has "$out" 'bad.conf:2: \[server\] threads'
check "-t names the bad record's line" has "$out" 'bad.conf:4: \[local\] record: A RDATA'

netns_spawn "$srv" "$tmp/dnsd.log" "$dnsd" -f -c "$conf"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DNS' '$tmp/dnsd.log'" 5 || { cat "$tmp/dnsd.log"; echo "FAIL: server did not start"; exit 1; }

# d ARGS...: dig from the allowed client against the lab address.
d() { netns_exec "$cli" dig @10.77.0.1 +time=2 +tries=1 "$@" 2>&1; }
dl() { netns_exec "$srv" dig @127.0.0.1 +time=2 +tries=1 "$@" 2>&1; }

# --- local data, authoritative ---
r=$(d www.lab A)
check "A record" has "$r" '^www\.lab\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.1$'
check "AA set, RA set" has "$r" 'flags: qr aa rd ra;'
check "EDNS answered with our 1232 size" has "$r" 'EDNS: version: 0, flags:; udp: 1232'
r=$(d -x 10.0.0.5)
check "PTR from the hosts file" has "$r" 'PTR[[:space:]]+printer\.lab\.$'
r=$(d lab MX)
check "MX" has "$r" 'MX[[:space:]]+10 mail\.lab\.$'
r=$(d _http._tcp.lab SRV)
check "SRV" has "$r" 'SRV[[:space:]]+0 5 80 www\.lab\.$'
r=$(d lab TXT)
check "TXT" has "$r" 'TXT[[:space:]]+"v=spf1 -all"$'
r=$(d nas.lab AAAA)
check "AAAA from the hosts file" has "$r" 'AAAA[[:space:]]+fd00::6$'
r=$(d alias.lab A)
check "CNAME followed within local data" has "$r" 'alias\.lab\..*CNAME[[:space:]]+www\.lab\.$' && \
    check "... to the A record" has "$r" '^www\.lab\..*A[[:space:]]+10\.0\.0\.1$'
r=$(d nope.lab A)
check "NXDOMAIN for a missing local name" has "$r" 'status: NXDOMAIN'
check "... with the zone's SOA in authority" has "$r" '^lab\..*SOA[[:space:]]+lab\. hostmaster\.lab\. 1 '
r=$(d mail.lab AAAA)
check "NODATA (NOERROR, no answer, SOA)" has "$r" 'status: NOERROR.*' && \
    check "... ANSWER: 0, AUTHORITY: 1" has "$r" 'ANSWER: 0, AUTHORITY: 1'
r=$(dl www.lab A)
check "served on 127.0.0.1 too" has "$r" 'A[[:space:]]+10\.0\.0\.1$'
r=$(netns_exec "$srv" dig @::1 +time=2 +tries=1 www.lab AAAA 2>&1)
check "served on ::1 too" has "$r" 'AAAA[[:space:]]+fd00::1$'

# --- resolution path: nothing reachable, so SERVFAIL within the timeout ---
r=$(d example.com A +time=4)
check "non-local name is resolved (SERVFAIL: no upstream reachable)" has "$r" 'status: SERVFAIL'

# --- TCP: several queries on one connection ---
r=$(d +tcp +keepopen www.lab A mail.lab A nas.lab AAAA)
check "TCP +keepopen, three answers" [ "$(grep -cE 'status: NOERROR' <<<"$r")" -eq 3 ]
check "... all correct" has "$r" 'nas\.lab\..*AAAA[[:space:]]+fd00::6$'
# Two queries written at once (pipelined) on one raw connection; both
# answers come back on it.  IDs 0xaa01 and 0xaa02.
q1='\x00\x19\xaa\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x03lab\x00\x00\x01\x00\x01'
q2='\x00\x19\xaa\x02\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03nas\x03lab\x00\x00\x1c\x00\x01'
hex=$(netns_exec "$cli" bash -c "exec 3<>/dev/tcp/10.77.0.1/53 && printf '$q1$q2' >&3 && timeout 3 cat <&3" | od -An -tx1 | tr -d ' \n')
check "pipelined TCP: reply to the first query" has "$hex" 'aa0185'
check "pipelined TCP: reply to the second query" has "$hex" 'aa0285'
# Idle timeout (2 s): a silent connection is closed by the server.
t0=$(date +%s%N)
netns_exec "$cli" bash -c 'exec 3<>/dev/tcp/10.77.0.1/53 && timeout 6 cat <&3 >/dev/null'
rc=$?
el=$((($(date +%s%N) - t0) / 1000000))
check "idle TCP connection closed by the server after ~2 s (rc $rc, $el ms)" [ "$rc" -eq 0 -a "$el" -ge 1500 -a "$el" -lt 5000 ]

# --- truncation ---
r=$(d +ignore +bufsize=512 big.lab TXT)
check "answer over the client's 512 -> TC" has "$r" 'flags: qr aa tc rd ra;'
r=$(d +ignore +noedns big.lab TXT)
check "no EDNS -> 512 limit -> TC" has "$r" 'flags: qr aa tc rd ra;'
r=$(d +bufsize=512 big.lab TXT)
check "dig retries over TCP and gets all 40 records" [ "$(grep -c 'padding-' <<<"$r")" -eq 40 ]

# --- access control ---
r=$(d -b 10.77.0.3 www.lab A)
check "client not listed -> REFUSED" has "$r" 'status: REFUSED'
r=$(d -b 10.77.0.4 www.lab A)
check "denied client -> no answer at all" has "$r" 'timed out|no servers could be reached'
check "... and nothing refused" bash -c "! grep -q REFUSED <<<\"\$1\"" _ "$r"

# --- EDNS version, opcodes ---
r=$(d +edns=1 +noednsneg www.lab A)
check "EDNS version 1 -> BADVERS" has "$r" 'status: BADVERS'
check "... with an OPT of version 0" has "$r" 'EDNS: version: 0'
r=$(d +opcode=notify www.lab)
check "NOTIFY -> NOTIMP" has "$r" 'opcode: NOTIFY, status: NOTIMP'
r=$(d +opcode=update lab SOA)
check "unsigned UPDATE -> REFUSED" has "$r" 'opcode: UPDATE, status: REFUSED'
r=$(d lab AXFR +notcp)
check "AXFR -> NOTIMP" has "$r" 'NOTIMP|Transfer failed'

# --- malformed packets: FORMERR when a header parses, else dropped ---
# udp_xchg HEX-ESCAPED: sends one datagram from the allowed client, prints
# the reply (hex) or nothing after 1 s.
udp_xchg() {
    netns_exec "$cli" bash -c "exec 3<>/dev/udp/10.77.0.1/53 && printf '$1' >&3 && timeout 1 dd bs=4096 count=1 2>/dev/null <&3" | od -An -tx1 | tr -d ' \n'
}
h=$(udp_xchg '\xbe\xef\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00')
check "QDCOUNT 0 -> FORMERR, header only" [ "$h" = beef81810000000000000000 ]
h=$(udp_xchg '\xbe\xef\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x03www\x03lab\x00\x00\x01\x00\x01')
check "QDCOUNT 2 -> FORMERR" has "$h" '^beef8181'
h=$(udp_xchg '\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x20\x00\x01\x00\x01')
check "forward compression pointer -> FORMERR" has "$h" '^beef8181'
h=$(udp_xchg '\xbe\xef\x01')
check "3-octet packet -> dropped" [ -z "$h" ]
h=$(udp_xchg '\xbe\xef\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x03lab\x00\x00\x01\x00\x01')
check "a response (QR=1) -> dropped" [ -z "$h" ]
# A burst of random datagrams and random TCP bytes.
netns_exec "$cli" bash -c 'for i in $(seq 1 300); do head -c $((RANDOM % 600 + 1)) /dev/urandom >/dev/udp/10.77.0.1/53; done' 2>/dev/null
netns_exec "$cli" bash -c 'for i in $(seq 1 20); do (exec 3<>/dev/tcp/10.77.0.1/53 && head -c $((RANDOM % 3000 + 1)) /dev/urandom >&3 && timeout 0.3 cat <&3 >/dev/null) ; done' 2>/dev/null
check "still alive after garbage" kill -0 "$pid"
r=$(d www.lab A)
check "still answering after garbage" has "$r" 'A[[:space:]]+10\.0\.0\.1$'
check "malformed queries are logged" grep -q 'malformed query from 10.77.0.2' "$tmp/dnsd.log"
check "refused queries are logged" grep -q 'refused query from 10.77.0.3' "$tmp/dnsd.log"

# --- SIGHUP: new records; a broken file keeps the old configuration ---
write_conf "record = new.lab. A 10.0.0.99"
kill -HUP "$pid"
netns_wait_for "grep -q 'configuration reloaded' '$tmp/dnsd.log'" 5
r=$(d new.lab A)
check "SIGHUP reload serves the new record" has "$r" 'A[[:space:]]+10\.0\.0\.99$'
printf '[server]\nthreads = zero\n' >>"$conf"
kill -HUP "$pid"
netns_wait_for "grep -q 'reload failed' '$tmp/dnsd.log'" 5
check "a bad reload is refused and logged with file:line" grep -q 'dnsd.conf:[0-9]*: \[server\] threads' "$tmp/dnsd.log"
r=$(d new.lab A)
check "... and the previous configuration still serves" has "$r" 'A[[:space:]]+10\.0\.0\.99$'
check "pid file written" [ "$(cat "$tmp/dnsd.pid" 2>/dev/null)" = "$pid" ]

# --- SIGTERM: graceful exit ---
kill -TERM "$pid"
t=0
while kill -0 "$pid" 2>/dev/null && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
check "SIGTERM stops the daemon within 5 s" bash -c "! kill -0 $pid 2>/dev/null"
wait "$pid"
check "... exit status 0" [ $? -eq 0 ]
check "... pid file removed" [ ! -e "$tmp/dnsd.pid" ]
check "... no handles left behind" bash -c "! grep -q 'loop did not close' '$tmp/dnsd.log'"

# --- a second signal stops at once, even with a client that never reads ---
write_conf
netns_spawn "$srv" "$tmp/dnsd2.log" "$dnsd" -f -c "$conf"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DNS' '$tmp/dnsd2.log'" 5 || { bad "second instance did not start"; cat "$tmp/dnsd2.log"; }
q='\x00\x19\xaa\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03big\x03lab\x00\x00\x10\x00\x01'
for i in $(seq 1 20000); do printf '%b' "$q"; done >"$tmp/flood.bin"
(netns_exec "$cli" bash -c "exec 3<>/dev/tcp/10.77.0.1/53 && cat '$tmp/flood.bin' >&3 && sleep 20" &)
sleep 2
kill -TERM "$pid"
sleep 1
check "a first SIGTERM waits for the stuck connection" kill -0 "$pid"
kill -TERM "$pid"
t=0
while kill -0 "$pid" 2>/dev/null && [ $t -lt 30 ]; do sleep 0.1; t=$((t + 1)); done
check "a second SIGTERM stops it at once" bash -c "! kill -0 $pid 2>/dev/null"
check "... and says so" grep -q 'second stop request' "$tmp/dnsd2.log"

# --- built-in defaults: 127.0.0.1:5353 and [::1]:5353, loopback only ---
# (root hints given so that nothing is ever sent toward the real roots)
check "-t with no configuration file is valid" "$dnsd" -t
netns_spawn "$srv" "$tmp/dnsd3.log" "$dnsd" -f -r "$tmp/named.root"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DNS' '$tmp/dnsd3.log'" 5 || bad "default instance did not start"
check "defaults listen on 127.0.0.1:5353 and [::1]:5353" grep -q 'on 127.0.0.1:5353 \[::1\]:5353 with 1 thread' "$tmp/dnsd3.log"
r=$(netns_exec "$srv" dig @127.0.0.1 -p 5353 +time=6 +tries=1 example.com 2>&1)
check "defaults: loopback client served (SERVFAIL: nothing reachable)" has "$r" 'status: SERVFAIL'
r=$(netns_exec "$srv" dig @::1 -p 5353 +time=6 +tries=1 example.com 2>&1)
check "defaults: ::1 served too" has "$r" 'status: SERVFAIL'
kill -TERM "$pid"
wait "$pid"
check "defaults instance stops with status 0" [ $? -eq 0 ]

# --- quick use from the command line ---
netns_spawn "$srv" "$tmp/dnsd4.log" "$dnsd" -f --listen 10.77.0.1:5300 --allow 10.77.0.3/32 \
    --threads 3 --root-hints "$tmp/named.root"
pid=$NETNS_PID
netns_wait_for "grep -q 'Serving DNS' '$tmp/dnsd4.log'" 5 || bad "command-line instance did not start"
check "--listen and --threads" grep -q 'on 10.77.0.1:5300 with 3 threads' "$tmp/dnsd4.log"
r=$(netns_exec "$cli" dig @10.77.0.1 -p 5300 -b 10.77.0.3 +time=3 +tries=1 example.com 2>&1)
check "--allow lets 10.77.0.3 in" has "$r" 'status: SERVFAIL'
r=$(netns_exec "$cli" dig @10.77.0.1 -p 5300 -b 10.77.0.2 +time=3 +tries=1 example.com 2>&1)
check "... and no one else" has "$r" 'status: REFUSED'
kill -TERM "$pid"
wait "$pid"
check "command-line instance stops with status 0" [ $? -eq 0 ]

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ] || { echo "--- server log ---"; cat "$tmp/dnsd.log"; exit 1; }
