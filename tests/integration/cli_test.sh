#!/usr/bin/env bash
# Smoke tests of the mdgate binary: help, version, exit codes, replay output, and the global
# options (--log-*, --config) before and after the subcommand.
# Usage: cli_test.sh MDGATE DATA_DIR
set -u
mdgate=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # name, condition (already evaluated as exit status of the previous command)
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
expect_rc() { # name, expected rc, command...
    local name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ]
    check "$name (rc=$rc, want $want; stderr: $(head -c 300 "$tmp/err"))" $?
}

expect_rc "help" 0 "$mdgate" --help
grep -q "replay" "$tmp/out"; check "help lists replay" $?
expect_rc "version" 0 "$mdgate" --version
grep -Eq '^mdgate [0-9]+\.[0-9]+\.[0-9]+' "$tmp/out"; check "version text" $?
expect_rc "replay help" 0 "$mdgate" replay --help
expect_rc "no subcommand" 2 "$mdgate"
expect_rc "unknown option" 2 "$mdgate" replay --nope x
expect_rc "bad category" 2 "$mdgate" replay "$data/spot_capture_sample.frames.jsonl" --category futures
[ "$(wc -l <"$tmp/err")" -eq 1 ]; check "bad category is one line" $?
expect_rc "missing file" 2 "$mdgate" replay "$tmp/does-not-exist.jsonl"
grep -q "cannot open capture" "$tmp/err"; check "missing file message" $?
[ "$(wc -l <"$tmp/err")" -eq 1 ]; check "missing file is one line" $?
expect_rc "directory" 2 "$mdgate" replay "$tmp"
chmod 000 "$tmp" 2>/dev/null
if [ "$(id -u)" -ne 0 ]; then
    expect_rc "unreadable" 2 "$mdgate" replay "$tmp/x"
fi
chmod 700 "$tmp"

expect_rc "replay linear" 0 "$mdgate" replay "$data/cryptofeed_linear_2026-08-09.frames.jsonl"
grep -q "books: 4 (live 4" "$tmp/out"; check "linear summary: 4 live books" $?
grep -q "decode errors: 0" "$tmp/out"; check "linear summary: no decode errors" $?

expect_rc "replay spot json" 0 "$mdgate" replay "$data/spot_capture_sample.frames.jsonl" --category spot --dump-books json
grep -q '"orderbook.50.BTCUSDT":{"state":"live","u":1300,"bids":\[\["65140","4.532"\]' "$tmp/out"
check "spot dump: best bid and u" $?

# Bad input is counted and the replay goes on.
{
    echo 'not json at all'
    echo '{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[],"a":[],"u":7}}'
    sed -n 2p "$data/spot_capture_sample.frames.jsonl" | cut -c1-200
    cat "$data/spot_capture_sample.frames.jsonl"
} >"$tmp/bad.jsonl"
expect_rc "replay with bad frames" 0 "$mdgate" replay "$tmp/bad.jsonl" --category spot
grep -q "books: 1 (live 1" "$tmp/out"; check "bad input: book still live" $?
grep -q "decode errors: 2 malformed_json=1 truncated=1" "$tmp/out"; check "bad input: errors by kind" $?
grep -q "ignored 1" "$tmp/out"; check "bad input: delta before snapshot ignored" $?

# Global options: before or after the subcommand, the same values as the file's [log].
printf '[venue]\nsymbols = ["BTCUSDT", "ETHUSDT"]\n\n[log]\nlevel = "error"\n' >"$tmp/mdgate.toml"
# The packaged unit's form (packaging/mdgate.service), with --check-config.
expect_rc "run --config F --log-target journald --check-config" 0 \
    "$mdgate" run --config "$tmp/mdgate.toml" --log-target journald --check-config
grep -q "configuration OK: 2 symbols, 10 topics" "$tmp/err"; check "check-config says OK" $?
[ ! -s "$tmp/out" ]; check "check-config prints nothing on stdout" $?
expect_rc "options before run" 0 \
    "$mdgate" --log-target journald --log-level critical --config "$tmp/mdgate.toml" run --check-config
expect_rc "critical after run" 0 "$mdgate" run --config "$tmp/mdgate.toml" --log-level critical --check-config
expect_rc "warning after run" 0 "$mdgate" run --check-config --log-level warning --log-format json
# The command line overrides the file.
expect_rc "print with override" 0 \
    "$mdgate" run --config "$tmp/mdgate.toml" --check-config --print --log-level critical --log-target journald
grep -q '^level = "critical"' "$tmp/out"; check "--log-level overrides the file's" $?
grep -q '^target = "journald"' "$tmp/out"; check "--log-target overrides the file's" $?
expect_rc "print without override" 0 "$mdgate" run --config "$tmp/mdgate.toml" --check-config --print
grep -q '^level = "error"' "$tmp/out"; check "the file's level without an override" $?
for where in before after; do
    for bad in "--log-level verbose" "--log-level CRITICAL" "--log-format yaml" "--log-target syslog"; do
        # shellcheck disable=SC2086 # split the option from its value
        if [ $where = before ]; then set -- $bad run --check-config; else set -- run --check-config $bad; fi
        expect_rc "$bad $where run" 2 "$mdgate" "$@"
        [ "$(wc -l <"$tmp/err")" -eq 1 ]; check "$bad $where run: one line" $?
        grep -q "^mdgate: ${bad%% *}: must be one of" "$tmp/err"; check "$bad $where run: names the option" $?
    done
done
expect_rc "--config before sim" 2 "$mdgate" --config "$tmp/mdgate.toml" sim
grep -q "reads no configuration file" "$tmp/err"; check "--config before sim: message" $?
# Every subcommand takes them after its name: each reaches its own argument check (or runs).
expect_rc "sim + log options" 2 "$mdgate" sim --listen nowhere --log-level critical --log-target stderr
grep -q "listen must be ADDRESS:PORT" "$tmp/err"; check "sim parsed the log options" $?
expect_rc "demo + log options" 2 "$mdgate" demo --duration 1s --log-level critical --log-format json
grep -q "duration must be at least" "$tmp/err"; check "demo parsed the log options" $?
expect_rc "replay + log options" 0 "$mdgate" replay "$data/spot_capture_sample.frames.jsonl" --category spot --log-level critical
expect_rc "report + log options" 2 "$mdgate" report --interval 0s --log-level critical
grep -q "interval '0s' must be" "$tmp/err"; check "report parsed the log options" $?
expect_rc "baseline + log options" 2 "$mdgate" baseline --from-journal --log-level critical --log-format json </dev/null
grep -q "no input on stdin" "$tmp/err"; check "baseline parsed the log options" $?
expect_rc "bench + log options" 2 "$mdgate" bench --duration 1ms --log-level critical --log-target stderr
grep -q "duration must be at least 100ms" "$tmp/err"; check "bench parsed the log options" $?
for sub in run sim demo replay report baseline bench; do
    expect_rc "$sub --help" 0 "$mdgate" $sub --help
    grep -q -- "--log-level LEVEL" "$tmp/out" && grep -q -- "--log-format FORMAT" "$tmp/out" &&
        grep -q -- "--log-target TARGET" "$tmp/out" &&
        grep -q "trace, debug, info, warn, warning, error, critical, off" "$tmp/out"
    check "$sub --help lists the log options" $?
done
grep -q -- "--config FILE" "$tmp/out"; [ $? -ne 0 ]; check "bench --help has no --config" $?
expect_rc "run --help" 0 "$mdgate" run --help
grep -q -- "--config FILE" "$tmp/out"; check "run --help lists --config" $?

expect_rc "demo" 0 "$mdgate" demo --duration 6s --symbols BTCUSDT,ETHUSDT
grep -q "books equal to the simulator's truth: 2/2" "$tmp/out"; check "demo books equal the truth" $?
grep -q "faults injected" "$tmp/out"; check "demo summary" $?
expect_rc "demo bad duration" 2 "$mdgate" demo --duration 1s
expect_rc "sim bad listen" 2 "$mdgate" sim --listen nowhere
expect_rc "sim bad symbols" 2 "$mdgate" sim --symbols btc-usdt
expect_rc "sim bad rate" 2 "$mdgate" sim --rate fast
expect_rc "sim missing script" 2 "$mdgate" sim --fault-script "$tmp/none.jsonl"
echo '{"at":"1s","action":"explode"}' >"$tmp/bad_script.jsonl"
expect_rc "sim bad script" 2 "$mdgate" sim --fault-script "$tmp/bad_script.jsonl"
grep -q "line 1" "$tmp/err"; check "sim bad script names the line" $?
expect_rc "sim bad address" 2 "$mdgate" sim --listen 999.0.0.1:9000

# A port held by another process is the machine now, not a bad setting: exit 1, which the
# unit restarts (it does not restart on 2, RestartPreventExitStatus=2).
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/held.port" &
holder=$!
for _ in $(seq 1 100); do [ -s "$tmp/held.port" ] && break; sleep 0.05; done
expect_rc "run with its port in use" 1 "$mdgate" run --symbols BTCUSDT --ws-url ws://127.0.0.1:9/v5/public/linear \
    --listen "127.0.0.1:$(cat "$tmp/held.port")"
grep -q "http listen" "$tmp/err"; check "port in use: message" $?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
