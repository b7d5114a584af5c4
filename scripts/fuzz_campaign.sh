#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz one after another (one fuzzer process at a time),
# each for SECONDS with its dictionary, on a corpus kept in build/fuzz/corpus/<name> (seeded
# from tests/data/fuzz/<name>/{seeds,regressions}; what a run finds stays for the next run).
# Prints per target: executions, exec/s, coverage (cov, ft), corpus size and crashes. A crash
# stops its target (the input is kept in build/fuzz/crashes/<name>/<time>/) and makes the script fail
# after the other targets ran. Builds nothing: run `make fuzz` first (`make fuzz-run` does both).
#
#   scripts/fuzz_campaign.sh [-s SECONDS] [TARGET...]     (default: 60 s, every target)
#   scripts/fuzz_campaign.sh -s 3600                      the 1-hour-per-target campaign
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
if [ "${1:-}" = "-s" ]; then
    seconds=$2
    shift 2
fi
all_targets=(bybit ws_frame http config address prom_text journal capture)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

bin=build/fuzz/tests/fuzz
printf '%-10s %12s %8s %6s %7s %6s %8s\n' target executions exec/s cov ft corpus crashes
failed=0
for t in "${targets[@]}"; do
    fuzzer=$bin/fuzz_$t
    if [ ! -x "$fuzzer" ]; then
        echo "fuzz_campaign: $fuzzer is missing: run make fuzz" >&2
        exit 2
    fi
    corpus=build/fuzz/corpus/$t
    crashes=build/fuzz/crashes/$t/$(date -u +%Y%m%dT%H%M%SZ)
    log=build/fuzz/logs/$t.log
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    # Seeds and regressions join the corpus (dot files such as .gitkeep stay out).
    find tests/data/fuzz/"$t"/seeds tests/data/fuzz/"$t"/regressions -type f ! -name '.*' \
        -exec cp -n -t "$corpus" {} + 2>/dev/null || true
    rc=0
    "$fuzzer" -dict=tests/fuzz/"$t".dict -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes"/ \
        "$corpus" >"$log" 2>&1 || rc=$?
    # A fuzzer that stopped early (a bad dictionary, a crash at start) prints no statistics.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$({ grep -o 'cov: [0-9]*' "$log" || true; } | tail -1 | cut -d' ' -f2)
    ft=$({ grep -o 'ft: [0-9]*' "$log" || true; } | tail -1 | cut -d' ' -f2)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-10s %12s %8s %6s %7s %6s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "$(find "$corpus" -type f | wc -l)" "$found"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        echo "fuzz_campaign: $t failed (exit $rc); log $log, inputs in $crashes" >&2
        grep -m 3 -E 'ERROR|SUMMARY|fuzz invariant|ParseDictionaryFile' "$log" >&2 || true
        failed=1
    fi
done
exit $failed
