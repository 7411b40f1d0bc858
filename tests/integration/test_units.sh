#!/usr/bin/env bash
# The installed systemd units: "systemd-analyze verify" must print nothing
# (it exits 0 even on unknown keys, so any output is a failure), and
# "systemd-analyze security --offline=true" must rate each service 2.0 or
# lower (each figure printed).  The units are taken from a "cmake --install
# --prefix /usr" into a temporary root, checked with --root= so ExecStart=
# names that root's programs; a daemon not built in this tree gets a
# placeholder program there (said so).  Also: every man page a unit names in
# Documentation= is installed, every socket unit's address is one its
# daemon's shipped configuration listens on, and negative controls: a
# weakened unit must score above 2.0 and a misspelt key must fail verify.
set -u
build=${1:?usage: test_units.sh BUILD_DIR}
command -v systemd-analyze >/dev/null ||
    { echo "SKIP: systemd-analyze is not installed (Debian package systemd)"; exit 77; }
command -v cmake >/dev/null || { echo "SKIP: cmake is not installed"; exit 77; }
max_score=2.0

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
if ! DESTDIR="$root" cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    echo "FAIL: cmake --install"
    exit 1
fi
unitdir=$(grep -oE '/[^ ]*/systemd/system/labnet-[a-z]+\.(service|socket)$' "$tmp/install.log" |
    head -1 | sed "s|^$root||; s|/[^/]*\$||")
[ -n "$unitdir" ] || { echo "FAIL: no units were installed"; exit 1; }
mapfile -t units < <(cd "$root$unitdir" && ls labnet-*.service labnet-*.socket)
echo "units in $unitdir: ${units[*]}"
if [ "${#units[@]}" -ge 5 ]; then ok "5 units or more installed"; else bad "expected at least 5 units"; fi

# systemd's own units (sysinit.target and the like) for verify's
# dependency checks, beside ours in the temporary root.
mkdir -p "$root/usr/lib/systemd/system"
cp -a /lib/systemd/system/. "$root/usr/lib/systemd/system/" 2>/dev/null
# Programs the units run that this tree does not build yet.
for u in "${units[@]}"; do
    for exe in $(sed -nE 's/^Exec(Start|Reload|StartPre|Stop)=[-@:+!]*([^ ]+).*/\2/p' "$root$unitdir/$u"); do
        [ -e "$root$exe" ] && continue
        if [ -e "$exe" ] && [[ "$exe" != */labnet-* ]]; then
            mkdir -p "$root$(dirname "$exe")"
            cp "$exe" "$root$exe" # a system tool such as /bin/kill
            continue
        fi
        echo "note: $exe is not built in this tree; a placeholder stands in for verify"
        mkdir -p "$root$(dirname "$exe")"
        printf '#!/bin/sh\nexit 0\n' >"$root$exe"
        chmod 755 "$root$exe"
    done
done

# verify_clean UNIT...: no output at all from verify (man pages are checked
# below, against the temporary root rather than the host's man database).
verify_clean() {
    local paths=() u out
    for u; do paths+=("$unitdir/$u"); done
    out=$(cd "$root" && systemd-analyze verify --man=no --root="$root" "${paths[@]}" 2>&1)
    local rc=$?
    [ -z "$out" ] && [ "$rc" -eq 0 ] && return 0
    echo "$out"
    return 1
}
if verify_clean "${units[@]}"; then
    ok "systemd-analyze verify: clean for ${units[*]}"
else
    bad "systemd-analyze verify reported problems"
fi

# score UNIT: prints the exposure figure of UNIT in the temporary root.
score() {
    systemd-analyze security --offline=true --root="$root" "$1" 2>&1 |
        sed -nE 's/.*Overall exposure level for [^:]+: ([0-9.]+).*/\1/p'
}
# score_ok FIGURE: at most max_score.
score_ok() { [ -n "$1" ] && awk -v s="$1" -v m="$max_score" 'BEGIN { exit !(s <= m) }'; }
for u in "${units[@]}"; do
    [[ "$u" == *.service ]] || continue
    s=$(score "$u")
    echo "security exposure $u: ${s:-?} (must be <= $max_score)"
    if score_ok "$s"; then ok "$u scores $s"; else bad "$u scores ${s:-nothing}, above $max_score"; fi
done

# Documentation= man pages are installed (those of a daemon this tree does
# not build yet are reported, not failed: its helper ships them with it).
for u in "${units[@]}"; do
    for ref in $(sed -nE 's/^Documentation=//p' "$root$unitdir/$u"); do
        [[ "$ref" == man:* ]] || continue
        page=${ref#man:}
        name=${page%(*}
        sec=${page##*(}
        sec=${sec%)}
        if [ -e "$root/usr/share/man/man$sec/$name.$sec" ]; then
            ok "$u: $page installed"
        elif [[ "$name" == labnet-*d ]] && [ ! -x "$build/${name#labnet-}/$name" ]; then
            echo "note: $u: $page not installed ($name is not built in this tree)"
        else
            bad "$u: Documentation= names $page, which is not installed"
        fi
    done
done

# Socket units against the shipped configurations: each address a socket
# unit lists must be a "listen =" address of its daemon's configuration.
for u in "${units[@]}"; do
    [[ "$u" == *.socket ]] || continue
    d=${u#labnet-}
    d=${d%.socket}
    conf="$root/etc/labnet/$d.conf"
    if [ ! -e "$conf" ]; then
        echo "note: $u: no shipped $d.conf yet; addresses not compared"
        continue
    fi
    # One space-separated line, with a space at each end, to match words in.
    listen=" $(sed -nE 's/^listen[[:space:]]*=[[:space:]]*//p' "$conf" | tr ',\t\n' '   ' | tr -s ' ') "
    for a in $(sed -nE 's/^Listen(Stream|Datagram)=//p' "$root$unitdir/$u" | sort -u); do
        if [[ "$listen" == *" $a "* ]]; then
            ok "$u: $a is in $d.conf's listen"
        else
            bad "$u: $a is not among $d.conf's listen addresses ($listen)"
        fi
    done
done

# --- Negative controls ----------------------------------------------------
# A weakened httpd unit (hardening section removed, run as root) must score
# above the limit, so the check above can fail.
weak=labnet-weak.service
sed -e '/^# Hardening\./,/^SystemCallErrorNumber=/d' -e '/^DynamicUser=/d' -e '/^User=/d' \
    "$root$unitdir/labnet-httpd.service" >"$root$unitdir/$weak"
s=$(score "$weak")
echo "security exposure $weak (control): ${s:-?}"
if [ -n "$s" ] && ! score_ok "$s"; then
    ok "control: a weakened unit scores $s, above $max_score"
else
    bad "control: a weakened unit should score above $max_score, got ${s:-nothing}"
fi
# One hardening line less is still noticed in the figure.
sed -e '/^PrivateUsers=/d' "$root$unitdir/labnet-httpd.service" >"$root$unitdir/$weak"
s1=$(score "$weak")
s0=$(score labnet-httpd.service)
if awk -v a="$s1" -v b="$s0" 'BEGIN { exit !(a > b) }'; then
    ok "control: without PrivateUsers= the score rises ($s0 -> $s1)"
else
    bad "control: removing PrivateUsers= should raise the score ($s0 -> $s1)"
fi
# A misspelt key: verify exits 0 but must print, and verify_clean fails.
sed -e 's/^ProtectSystem=/ProtectSytem=/' "$root$unitdir/labnet-httpd.service" >"$root$unitdir/$weak"
if verify_clean "$weak" >/dev/null; then
    bad "control: verify_clean accepted a misspelt key"
else
    ok "control: verify_clean rejects a misspelt key"
fi
rm -f "$root$unitdir/$weak"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
