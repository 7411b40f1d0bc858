# shellcheck shell=bash
# Network-namespace helpers for labnet's integration tests.  Source this
# file; every namespace, link and process made through it is removed by
# netns_cleanup, which runs on exit (trap), on success and on failure alike.
#
#   netns_require               exit 77 (ctest: skipped) unless root with ip netns
#   netns_trap                  (re)install the cleanup trap, e.g. in a subshell
#   netns_add NAME              make namespace; prints its full unique name
#   netns_link NS1 NS2 A1 A2    veth between two namespaces, addresses in CIDR form
#   netns_bridge NS BR A        bridge BR inside NS with address A (CIDR)
#   netns_attach NS BR NS2 A2   veth from NS2 into bridge BR of NS, A2 on NS2's end
#   netns_exec NS cmd...        run a command inside NS
#   netns_etc NS FILE TEXT      give NS its own /etc/FILE (resolv.conf, hosts):
#                               ip netns exec bind-mounts /etc/netns/NS/FILE, so
#                               lookups never reach the host's resolver
#   netns_spawn NS LOG cmd...   start a background process inside NS; PID in NETNS_PID
#   netns_cleanup               stop the processes inside the test's namespaces, delete them
#
# Every link is created directly inside the test's namespaces, so nothing
# is ever added to (or left in) the host's own network namespace.  Names
# carry the shell's PID so parallel tests never collide.

NETNS_PREFIX="lnt$$"
NETNS_SEQ=0
netns_require() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: network-namespace tests need root (CI runs them as root)"
        exit 77
    fi
    if ! command -v ip >/dev/null; then
        echo "SKIP: 'ip' (iproute2) is not installed; run scripts/deps.sh"
        exit 77
    fi
    # Both steps can fail in a sandbox: adding needs CAP_SYS_ADMIN, and exec
    # needs "/" to be a mount point (not so in a plain chroot).
    local probe="${NETNS_PREFIX}-probe"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "SKIP: this kernel or sandbox does not allow network namespaces"
        exit 77
    fi
    if ! ip netns exec "$probe" true 2>/dev/null; then
        ip netns del "$probe"
        echo "SKIP: 'ip netns exec' does not work here (in a chroot, '/' must be a mount point)"
        exit 77
    fi
    ip netns del "$probe"
    netns_trap
}

# Installs the cleanup traps.  netns_require does this; a test body run in a
# subshell "( ... )" must call it again, since bash resets traps there.
netns_trap() {
    trap netns_cleanup EXIT
    trap 'exit 130' INT TERM
}

netns_add() {
    local ns="${NETNS_PREFIX}-$1"
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up || return 1
    echo "$ns"
}

# Interface names are at most 15 bytes and must be unique inside each
# namespace.  Callers often run in a command substitution (a subshell, where
# a counter would not persist), so the subshell's own PID is part of the name.
_netns_ifname() {
    NETNS_SEQ=$((NETNS_SEQ + 1))
    echo "ln${BASHPID}x${NETNS_SEQ}"
}

netns_link() {
    local ns1=$1 ns2=$2 a1=$3 a2=$4
    local base
    base=$(_netns_ifname)
    ip link add "${base}a" netns "$ns1" type veth peer name "${base}b" netns "$ns2" || return 1
    ip -n "$ns1" addr add "$a1" dev "${base}a" || return 1
    ip -n "$ns2" addr add "$a2" dev "${base}b" || return 1
    ip -n "$ns1" link set "${base}a" up || return 1
    ip -n "$ns2" link set "${base}b" up || return 1
    echo "${base}a ${base}b"
}

netns_bridge() {
    local ns=$1 br=$2 addr=$3
    ip -n "$ns" link add "$br" type bridge || return 1
    [ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev "$br" || return 1
    ip -n "$ns" link set "$br" up
}

# Prints the interface name inside NS2.
netns_attach() {
    local ns=$1 br=$2 ns2=$3 addr=$4
    local base
    base=$(_netns_ifname)
    ip link add "${base}a" netns "$ns" type veth peer name "${base}b" netns "$ns2" || return 1
    ip -n "$ns" link set "${base}a" master "$br" up || return 1
    [ -z "$addr" ] || ip -n "$ns2" addr add "$addr" dev "${base}b" || return 1
    ip -n "$ns2" link set "${base}b" up || return 1
    echo "${base}b"
}

# Fails (1) when the host has no /etc/FILE to bind over: ip netns exec
# would then print an error and run with the host's view instead.
netns_etc() {
    local ns=$1 file=$2 text=$3
    if [ ! -e "/etc/$file" ]; then
        echo "netns_etc: this machine has no /etc/$file for the namespace's own to cover" >&2
        return 1
    fi
    mkdir -p "/etc/netns/$ns" && printf '%s\n' "$text" >"/etc/netns/$ns/$file"
}

netns_exec() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

# Call it directly, not in "$(...)": the process must stay a child of the
# test's shell so that "wait" works and an exited one is reaped, not a zombie
# that still answers kill -0.  Its PID is left in NETNS_PID.
netns_spawn() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>&1 &
    NETNS_PID=$!
}

# The test's namespaces are found by their prefix rather than kept in a
# shell array: helpers are usually called in command substitutions, which
# are subshells whose variables do not survive.  Every process inside them
# was started by this test; each gets SIGTERM (a graceful stop), then
# SIGKILL after 2 s.
netns_cleanup() {
    local ns pid pids=() i
    local mine
    mine=$(ip netns list 2>/dev/null | awk -v p="${NETNS_PREFIX}-" 'index($1, p) == 1 {print $1}')
    for ns in $mine; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
        done
    done
    for ((i = 0; i < 20; i++)); do
        local alive=0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for ns in $mine; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    wait 2>/dev/null
    return 0
}

# Waits up to $2 seconds (default 5) for a command to succeed.
netns_wait_for() {
    local cmd=$1 secs=${2:-5} i
    for ((i = 0; i < secs * 10; i++)); do
        eval "$cmd" && return 0
        sleep 0.1
    done
    return 1
}
