#!/usr/bin/env bash
# Install what labnet needs to build, test and run, from Debian 12 packages.
# Idempotent: packages already present are not touched, and apt-get runs only
# when something is missing.  Usage: scripts/deps.sh [build|test|all]
set -euo pipefail

# Libraries and tools needed to build and run the suite.
build_pkgs=(
    build-essential cmake pkg-config
    libuv1-dev libc-ares-dev libinih-dev libsystemd-dev libsqlite3-dev libssl-dev
    iproute2 media-types
)
# What the test command adds: the unit-test framework, sanitizer and fuzzer
# runtimes, formatting, and the real clients the integration tests drive.
test_pkgs=(
    check clang libclang-rt-14-dev clang-format clang-tidy cppcheck node-llhttp
    procps psmisc
    bind9-dnsutils curl udhcpc
    nsd isc-dhcp-client dhcpcd5 isc-dhcp-relay mandoc
    systemd dpkg-dev file valgrind
)

what=${1:-all}
case "$what" in
build) want=("${build_pkgs[@]}") ;;
test | all) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*)
    echo "usage: $0 [build|test|all]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#want[@]} packages present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    }
    sudo=(sudo)
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
