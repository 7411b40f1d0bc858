#!/usr/bin/env bash
# labnet-dnsd's DNS UPDATE (RFC 2136, TSIG RFC 8945) driven by Debian's
# nsupdate, checked with dig, inside network namespaces this test makes:
# add A + PTR, replace, delete RR / RRset / name, prerequisites, missing or
# bad TSIG refused with nothing changed, a zone not local, UDP and TCP,
# both worker threads see an update at once, SIGHUP and a restart keep the
# records (state file).  Nothing leaves the namespaces.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dnsd_update.sh BUILD_DIR}
dnsd="$build/dnsd/labnet-dnsd"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
command -v dig >/dev/null || { echo "SKIP: dig is not installed (bind9-dnsutils)"; exit 77; }
command -v nsupdate >/dev/null || { echo "SKIP: nsupdate is not installed (bind9-dnsutils)"; exit 77; }
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

srv=$(netns_add dns) || exit 1
cli=$(netns_add cli) || exit 1
netns_link "$srv" "$cli" 10.77.0.1/24 10.77.0.2/24 >/dev/null || exit 1
cif=$(ip -n "$cli" -o link show type veth | awk -F'[ :@]+' '{print $2}')
ip -n "$cli" addr add 10.77.0.3/24 dev "$cif"

SECRET=cQOmrKVdBkMfbfdPvSy3BDlVhmLbJ7emcGLKJPLhpbs=
KEY="hmac-sha256:ddns:$SECRET"
mkdir -p "$tmp/state"
cat >"$tmp/named.root" <<'EOF2'
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     10.77.0.250
EOF2
conf="$tmp/dnsd.conf"
write_conf() {
    cat >"$conf" <<CONF
[server]
listen = 10.77.0.1:53
threads = 2
allow = 10.77.0.0/24
pid-file = $tmp/dnsd.pid
state-dir = $tmp/state
[resolver]
root-hints = $tmp/named.root
timeout = 1s
[local]
zones = lab. 0.77.10.in-addr.arpa. corp.
record = www.lab. 300 IN A 10.77.0.1
$1
[update]
key = $KEY
zones = lab. 0.77.10.in-addr.arpa.
allow = 10.77.0.2/32
CONF
}
write_conf ""

start() {
    netns_spawn "$srv" "$tmp/dnsd.log" "$dnsd" -f -c "$conf" -v
    dpid=$NETNS_PID
    netns_wait_for "netns_exec $cli dig +time=1 +tries=1 @10.77.0.1 www.lab A +short | grep -q 10.77.0.1" 5
}
start || { cat "$tmp/dnsd.log"; echo "FAIL: dnsd did not start"; exit 1; }

# nsupdate inside the client namespace; the commands come on stdin.
upd() { # upd [nsupdate options...] <<< commands
    netns_exec "$cli" nsupdate -t 5 "$@" 2>&1
}
q() { # q NAME TYPE [dig options]: the short answer
    local n=$1 t=$2
    shift 2
    netns_exec "$cli" dig +time=2 +tries=1 @10.77.0.1 "$n" "$t" +short "$@"
}
full() { netns_exec "$cli" dig +time=2 +tries=1 @10.77.0.1 "$@"; }

# ---- add A + PTR ----
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
update add host1.lab. 300 A 10.77.0.5
send
zone 0.77.10.in-addr.arpa.
update add 5.0.77.10.in-addr.arpa. 300 PTR host1.lab.
send
EOF2
)
check "nsupdate add A and PTR succeeds" test -z "$out"
check "A record is served" test "$(q host1.lab A)" = "10.77.0.5"
check "PTR record is served" test "$(q 5.0.77.10.in-addr.arpa PTR)" = "host1.lab."
r=$(full host1.lab A)
check "dynamic answer is authoritative" has "$r" "flags: qr aa"
r=$(full host1.lab AAAA)
check "dynamic name: NODATA with the SOA" has "$r" "status: NOERROR.*|ANSWER: 0, AUTHORITY: 1"
serial1=$(q lab SOA | awk '{print $3}')
check "SOA serial moved past 1" test "${serial1:-0}" -gt 1

# Both worker threads (SO_REUSEPORT spreads source ports): every query sees it.
seen=0
for i in $(seq 1 20); do
    [ "$(q host1.lab A)" = "10.77.0.5" ] && seen=$((seen + 1))
done
check "20 queries over both threads all see the update" test "$seen" -eq 20

# ---- replace over TCP ----
out=$(upd -v -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
update delete host1.lab. A
update add host1.lab. 600 A 10.77.0.6
send
EOF2
)
check "replace over TCP succeeds" test -z "$out"
check "replaced A served" test "$(q host1.lab A)" = "10.77.0.6"
r=$(full host1.lab A +noall +answer)
check "replaced TTL is 600" has "$r" "host1\.lab\.[[:space:]]+600"
serial2=$(q lab SOA | awk '{print $3}')
check "serial bumped by the update" test "$serial2" -gt "$serial1"

# ---- prerequisites ----
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
prereq nxdomain host1.lab.
update add host1.lab. 300 A 10.77.0.66
send
EOF2
)
check "prereq nxdomain on an existing name: YXDOMAIN" has "$out" "YXDOMAIN"
check "... and nothing added" test "$(q host1.lab A)" = "10.77.0.6"
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
prereq yxdomain host1.lab.
update add host1.lab. 600 A 10.77.0.7
send
EOF2
)
check "prereq yxdomain on an existing name applies" test -z "$out"
check "... two A records now" test "$(q host1.lab A | sort | tr '\n' ' ')" = "10.77.0.6 10.77.0.7 "
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
prereq yxdomain nobody.lab.
update add nobody.lab. 300 A 10.77.0.8
send
EOF2
)
check "prereq yxdomain on a missing name: NXDOMAIN" has "$out" "NXDOMAIN"
check "... and nothing added" test -z "$(q nobody.lab A)"

# ---- refusals change nothing ----
before=$(cat "$tmp/state/dnsd-dynamic.zone")
out=$(upd <<'EOF2'
server 10.77.0.1
zone lab.
update add evil.lab. 300 A 10.66.6.6
send
EOF2
)
check "unsigned update: REFUSED" has "$out" "REFUSED"
out=$(upd -y "hmac-sha256:ddns:c2Vjb25kIGtleSBmb3IgdGVzdHMgb25seSEhISEhISE=" <<'EOF2'
server 10.77.0.1
zone lab.
update add evil.lab. 300 A 10.66.6.6
send
EOF2
)
check "wrong secret: NOTAUTH(BADSIG)" has "$out" "NOTAUTH\(BADSIG\)"
out=$(upd -y "hmac-sha256:stranger:$SECRET" <<'EOF2'
server 10.77.0.1
zone lab.
update add evil.lab. 300 A 10.66.6.6
send
EOF2
)
check "unknown key: NOTAUTH(BADKEY)" has "$out" "NOTAUTH\(BADKEY\)"
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone example.com.
update add evil.example.com. 300 A 10.66.6.6
send
EOF2
)
check "zone not local: NOTAUTH" has "$out" "NOTAUTH"
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone corp.
update add evil.corp. 300 A 10.66.6.6
send
EOF2
)
check "local zone not in [update] zones: NOTAUTH" has "$out" "NOTAUTH"
# From 10.77.0.3: may query, may not update.
out=$(netns_exec "$cli" nsupdate -t 5 -y "$KEY" 2>&1 <<'EOF2'
server 10.77.0.1
local 10.77.0.3
zone lab.
update add evil.lab. 300 A 10.66.6.6
send
EOF2
)
check "sender outside [update] allow: REFUSED" has "$out" "REFUSED"
check "refused updates added nothing" test -z "$(q evil.lab A)"
check "refused updates left the state file alone" test "$(cat "$tmp/state/dnsd-dynamic.zone")" = "$before"

# ---- delete RR, RRset, name ----
upd -y "$KEY" >/dev/null <<'EOF2'
server 10.77.0.1
zone lab.
update add host2.lab. 300 A 10.77.0.20
update add host2.lab. 300 A 10.77.0.21
update add host2.lab. 300 TXT "printer"
send
EOF2
check "host2 has two A" test "$(q host2.lab A | wc -l)" -eq 2
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
update delete host2.lab. A 10.77.0.20
send
EOF2
)
check "delete one RR" test "$(q host2.lab A)" = "10.77.0.21"
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
update delete host2.lab. A
send
EOF2
)
check "delete the RRset: no A" test -z "$(q host2.lab A)"
check "... the TXT stays" test "$(q host2.lab TXT)" = '"printer"'
out=$(upd -y "$KEY" <<'EOF2'
server 10.77.0.1
zone lab.
update delete host2.lab.
send
EOF2
)
r=$(full host2.lab TXT)
check "delete the name: NXDOMAIN" has "$r" "status: NXDOMAIN"
check "static records untouched" test "$(q www.lab A)" = "10.77.0.1"

# ---- SIGHUP keeps the records, and takes new static data ----
write_conf "record = new.lab. A 10.77.0.50"
kill -HUP "$dpid"
netns_wait_for "[ \"\$(q new.lab A)\" = 10.77.0.50 ]" 5
check "reload took the new static record" test "$(q new.lab A)" = "10.77.0.50"
check "reload kept the dynamic A" test "$(q host1.lab A | wc -l)" -eq 2
check "reload kept the dynamic PTR" test "$(q 5.0.77.10.in-addr.arpa PTR)" = "host1.lab."

# ---- restart keeps them (state file) ----
serial3=$(q lab SOA | awk '{print $3}')
kill -TERM "$dpid"
wait "$dpid" 2>/dev/null
check "state file names host1" grep -q "^host1.lab. 600 IN A" "$tmp/state/dnsd-dynamic.zone"
start || bad "dnsd restarted"
check "restart kept the dynamic A" test "$(q host1.lab A | wc -l)" -eq 2
check "restart kept the dynamic PTR" test "$(q 5.0.77.10.in-addr.arpa PTR)" = "host1.lab."
check "restart kept the serial" test "$(q lab SOA | awk '{print $3}')" = "$serial3"
kill -TERM "$dpid"
wait "$dpid" 2>/dev/null

# ---- a corrupt state file stops the start with a clear error ----
echo "host1.lab. 600 IN A \\# 4 zz" >>"$tmp/state/dnsd-dynamic.zone"
err=$(netns_exec "$srv" "$dnsd" -t -c "$conf" 2>&1)
rc=$?
check "corrupt state file: -t fails" test "$rc" -ne 0
check "... naming file and line" has "$err" "dnsd-dynamic.zone:[0-9]+: "

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ] || { echo "--- dnsd log"; cat "$tmp/dnsd.log"; }
[ "$fail" -eq 0 ]
