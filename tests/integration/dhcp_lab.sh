# Shared by the DHCP integration tests (test_dhcpd*.sh, test_dhcp_matrix.sh,
# test_dhcp_relay.sh); source it after netns.sh.  It defines the pass/fail
# counters with ok, bad and check, and dhcp_lab_find_udhcpc.
# shellcheck shell=bash

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

# Sets udhcpc to busybox's udhcpc (a program of its own or a busybox
# applet), or skips the test (exit 77) when there is none.
dhcp_lab_find_udhcpc() {
    udhcpc=$(command -v udhcpc || true)
    [ -n "$udhcpc" ] || { command -v busybox >/dev/null && udhcpc="busybox udhcpc"; }
    [ -n "$udhcpc" ] || { echo "SKIP: udhcpc (busybox) is not installed; run scripts/deps.sh"; exit 77; }
}
