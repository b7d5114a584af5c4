#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz one after another (one fuzzer process at a time),
# each for SECONDS with its dictionary, on a corpus kept in build/fuzz/corpus/<name> (seeded
# from tests/data/fuzz/<name>/{seeds,regressions}; what a run finds stays for the next run).
# Prints per target: executions, exec/s, coverage (cov, ft), corpus size and crashes. A crash
# stops its target (the input is kept in build/fuzz/crashes/<name>/<time>/) and makes the script fail
# after the other targets ran. Builds nothing: run `make fuzz` first (`make fuzz-run` does both).
#
# With -c, SECONDS is CPU time instead of wall time: the fuzzer runs until it has used that much
# CPU (polled every 2 s, then interrupted as libFuzzer expects: SIGINT, final statistics), so a
# campaign run at low priority beside other work still gets its full share. Prints the CPU
# seconds each target used.
#
# With -t, each input may take up to that many seconds of wall time before libFuzzer calls it a
# timeout (default 10). A campaign at the lowest priority beside builds is starved for seconds at
# a time, and inputs that take 0.3 s of CPU then pass 10 s of wall time: give it -t 120.
#
#   scripts/fuzz_campaign.sh [-s SECONDS] [-c] [-t SECONDS] [TARGET...]   (default: 60 s wall,
#                                                                          every target)
#   scripts/fuzz_campaign.sh -s 3600 -c -t 120        the 1-hour-CPU-per-target campaign
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
cpu_budget=0
input_timeout=10
while [ $# -gt 0 ]; do
    case "$1" in
    -s) seconds=$2; shift 2 ;;
    -c) cpu_budget=1; shift ;;
    -t) input_timeout=$2; shift 2 ;;
    *) break ;;
    esac
done

tick=$(getconf CLK_TCK)
# CPU seconds used by process $1 (user + system), 0 once it is gone.
cpu_seconds() {
    local stat
    stat=$(cat /proc/"$1"/stat 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) } # the fields after the command name
    read -r -a f <<<"$stat"
    echo $(((f[11] + f[12]) / tick))
}
all_targets=(bybit ws_frame http config address prom_text journal capture rest)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

bin=build/fuzz/tests/fuzz
printf '%-10s %12s %8s %6s %7s %6s %8s %8s\n' target executions exec/s cov ft corpus crashes cpu_s
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
    wall=$seconds
    [ "$cpu_budget" -eq 0 ] || wall=0 # no wall-clock limit: stopped below on CPU time
    "$fuzzer" -dict=tests/fuzz/"$t".dict -max_total_time="$wall" -timeout="$input_timeout" \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes"/ "$corpus" >"$log" 2>&1 &
    pid=$!
    used=0
    while kill -0 "$pid" 2>/dev/null; do
        used=$(cpu_seconds "$pid")
        if [ "$cpu_budget" -ne 0 ] && [ "$used" -ge "$seconds" ]; then
            kill -INT "$pid" 2>/dev/null || true
        fi
        sleep 2 &
        wait $! || true
    done
    wait "$pid" || rc=$?
    # Interrupted on its CPU budget: libFuzzer's exit code for an interrupted run.
    [ "$cpu_budget" -eq 0 ] || [ "$rc" -ne 72 ] || rc=0
    # A fuzzer that stopped early (a bad dictionary, a crash at start) prints no statistics.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$({ grep -o 'cov: [0-9]*' "$log" || true; } | tail -1 | cut -d' ' -f2)
    ft=$({ grep -o 'ft: [0-9]*' "$log" || true; } | tail -1 | cut -d' ' -f2)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-10s %12s %8s %6s %7s %6s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "$(find "$corpus" -type f | wc -l)" "$found" "$used"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        echo "fuzz_campaign: $t failed (exit $rc); log $log, inputs in $crashes" >&2
        grep -m 3 -E 'ERROR|SUMMARY|fuzz invariant|ParseDictionaryFile' "$log" >&2 || true
        failed=1
    fi
done
exit $failed
