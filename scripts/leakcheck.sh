#!/usr/bin/env bash
# Valgrind memcheck over the unit suites and the fuzz-corpus replays: zero
# leaks and zero errors, or this fails.  It complements the ASan+UBSan run
# of scripts/test.sh, where LeakSanitizer checks every test process and
# every daemon that exits through its SIGTERM path (docs/SECURITY.md,
# "Memory errors and leaks"): memcheck also sees reads of uninitialised
# memory, which ASan does not, and runs the code without instrumentation.
#
#   scripts/leakcheck.sh [BUILD_DIR [CTEST_SELECTION...]]   default build/leakcheck
#   e.g. scripts/leakcheck.sh build/leakcheck -R '^unit\.dns'
#
# BUILD_DIR must be a build without sanitizers (Valgrind and ASan do not
# mix); it is configured (Debug, for readable stacks) when it does not
# exist.  The tests are those ctest lists, each run under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible
#            --error-exitcode=99 --track-origins=yes
# directly rather than through "ctest -T memcheck": under Valgrind some
# suites need far longer than the 120 s TIMEOUT property ctest would
# enforce (and ctest's --timeout does not override a property), and
# ctest's memcheck summary does not change its exit status.  Check runs each
# test in a forked child, which Valgrind follows; CK_TIMEOUT_MULTIPLIER
# stretches Check's own per-test timeouts.
#
# Left out, each for a reason:
#   integration.*   shell scripts: Valgrind would run bash, not the daemons;
#                   LeakSanitizer covers the daemons (ASan run).
#   unit.httpd_*    Valgrind 3.19 (Debian 12) does not know openat2(2)
#                   (syscall 437): it returns ENOSYS and httpd, which has no
#                   unconfined fallback on purpose, answers 500.  Covered by
#                   the ASan run.
# Suppressions: scripts/valgrind.supp (each entry says why; none may cover
# labnet's own code).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build/leakcheck}
[ $# -gt 0 ] && shift
jobs=${LABNET_JOBS:-$(nproc)}
exclude='^(integration\..*|unit\.httpd_.*)$'
per_test_timeout=${LABNET_LEAKCHECK_TIMEOUT:-1800}

command -v valgrind >/dev/null || {
    echo "leakcheck: valgrind is not installed (scripts/deps.sh test)" >&2
    exit 2
}
if [ -f "$build/CMakeCache.txt" ] &&
    grep -qE '^LABNET_(SANITIZE|FUZZ):BOOL=ON' "$build/CMakeCache.txt"; then
    echo "leakcheck: $build is a sanitizer or fuzz build; Valgrind needs a plain one" >&2
    exit 2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON >/dev/null
fi
cmake --build "$build" -j"$jobs" >/dev/null

out="$(cd "$build" && pwd)/leakcheck"
rm -rf "$out"
mkdir -p "$out"
# The tests to run: "NAME<TAB>DIR<TAB>COMMAND" from ctest's verbose listing.
(cd "$build" && ctest -N -V "$@") | awk -v ex="$exclude" '
    /^[0-9]+: Test command: / { sub(/^[0-9]+: Test command: /, ""); cmd = $0; next }
    /^[0-9]+: Working Directory: / { sub(/^[0-9]+: Working Directory: /, ""); dir = $0; next }
    /^ *Test +#[0-9]+: / { name = $3; if (name !~ ex) printf "%s\t%s\t%s\n", name, dir, cmd }
' >"$out/tests.tsv"
total=$(wc -l <"$out/tests.tsv")
[ "$total" -gt 0 ] || { echo "leakcheck: no tests selected" >&2; exit 2; }

supp="$top/scripts/valgrind.supp"
# shellcheck disable=SC2054 # the commas are inside single options
vg=(valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
    --track-origins=yes --num-callers=30 --suppressions="$supp")
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-50}

# run_one NAME DIR COMMAND: the test under Valgrind; its exit status in
# $out/NAME.rc, its output in $out/NAME.out, Valgrind's per process.
run_one() {
    local name=$1 dir=$2 cmd=$3 argv rc=0
    eval "argv=($cmd)" # ctest prints arguments double-quoted
    (cd "$dir" && timeout "$per_test_timeout" "${vg[@]}" --log-file="$out/$name.vg.%p" \
        "${argv[@]}") >"$out/$name.out" 2>&1 || rc=$?
    echo "$rc" >"$out/$name.rc"
}

start=$(date +%s)
running=0
while IFS=$'\t' read -r name dir cmd; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$name" "$dir" "$cmd" &
    running=$((running + 1))
done <"$out/tests.tsv"
wait || true

failed=0
while IFS=$'\t' read -r name _ _; do
    rc=$(cat "$out/$name.rc")
    defects=$(cat "$out/$name".vg.* 2>/dev/null |
        grep -cE 'ERROR SUMMARY: [1-9]|(definitely|indirectly|possibly) lost: [1-9]' || true)
    if [ "$rc" -eq 0 ] && [ "$defects" -eq 0 ]; then
        printf '%-28s ok\n' "$name"
        continue
    fi
    failed=$((failed + 1))
    case "$rc" in
    99) why="memory errors or leaks" ;;
    124) why="timed out after ${per_test_timeout} s" ;;
    *) why="exit $rc" ;;
    esac
    printf '%-28s FAILED (%s; %s defect lines)\n' "$name" "$why" "$defects"
    tail -n 15 "$out/$name.out" | sed 's/^/    /'
    grep -h -A14 -E '(definitely|indirectly|possibly) lost in|Invalid (read|write)|uninitialised|Mismatched free' \
        "$out/$name".vg.* 2>/dev/null | head -n 60 | sed 's/^/    /' || true
done <"$out/tests.tsv"

secs=$(($(date +%s) - start))
if [ "$failed" -ne 0 ]; then
    echo "leakcheck: $failed of $total tests FAILED under Valgrind memcheck (${secs} s); logs in $out/"
    exit 1
fi
echo "leakcheck: $total tests, zero leaks and zero errors under Valgrind memcheck (${secs} s)"
