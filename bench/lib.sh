# Shared by bench/*/run.sh; source it after defining log and die.
# shellcheck shell=bash

# bench_install PKG...: installs the Debian packages with apt-get.  While
# it runs, a policy-rc.d that answers 101 keeps the packages' own services
# (the system nginx, Kea...) from starting: the benchmarks run their own
# instances and leave the system ones be.  A policy-rc.d that was already
# there is left as it is.
bench_install() {
    (($#)) || return 0
    log "installing $*"
    apt-get update -qq
    local rc_made=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        rc_made=1
    fi
    local ok=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || ok=0
    if ((rc_made)); then rm -f /usr/sbin/policy-rc.d; fi
    ((ok)) || die "apt-get install $* failed"
}
