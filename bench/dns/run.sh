#!/usr/bin/env bash
# Side-by-side benchmark: labnet-dnsd against Unbound, both resolving from
# the same private DNS hierarchy (tests/integration/dnsh.sh: NSD servers on
# 127.53.x.y in a network namespace this script makes), with the same number
# of threads, the same CPU pinning and the same cache limit, measured with
# dnsperf in one run.  See docs/BENCHMARKS.md ("DNS").
#
#   bench/dns/run.sh [options]
#
#   -d SECONDS    measured time of the cached row (default 10)
#   -w N          threads: labnet threads = N, Unbound num-threads: N (default 1)
#   -s CPUS       taskset list for the resolvers (default 0)
#   -g CPUS       taskset list for dnsperf (default 1)
#   -k N          distinct names of the cached row (default 1000)
#   -m N          distinct never-cached names resolved for the uncached row,
#                 then held in the cache for the memory row (default 100000)
#   -q N          dnsperf queries outstanding (default 100)
#   -o DIR        output directory (default build/bench-dns/<timestamp>)
#   -r WHO        comma list of resolvers: labnet,unbound (default both)
#
# Rows: cached answers per second and mean latency (the -k names are asked
# once to fill the cache, then asked over and over for -d seconds);
# uncached names resolved per second (each of -m names under the wildcard
# *.wild.a.lab asked once: one upstream query each, delegations cached);
# resident memory (VmRSS) before and after those -m names are cached.
#
# labnet-dnsd is $LABNET_DNSD if set, else build/release/dnsd/labnet-dnsd
# (built here if the target exists; until dnsd/main.c is merged the script
# prints "labnet: not built" and measures Unbound alone).  Needs root (a
# network namespace), nsd, dig, dnsperf, unbound.  Loopback only; stops only
# the processes it started (netns.sh cleanup).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

dur=10 threads=1 srv_cpus=0 perf_cpus=1 nk=1000 nm=100000 outstanding=100 out="" who="labnet,unbound"
while getopts "d:w:s:g:k:m:q:o:r:h" opt; do
    case $opt in
    d) dur=$OPTARG ;;
    w) threads=$OPTARG ;;
    s) srv_cpus=$OPTARG ;;
    g) perf_cpus=$OPTARG ;;
    k) nk=$OPTARG ;;
    m) nm=$OPTARG ;;
    q) outstanding=$OPTARG ;;
    o) out=$OPTARG ;;
    r) who=$OPTARG ;;
    *)
        sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
done

build="$repo/build/release"
for t in nsd dig dnsperf unbound taskset; do
    command -v "$t" >/dev/null || { echo "bench: $t is not installed" >&2; exit 1; }
done
[ -d "$build" ] || cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
dnsd=${LABNET_DNSD:-$build/dnsd/labnet-dnsd}
if [ -z "${LABNET_DNSD:-}" ] && [ ! -x "$dnsd" ]; then
    cmake --build "$build" -j2 --target labnet-dnsd >/dev/null 2>&1 || true
fi
have_labnet=yes
[ -x "$dnsd" ] || have_labnet=no

out=${out:-$repo/build/bench-dns/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
# shellcheck source=../../tests/integration/netns.sh
. "$repo/tests/integration/netns.sh"
# shellcheck source=../../tests/integration/dnsh.sh
. "$repo/tests/integration/dnsh.sh"
set +e # netns.sh and dnsh.sh helpers report failures by status
netns_require
work=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$work"' EXIT
dnsh_start "$build" "$work/h" >/dev/null || { echo "bench: the hierarchy did not start" >&2; exit 1; }

# Query files: the cached set, and one never-cached set per resolver (so
# neither finds names the other's run put in the NSD's own caches; NSD has
# none, but the names stay distinct all the same).
for ((i = 0; i < nk; i++)); do echo "c$i.wild.a.lab A"; done >"$work/cached.txt"
mkfile() { for ((i = 0; i < nm; i++)); do echo "$1$i.wild.a.lab A"; done >"$work/$1.txt"; }

declare -A R
perf() { # NAME ADDR ARGS... -> raw output in $out/NAME.txt
    local name=$1 addr=$2
    shift 2
    ip netns exec "$DNSH_NS" taskset -c "$perf_cpus" dnsperf -s "$addr" -c 1 -T 1 -q "$outstanding" \
        -t 5 "$@" >"$out/$name.txt" 2>&1
}
field() { # FILE "Label:" -> first number after it
    awk -v k="$2" 'index($0, k) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }' "$1"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# CPU time (user + system, every thread) of PID in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

measure() { # WHO ADDR PID
    local w=$1 addr=$2 pid=$3
    taskset -apc "$srv_cpus" "$pid" >/dev/null
    dnsh_wait_answering "$addr" 15 || { echo "bench: $w did not answer" >&2; return 1; }
    R[$w.rss0]=$(rss_kib "$pid")
    perf "$w-warm" "$addr" -d "$work/cached.txt" -n 1
    local t0 t1
    t0=$(cpu_ticks "$pid")
    perf "$w-cached" "$addr" -d "$work/cached.txt" -l "$dur"
    t1=$(cpu_ticks "$pid")
    R[$w.qps]=$(printf '%.0f' "$(field "$out/$w-cached.txt" "Queries per second:")")
    # The resolver's own CPU per answer: with dnsperf possibly the limit
    # of the rate, this is the fairer figure (as bench/http reports).
    R[$w.cpu]=$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
        -v n="$(field "$out/$w-cached.txt" "Queries completed:")" \
        'BEGIN { if (n + 0 > 0) printf "%.2f", d / hz * 1e6 / n }')
    R[$w.lat]=$(awk '/Average Latency/ {printf "%.0f", $4 * 1e6}' "$out/$w-cached.txt")
    R[$w.lost]=$(field "$out/$w-cached.txt" "Queries lost:")
    mkfile "u$w"
    local n0
    n0=$(dnsh_nsd_queries A)
    perf "$w-uncached" "$addr" -d "$work/u$w.txt" -n 1
    R[$w.up]=$(($(dnsh_nsd_queries A) - n0))
    R[$w.uqps]=$(printf '%.0f' "$(field "$out/$w-uncached.txt" "Queries per second:")")
    R[$w.ulost]=$(field "$out/$w-uncached.txt" "Queries lost:")
    R[$w.ucomp]=$(field "$out/$w-uncached.txt" "Queries completed:")
    R[$w.rss1]=$(rss_kib "$pid")
    # The names must really be cached: a sample asked again is answered.
    R[$w.check]=$(dnsh_dig @"$addr" +short "u${w}7.wild.a.lab" A)
    # A run whose answers were not the real ones measures nothing.
    local bad=""
    grep -Eq 'Response codes: +NOERROR [0-9]+ \(100\.00%\)' "$out/$w-cached.txt" ||
        bad+=" cached row not all NOERROR;"
    grep -Eq 'Response codes: +NOERROR [0-9]+ \(100\.00%\)' "$out/$w-uncached.txt" ||
        bad+=" uncached row not all NOERROR;"
    [ "${R[$w.up]}" = "$nm" ] || bad+=" ${R[$w.up]} upstream queries for $nm names;"
    [ "${R[$w.check]}" = 198.51.100.77 ] || bad+=" a cached name was not answered;"
    R[$w.bad]=$bad
}

if [[ ",$who," == *",labnet,"* ]]; then
    if [ $have_labnet = yes ]; then
        dnsh_labnet_start "$dnsd" 127.0.0.53 "$threads" 127.0.0.0/8
        measure labnet 127.0.0.53 "$DNSH_PID"
        kill -TERM "$DNSH_PID" 2>/dev/null
        wait "$DNSH_PID" 2>/dev/null
    else
        echo "labnet: not built ($dnsd)"
    fi
fi
if [[ ",$who," == *",unbound,"* ]]; then
    # Unbound splits its cache in two; 64 MiB of RRsets (labnet's one
    # limit) plus half that for messages, its recommended ratio.
    dnsh_unbound_start 127.0.0.54 "$threads" 127.0.0.0/8 "rrset-cache-size: 64m" \
        "msg-cache-size: 32m" "num-queries-per-thread: 4096" "outgoing-range: 8192"
    measure unbound 127.0.0.54 "$DNSH_PID"
    kill -TERM "$DNSH_PID" 2>/dev/null
    wait "$DNSH_PID" 2>/dev/null
fi

ratio() { # A B -> A/B or -
    if [ -n "$1" ] && [ -n "$2" ] && [ "$1" != - ] && [ "$2" != - ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'
    else
        echo -
    fi
}
g() { echo "${R[$1]:--}"; }
mib() { [ -n "${R[$1]:-}" ] && awk -v k="${R[$1]}" 'BEGIN {printf "%.1f", k / 1024}' || echo -; }
delta() { # WHO -> bytes per cached name
    [ -n "${R[$1.rss1]:-}" ] && [ -n "${R[$1.rss0]:-}" ] &&
        awk -v a="${R[$1.rss1]}" -v b="${R[$1.rss0]}" -v n="$nm" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}' ||
        echo -
}
{
    echo "labnet-dnsd vs Unbound $(unbound -V | sed -n 's/^Version //p'), threads $threads," \
        "resolver CPUs $srv_cpus, dnsperf CPUs $perf_cpus, $outstanding outstanding"
    [ $have_labnet = yes ] || echo "labnet: not built"
    printf '%-34s %12s %12s %10s\n' row labnet unbound labnet/unbound
    printf '%-34s %12s %12s %10s\n' "cached answers/s ($nk names)" "$(g labnet.qps)" "$(g unbound.qps)" \
        "$(ratio "$(g labnet.qps)" "$(g unbound.qps)")"
    printf '%-34s %12s %12s %10s\n' "cached mean latency (us)" "$(g labnet.lat)" "$(g unbound.lat)" \
        "$(ratio "$(g labnet.lat)" "$(g unbound.lat)")"
    printf '%-34s %12s %12s %10s\n' "cached: resolver CPU per answer (us)" "$(g labnet.cpu)" \
        "$(g unbound.cpu)" "$(ratio "$(g labnet.cpu)" "$(g unbound.cpu)")"
    printf '%-34s %12s %12s %10s\n' "uncached names resolved/s" "$(g labnet.uqps)" "$(g unbound.uqps)" \
        "$(ratio "$(g labnet.uqps)" "$(g unbound.uqps)")"
    printf '%-34s %12s %12s %10s\n' "RSS idle (MiB)" "$(mib labnet.rss0)" "$(mib unbound.rss0)" \
        "$(ratio "$(mib labnet.rss0)" "$(mib unbound.rss0)")"
    printf '%-34s %12s %12s %10s\n' "RSS with $nm names cached (MiB)" "$(mib labnet.rss1)" \
        "$(mib unbound.rss1)" "$(ratio "$(mib labnet.rss1)" "$(mib unbound.rss1)")"
    printf '%-34s %12s %12s %10s\n' "RSS growth per cached name (B)" "$(delta labnet)" "$(delta unbound)" \
        "$(ratio "$(delta labnet)" "$(delta unbound)")"
    echo "lost queries: cached labnet $(g labnet.lost) unbound $(g unbound.lost);" \
        "uncached labnet $(g labnet.ulost) unbound $(g unbound.ulost)" \
        "(completed: labnet $(g labnet.ucomp) unbound $(g unbound.ucomp))"
    echo "upstream queries to a.lab's server during the uncached row (expect $nm):" \
        "labnet $(g labnet.up) unbound $(g unbound.up)"
    echo "cache check (u<who>7.wild.a.lab, expect 198.51.100.77): labnet '$(g labnet.check)'" \
        "unbound '$(g unbound.check)'"
    for w in labnet unbound; do
        [ -z "${R[$w.bad]:-}" ] || echo "WARNING: $w's figures are not valid:${R[$w.bad]}"
    done
    echo "raw dnsperf output: $out"
} | tee "$out/summary.txt"
