# shellcheck shell=bash disable=SC2034  # variables are for the files that source this one
# A private DNS hierarchy for labnet-dnsd's tests and benchmark: a root, two
# TLDs and zones under them, each served by its own NSD (or dnsfake, for the
# servers that misbehave) on its own 127.53.x.y address inside a network
# namespace, with a named.root hints file naming the private root.  Source
# netns.sh first (and call netns_require), then this file, then
#
#   dnsh_start BUILD_DIR DIR    build dnsfake if needed, write zones and configs
#                               under DIR, make the namespace $DNSH_NS, start
#                               every server and wait until each answers
#   dnsh_nsd_queries ROLE       queries NSD ROLE has received so far (stats)
#   dnsh_fake_queries ROLE      queries dnsfake ROLE has received so far (log)
#   dnsh_fake_start ROLE ADDR ZONE MODE [ARGS...]
#                               start one more dnsfake (e.g. a forward target)
#   dnsh_dig ARGS...            dig inside the namespace
#   dnsh_labnet_start BIN ADDR THREADS ALLOW [INI...]
#   dnsh_unbound_start ADDR THREADS ALLOW [CONF...]
#                               start labnet-dnsd / Unbound on ADDR:53 in the
#                               namespace with the private root hints, the
#                               same threads and ACL (one CIDR; every other
#                               source refused); extra config lines (INI
#                               lines for labnet, "server:" clause lines or
#                               whole clauses for Unbound) are appended.
#                               PID in DNSH_PID, log DIR/labnet.log or
#                               DIR/unbound.log.  They do not wait: poll with
#                               dnsh_wait_answering ADDR.
#
# After dnsh_start: DNSH_NS (namespace), DNSH_HINTS (named.root), DNSH_DIR,
# DNSH_DNSFAKE (binary), DNSH_ADDR[ROLE] (server address of each role).
#
# Hierarchy (every address is data inside the namespace; nothing routes out):
#   .            ROOT 127.53.0.1   NS a.root-servers.lab.
#   lab.         LAB  127.53.1.1   TLD; delegates everything below
#   corp.        CORP 127.53.2.1   TLD; delegates b.corp
#   a.lab.       A    127.53.10.1  in-bailiwick glue; host A, host AAAA is
#                                  NODATA, nope is NXDOMAIN, www CNAME
#                                  host.b.corp. (cross-zone), old DNAME
#                                  new.b.corp., big TXT (40 RRs, > 1232
#                                  octets), *.wild wildcard, short (TTL 2),
#                                  loop1 -> loop2 -> loop1.b.corp. -> loop1
#                                  (a CNAME loop across zones)
#   b.corp.      B    127.53.20.1  host, x.new, victim, ns-gl
#   gl.lab.      GL   127.53.30.1  glueless: NS ns-gl.b.corp. (other TLD)
#   lame.lab.    LAME 127.53.40.1  NS ns1 (127.53.20.1) and ns2 (127.53.2.1)
#                                  are lame (REFUSED); ns3 (here) serves it
#   dead.lab.    DEAD 127.53.99.1  dnsfake "never": silently drops queries
#   gone.lab.    GONE 127.53.99.2  nothing listens (ICMP port unreachable)
#   tc.lab.      TC   127.53.60.1  dnsfake "tc": TC=1 on UDP, answers on TCP
#   slow.lab.    SLOW 127.53.61.1  dnsfake "slow": replies 300 ms late
#   wid.lab.     WID  127.53.50.1  dnsfake "wrong-id"
#   wport.lab.   WPORT 127.53.50.2 dnsfake "wrong-port"
#   waddr.lab.   WADDR 127.53.50.3 dnsfake "wrong-addr" (forges from .33)
#   oob.lab.     OOB  127.53.50.4  dnsfake "oob" (out-of-bailiwick extras)
#   ans.lab.     ANS  127.53.50.5  dnsfake "answer" (foreign RRs in answer)
#   wq.lab.      WQ   127.53.50.6  dnsfake "wrong-qname" (forged question)
# dnsfake zones answer A 198.51.100.99 for every name; the forging ones
# forge 6.6.6.6 for the name asked and for their own victim
# victim-<zone>.b.corp. (true value 198.51.100.22; one victim per zone so
# that one check's legitimate lookup cannot mask another's poisoning).

declare -gA DNSH_ADDR=(
    [ROOT]=127.53.0.1 [LAB]=127.53.1.1 [CORP]=127.53.2.1 [A]=127.53.10.1 [B]=127.53.20.1
    [GL]=127.53.30.1 [LAME]=127.53.40.1 [DEAD]=127.53.99.1 [GONE]=127.53.99.2
    [TC]=127.53.60.1 [SLOW]=127.53.61.1 [WID]=127.53.50.1 [WPORT]=127.53.50.2
    [WADDR]=127.53.50.3 [OOB]=127.53.50.4 [ANS]=127.53.50.5 [WQ]=127.53.50.6
)
DNSH_NSD_ROLES="ROOT LAB CORP A B GL LAME"
DNSH_TRUE_A=198.51.100.99 DNSH_POISON=6.6.6.6 DNSH_VICTIM_A=198.51.100.22

# Builds tests/helpers/dnsfake.c unless the build has it (tests/CMakeLists.txt
# target "dnsfake").  Until that target is merged, compile it here against
# the build's common library.
dnsh_dnsfake_build() {
    local build=$1 out=$2 src
    src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [ -x "$build/tests/dnsfake" ]; then
        DNSH_DNSFAKE="$build/tests/dnsfake"
        return 0
    fi
    if [ ! -f "$build/common/liblabnet_common.a" ]; then
        cmake --build "$build" --target labnet_common >/dev/null || return 1
    fi
    # The build's own compiler; a sanitizer build's library needs the
    # sanitizer runtimes at link time too.
    local cc
    cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null)
    local args=(-std=c11 -D_GNU_SOURCE -O1 -I"$src" -I"$build/generated" -o "$out/dnsfake"
        "$src/tests/helpers/dnsfake.c" "$build/common/liblabnet_common.a")
    "${cc:-cc}" "${args[@]}" 2>/dev/null ||
        "${cc:-cc}" -fsanitize=address,undefined "${args[@]}" || return 1
    DNSH_DNSFAKE="$out/dnsfake"
}

_dnsh_zone() { # ROLE, zone text on stdin
    cat >"$DNSH_DIR/$1/zone"
}

_dnsh_write_zones() {
    local d=$DNSH_DIR r i
    for r in $DNSH_NSD_ROLES; do mkdir -p "$d/$r"; done
    _dnsh_zone ROOT <<'EOF'
$TTL 86400
.                   SOA a.root-servers.lab. hostmaster.nic.lab. 1 1800 900 604800 86400
.                   NS  a.root-servers.lab.
a.root-servers.lab. A   127.53.0.1
lab.         172800 NS  ns1.nic.lab.
ns1.nic.lab. 172800 A   127.53.1.1
corp.        172800 NS  ns1.nic.corp.
ns1.nic.corp. 172800 A  127.53.2.1
EOF
    _dnsh_zone LAB <<'EOF'
$ORIGIN lab.
$TTL 3600
@               SOA ns1.nic.lab. hostmaster.nic.lab. 1 1800 900 604800 600
@               NS  ns1.nic
ns1.nic         A   127.53.1.1
a.root-servers  A   127.53.0.1
a               NS  ns1.a
ns1.a           A   127.53.10.1
gl              NS  ns-gl.b.corp.
lame            NS  ns1.lame
lame            NS  ns2.lame
lame            NS  ns3.lame
ns1.lame        A   127.53.20.1
ns2.lame        A   127.53.2.1
ns3.lame        A   127.53.40.1
dead            NS  ns.dead
ns.dead         A   127.53.99.1
gone            NS  ns.gone
ns.gone         A   127.53.99.2
tc              NS  ns.tc
ns.tc           A   127.53.60.1
slow            NS  ns.slow
ns.slow         A   127.53.61.1
wid             NS  ns.wid
ns.wid          A   127.53.50.1
wport           NS  ns.wport
ns.wport        A   127.53.50.2
waddr           NS  ns.waddr
ns.waddr        A   127.53.50.3
oob             NS  ns.oob
ns.oob          A   127.53.50.4
ans             NS  ns.ans
ns.ans          A   127.53.50.5
wq              NS  ns.wq
ns.wq           A   127.53.50.6
EOF
    _dnsh_zone CORP <<'EOF'
$ORIGIN corp.
$TTL 3600
@               SOA ns1.nic.corp. hostmaster.nic.corp. 1 1800 900 604800 600
@               NS  ns1.nic
ns1.nic         A   127.53.2.1
b               NS  ns1.b
ns1.b           A   127.53.20.1
EOF
    {
        cat <<'EOF'
$ORIGIN a.lab.
$TTL 300
@               SOA ns1.a.lab. hostmaster.a.lab. 1 1800 900 604800 300
@               NS  ns1
ns1             A   127.53.10.1
host            A   198.51.100.10
www             CNAME host.b.corp.
old             DNAME new.b.corp.
*.wild          A   198.51.100.77
short       2   A   198.51.100.2
loop1           CNAME loop2
loop2           CNAME loop1.b.corp.
EOF
        for ((i = 10; i < 50; i++)); do
            echo "big             TXT \"big-record-$i-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGHIJ\""
        done
    } | _dnsh_zone A
    _dnsh_zone B <<'EOF'
$ORIGIN b.corp.
$TTL 300
@               SOA ns1.b.corp. hostmaster.b.corp. 1 1800 900 604800 300
@               NS  ns1
ns1             A   127.53.20.1
host            A   198.51.100.20
x.new           A   198.51.100.21
victim          A   198.51.100.22
loop1           CNAME loop1.a.lab.
victim-wid      A   198.51.100.22
victim-wport    A   198.51.100.22
victim-waddr    A   198.51.100.22
victim-oob      A   198.51.100.22
victim-ans      A   198.51.100.22
victim-wq       A   198.51.100.22
ns-gl           A   127.53.30.1
EOF
    _dnsh_zone GL <<'EOF'
$ORIGIN gl.lab.
$TTL 300
@               SOA ns-gl.b.corp. hostmaster.gl.lab. 1 1800 900 604800 300
@               NS  ns-gl.b.corp.
host            A   198.51.100.30
EOF
    _dnsh_zone LAME <<'EOF'
$ORIGIN lame.lab.
$TTL 300
@               SOA ns3.lame.lab. hostmaster.lame.lab. 1 1800 900 604800 300
@               NS  ns1
@               NS  ns2
@               NS  ns3
ns1             A   127.53.20.1
ns2             A   127.53.2.1
ns3             A   127.53.40.1
*               A   198.51.100.40
EOF
    cat >"$d/named.root" <<'EOF'
; Hints for labnet's private test root (tests/integration/dnsh.sh).
.                        3600000      NS    A.ROOT-SERVERS.LAB.
A.ROOT-SERVERS.LAB.      3600000      A     127.53.0.1
EOF
    DNSH_HINTS="$d/named.root"
}

declare -gA _DNSH_ORIGIN=([ROOT]=. [LAB]=lab. [CORP]=corp. [A]=a.lab. [B]=b.corp. [GL]=gl.lab.
    [LAME]=lame.lab.)

_dnsh_nsd_conf() { # ROLE
    local r=$1 d="$DNSH_DIR/$1"
    cat >"$d/nsd.conf" <<EOF
server:
  ip-address: ${DNSH_ADDR[$r]}
  port: 53
  do-ip6: no
  server-count: 1
  database: ""
  zonesdir: "$d"
  pidfile: "$d/nsd.pid"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  zonelistfile: "$d/zone.list"
  username: ""
  chroot: ""
  verbosity: 1
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  minimal-responses: no
remote-control:
  control-enable: yes
  control-interface: $d/control.sock
zone:
  name: ${_DNSH_ORIGIN[$r]}
  zonefile: zone
EOF
}

dnsh_dig() { ip netns exec "$DNSH_NS" dig "$@"; }

dnsh_fake_start() { # ROLE ADDR ZONE MODE [ARGS...]
    local role=$1 addr=$2 zone=$3 mode=$4
    shift 4
    DNSH_ADDR[$role]=$addr
    netns_spawn "$DNSH_NS" "$DNSH_DIR/fake-$role.log" "$DNSH_DNSFAKE" serve -l "$addr" -z "$zone" \
        -m "$mode" "$@"
    netns_wait_for "grep -qs '^dnsfake serving' '$DNSH_DIR/fake-$role.log'" 5 || {
        echo "dnsh: dnsfake $role did not start:" >&2
        cat "$DNSH_DIR/fake-$role.log" >&2
        return 1
    }
}

dnsh_labnet_start() { # BIN ADDR THREADS ALLOW [INI...]
    local bin=$1 addr=$2 threads=$3 allow=$4 conf="$DNSH_DIR/labnet.conf"
    shift 4
    {
        cat <<CONF
[server]
listen = $addr:53
threads = $threads
allow = $allow
[resolver]
root-hints = $DNSH_HINTS
timeout = 3s
use-0x20 = no
[cache]
size = 64M
serve-stale = no
CONF
        printf '%s\n' "$@"
    } >"$conf"
    netns_spawn "$DNSH_NS" "$DNSH_DIR/labnet.log" "$bin" -f -c "$conf"
    DNSH_PID=$NETNS_PID
}

dnsh_unbound_start() { # ADDR THREADS ALLOW [CONF...]
    local addr=$1 threads=$2 allow=$3 conf="$DNSH_DIR/unbound.conf"
    shift 3
    {
        cat <<CONF
server:
  interface: $addr
  port: 53
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$DNSH_DIR"
  pidfile: "$DNSH_DIR/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 1
  num-threads: $threads
  root-hints: "$DNSH_HINTS"
  do-not-query-localhost: no
  # Unbound allows 127.0.0.0/8 by default; narrow it like labnet's allow.
  access-control: 127.0.0.0/8 refuse
  access-control: $allow allow
  module-config: "iterator"
  qname-minimisation: no
  edns-buffer-size: 1232
CONF
        printf '  %s\n' "$@"
        printf 'remote-control:\n  control-enable: no\n'
    } >"$conf"
    netns_spawn "$DNSH_NS" "$DNSH_DIR/unbound.log" unbound -d -c "$conf"
    DNSH_PID=$NETNS_PID
}

# Waits until a resolver at ADDR answers anything (any rcode) over UDP.
dnsh_wait_answering() { # ADDR [SECONDS]
    netns_wait_for "dnsh_dig @$1 +time=1 +tries=1 . SOA 2>/dev/null | grep -q HEADER" "${2:-10}"
}

dnsh_start() { # BUILD DIR
    local build=$1 r
    DNSH_DIR=$2
    mkdir -p "$DNSH_DIR"
    if ! command -v nsd >/dev/null || ! command -v nsd-control >/dev/null; then
        echo "SKIP: nsd is not installed (Debian package nsd; scripts/deps.sh)"
        exit 77
    fi
    if ! command -v dig >/dev/null; then
        echo "SKIP: dig is not installed (Debian package bind9-dnsutils; scripts/deps.sh)"
        exit 77
    fi
    dnsh_dnsfake_build "$build" "$DNSH_DIR" || {
        echo "dnsh: cannot build dnsfake" >&2
        return 1
    }
    _dnsh_write_zones
    DNSH_NS=$(netns_add dnsh) || return 1
    for r in $DNSH_NSD_ROLES; do
        _dnsh_nsd_conf "$r"
        netns_spawn "$DNSH_NS" "$DNSH_DIR/$r/nsd.log" nsd -d -c "$DNSH_DIR/$r/nsd.conf"
    done
    dnsh_fake_start DEAD 127.53.99.1 dead.lab never || return 1
    dnsh_fake_start TC 127.53.60.1 tc.lab tc || return 1
    dnsh_fake_start SLOW 127.53.61.1 slow.lab slow -d 300 || return 1
    dnsh_fake_start WID 127.53.50.1 wid.lab wrong-id -v victim-wid.b.corp || return 1
    dnsh_fake_start WPORT 127.53.50.2 wport.lab wrong-port -v victim-wport.b.corp || return 1
    dnsh_fake_start WADDR 127.53.50.3 waddr.lab wrong-addr -s 127.53.50.33 -v victim-waddr.b.corp || return 1
    dnsh_fake_start OOB 127.53.50.4 oob.lab oob -v victim-oob.b.corp || return 1
    dnsh_fake_start ANS 127.53.50.5 ans.lab answer -v victim-ans.b.corp || return 1
    dnsh_fake_start WQ 127.53.50.6 wq.lab wrong-qname -v victim-wq.b.corp || return 1
    for r in $DNSH_NSD_ROLES; do
        if ! netns_wait_for "dnsh_dig +norec +time=1 +tries=1 @${DNSH_ADDR[$r]} \
                ${_DNSH_ORIGIN[$r]} SOA 2>/dev/null | grep -q 'status: NOERROR'" 10; then
            echo "dnsh: NSD $r (${DNSH_ADDR[$r]}) does not answer:" >&2
            cat "$DNSH_DIR/$r/nsd.log" >&2
            return 1
        fi
    done
}

dnsh_nsd_queries() { # ROLE
    ip netns exec "$DNSH_NS" nsd-control -c "$DNSH_DIR/$1/nsd.conf" stats_noreset 2>/dev/null |
        awk -F= '$1 == "num.queries" {print $2; found = 1} END {if (!found) print -1}'
}

dnsh_fake_queries() { # ROLE
    grep -c '^query ' "$DNSH_DIR/fake-$1.log"
}
