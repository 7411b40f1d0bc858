#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016  # check() runs the functions it is given; bash -c bodies expand later
# Cache poisoning attempts against labnet-dnsd (STYLE.md 6: upstream replies
# matched on address, port, ID and question, and scrubbed of out-of-bailiwick
# records before caching).  dnsfake servers of the private hierarchy
# (dnsh.sh) forge, for the name asked and for a victim name in another zone
# (victim-<zone>.b.corp., truly 198.51.100.22), the address 6.6.6.6:
#
#   wid.lab    a forged reply with the wrong ID, then the true one
#   wport.lab  a forged reply with the right ID from another source port
#   waddr.lab  a forged reply with the right ID from another source address
#   wq.lab     a forged reply from the right address, port and ID whose
#              question is the victim's (RFC 5452 9.1), then the true one
#   oob.lab    true answers carrying out-of-bailiwick glue (victim A, and
#              ns1.b.corp A) and an NS RRset for b.corp. in authority
#   ans.lab    true answers with the victim's A added to the answer section;
#              www.ans.lab CNAME victim-ans.b.corp. followed by the forged A
#
# After each attempt the name asked resolves to the true data (or SERVFAIL),
# never to the forgery; the victim is not answered from the cache with the
# forgery (asked with RD=0 first, then resolved: the true address); and
# b.corp.'s real server still serves it.
# The same checks run against Unbound when installed (not in CI).
#
#   test_dnsd_spoof.sh BUILD_DIR
#
# Negative control: DNSTEST_POISON=1 forwards b.corp. (on both resolvers)
# to a dnsfake that answers 6.6.6.6 for everything, i.e. a poisoned cache;
# every victim check must then fail.
set -u
export LC_ALL=C # sort order and dig output independent of the locale
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: test_dnsd_spoof.sh BUILD_DIR}
dnsd="$build/dnsd/labnet-dnsd"
# shellcheck source=netns.sh
. "$here/netns.sh"
# shellcheck source=dnsh.sh
. "$here/dnsh.sh"
netns_require

have_labnet=no have_unbound=no
[ -x "$dnsd" ] && have_labnet=yes
# DNSTEST_UNBOUND=yes also runs every row against Unbound (when installed), to
# check the expectations against a real resolver; CI runs labnet-dnsd only.
[ "${DNSTEST_UNBOUND:-no}" = yes ] && command -v unbound >/dev/null && have_unbound=yes
if [ $have_labnet = no ]; then
    echo "FAIL: $dnsd was not built"
    exit 1
fi

pass=0 fail=0 who=""
check() {
    local d=$1
    shift
    if "$@"; then pass=$((pass + 1)); echo "ok: [$who] $d"; else fail=$((fail + 1)); echo "FAIL: [$who] $d"; fi
}

tmp=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$tmp"' EXIT
dnsh_start "$build" "$tmp" || { echo "FAIL: the DNS hierarchy did not start"; exit 1; }
poison_labnet=() poison_unbound=()
if [ "${DNSTEST_POISON:-0}" = 1 ]; then
    echo "NEGATIVE CONTROL: b.corp. forwarded to a server that answers $DNSH_POISON"
    dnsh_fake_start EVIL 127.53.70.1 b.corp plain -a "$DNSH_POISON" || exit 1
    poison_labnet=("[forward b.corp.]" "servers = 127.53.70.1")
    # Unbound also gets the forgery as local data for one victim, so that
    # the RD=0 (from the cache) check is seen to fail too.
    poison_unbound=("local-data: \"victim-wid.b.corp. A $DNSH_POISON\""
        "forward-zone:" "  name: b.corp." "  forward-addr: 127.53.70.1")
fi

Q() { dnsh_dig @"$R" +time=6 +tries=1 "$@" 2>&1; }
short() { Q +short "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
T=$DNSH_TRUE_A V=$DNSH_VICTIM_A X=$DNSH_POISON

# victim_checks ZONE: the victim of ZONE's forger is clean.
victim_checks() {
    local z=$1 v="victim-$1.b.corp" out
    out=$(Q +norec "$v" A)
    check "$z: $v not answered from the cache with the forgery (RD=0)" \
        bash -c '! grep -q "$2" <<<"$1"' _ "$out" "$X"
    out=$(short "$v" A)
    check "$z: $v resolves to its true address ($out)" [ "$out" = "$V" ]
}

suite() {
    local z out n0 n1
    for z in wid wport waddr wq; do
        # Dropping the forgery and taking the true reply gives the answer;
        # treating the forgery as a bad reply (Unbound does so for a wrong
        # question) and giving up gives SERVFAIL.  Never the forgery.
        out=$(Q "host.$z.lab" A)
        check "$z: host.$z.lab is the true answer or SERVFAIL, never the forgery" \
            bash -c '! grep -q "$3" <<<"$1" && { grep -q "status: SERVFAIL" <<<"$1" ||
                     grep -Eq "^host\.[a-z]+\.lab\..*A[[:space:]]+$2$" <<<"$1"; }' _ "$out" "$T" "$X"
        out=$(Q +norec "host.$z.lab" A)
        check "$z: cached host.$z.lab is not the forgery (RD=0)" \
            bash -c '! grep -q "$2" <<<"$1"' _ "$out" "$X"
        victim_checks "$z"
    done

    out=$(short host.oob.lab A)
    check "oob: host.oob.lab answered ($out)" [ "$out" = "$T" ]
    victim_checks oob
    out=$(Q +norec ns1.b.corp A)
    check "oob: out-of-bailiwick glue ns1.b.corp A $X not cached" \
        bash -c '! grep -q "$2" <<<"$1"' _ "$out" "$X"
    n0=$(dnsh_nsd_queries B)
    out=$(short host.b.corp A)
    n1=$(dnsh_nsd_queries B)
    check "oob: b.corp. still resolved by its real server ($out; B queries $n0 -> $n1)" \
        bash -c '[ "$1" = 198.51.100.20 ] && [ "$2" -gt "$3" ]' _ "$out" "$n1" "$n0"
    check "oob: no b.corp name was ever sent to the forger" \
        bash -c '! grep -q "b\.corp\. " "$1"' _ "$tmp/fake-OOB.log"

    out=$(short host.ans.lab A)
    check "ans: host.ans.lab answer holds only the true RRset ($out)" [ "$out" = "$T" ]
    out=$(Q +noall +answer www.ans.lab A)
    check "ans: www.ans.lab CNAME target re-resolved, not taken from the forger" \
        bash -c 'grep -Eq "CNAME[[:space:]]+victim-ans\.b\.corp\.$" <<<"$1" &&
                 grep -Eq "^victim-ans\.b\.corp\..*A[[:space:]]+$2$" <<<"$1" &&
                 ! grep -q "$3" <<<"$1"' _ "$out" "$V" "$X"
    victim_checks ans
    check "resolver still running" kill -0 "$P"
}

if [ $have_labnet = yes ]; then
    dnsh_labnet_start "$dnsd" 127.0.0.53 1 127.0.0.1/32 "${poison_labnet[@]}"
    R=127.0.0.53 P=$DNSH_PID who=labnet
    if dnsh_wait_answering "$R"; then
        suite
    else
        fail=$((fail + 1))
        echo "FAIL: labnet-dnsd did not answer:"
        cat "$tmp/labnet.log"
    fi
else
    echo "SKIP: $dnsd is not built yet: only Unbound's rows run"
fi
if [ $have_unbound = yes ]; then
    dnsh_unbound_start 127.0.0.54 1 127.0.0.1/32 "${poison_unbound[@]}"
    R=127.0.0.54 P=$DNSH_PID who=unbound
    if dnsh_wait_answering "$R"; then
        suite
    else
        fail=$((fail + 1))
        echo "FAIL: unbound did not answer:"
        cat "$tmp/unbound.log"
    fi
else
    echo "note: the Unbound reference rows run with DNSTEST_UNBOUND=yes (unbound installed)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ] || exit 1
exit 0
