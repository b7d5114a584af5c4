#!/usr/bin/env bash
# `mdgate demo`: the fault count it announces, the one its status lines and summary give, and
# the one in its report agree (4 with faults, 0 with --no-faults: pausing the market to compare
# books is not a fault); the report does not claim an exit code the demo does not have.
# Usage: demo_test.sh MDGATE
set -u
mdgate=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # name, exit status of the condition
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
run_demo() { # name, arguments...
    local name=$1
    shift
    "$mdgate" demo --duration 6s --symbols BTCUSDT,ETHUSDT "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 0 ]
    check "$name exits 0 (rc=$rc; $(grep -E 'books equal|mdgate:' "$tmp/out" "$tmp/err" | head -3))" $?
}
# The "faults N" column of the last status line.
last_status_faults() { grep -E '^ *[0-9]+s ' "$tmp/out" | tail -1 | sed -E 's/.* faults ([0-9]+) .*/\1/'; }

run_demo "demo with faults" --report "$tmp/faults.md"
grep -q "4 faults: drop (reset) at 1.2 s, gap on orderbook.50.BTCUSDT at 2.4 s" "$tmp/out"
check "faults: the plan is announced with its count" $?
grep -q ", 4 faults injected," "$tmp/out"; check "faults: the summary counts 4 ($(grep summary "$tmp/out"))" $?
[ "$(last_status_faults)" = 4 ]; check "faults: the last status line counts 4 (got $(last_status_faults))" $?
grep -q "books equal to the simulator's truth: 2/2" "$tmp/out"; check "faults: books equal the truth" $?
grep -q "| Source | in-process scrape every 1 s (mdgate demo; 4 faults injected by the simulator: drop" \
    "$tmp/faults.md"
check "faults: the report counts 4 ($(grep '| Source' "$tmp/faults.md"))" $?
! grep -q "(exit code [0-9])" "$tmp/faults.md"; check "faults: the report claims no exit code of its own" $?
grep -q "\`mdgate report\` exits with code [0-4] on this verdict; this report was written by \`mdgate demo\`" \
    "$tmp/faults.md"
check "faults: the report says whose exit code it is" $?

run_demo "demo without faults" --no-faults --report "$tmp/none.md"
grep -q "no faults (one line per second)" "$tmp/out"; check "no faults: announced" $?
grep -q ", 0 faults injected," "$tmp/out"; check "no faults: the summary counts 0 ($(grep summary "$tmp/out"))" $?
[ "$(last_status_faults)" = 0 ]; check "no faults: the last status line counts 0 (got $(last_status_faults))" $?
grep -q "books equal to the simulator's truth: 2/2" "$tmp/out"; check "no faults: books equal the truth" $?
grep -q "(mdgate demo; no faults injected)" "$tmp/none.md"; check "no faults: the report says so" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
