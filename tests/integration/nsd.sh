# shellcheck shell=bash
# NSD (Debian's nsd) instances for labnet's integration tests, as an
# authoritative peer or a private DNS hierarchy.  Source netns.sh first,
# then this file.
#
#   nsd_require                     exit 77 (skipped) unless nsd is installed
#   nsd_start NS DIR ADDR ZONEFILE...
#                                   write DIR/nsd.conf serving each zone file
#                                   (the zone's name is its $ORIGIN line) on
#                                   ADDR port 53 (ADDR#PORT for another port)
#                                   inside namespace NS, start nsd -d there and
#                                   wait until it answers; PID in NSD_PID.
#                                   Returns 1 (and prints the log) on failure.
#
# Every path nsd writes (pid file, xfrd state, zone list, database) lies in
# DIR, so instances never share state and nothing outside DIR is touched.
# Response rate limiting is off: tests send bursts from one address, and RRL
# would answer some of them with TC or drop them.  The process is a child of
# the test's shell, inside the test's namespace, so netns_cleanup stops it.
# EDNS replies may reach 4096 octets (NSD's own default is 1232), so a
# client's +bufsize can be seen to matter.

nsd_require() {
    if ! command -v nsd >/dev/null 2>&1 && [ ! -x /usr/sbin/nsd ]; then
        echo "SKIP: nsd is not installed; run scripts/deps.sh"
        exit 77
    fi
}

_nsd_bin() {
    command -v nsd 2>/dev/null || echo /usr/sbin/nsd
}

nsd_start() {
    local ns=$1 dir=$2 addr=$3
    shift 3
    local port=53 ip=$addr
    case $addr in
    *#*)
        ip=${addr%#*}
        port=${addr#*#}
        ;;
    esac
    mkdir -p "$dir" || return 1
    {
        cat <<CONF
server:
    ip-address: $ip
    port: $port
    username: ""
    chroot: ""
    zonesdir: "$dir"
    pidfile: "$dir/nsd.pid"
    database: ""
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    zonelistfile: "$dir/zone.list"
    server-count: 1
    verbosity: 1
    hide-version: yes
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    refuse-any: no
    ipv4-edns-size: 4096
    ipv6-edns-size: 4096
remote-control:
    control-enable: no
CONF
        local f origin
        for f in "$@"; do
            origin=$(awk 'toupper($1) == "$ORIGIN" {print $2; exit}' "$f")
            if [ -z "$origin" ]; then
                echo "nsd_start: $f has no \$ORIGIN line" >&2
                return 1
            fi
            printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$origin" "$f"
        done
    } >"$dir/nsd.conf" || return 1
    if ! "$(_nsd_bin)-checkconf" "$dir/nsd.conf" >"$dir/checkconf.log" 2>&1; then
        echo "nsd_start: bad configuration:" >&2
        cat "$dir/checkconf.log" >&2
        return 1
    fi
    netns_spawn "$ns" "$dir/nsd.log" "$(_nsd_bin)" -d -c "$dir/nsd.conf"
    NSD_PID=$NETNS_PID
    # Ready when it answers over UDP for its first zone's SOA.
    local first
    first=$(awk 'toupper($1) == "$ORIGIN" {print $2; exit}' "$1")
    local i
    for ((i = 0; i < 50; i++)); do
        if ! kill -0 "$NSD_PID" 2>/dev/null; then
            echo "nsd_start: nsd exited:" >&2
            cat "$dir/nsd.log" >&2
            return 1
        fi
        if netns_exec "$ns" dig +time=1 +tries=1 +norec -p "$port" "@$ip" "$first" SOA 2>/dev/null |
            grep -q 'status: NOERROR'; then
            return 0
        fi
        sleep 0.1
    done
    echo "nsd_start: nsd on $ip#$port did not answer:" >&2
    cat "$dir/nsd.log" >&2
    return 1
}
