#!/usr/bin/env bash
# Side-by-side benchmark: labnet-httpd against nginx on the same document
# root, same worker count, same CPU pinning, same access-log setting, in one
# run.  See docs/BENCHMARKS.md for what it measures and how to read it.
#
#   bench/http/run.sh [options]
#
#   -d SECONDS    measured time per server per row per round (default 5)
#   -R ROUNDS     rounds per row; servers alternate within each (default 2)
#   -W SECONDS    warm-up per server per row (default 2)
#   -w N          workers: labnet -w N, nginx worker_processes N (default 1)
#   -s CPUS       taskset list for the servers (default 0)
#   -g CPUS       taskset list for wrk (default 1)
#   -t N          wrk threads (default 1)
#   -c N          wrk connections for small responses (default 50)
#   -C N          wrk connections for the 10 MiB row (default 8)
#   -i N          idle keep-alive connections for the memory row (default 2000)
#   -a            access log ON for both servers (default: off for both)
#   -n NICE       run both servers and wrk at this nice level (default 0)
#   -F            run both servers and wrk SCHED_FIFO (chrt -f 10), so that
#                 other work on a shared machine cannot delay their wake-ups;
#                 the kernel's RT throttling still leaves others 5% of each CPU
#   -o DIR        output directory (default build/bench-http/<timestamp>)
#   -r ROWS       comma list of rows: 1k,64k,10m,304,close,idle (default all)
#   -S, --syscalls  instead of timing: system calls per request of each
#                 server during each row's measured runs (deterministic
#                 where throughput is noisy), counted in the kernel by
#                 perf stat on the syscall tracepoints, which does not slow
#                 the servers down; without perf (or tracefs), by strace -c
#                 -f, which does, so that more events come per epoll_wait
#   -I, --instructions  instead of timing: user-space instructions per
#                 request of each server, counted by valgrind's callgrind
#                 (deterministic, unlike time on a shared machine); both
#                 servers run under valgrind, nginx with master_process off
#   -N            no floor column (by default each timed row also measures
#                 bench/http/floor.c, a server that parses nothing and
#                 answers every request with a fixed response: the least
#                 CPU per request any server can use on those packets)
#
# The binary is $LABNET_HTTPD if set, else the repo's Release build (built
# here if missing).  nginx and wrk are installed with apt-get if missing.
# Nothing system-wide is touched: nginx runs from its own config in a temp
# dir (daemon off, own pid file, own logs); only the PIDs started here are
# stopped.  Loopback only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

dur=5 rounds=2 warm=2 workers=1 srv_cpus=0 wrk_cpus=1 wrk_threads=1
conns=50 conns_big=8 idle_n=2000 alog=0 nice_lvl=0 fifo=0 out="" rows="1k,64k,10m,304,close,idle"
syscalls=0 instr=0 floor=1
args=()
for a in "$@"; do
    case $a in
    --syscalls) args+=(-S) ;;
    --instructions) args+=(-I) ;;
    *) args+=("$a") ;;
    esac
done
set -- "${args[@]+"${args[@]}"}"
while getopts "d:R:W:w:s:g:t:c:C:i:an:Fo:r:SINh" opt; do
    case $opt in
    d) dur=$OPTARG ;;
    R) rounds=$OPTARG ;;
    W) warm=$OPTARG ;;
    w) workers=$OPTARG ;;
    s) srv_cpus=$OPTARG ;;
    g) wrk_cpus=$OPTARG ;;
    t) wrk_threads=$OPTARG ;;
    c) conns=$OPTARG ;;
    C) conns_big=$OPTARG ;;
    i) idle_n=$OPTARG ;;
    a) alog=1 ;;
    n) nice_lvl=$OPTARG ;;
    F) fifo=1 ;;
    o) out=$OPTARG ;;
    r) rows=$OPTARG ;;
    S) syscalls=1 ;;
    I) instr=1 ;;
    N) floor=0 ;;
    *)
        sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
        exit 2
        ;;
    esac
done

log() { printf '%s\n' "$*" >&2; }
die() {
    log "run.sh: $*"
    exit 1
}
# shellcheck source=../lib.sh
. "$here/../lib.sh"

# ---- tools ----
need_pkgs=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_pkgs+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v taskset >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
if ((syscalls)); then command -v strace >/dev/null 2>&1 || need_pkgs+=(strace); fi
if ((instr)); then command -v callgrind_control >/dev/null 2>&1 || need_pkgs+=(valgrind); fi
((syscalls || instr)) && floor=0
if ((floor)); then
    command -v cc >/dev/null 2>&1 || need_pkgs+=(gcc)
    [[ -f /usr/include/liburing.h ]] || need_pkgs+=(liburing-dev)
fi
bench_install "${need_pkgs[@]}"
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

# How the servers and wrk are scheduled: same for all three.
sched=(nice -n "$nice_lvl")
sched_desc="nice $nice_lvl"
if ((fifo)); then
    sched+=(chrt -f 10)
    sched_desc="SCHED_FIFO priority 10"
fi

if [[ -n ${LABNET_HTTPD:-} ]]; then
    httpd=$LABNET_HTTPD
else
    httpd=$repo/build/release/httpd/labnet-httpd
    if [[ ! -x $httpd ]]; then
        log "building labnet-httpd (Release) in $repo/build/release"
        cmake -S "$repo" -B "$repo/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
            die "cmake configure failed (output above); or set LABNET_HTTPD to a binary"
        cmake --build "$repo/build/release" -j2 --target labnet-httpd >/dev/null ||
            die "Release build failed (output above); or set LABNET_HTTPD to a binary"
    fi
fi
[[ -x $httpd ]] || die "no labnet-httpd binary at $httpd"

# ---- scratch space, cleanup ----
[[ -n $out ]] || out=$repo/build/bench-http/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/labnet-bench-http.XXXXXX)
chmod 755 "$tmp" # nginx workers run as nobody and must read the docroot
labnet_pid="" nginx_pid="" floor_pid=""

stop_pid() { # stop_pid PID: TERM, wait up to 5 s, then KILL; only our own children
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        # A child that exited stays a zombie (kill -0 succeeds) until waited.
        [[ $(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) == [SRDT] ]] || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$floor_pid"
    stop_pid "$labnet_pid"
    stop_pid "$nginx_pid" # the master stops its workers on TERM
    cp "$tmp/nginx/logs/error.log" "$out/nginx-error.log" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# ---- document root ----
root=$tmp/root
mkdir -p "$root"
head -c 1024 /dev/urandom >"$root/1k.bin"
head -c 65536 /dev/urandom >"$root/64k.bin"
head -c 10485760 /dev/urandom >"$root/10m.bin"
chmod 644 "$root"/*
chmod 755 "$root"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
lport=$(free_port)
nport=$(free_port)
while [[ $nport == "$lport" ]]; do nport=$(free_port); done

# ---- labnet-httpd ----
# Access log off: no access-log key at all (off is the default).  The
# config loader resolves "access-log = off" against the config's directory
# before comparing it with "off", so that line would log to $tmp/off.
l_alog=""
if ((alog)); then l_alog="access-log = $tmp/labnet-access.log"; fi
cat >"$tmp/labnet.ini" <<EOF
[server]
listen = 127.0.0.1:$lport
root = $root
workers = $workers
$l_alog
max-connections = 10240
keepalive-timeout = 75s
max-keepalive-requests = 10000
EOF
# -I: both servers under callgrind, counting from zero at each row.
vg=()
master=on
vg_env=()
if ((instr)); then
    vg=(valgrind --tool=callgrind --collect-atstart=yes --compress-strings=no --compress-pos=no
        --callgrind-out-file="$out/cg-%p")
    master=off
    # valgrind 3.19 does not know openat2 (ENOSYS), which labnet-httpd's
    # file cache opens files with.  For counting only, a preloaded shim
    # turns it into openat with the same flags (the generated docroot has
    # no links to escape through); once per file and cache period, so it
    # does not move the per-request figures.
    cat >"$tmp/openat2-shim.c" <<'SHIM'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_openat2) {
        const struct open_how *how = (const struct open_how *)a[2];
        return openat((int)a[0], (const char *)a[1], (int)how->flags, (int)how->mode);
    }
    long r;
    __asm__ volatile("mov %5, %%r10\n\tmov %6, %%r8\n\tmov %7, %%r9\n\tsyscall"
                     : "=a"(r)
                     : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5])
                     : "rcx", "r11", "r10", "r8", "r9", "memory");
    if (r < 0 && r > -4096) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
SHIM
    cc -shared -fPIC -O2 -o "$tmp/openat2-shim.so" "$tmp/openat2-shim.c" || die "cannot build the openat2 shim"
    vg_env=(env "LD_PRELOAD=$tmp/openat2-shim.so")
fi
"${sched[@]}" taskset -c "$srv_cpus" "${vg_env[@]}" "${vg[@]}" "$httpd" -f -c "$tmp/labnet.ini" >"$out/labnet.log" 2>&1 &
labnet_pid=$!

# ---- nginx: a tuned static-file setup, own prefix, nothing system-wide ----
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
if ((alog)); then n_alog="access_log $tmp/nginx-access.log combined;"; else n_alog="access_log off;"; fi
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process $master;
worker_processes $workers;
worker_rlimit_nofile $(ulimit -n);
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events {
    worker_connections 10240;
    use epoll;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    $n_alog
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    keepalive_timeout 75s;
    keepalive_requests 10000;
    client_body_temp_path $tmp/nginx/tmp/body;
    proxy_temp_path $tmp/nginx/tmp/proxy;
    fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
    uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
    scgi_temp_path $tmp/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nport reuseport deferred;
        root $root;
        location / { }
    }
}
EOF
"${sched[@]}" taskset -c "$srv_cpus" "${vg[@]}" "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
    >"$out/nginx.log" 2>&1 &
nginx_pid=$!

wait_up() { # wait_up PORT NAME PID
    for _ in $(seq 300); do
        kill -0 "$3" 2>/dev/null || { cat "$out/$2.log" >&2; die "$2 exited at startup"; }
        curl -s -o /dev/null "http://127.0.0.1:$1/1k.bin" && return 0
        sleep 0.1
    done
    die "$2 did not answer on 127.0.0.1:$1"
}
wait_up "$lport" labnet "$labnet_pid"
wait_up "$nport" nginx "$nginx_pid"

# ---- the floor: bench/http/floor.c, restarted per row with that row's response ----
if ((floor)); then
    cc -O2 -Wall -Wextra -o "$tmp/floor" "$here/floor.c" -luring || die "cannot build bench/http/floor.c"
fi
floor_start() { # floor_start FLOOR_ARGS...
    fport=$(free_port)
    while [[ $fport == "$lport" || $fport == "$nport" ]]; do fport=$(free_port); done
    "${sched[@]}" taskset -c "$srv_cpus" "$tmp/floor" "$@" "$fport" >"$out/floor.log" 2>&1 &
    floor_pid=$!
    wait_up "$fport" floor "$floor_pid"
}
floor_stop() {
    stop_pid "$floor_pid"
    floor_pid=""
}

# PIDs whose CPU time and memory count as "the server".  labnet-httpd is one
# process (a thread per worker); /proc/PID/stat of the process covers all its
# threads.  nginx is the master plus its worker processes.
server_pids() {
    if [[ $1 == floor ]]; then
        echo "$floor_pid"
    elif [[ $1 == labnet ]]; then
        echo "$labnet_pid"
    else
        echo "$nginx_pid" $(pgrep -P "$nginx_pid")
    fi
}
nginx_workers=$(server_pids nginx | wc -w)
if ((!instr)); then
    ((nginx_workers == workers + 1)) || die "expected nginx master + $workers workers, found $nginx_workers processes"
fi

cpu_ticks() { # cpu_ticks PID...: utime+stime summed, in clock ticks
    local pid sum=0 f
    for pid in "$@"; do
        # Fields after the ")" of comm: state is 3, utime 14, stime 15.
        f=$(sed 's/^.*) //' "/proc/$pid/stat")
        # shellcheck disable=SC2086 # split the fields on purpose
        set -- $f
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}
clk_tck=$(getconf CLK_TCK)

alive() {
    kill -0 "$labnet_pid" 2>/dev/null || { tail -20 "$out/labnet.log" >&2; die "labnet-httpd died (log above)"; }
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx died"
}

# ---- checks: each server answers each row as expected ----
etag() { curl -s -D - -o /dev/null "http://127.0.0.1:$1/1k.bin" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'; }
l_etag=$(etag "$lport")
n_etag=$(etag "$nport")
[[ -n $l_etag && -n $n_etag ]] || die "no ETag from a server (labnet '$l_etag', nginx '$n_etag')"
for p in "$lport" "$nport"; do
    for f in 1k 64k 10m; do
        got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$p/$f.bin")
        want="200 $(stat -c %s "$root/$f.bin")"
        [[ $got == "$want" ]] || die "port $p /$f.bin: got '$got', want '$want'"
    done
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $l_etag" "http://127.0.0.1:$lport/1k.bin")
[[ $code == 304 ]] || die "labnet: If-None-Match gave $code, not 304"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $n_etag" "http://127.0.0.1:$nport/1k.bin")
[[ $code == 304 ]] || die "nginx: If-None-Match gave $code, not 304"

# ---- run header ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
nginx_ver=$( ("$NGINX" -v 2>&1 || true) | sed 's/^nginx version: //')
wrk_ver=$( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}')
labnet_ver=$( ("$httpd" --version 2>&1 || true) | head -1)
{
    echo "labnet-httpd vs nginx, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "machine: $(nproc) CPUs, $cpu_model, kernel $(uname -r), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "labnet: $labnet_ver ($httpd)   nginx: $nginx_ver   wrk: $wrk_ver"
    echo "servers: $workers worker(s) each, pinned with taskset -c $srv_cpus; wrk: $wrk_threads thread(s), pinned with taskset -c $wrk_cpus; scheduling: $sched_desc"
    echo "access log: $( ((alog)) && echo on || echo off) for both; per row: ${warm}s warm-up per server, then $rounds round(s) of ${dur}s per server, alternating"
    echo "CPU/req = utime+stime of the server's processes (from /proc) during the measured runs / requests wrk completed"
    echo "srv CPU%, wrk CPU% = share of one CPU the server / wrk used while measured (near 100: that side was the bottleneck)"
    if ((floor)); then
        echo "floor = bench/http/floor.c: epoll, parses nothing, one fixed response per request (same size/status as the row);"
        echo "        its CPU/req is the kernel's cost for the row's packets plus the least a server can add"
    fi
    echo
} | tee "$out/summary.txt"

# ---- one measured wrk run ----
# wrk_run NAME PORT CONNS SECONDS PATH [HEADER]: prints "requests server_cpu_ticks
# bytes errors duration_us p99_us wrk_cpu_ms"
wrk_run() {
    local name=$1 port=$2 c=$3 d=$4 path=$5 hdr=${6:-} pids t0 t1 line
    local args=(-t "$wrk_threads" -c "$c" -d "${d}s" --timeout 5s -s "$here/summary.lua")
    [[ -n $hdr ]] && args+=(-H "$hdr")
    read -ra pids <<<"$(server_pids "$name")"
    t0=$(cpu_ticks "${pids[@]}")
    # wrk's own CPU time tells whether the load generator was the bottleneck.
    local TIMEFORMAT='%3U %3S' wrk_rc=0
    { time "${sched[@]}" taskset -c "$wrk_cpus" wrk "${args[@]}" "http://127.0.0.1:$port$path" \
        >"$tmp/wrk.out" 2>&1 || wrk_rc=$?; } 2>"$tmp/wrk.time"
    ((wrk_rc == 0)) || { cat "$tmp/wrk.out" >&2; die "wrk failed against $name"; }
    t1=$(cpu_ticks "${pids[@]}")
    cat "$tmp/wrk.out" >>"$out/wrk-raw.txt"
    line=$(grep '^WRKSUM' "$tmp/wrk.out") || die "no summary from wrk against $name"
    # requests bytes errors
    awk -v ticks=$((t1 - t0)) -v wrk_ms="$(awk '{print ($1 + $2) * 1000}' "$tmp/wrk.time")" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        err = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_status"] + v["err_timeout"]
        printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", v["requests"], ticks, v["bytes"], err, v["duration_us"], v["lat_p99_us"], wrk_ms
    }' <<<"$line"
}

: >"$out/wrk-raw.txt"
printf 'row\tlabnet_rps\tnginx_rps\trps_ratio\tlabnet_cpu_us_per_req\tnginx_cpu_us_per_req\tcpu_ratio\tlabnet_srv_cpu_pct\tnginx_srv_cpu_pct\twrk_cpu_pct_vs_labnet\twrk_cpu_pct_vs_nginx\tlabnet_bytes_per_req\tnginx_bytes_per_req\tlabnet_errors\tnginx_errors\tlabnet_p99_ms\tnginx_p99_ms\tfloor_cpu_us_per_req\tfloor_cpu_ratio\n' >"$out/results.tsv"
# shellcheck disable=SC2059 # one format for the header and the rows
fmt='%-22s %12s %12s %6s %14s %14s %6s %11s %11s %13s %6s\n'
if ((!syscalls && !instr)); then
    # shellcheck disable=SC2059
    printf "$fmt" row "labnet req/s" "nginx req/s" ratio "labnet µs/req" "nginx µs/req" ratio "srv CPU%" "wrk CPU%" \
        "floor µs/req" ratio | tee -a "$out/summary.txt"
    # shellcheck disable=SC2059
    printf "$fmt" "" "" "" "" "" "" "" "labnet/ngx" "labnet/ngx" "" "flr/ngx" | tee -a "$out/summary.txt"
fi
problems=()

# bench_row LABEL KEY CONNS PATH MIN_BYTES MAX_BYTES HEADER_LABNET HEADER_NGINX [FLOOR_ARGS]
# With FLOOR_ARGS (and no -N), floor.c runs with them and takes its turn in
# every round, with labnet's request header.
bench_row() {
    local label=$1 key=$2 c=$3 path=$4 minb=$5 maxb=$6 hl=$7 hn=$8 fargs=${9:-} r s
    local -A req=() tick=() byt=() err=() us=() p99=() wms=()
    local a b cc dd ee ff gg res
    local servers=(labnet nginx)
    if ((floor)) && [[ -n $fargs ]]; then
        # shellcheck disable=SC2086 # the floor's options, split on purpose
        floor_start $fargs
        servers+=(floor)
    fi
    echo "== $label" >>"$out/wrk-raw.txt"
    for s in "${servers[@]}"; do
        local port=$lport hdr=$hl
        [[ $s == nginx ]] && port=$nport hdr=$hn
        [[ $s == floor ]] && port=$fport
        if ((warm > 0)); then wrk_run "$s" "$port" "$c" "$warm" "$path" "$hdr" >/dev/null; fi
        req[$s]=0 tick[$s]=0 byt[$s]=0 err[$s]=0 us[$s]=0 p99[$s]=0 wms[$s]=0
    done
    for ((r = 0; r < rounds; r++)); do
        for s in "${servers[@]}"; do
            local port=$lport hdr=$hl
            [[ $s == nginx ]] && port=$nport hdr=$hn
            [[ $s == floor ]] && port=$fport
            alive
            res=$(wrk_run "$s" "$port" "$c" "$dur" "$path" "$hdr")
            read -r a b cc dd ee ff gg <<<"$res"
            req[$s]=$((req[$s] + a)) tick[$s]=$((tick[$s] + b)) byt[$s]=$((byt[$s] + cc))
            err[$s]=$((err[$s] + dd)) us[$s]=$((us[$s] + ee)) wms[$s]=$((wms[$s] + gg))
            if ((ff > p99[$s])); then p99[$s]=$ff; fi
        done
    done
    alive
    [[ -n $floor_pid ]] && floor_stop
    for s in "${servers[@]}"; do
        ((req[$s] > 0)) || die "$label: $s completed no requests"
        ((err[$s] == 0)) || problems+=("$label: $s had ${err[$s]} wrk errors (see $out/wrk-raw.txt)")
        # wrk also counts the bytes of responses still in flight when it
        # stops (at most one per connection), never fewer than it completed.
        local bpr=$((byt[$s] / req[$s])) maxr=$((maxb * (req[$s] + c * rounds) / req[$s]))
        ((bpr >= minb && bpr <= maxr)) ||
            problems+=("$label: $s averaged $bpr bytes/response, expected $minb..$maxr")
    done
    awk -v label="$label" -v key="$key" -v tck="$clk_tck" \
        -v lr="${req[labnet]}" -v nr="${req[nginx]}" -v lt="${tick[labnet]}" -v nt="${tick[nginx]}" \
        -v lu="${us[labnet]}" -v nu="${us[nginx]}" -v lb="${byt[labnet]}" -v nb="${byt[nginx]}" \
        -v le="${err[labnet]}" -v ne="${err[nginx]}" -v lp="${p99[labnet]}" -v np="${p99[nginx]}" \
        -v lw="${wms[labnet]}" -v nw="${wms[nginx]}" \
        -v fr="${req[floor]:-0}" -v ft="${tick[floor]:-0}" \
        -v fmt="$fmt" -v tsv="$out/results.tsv" 'BEGIN {
        lrps = lr / (lu / 1e6); nrps = nr / (nu / 1e6)
        lcpu = lt * 1e6 / tck / lr; ncpu = nt * 1e6 / tck / nr
        fcpu = (fr > 0 ? ft * 1e6 / tck / fr : 0)
        lpct = 100 * lt / tck / (lu / 1e6); npct = 100 * nt / tck / (nu / 1e6)
        lwp = 100 * lw / (lu / 1e3); nwp = 100 * nw / (nu / 1e3)
        printf fmt, label, sprintf("%.0f", lrps), sprintf("%.0f", nrps), sprintf("%.2f", lrps / nrps),
            sprintf("%.1f", lcpu), sprintf("%.1f", ncpu), (ncpu > 0 ? sprintf("%.2f", lcpu / ncpu) : "-"),
            sprintf("%.0f/%.0f", lpct, npct), sprintf("%.0f/%.0f", lwp, nwp),
            (fr > 0 ? sprintf("%.1f", fcpu) : "-"), (fr > 0 && ncpu > 0 ? sprintf("%.2f", fcpu / ncpu) : "-")
        printf "%s\t%.1f\t%.1f\t%.3f\t%.2f\t%.2f\t%.3f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.3f\n",
            key, lrps, nrps, lrps / nrps, lcpu, ncpu, (ncpu > 0 ? lcpu / ncpu : 0),
            lpct, npct, lwp, nwp, lb / lr, nb / nr, le, ne, lp / 1000, np / 1000,
            fcpu, (fr > 0 && ncpu > 0 ? fcpu / ncpu : 0) >> tsv
    }' | tee -a "$out/summary.txt"
}

want_row() { [[ ",$rows," == *",$1,"* ]]; }

# ---- --syscalls: system calls per request, per server, per row ----
# sys_row LABEL KEY CONNS PATH HEADER_LABNET HEADER_NGINX
sys_row() {
    local label=$1 key=$2 c=$3 path=$4 hl=$5 hn=$6 s port hdr spid res req
    local -a pids sargs pev
    for s in labnet nginx; do
        port=$lport hdr=$hl
        [[ $s == nginx ]] && port=$nport hdr=$hn
        if ((warm > 0)); then wrk_run "$s" "$port" "$c" "$warm" "$path" "$hdr" >/dev/null; fi
        alive
        # labnet: its one process, all threads (-f with -p attaches every
        # thread); nginx: its workers (the master does nothing per request).
        if [[ $s == labnet ]]; then pids=("$labnet_pid"); else read -ra pids <<<"$(pgrep -P "$nginx_pid")"; fi
        sargs=()
        for spid in "${pids[@]}"; do sargs+=(-p "$spid"); done
        if ((use_perf)); then
            pev=(-e raw_syscalls:sys_enter)
            local sc
            for sc in "${perf_calls[@]}"; do
                pev+=(-e "syscalls:sys_enter_$sc")
                pev+=(-e "syscalls:sys_exit_$sc" --filter 'ret < 0')
            done
            perf stat -x, -o "$out/perf-$key-$s.txt" "${pev[@]}" -p "$(
                IFS=,
                echo "${pids[*]}"
            )" 2>/dev/null &
        else
            strace -c -f -o "$out/strace-$key-$s.txt" "${sargs[@]}" 2>/dev/null &
        fi
        local strace_pid=$!
        sleep 1 # attached before the first request
        res=$(wrk_run "$s" "$port" "$c" "$dur" "$path" "$hdr")
        sleep 0.5 # the closes after wrk stops are part of the cost
        kill -INT "$strace_pid" 2>/dev/null || true
        wait "$strace_pid" 2>/dev/null || true
        read -r req _ <<<"$res"
        ((req > 0)) || die "$label: $s completed no requests while counting"
        if ((use_perf)); then
            # CSV: count,unit,event,...; sys_exit_X counts the failed calls.
            awk -F, '$1 ~ /^[0-9]+$/ {
                n = $3; sub(/^syscalls:sys_/, "", n)
                if (n == "raw_syscalls:sys_enter") total = $1
                else if (n ~ /^enter_/) { sub(/^enter_/, "", n); calls[n] = $1 }
                else { sub(/^exit_/, "", n); errs[n] = $1 }
            }
            END {
                print "% time     seconds  usecs/call     calls    errors syscall"
                for (k in calls) if (calls[k] > 0) printf "0 0 0 %d %d %s\n", calls[k], errs[k] + 0, k
                printf "0 0 0 %d %d other\n", total - sum(), 0
            }
            function sum(   k, t) { for (k in calls) t += calls[k]; return t }' \
                "$out/perf-$key-$s.txt" >"$out/strace-$key-$s.txt"
        fi
        # strace -c rows: % time, seconds, usecs/call, calls, [errors], syscall
        awk -v label="$label" -v key="$key" -v s="$s" -v req="$req" -v tsv="$out/syscalls.tsv" '
            NF >= 5 && $1 ~ /^[0-9.]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
                calls[$NF] = $4; errs[$NF] = (NF == 6 ? $5 : 0); total += $4
                n++; names[n] = $NF
            }
            END {
                line = ""
                # most frequent first
                for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                    if (calls[names[j]] > calls[names[i]]) { t = names[i]; names[i] = names[j]; names[j] = t }
                for (i = 1; i <= n; i++) {
                    k = names[i]; pr = calls[k] / req
                    if (pr < 0.005) continue
                    e = (errs[k] > 0 ? sprintf(" (%.2f failed)", errs[k] / req) : "")
                    line = line sprintf("%s %.2f%s, ", k, pr, e)
                    printf "%s\t%s\t%s\t%.3f\t%.3f\n", key, s, k, pr, errs[k] / req >> tsv
                }
                sub(/, $/, "", line)
                printf "%-22s %-7s %6.2f /req  %s\n", label, s, total / req, line
                printf "%s\t%s\ttotal\t%.3f\t\n", key, s, total / req >> tsv
            }' "$out/strace-$key-$s.txt" | tee -a "$out/summary.txt"
    done
}

# ---- --instructions: callgrind's instruction count per request ----
# ins_row LABEL KEY CONNS PATH HEADER_LABNET HEADER_NGINX
ins_row() {
    local label=$1 key=$2 c=$3 path=$4 hl=$5 hn=$6 s port hdr pid res req ir line=""
    for s in labnet nginx; do
        port=$lport hdr=$hl pid=$labnet_pid
        [[ $s == nginx ]] && port=$nport hdr=$hn pid=$nginx_pid
        if ((warm > 0)); then wrk_run "$s" "$port" "$c" "$warm" "$path" "$hdr" >/dev/null; fi
        alive
        callgrind_control -z "$pid" >/dev/null 2>&1
        res=$(wrk_run "$s" "$port" "$c" "$dur" "$path" "$hdr")
        sleep 1 # the closes after wrk stops are part of the cost
        rm -f "$out/cg-$pid".*
        callgrind_control --dump "$pid" >/dev/null 2>&1
        read -r req _ <<<"$res"
        ((req > 0)) || die "$label: $s completed no requests under callgrind"
        # Each thread's dump has "totals: Ir"; sum them.
        ir=$(cat "$out/cg-$pid".* 2>/dev/null | awk '/^totals:/ { s += $2 } END { print s + 0 }')
        ((ir > 0)) || die "$label: no callgrind dump from $s"
        local f
        for f in "$out/cg-$pid".*; do mv "$f" "$out/callgrind-$s-$key.${f##*.}"; done
        line+=$(awk -v s="$s" -v ir="$ir" -v req="$req" 'BEGIN { printf "%s %.0f instr/req (%d req)   ", s, ir / req, req }')
        printf '%s\t%s\t%d\t%d\t%.0f\n' "$key" "$s" "$ir" "$req" "$(awk -v a="$ir" -v b="$req" 'BEGIN { print a / b }')" \
            >>"$out/instructions.tsv"
    done
    printf '%-22s %s\n' "$label" "$line" | tee -a "$out/summary.txt"
}

if ((instr)); then
    printf 'row\tserver\tinstructions\trequests\tinstructions_per_req\n' >"$out/instructions.tsv"
    echo "user-space instructions per request (callgrind, ${dur}s of wrk per row; requests as wrk counted)" |
        tee -a "$out/summary.txt"
    if want_row 1k; then ins_row "1 KiB keep-alive" 1k_keepalive "$conns" /1k.bin "" ""; fi
    if want_row 64k; then ins_row "64 KiB keep-alive" 64k_keepalive "$conns" /64k.bin "" ""; fi
    if want_row 10m; then ins_row "10 MiB keep-alive" 10m_keepalive "$conns_big" /10m.bin "" ""; fi
    if want_row 304; then
        ins_row "304 If-None-Match" 304_revalidate "$conns" /1k.bin "If-None-Match: $l_etag" "If-None-Match: $n_etag"
    fi
    if want_row close; then
        ins_row "1 KiB conn per req" 1k_close "$conns" /1k.bin "Connection: close" "Connection: close"
    fi
    echo "files: $out/{summary.txt,instructions.tsv,callgrind-*}" | tee -a "$out/summary.txt"
    exit 0
fi

if ((syscalls)); then
    # The calls either server makes on these rows; the rest shows as "other".
    perf_calls=(accept4 epoll_ctl epoll_wait recvfrom read sendmsg writev sendfile64 close shutdown
        setsockopt ioctl openat2 openat newfstatat write)
    use_perf=0
    if command -v perf >/dev/null 2>&1 &&
        perf stat -e raw_syscalls:sys_enter -e syscalls:sys_enter_epoll_wait true >/dev/null 2>&1; then
        use_perf=1
        tp=/sys/kernel/tracing/events/syscalls
        [[ -d $tp ]] || tp=/sys/kernel/debug/tracing/events/syscalls
        kept=()
        for sc in "${perf_calls[@]}"; do [[ -d $tp/sys_enter_$sc ]] && kept+=("$sc"); done
        perf_calls=("${kept[@]}")
    fi
    printf 'row\tserver\tsyscall\tcalls_per_req\tfailed_per_req\n' >"$out/syscalls.tsv"
    how="strace -c -f"
    ((use_perf)) && how="perf stat on the syscall tracepoints"
    echo "system calls per request ($how, on the server during ${dur}s of wrk per row; requests as wrk counted)" |
        tee -a "$out/summary.txt"
    if want_row 1k; then sys_row "1 KiB keep-alive" 1k_keepalive "$conns" /1k.bin "" ""; fi
    if want_row 64k; then sys_row "64 KiB keep-alive" 64k_keepalive "$conns" /64k.bin "" ""; fi
    if want_row 10m; then sys_row "10 MiB keep-alive" 10m_keepalive "$conns_big" /10m.bin "" ""; fi
    if want_row 304; then
        sys_row "304 If-None-Match" 304_revalidate "$conns" /1k.bin "If-None-Match: $l_etag" "If-None-Match: $n_etag"
    fi
    if want_row close; then
        sys_row "1 KiB conn per req" 1k_close "$conns" /1k.bin "Connection: close" "Connection: close"
    fi
    echo "files: $out/{summary.txt,syscalls.tsv,strace-*.txt}" | tee -a "$out/summary.txt"
    exit 0
fi

# Idle memory first, on fresh servers (after the few requests of the checks
# above), so memory freed by the load rows cannot hide per-connection cost.
idle_line=""
if want_row idle; then
    # shellcheck disable=SC2046
    li=$(python3 "$here/idle_conns.py" 127.0.0.1 "$lport" /1k.bin "$idle_n" $(server_pids labnet))
    # shellcheck disable=SC2046
    ni=$(python3 "$here/idle_conns.py" 127.0.0.1 "$nport" /1k.bin "$idle_n" $(server_pids nginx))
    kv() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$2"; }
    for s in labnet nginx; do
        v=$li
        [[ $s == nginx ]] && v=$ni
        [[ $(kv open "$v") == "$idle_n" ]] || problems+=("idle: $s kept only $(kv open "$v") of $idle_n idle connections open")
    done
    lb=$(kv per_conn_bytes "$li")
    nb=$(kv per_conn_bytes "$ni")
    idle_line=$(awk -v n="$idle_n" -v lb="$lb" -v nb="$nb" -v l0="$(kv rss_before_kb "$li")" \
        -v l1="$(kv rss_after_kb "$li")" -v n0="$(kv rss_before_kb "$ni")" -v n1="$(kv rss_after_kb "$ni")" \
        -v tsv="$out/results.tsv" 'BEGIN {
        ratio = (nb > 0 ? sprintf("%.2f", lb / nb) : "-")
        printf "idle keep-alive conns: %d each; RSS labnet %d -> %d KiB, nginx %d -> %d KiB\n", n, l0, l1, n0, n1
        printf "memory per idle connection: labnet %d B, nginx %d B, ratio %s\n", lb, nb, ratio
        printf "idle_mem_bytes_per_conn\t%d\t%d\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\n", lb, nb, ratio >> tsv
    }')
fi

kb=$((1024))
if want_row 1k; then bench_row "1 KiB keep-alive" 1k_keepalive "$conns" /1k.bin "$kb" $((kb + 1024)) "" "" "-s 1024"; fi
if want_row 64k; then
    # No floor: floor.c would copy 64 KiB per response from memory where
    # both servers sendfile, so it would not be the cheapest way.
    bench_row "64 KiB keep-alive" 64k_keepalive "$conns" /64k.bin $((64 * kb)) $((65 * kb)) "" ""
fi
if want_row 10m; then
    bench_row "10 MiB keep-alive" 10m_keepalive "$conns_big" /10m.bin $((10240 * kb)) $((10241 * kb)) "" ""
fi
if want_row 304; then
    bench_row "304 If-None-Match" 304_revalidate "$conns" /1k.bin 100 1000 \
        "If-None-Match: $l_etag" "If-None-Match: $n_etag" "-3"
fi
if want_row close; then
    bench_row "1 KiB conn per req" 1k_close "$conns" /1k.bin "$kb" $((kb + 1024)) \
        "Connection: close" "Connection: close" "-c -s 1024"
fi

{
    [[ -n $idle_line ]] && {
        echo
        echo "$idle_line"
    }
    echo
    if ((alog)); then
        echo "access log lines: labnet $(wc -l <"$tmp/labnet-access.log"), nginx $(wc -l <"$tmp/nginx-access.log")"
    fi
    echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "ratios are labnet/nginx: req/s higher is better, µs/req and memory lower is better"
    if ((${#problems[@]})); then
        echo "PROBLEMS:"
        printf '  %s\n' "${problems[@]}"
    else
        echo "no errors: every response had the expected status and size"
    fi
    echo "files: $out/{summary.txt,results.tsv,wrk-raw.txt,labnet.log,nginx-error.log}"
} | tee -a "$out/summary.txt"
grep -v ' notice: ' "$out/labnet.log" >&2 || true
grep -v '\[notice\]' "$tmp/nginx/logs/error.log" >&2 || true
