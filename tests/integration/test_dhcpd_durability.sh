#!/usr/bin/env bash
# labnet-dhcpd's promise: a lease is on disk before its DHCPACK leaves.
# A storm of clients (labnet-dhcpstorm: hundreds of made-up MACs, each
# running DORA, every ACK logged the moment it arrives) runs against the
# server; the server is killed with SIGKILL in the middle of it and
# restarted on the same database while the storm goes on.  Then:
#   - every ACK the storm saw before and around the kill is in the database
#     the dead server left behind, bound to the same client;
#   - after the storm, every ACK ever sent is bound to its client, and no
#     address was ever given to two clients;
#   - a second storm of new clients gets none of those addresses;
#   - the first storm's clients, asking again (INIT-REBOOT), get their own
#     addresses back.
# During storm A every fsync of the server takes 50 ms longer
# (labnet-slowsync.so preloaded), so the kill lands inside a write: a server
# that sent ACKs before their write finished fails the first check.
# Negative control, every run: on a copy of the database with one ACKed
# row deleted, the same checks report that lease missing, and a server
# started on that copy hands the address to a new client (the reuse check
# catches it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dhcpd_durability.sh BUILD_DIR}
dhcpd="$build/dhcpd/labnet-dhcpd"
storm="$build/tests/labnet-dhcpstorm"
slowsync="$build/tests/labnet-slowsync.so"
# shellcheck source=netns.sh
. "$here/netns.sh"
netns_require
[ -x "$dhcpd" ] || { echo "FAIL: $dhcpd not built"; exit 1; }
[ -x "$storm" ] || { echo "FAIL: $storm not built"; exit 1; }
[ -f "$slowsync" ] || { echo "FAIL: $slowsync not built"; exit 1; }

pass=0
fail=0
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: $d"; else fail=$((fail + 1)); echo "FAIL: $d"; fi
}
t_start=$(date +%s)

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT

S=$(netns_add srv) || exit 1
T=$(netns_add storm) || exit 1
netns_bridge "$S" br0 10.88.0.1/21 || exit 1
# The storm's own address (outside the pool) lets its kernel send.
sif=$(netns_attach "$S" br0 "$T" 10.88.0.2/21) || exit 1

state="$tmp/state"
cat >"$tmp/dhcpd.conf" <<CONF
[server]
interfaces = br0
state-dir = $state
offer-hold = 5s

[subnet 10.88.0.0/21]
pool = 10.88.1.0-10.88.7.254
router = 10.88.0.1
dns = 10.88.0.53
lease-time = 1h
CONF
start_server() { # start_server LOGNAME [CONF]
    # The sanitizer runtime wants to be loaded first; the shim is not
    # instrumented, so letting it go first is harmless.
    netns_spawn "$S" "$tmp/dhcpd.log.$1" env LD_PRELOAD="$slowsync" LABNET_SLOWSYNC_MS=50 \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$dhcpd" -f -c "${2:-$tmp/dhcpd.conf}"
    srv_pid=$NETNS_PID
    netns_wait_for "grep -q 'Serving DHCP' '$tmp/dhcpd.log.$1'" 5
}
leases() { "$dhcpd" --state-dir "$1" --leases --json; }

# missing_acks LOG STATEDIR: prints every "ACK MAC ADDR" line of LOG whose
# address is not bound to MAC in STATEDIR's database (nothing = all there).
missing_acks() {
    leases "$2" | awk -v acks="$1" '
        match($0, /"address": "[0-9.]+"/) {
            a = substr($0, RSTART + 12, RLENGTH - 13)
            m = ""
            if (match($0, /"mac": "[0-9a-f:]+"/)) m = substr($0, RSTART + 8, RLENGTH - 9)
            bound[a] = ($0 ~ /"state": "bound"/) ? m : ""
        }
        END {
            n = 0
            while ((getline line < acks) > 0) {
                n++
                split(line, f, " ")
                if (f[1] == "ACK" && bound[f[3]] != f[2]) print line
            }
            if (n == 0) print "nothing read from " acks   # never vacuous
        }'
}
# reused LOG...: prints every address ACKed to more than one MAC.
reused() { cat "$@" | awk '$1 == "ACK" {print $3, $2}' | sort -u | awk '{print $1}' | uniq -d; }

# --- storm A, SIGKILL in the middle, restart ---------------------------------
check "server starts" start_server 1
A=600
netns_spawn "$T" "$tmp/stormA.log" "$storm" -i "$sif" -n "$A" -k 32 -p 300 -t 40 -o "$tmp/acks.A"
storm_pid=$NETNS_PID
netns_wait_for "[ \$(cat '$tmp/acks.A' 2>/dev/null | wc -l) -ge 150 ]" 10
kill -KILL "$srv_pid"
wait "$srv_pid" 2>/dev/null
# Replies the server sent before it died may still be on their way.
sleep 0.3
cp "$tmp/acks.A" "$tmp/acks.atkill"
n_kill=$(wc -l <"$tmp/acks.atkill")
check "the kill came in the middle of the storm ($n_kill of $A ACKed)" \
    bash -c '[ "$1" -ge 150 ] && [ "$1" -lt "$2" ]' _ "$n_kill" "$A"
miss=$(missing_acks "$tmp/acks.atkill" "$state")
check "every ACK seen up to the kill is in the dead server's database, bound to its client" \
    [ -z "$miss" ]
[ -z "$miss" ] || head -n 5 <<<"$miss"
sleep 0.5 # the storm retransmits meanwhile
check "server restarts on the same database" start_server 2
check "restart loaded at least the ACKed leases" bash -c \
    'n=$(sed -n "s/.*: \([0-9]*\) leases loaded.*/\1/p" "$1"); [ -n "$n" ] && [ "$n" -ge "$2" ]' \
    _ "$tmp/dhcpd.log.2" "$n_kill"
wait "$storm_pid"
check "storm A completes after the restart: all $A clients ACKed" [ $? -eq 0 ]
cat "$tmp/stormA.log"
check "storm A: $A ACK lines, one per client" \
    [ "$(awk '$1 == "ACK" {print $2}' "$tmp/acks.A" | sort -u | wc -l)" -eq "$A" ]
check "storm A: no address ACKed to two clients" [ -z "$(reused "$tmp/acks.A")" ]
miss=$(missing_acks "$tmp/acks.A" "$state")
check "every ACK of storm A (before, around and after the kill) is bound to its client" \
    [ -z "$miss" ]

# --- storm B: new clients never get storm A's addresses -----------------------
netns_exec "$T" "$storm" -i "$sif" -n 150 -b 100000 -k 32 -t 20 -o "$tmp/acks.B" 2>"$tmp/stormB.log"
check "storm B: 150 new clients ACKed" [ $? -eq 0 ]
cat "$tmp/stormB.log"
check "storm B got none of storm A's addresses" [ -z "$(reused "$tmp/acks.A" "$tmp/acks.B")" ]
check "both storms are bound in the database" \
    [ -z "$(missing_acks "$tmp/acks.A" "$state")$(missing_acks "$tmp/acks.B" "$state")" ]

# --- storm A's clients come back: the same address each --------------------
netns_exec "$T" "$storm" -i "$sif" --reboot "$tmp/acks.A" -k 64 -t 20 -o "$tmp/reboot.A" \
    2>"$tmp/rebootA.log"
check "INIT-REBOOT of all $A clients: every one answered" [ $? -eq 0 ]
cat "$tmp/rebootA.log"
check "INIT-REBOOT: every client ACKed for its own address" \
    cmp -s <(sort "$tmp/acks.A") <(sort "$tmp/reboot.A")

# --- second SIGKILL, this time with nothing in flight ---------------------------
kill -KILL "$srv_pid"
wait "$srv_pid" 2>/dev/null
check "after a second kill -9 both storms are still bound" \
    [ -z "$(missing_acks "$tmp/acks.A" "$state")$(missing_acks "$tmp/acks.B" "$state")" ]
check "no sanitizer report from the server" bash -c "! grep -qE 'Sanitizer|runtime error' $tmp/dhcpd.log.*"

# --- negative control: a lease lost from the database is caught -------------------
if command -v sqlite3 >/dev/null; then
    mkdir -p "$tmp/lost"
    cp "$state"/dhcpd-leases.sqlite* "$tmp/lost/"
    victim=$(sort -t. -k3,3n -k4,4n <(awk '{print $3}' "$tmp/acks.A") | head -n1)
    sqlite3 "$tmp/lost/dhcpd-leases.sqlite" "DELETE FROM leases WHERE address = '$victim'" 2>"$tmp/sqlite.err" ||
        sqlite3 "$tmp/lost/dhcpd-leases.sqlite" ".schema" >>"$tmp/sqlite.err"
    check "control: with $victim's row deleted, the durability check reports exactly it" \
        bash -c '[ "$(awk "{print \$3}" <<<"$1")" = "$2" ]' _ "$(missing_acks "$tmp/acks.A" "$tmp/lost")" "$victim"
    sed "s|^state-dir = .*|state-dir = $tmp/lost|" "$tmp/dhcpd.conf" >"$tmp/lost.conf"
    check "control: a server starts on the damaged copy" start_server lost "$tmp/lost.conf"
    netns_exec "$T" "$storm" -i "$sif" -n 3 -b 200000 -t 10 -o "$tmp/acks.lost" 2>/dev/null
    check "control: a new client now gets $victim, and the reuse check catches it" \
        bash -c '[ "$(cat)" = "$1" ]' _ "$victim" < <(reused "$tmp/acks.A" "$tmp/acks.lost")
    kill -TERM "$srv_pid"
    wait "$srv_pid" 2>/dev/null
else
    echo "note: sqlite3 (CLI) is not installed: negative control skipped"
fi

echo "took $(($(date +%s) - t_start)) s"
echo "dhcpd durability: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for f in "$tmp"/dhcpd.log.* "$tmp"/*.log; do
        echo "--- $f"
        tail -n 15 "$f"
    done
fi
[ "$fail" -eq 0 ]
