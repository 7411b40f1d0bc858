#!/usr/bin/env bash
# Installation and the Debian package.
#  1. "cmake --install" into a DESTDIR with --prefix /usr: every program
#     built is installed (daemons in sbin, clients in bin), every unit,
#     every conf/*.conf in /etc/labnet, every man/*.N in share/man/manN;
#     the units' ExecStart= name the installed programs; the installed
#     httpd accepts the installed httpd.conf.
#  2. Another prefix (/opt/labnet): programs and ExecStart= follow it.
#  3. "cpack -G DEB": dpkg-deb -I (conffiles list every configuration,
#     Depends satisfied by this machine), the same files as the DESTDIR
#     install, units naming /usr/sbin.
#  4. As root: dpkg --root installs it into a throwaway root; an edited
#     configuration survives a reinstall (a unit, not a conffile, does not:
#     the control) and purge removes it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: test_install.sh BUILD_DIR}
command -v cmake >/dev/null || { echo "SKIP: cmake is not installed"; exit 77; }

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# install PREFIX DESTDIR: cmake --install, log in DESTDIR.log.
install_to() {
    DESTDIR="$2" cmake --install "$build" --prefix "$1" >"$2.log" 2>&1 ||
        { cat "$2.log"; return 1; }
}

# --- 1. DESTDIR install, prefix /usr ---------------------------------------
root="$tmp/root"
install_to /usr "$root" || { echo "FAIL: cmake --install"; exit 1; }
unitdir=$(grep -oE '/[^ ]*/systemd/system/labnet-[a-z]+\.service$' "$root.log" | head -1 |
    sed "s|^$root||; s|/[^/]*\$||")
echo "unit directory: ${unitdir:-none}"
check "units installed into a systemd/system directory" [ -n "$unitdir" ]

# Programs: whatever this build made (labnet-demod and the test helpers are
# not for installing).
progs=()
for d in httpd dnsd dhcpd clients; do
    for p in "$build/$d"/labnet-*; do
        [ -f "$p" ] && [ -x "$p" ] && progs+=("$(basename "$p")")
    done
done
echo "programs built: ${progs[*]}"
check "at least labnet-httpd and labnet-fetch were built" [ "${#progs[@]}" -ge 2 ]
for p in "${progs[@]}"; do
    if [[ "$p" == labnet-*d ]]; then dir=sbin; else dir=bin; fi
    check "$p installed in /usr/$dir" [ -x "$root/usr/$dir/$p" ]
done
check "test programs are not installed" \
    bash -c "! find '$root' -name 'labnet-demod' -o -name 'labnet-svcmgr' | grep -q ."

for t in "$src"/systemd/*.service.in "$src"/systemd/*.socket.in; do
    u=$(basename "$t" .in)
    check "unit $u installed" [ -f "$root$unitdir/$u" ]
done
check "no @VARIABLE@ left in the installed units" bash -c "! grep -l '@[A-Z]*@' '$root$unitdir'/labnet-*"
for u in "$root$unitdir"/labnet-*.service; do
    exe=$(sed -nE 's/^ExecStart=([^ ]+).*/\1/p' "$u")
    name=$(basename "$u" .service)
    check "$name: ExecStart= is /usr/sbin/$name -f -c /etc/labnet/${name#labnet-}.conf" \
        grep -qx "ExecStart=/usr/sbin/$name -f -c /etc/labnet/${name#labnet-}.conf" "$u"
    if [ -x "$build/${name#labnet-}/$name" ]; then
        check "$name: ExecStart= names the installed program" [ -x "$root$exe" ]
    fi
done

confs=()
for c in "$src"/conf/*.conf; do
    [ -e "$c" ] || continue
    confs+=("$(basename "$c")")
    check "conf $(basename "$c") installed in /etc/labnet" cmp -s "$c" "$root/etc/labnet/$(basename "$c")"
done
for m in "$src"/man/*.[1-8]; do
    [ -e "$m" ] || continue
    n=$(basename "$m")
    check "man page $n installed in share/man/man${n##*.}" cmp -s "$m" "$root/usr/share/man/man${n##*.}/$n"
done
check "the default document root /var/www/html is made" [ -d "$root/var/www/html" ]
mkdir -p "$tmp/www"
check "the installed labnet-httpd accepts the installed httpd.conf (-t)" \
    "$root/usr/sbin/labnet-httpd" -t -q -c "$root/etc/labnet/httpd.conf" -r "$tmp/www"
# Every commented example key of httpd.conf is valid too: uncomment them all
# (the vhost's root pointed at a folder that exists) and check.
sed -E -e 's/^# ([a-z-]+ =( .*)?|\[[a-z ]+\])$/\1/' -e "s|^root = /srv/docs\$|root = $tmp/www|" \
    "$root/etc/labnet/httpd.conf" >"$tmp/httpd-all.conf"
check "httpd.conf with every commented example key enabled is valid" \
    "$root/usr/sbin/labnet-httpd" -t -q -c "$tmp/httpd-all.conf" -r "$tmp/www"
# Control: the same check rejects a broken key.
printf '[server]\nmax-headers = 0\n' >>"$tmp/httpd-all.conf"
check "control: -t rejects a bad value" \
    bash -c "! '$root/usr/sbin/labnet-httpd' -t -q -c '$tmp/httpd-all.conf' -r '$tmp/www' 2>/dev/null"

# --- 2. Another prefix -----------------------------------------------------
opt="$tmp/opt"
install_to /opt/labnet "$opt" || bad "cmake --install --prefix /opt/labnet"
check "--prefix /opt/labnet: labnet-httpd in /opt/labnet/sbin" [ -x "$opt/opt/labnet/sbin/labnet-httpd" ]
check "--prefix /opt/labnet: ExecStart= follows the prefix" \
    grep -qx "ExecStart=/opt/labnet/sbin/labnet-httpd -f -c /etc/labnet/httpd.conf" \
    "$(find "$opt" -name labnet-httpd.service | head -1)"
check "--prefix /opt/labnet: man pages under the prefix" [ -f "$opt/opt/labnet/share/man/man8/labnet-httpd.8" ]

# --- 3. The Debian package -------------------------------------------------
if ! command -v cpack >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "skip (parts 3-4): cpack or dpkg-deb is not installed; no .deb built"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi
pkgdir="$tmp/pkg"
if ! cpack -G DEB -B "$pkgdir" --config "$build/CPackConfig.cmake" >"$tmp/cpack.log" 2>&1; then
    cat "$tmp/cpack.log"
    bad "cpack -G DEB"
    echo "$pass passed, $fail failed"
    exit 1
fi
deb=$(find "$pkgdir" -maxdepth 1 -name "labnet_*.deb" | head -1)
check "cpack built a .deb" [ -f "$deb" ]
echo "package: $(basename "$deb")"
info=$(dpkg-deb -I "$deb")
check "package name labnet" grep -q '^ Package: labnet$' <<<"$info"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles 2>/dev/null)
for c in "${confs[@]}"; do
    check "conffiles lists /etc/labnet/$c" grep -qx "/etc/labnet/$c" <<<"$conffiles"
done
depends=$(sed -nE 's/^ Depends: //p' <<<"$info")
echo "Depends: $depends"
for lib in libc6 libuv1 libsystemd0; do
    check "Depends names $lib" grep -qE "(^|, )$lib( |,|\$)" <<<"$depends"
done
# Each dependency is satisfied here (dpkg-query only reads the database).
IFS=',' read -ra deps <<<"$depends"
for d in "${deps[@]}"; do
    d=$(sed -E 's/^ +| +$//g' <<<"$d")
    name=${d%% *}
    have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null)
    if [ -z "$have" ]; then
        bad "dependency $d: $name is not installed here"
    elif [[ "$d" =~ \((.+)\ (.+)\) ]]; then
        op=${BASH_REMATCH[1]}
        ver=${BASH_REMATCH[2]}
        case $op in '>=') op=ge ;; '<=') op=le ;; '>>') op=gt ;; '<<') op=lt ;; '=') op=eq ;; esac
        check "dependency $d satisfied by $have" dpkg --compare-versions "$have" "$op" "$ver"
    else
        ok "dependency $name installed ($have)"
    fi
done
x="$tmp/x"
dpkg-deb -x "$deb" "$x"
check "the .deb holds the same files as the DESTDIR install" \
    diff <(cd "$root" && find . -type f | sort) <(cd "$x" && find . -type f | sort)
check "the .deb's units name /usr/sbin" \
    grep -qx "ExecStart=/usr/sbin/labnet-httpd -f -c /etc/labnet/httpd.conf" "$x$unitdir/labnet-httpd.service"
check "the .deb's programs are stripped" \
    bash -c "command -v file >/dev/null || exit 0; file -L '$x/usr/sbin/labnet-httpd' | grep -q ', stripped'"

# --- 4. Installing it into a throwaway root --------------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "skip (part 4): dpkg --root needs root; the .deb was checked with dpkg-deb only"
else
    r="$tmp/dpkgroot"
    mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
    touch "$r/var/lib/dpkg/status"
    # Maintainer scripts run outside the root with DPKG_ROOT set, and then
    # leave the running system alone.  Its dependencies live in the host.
    dpkgr() { dpkg --root="$r" --force-script-chrootless --force-depends "$@" >>"$tmp/dpkg.log" 2>&1; }
    check "dpkg --root -i installs it" dpkgr -i "$deb"
    check "installed: httpd.conf, the units, labnet-httpd" \
        test -f "$r/etc/labnet/httpd.conf" -a -f "$r$unitdir/labnet-httpd.socket" -a -x "$r/usr/sbin/labnet-httpd"
    echo "# edited by the administrator" >>"$r/etc/labnet/httpd.conf"
    echo "# edited too" >>"$r$unitdir/labnet-httpd.socket"
    check "reinstall" dpkgr -i "$deb"
    check "an edited configuration survives a reinstall (conffile)" \
        grep -q "edited by the administrator" "$r/etc/labnet/httpd.conf"
    check "control: an edited unit (no conffile) is replaced" \
        bash -c "! grep -q 'edited too' '$r$unitdir/labnet-httpd.socket'"
    check "remove" dpkgr -r labnet
    check "after remove: programs gone, the edited configuration kept" \
        test ! -e "$r/usr/sbin/labnet-httpd" -a -f "$r/etc/labnet/httpd.conf"
    check "purge" dpkgr -P labnet
    check "after purge: the configuration is gone" test ! -e "$r/etc/labnet/httpd.conf"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
