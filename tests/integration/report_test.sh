#!/usr/bin/env bash
# `mdgate report` and `mdgate baseline` end to end: the gateway runs against `mdgate sim` with a
# fault script of a known number of stalls; `mdgate report` watches it for ~40 s and its JSON
# must count exactly the injected stalls as handler timeouts; exit codes and the Markdown's
# sections are checked, then Ctrl-C (cut short), an unreachable target, bad arguments, and the
# baseline over the old service's journal.
# Usage: report_test.sh MDGATE SOURCE_DIR
set -u
mdgate=$1
src=$2
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() { # name, status of the check just evaluated
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
wait_for_file() { # path: up to 20 s
    for _ in $(seq 200); do
        [ -s "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
json_get() { # file, python expression over `r`
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

stalls=3
# The default timings' ratio (ping 20 s, pong deadline 10 s, receive timeout 30 s) scaled down:
# the pong deadline sees each stall (4 s, shorter than receive_timeout) first, and each is still
# one [HANDLER_TIMEOUT] (no network error) on the one connection (one symbol: every topic on one
# connection); the reconnect is not stalled.
cat >"$tmp/faults.jsonl" <<'EOF'
{"at":"10s","action":"stall","connection":"all","seconds":4}
{"at":"20s","action":"stall","connection":"all","seconds":4}
{"at":"30s","action":"stall","connection":"all","seconds":4}
EOF
cat >"$tmp/gateway.toml" <<'EOF'
[connections]
ping_interval = "1s"
pong_timeout = "1s"
receive_timeout = "6s"
backoff_base = "200ms"
EOF

"$mdgate" --log-level warn sim --listen 127.0.0.1:0 --port-file "$tmp/sim.port" \
    --symbols BTCUSDT --rate 200 --fault-script "$tmp/faults.jsonl" --duration 120s \
    >"$tmp/sim.log" 2>&1 &
pids+=($!)
wait_for_file "$tmp/sim.port" || { echo "FAIL: the simulator did not start"; exit 1; }
sim_port=$(cat "$tmp/sim.port")

"$mdgate" --log-level warn run --config "$tmp/gateway.toml" --symbols BTCUSDT \
    --ws-url "ws://127.0.0.1:$sim_port/v5/public/linear" --rest-url "http://127.0.0.1:$sim_port" \
    --listen 127.0.0.1:0 --port-file "$tmp/gw.port" >"$tmp/gw.log" 2>&1 &
gw_pid=$!
pids+=($gw_pid)
wait_for_file "$tmp/gw.port" || { echo "FAIL: the gateway did not start"; cat "$tmp/gw.log"; exit 1; }
gw="http://127.0.0.1:$(cat "$tmp/gw.port")"

# The baseline first (it is an input of the report).
"$mdgate" baseline --from-journal --out "$tmp/baseline.toml" --source "old_service.txt" \
    <"$src/tests/data/journal/old_service.txt" 2>"$tmp/baseline.err"
check "baseline exit 0 ($(cat "$tmp/baseline.err"))" $?
grep -Eq '^handler_timeouts = 23$' "$tmp/baseline.toml"
check "baseline counts 23 handler timeouts (46 lines)" $?
grep -Eq '^network_validation_failures = 7$' "$tmp/baseline.toml"
check "baseline counts 7 network validation failures" $?

# The monitored window: the sim's stalls fall at 10, 20 and 30 s of its clock, inside it.
"$mdgate" report --target "$gw" --duration 40s --interval 2s --checks 15s,30s,40s,60s \
    --baseline "$tmp/baseline.toml" --out "$tmp/report.md" --json "$tmp/report.json" \
    --svg-dir "$tmp/charts" 2>"$tmp/report.err"
rc=$?
[ "$rc" -eq 4 ]
check "report exit code 4 (handler timeout trigger fired), got $rc: $(tail -2 "$tmp/report.err")" $?
[ "$(json_get "$tmp/report.json" "r['events']['handler_timeouts']['count']")" = "$stalls" ]
check "handler timeouts = $stalls injected stalls (got $(json_get "$tmp/report.json" "r['events']['handler_timeouts']['count']"))" $?
[ "$(json_get "$tmp/report.json" "r['exit_code']")" = 4 ]
check "JSON exit_code 4" $?
[ "$(json_get "$tmp/report.json" "r['events']['network_errors']['count']")" = 0 ]
check "no network errors (every reconnect connected)" $?
[ "$(json_get "$tmp/report.json" "r['events']['reconnects']['count']")" = "$stalls" ]
check "one reconnect per stall" $?
[ "$(json_get "$tmp/report.json" "r['gateway']['restarts']")" = 0 ]
check "no restarts" $?
[ "$(json_get "$tmp/report.json" "r['window']['cut_short']")" = False ]
check "not cut short" $?
[ "$(json_get "$tmp/report.json" "r['measured']")" = True ]
check "measured" $?
[ "$(json_get "$tmp/report.json" "[c['reached'] for c in r['checks']]")" = "[True, True, True, False]" ]
check "checks 15s, 30s, 40s reached; 60s not reached" $?
[ "$(json_get "$tmp/report.json" "[t['key'] for t in r['triggers'] if t['fired']]")" = "['handler_timeouts_rate']" ]
check "only the handler timeout trigger fired" $?
[ "$(json_get "$tmp/report.json" "r['events']['handler_timeouts']['baseline_count']")" = 23 ]
check "baseline count carried into the report" $?
json_get "$tmp/report.json" "r['throughput']['total_messages'] > 0 and r['memory']['rss_peak_bytes'] > 0" | grep -q True
check "throughput and memory measured" $?
for section in "# mdgate deploy validation report" "## Verdict" "## Executive summary" \
    "| Metric | Baseline | Target | Actual | Verdict |" "| Handler timeouts/hour |" \
    "| Network errors/hour |" "| Callback timeouts/hour |" "| Throughput, messages/min" \
    "| Memory (RSS) |" "| Restarts |" "| Book resyncs / gaps |" "| Queue drops (data lost) |" \
    "| ERROR log lines |" "## Checks" "### Check at 15 s" "### Check at 1 min: not reached" \
    "## Throughput per minute" "## Memory" "## Success criteria" "## Rollback triggers" \
    "## Measurement notes" "ROLL BACK" "(exit code 4)" "](charts/throughput.svg)" \
    "](charts/memory.svg)"; do
    grep -qF -- "$section" "$tmp/report.md"
    check "Markdown has '$section'" $?
done
python3 - "$tmp/charts/throughput.svg" "$tmp/charts/memory.svg" <<'EOF'
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    assert ET.parse(f).getroot().tag == "{http://www.w3.org/2000/svg}svg", f
EOF
check "charts are well-formed SVG" $?

# Ctrl-C ends the window early; the report says so.
"$mdgate" report --target "$gw" --duration 1h --interval 1s --out "$tmp/short.md" \
    --json "$tmp/short.json" 2>"$tmp/short.err" &
report_pid=$!
pids+=($report_pid)
for _ in $(seq 100); do
    grep -q "failed scrapes" "$tmp/short.err" 2>/dev/null && break
    sleep 0.1
done
sleep 2
kill -INT "$report_pid"
wait "$report_pid"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]
check "SIGINT: report written with a criteria exit code, 0 or 1 (got $rc: $(tail -1 "$tmp/short.err"))" $?
[ "$(json_get "$tmp/short.json" "r['window']['cut_short']")" = True ]
check "SIGINT: cut_short" $?
[ "$(json_get "$tmp/short.json" "r['window']['planned_seconds']")" = 3600 ]
check "SIGINT: planned 1 h" $?
json_get "$tmp/short.json" "r['window']['seconds'] < 600" | grep -q True
check "SIGINT: real length reported" $?
[ "$(json_get "$tmp/short.json" "[c['reached'] for c in r['checks']]")" = "[False, False, False, False]" ]
check "SIGINT: default checks (30m, 40m, 50m, 60m) not reached" $?
grep -q "cut short" "$tmp/short.md"
check "SIGINT: Markdown says cut short" $?

# The gateway stops: a report of a dead target cannot measure.
kill -TERM "$gw_pid"
wait "$gw_pid"
"$mdgate" report --target "$gw" --duration 2s --interval 1s --out "$tmp/dead.md" \
    --json "$tmp/dead.json" 2>"$tmp/dead.err"
rc=$?
[ "$rc" -eq 3 ]
check "unreachable target: exit 3 (got $rc)" $?
grep -q "COULD NOT MEASURE" "$tmp/dead.md"
check "unreachable target: Markdown says so" $?

# Bad arguments and bad input: one line, exit 2, nothing watched.
"$mdgate" report --target "https://x" --out "$tmp/x.md" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "https is not supported" "$tmp/err"
check "https target: exit 2, one line saying so (got $rc: $(cat "$tmp/err"))" $?
"$mdgate" report --target "$gw" --duration soon --out "$tmp/x.md" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "bad duration: exit 2, one line" $?
"$mdgate" report --target "$gw" --out "$tmp/no/such/dir/x.md" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "does not exist" "$tmp/err"
check "unwritable output: exit 2 before watching" $?
echo 'handler_timeouts = "many"' >"$tmp/bad.toml"
"$mdgate" report --target "$gw" --baseline "$tmp/bad.toml" --out "$tmp/x.md" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "bad baseline: exit 2, one line" $?
"$mdgate" baseline --from-journal </dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "baseline of empty input: exit 2, one line" $?
head -c 3000 /dev/urandom | tr -d '\n' >"$tmp/junk"
"$mdgate" baseline --from-journal <"$tmp/junk" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]
check "baseline of binary junk: exit 2, one line" $?
"$mdgate" baseline 2>"$tmp/err" </dev/null
rc=$?
[ "$rc" -eq 2 ]
check "baseline without --from-journal: exit 2" $?

echo "report_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
