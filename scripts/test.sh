#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, checks
# formatting, builds the normal (Release) and the ASan+UBSan configurations
# and the libFuzzer targets, runs clang-tidy and cppcheck, runs every test
# in each configuration, and fuzzes every parser for a short time.
#
#   scripts/test.sh            everything
#   LABNET_JOBS=N              parallel build/test jobs (default: all cores)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/deps.sh test
jobs=${LABNET_JOBS:-$(nproc)}
summary=()
total_pass=0
total_fail=0
total_skip=0

# run_ctest NAME DIR [CTEST ARGS...]: runs ctest in DIR, keeps its summary
# for the end.
run_ctest() {
    local name=$1 dir=$2 log rc=0
    shift 2
    log="$dir/ctest.log"
    (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 300 "$@") 2>&1 | tee "$log" || rc=$?
    local line ran failed skipped
    line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
    if [ -z "$line" ]; then
        summary+=("$name: ctest printed no summary")
        total_fail=$((total_fail + 1))
        return
    fi
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    ran=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    skipped=$(grep -cE '\(Skipped\)$' "$log" || true)
    summary+=("$name: $line${skipped:+ ($skipped skipped)}")
    total_pass=$((total_pass + ran - failed - skipped))
    total_fail=$((total_fail + failed))
    total_skip=$((total_skip + skipped))
    [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || total_fail=$((total_fail + 1))
}

echo "== format"
scripts/check-format.sh

echo "== build: release"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build build/release -j"$jobs"
echo "== static analysis"
scripts/lint.sh build/release
echo "== test: release"
run_ctest release build/release

echo "== build: asan+ubsan"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DLABNET_SANITIZE=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build/asan -j"$jobs"
echo "== test: asan+ubsan"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    run_ctest asan build/asan

# Valgrind sees what the sanitizers can't (reads of uninitialised memory)
# and checks leaks a second way; integration tests are left to LSan.
echo "== leak check: Valgrind memcheck (unit suites, corpus replays)"
if scripts/leakcheck.sh build/leakcheck; then
    summary+=("leakcheck: zero leaks and zero errors under Valgrind")
else
    summary+=("leakcheck: FAILED (see build/leakcheck/leakcheck/)")
    total_fail=$((total_fail + 1))
fi

echo "== build: libFuzzer targets (clang)"
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DLABNET_FUZZ=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build/fuzz -j"$jobs"
# Only the corpus replays here: the unit and integration tests already ran
# under the same sanitizers in the asan build.
echo "== test: fuzz replay under libFuzzer instrumentation"
run_ctest fuzz build/fuzz -R '^fuzz\.'

# Every parser is fuzzed briefly on each run; a finding fails the run and
# leaves its input in tests/fuzz/corpus/ for the replay tests.
echo "== fuzz: ${LABNET_FUZZ_SECONDS:-10} s per target"
if scripts/fuzz "${LABNET_FUZZ_SECONDS:-10}"; then
    summary+=("fuzzing: every target, no findings")
else
    summary+=("fuzzing: FINDINGS (see above)")
    total_fail=$((total_fail + 1))
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "total: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
