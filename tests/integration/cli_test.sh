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
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    # The status first: a command substitution in check's arguments would replace $?.
    [ "$rc" -eq "$want" ]
    local ok=$?
    check "$name (rc=$rc, want $want; stderr: $(head -c 300 "$tmp/err"))" $ok
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

# A recording (docs/recording.md): zstd found by its magic bytes whatever the name, the header's
# category used (no --category given), the same books as the plain capture.
python3 - "$data/spot_capture_sample.frames.jsonl" >"$tmp/rec.jsonl" <<'PY'
import json, sys
print(json.dumps({"mdgate_recording": 1, "t": 1, "file_seq": 0, "venue": "bybit",
                  "category": "spot", "version": "test",
                  "connections": [{"c": 0, "id": "conn_0", "url": "ws://x", "topics": []}],
                  "instruments": []}))
for i, line in enumerate(open(sys.argv[1])):
    if line.strip():
        print(json.dumps({"t": i, "c": 0, "d": "in", "f": line.rstrip("\r\n")}))
PY
zstd -q -c "$tmp/rec.jsonl" >"$tmp/rec.bin"
expect_rc "replay a zstd recording" 0 "$mdgate" replay "$tmp/rec.bin" --dump-books json
mv "$tmp/out" "$tmp/rec.out"
expect_rc "replay the plain capture" 0 "$mdgate" replay "$data/spot_capture_sample.frames.jsonl" --category spot --dump-books json
cmp -s "$tmp/out" "$tmp/rec.out"; check "recording replays to the capture's books" $?
head -c 1000 "$tmp/rec.bin" >"$tmp/cut.jsonl.zst"
expect_rc "replay a recording cut short" 0 "$mdgate" replay "$tmp/cut.jsonl.zst"
grep -q "cut short" "$tmp/err"; check "cut-short recording: warning" $?

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

# The reader splits lines across its 64 KiB chunks (the linear capture is 800 KB) and reads a
# last line without '\n' and CRLF line ends: the same books as the file as recorded.
"$mdgate" replay "$data/spot_capture_sample.frames.jsonl" --category spot --dump-books json >"$tmp/want.json"
head -c -1 "$data/spot_capture_sample.frames.jsonl" | sed 's/$/\r/' >"$tmp/crlf.jsonl"
expect_rc "replay CRLF without a final newline" 0 "$mdgate" replay "$tmp/crlf.jsonl" --category spot --dump-books json
cmp -s "$tmp/out" "$tmp/want.json"; check "CRLF without a final newline: the same books" $?

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
grep -q "'nowhere' is not a listen address" "$tmp/err"; check "sim parsed the log options" $?
expect_rc "demo + log options" 2 "$mdgate" demo --duration 1s --log-level critical --log-format json
grep -q "duration: '1s' is out of range \[5s, 1000h\]" "$tmp/err"; check "demo parsed the log options" $?
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

# Every input validated where it enters (issue #14): a bad value is one line and exit 2, before
# any work. `timeout` bounds what used to spin or hang (sim --rate nan ignored every signal).
expect_bad() { # name, grep pattern of the one line, command...
    local name=$1 pattern=$2
    shift 2
    expect_rc "$name" 2 timeout -s KILL 20 "$@"
    [ "$(wc -l <"$tmp/err")" -eq 1 ]; check "$name: one line" $?
    grep -q -- "$pattern" "$tmp/err"
    local ok=$?
    check "$name: says '$pattern' ($(head -c 200 "$tmp/err"))" $ok
}
expect_bad "sim --rate nan" "--rate: 'nan' is not a number" "$mdgate" sim --rate nan --duration 2s --listen 127.0.0.1:0
expect_bad "sim --rate inf" "--rate: 'inf' is not a number" "$mdgate" sim --rate inf --duration 2s --listen 127.0.0.1:0
expect_bad "sim --rate 10abc" "--rate: '10abc' is not a number" "$mdgate" sim --rate 10abc --listen 127.0.0.1:0
expect_bad "sim --duration nan" "--duration: 'nan' is not a duration" "$mdgate" sim --duration nan --listen 127.0.0.1:0
expect_bad "sim --duration inf" "--duration: 'inf' is not a duration" "$mdgate" sim --duration inf --listen 127.0.0.1:0
expect_bad "sim --speed nan" "--speed: 'nan' is not a number" "$mdgate" sim --speed nan --listen 127.0.0.1:0
expect_bad "sim --listen 0abc" "the port must be a number" "$mdgate" sim --listen 127.0.0.1:0abc --duration 2s
expect_bad "sim --fault-script DIR" "--fault-script: '$tmp': is a directory" "$mdgate" sim --fault-script "$tmp" --duration 2s --listen 127.0.0.1:0
expect_bad "sim --replay DIR" "--replay: '$tmp': is a directory" "$mdgate" sim --replay "$tmp" --duration 2s --listen 127.0.0.1:0
expect_bad "demo --rate nan" "--rate: 'nan' is not a number" "$mdgate" demo --rate nan
expect_bad "chaos --rate nan" "--rate: 'nan' is not a number" "$mdgate" chaos --rate nan
expect_bad "chaos --faults nope" "--faults: unknown fault 'nope'" "$mdgate" chaos --faults drop,nope
expect_bad "chaos --round 1s" "--round" "$mdgate" chaos --round 1s
for flag in --max-queue-drops --max-error-logs --max-callback-timeouts --trigger-restarts; do
    expect_bad "report $flag -1" "$flag: '-1' is not a whole number" "$mdgate" report $flag -1 --duration 1s --out "$tmp/r.md"
done
expect_bad "report --min-throughput nan" "--min-throughput: 'nan' is not a number" "$mdgate" report --min-throughput nan --out "$tmp/r.md"
expect_bad "bench --symbols -1" "--symbols: '-1' is not a whole number" "$mdgate" bench --symbols -1
# --check-config runs every check run runs.
expect_bad "check-config --listen name" "'example.com' is not an IP address" "$mdgate" run --check-config --listen example.com:8080
expect_bad "check-config --listen 999" "'999.1.1.1' is not an IP address" "$mdgate" run --check-config --listen 999.1.1.1:8080
printf '[http]\nlisten = "example.com:8080"\n' >"$tmp/listen.toml"
expect_bad "check-config http.listen name" "'http.listen': 'example.com' is not an IP address" "$mdgate" run --check-config --config "$tmp/listen.toml"
printf '[venue]\nca_file = "/etc/passwd"\n' >"$tmp/ca.toml"
expect_bad "check-config ca_file not PEM" "'venue.ca_file': '/etc/passwd' holds no PEM certificate" "$mdgate" run --check-config --config "$tmp/ca.toml"
python3 -c 'print("[venue]\nsymbols = [" + ",".join("\"S%04dUSDT\"" % i for i in range(1000)) + "]")' >"$tmp/many.toml"
expect_rc "check-config 1000 symbols" 0 "$mdgate" run --check-config --config "$tmp/many.toml"
grep -q "warning: 1000 symbols need 500 connections, more than 'connections.connect_budget' (400 per 5m)" "$tmp/err"
check "check-config warns when the connections exceed the budget" $?
# Empty strings are errors, not the defaults (production Bybit).
expect_bad "run --ws-url ''" "--ws-url: must not be empty" "$mdgate" run --check-config --ws-url ''
expect_bad "run --config ''" "--config: must not be empty" "$mdgate" run --check-config --config ''
expect_bad "--config '' run" "--config: must not be empty" "$mdgate" --config '' run --check-config
# Files read: regular files only (a FIFO used to hang, /dev/zero to grow without bound).
mkfifo "$tmp/fifo"
expect_bad "replay /dev/zero" "not a regular file" "$mdgate" replay /dev/zero
expect_bad "replay FIFO" "not a regular file" "$mdgate" replay "$tmp/fifo"
expect_bad "run --config FIFO" "not a regular file" "$mdgate" run --check-config --config "$tmp/fifo"
expect_bad "sim --replay FIFO" "--replay: '$tmp/fifo': not a regular file" "$mdgate" sim --replay "$tmp/fifo" --listen 127.0.0.1:0
expect_bad "report --baseline FIFO" "--baseline: '$tmp/fifo': not a regular file" "$mdgate" report --baseline "$tmp/fifo" --out "$tmp/r.md"
rm -f "$tmp/fifo"
# A capture line longer than the largest frame (64 MiB) is refused, not buffered.
{ head -c 67108865 /dev/zero | tr '\0' a; echo; } >"$tmp/long.jsonl"
expect_bad "replay line over 64 MiB" "line 1 is longer than 67108864 bytes" "$mdgate" replay "$tmp/long.jsonl"
rm -f "$tmp/long.jsonl"
# Outputs checked before any work.
expect_bad "demo --report missing dir" "--report: '/nonexistent/x.md': directory '/nonexistent' does not exist" "$mdgate" demo --report /nonexistent/x.md
expect_bad "report --out DIR" "--out: '$tmp': is a directory" "$mdgate" report --out "$tmp" --duration 1s
[ ! -e "$tmp.tmp" ]; check "report --out DIR leaves no DIR.tmp" $?
expect_bad "run --port-file missing dir" "--port-file: '/nonexistent/p': directory '/nonexistent' does not exist" "$mdgate" run --check-config --port-file /nonexistent/p
expect_bad "sim --port-file missing dir" "--port-file: '/nonexistent/p': directory" "$mdgate" sim --port-file /nonexistent/p --listen 127.0.0.1:0
# --record: a directory that can take files, checked before any work (with --check-config too).
expect_bad "run --record missing dir" "--record: record directory '/nonexistent/rec' does not exist" "$mdgate" run --check-config --record /nonexistent/rec
expect_bad "run --record a file" "--record: record directory '$data/spot_capture_sample.frames.jsonl' is not a directory" "$mdgate" run --check-config --record "$data/spot_capture_sample.frames.jsonl"
printf '[record]\ndir = "/nonexistent/rec"\n' >"$tmp/rec.toml"
expect_bad "record.dir missing" "record.dir: record directory '/nonexistent/rec' does not exist" "$mdgate" run --check-config --config "$tmp/rec.toml"
if [ "$(id -u)" -ne 0 ]; then
    mkdir "$tmp/ro" && chmod 500 "$tmp/ro"
    expect_bad "run --record read-only dir" "is not writable" "$mdgate" run --check-config --record "$tmp/ro"
    chmod 700 "$tmp/ro"
fi
expect_rc "run --record writable dir" 0 "$mdgate" run --check-config --record "$tmp"
expect_bad "bench --json DIR" "--json: '$tmp': is a directory" "$mdgate" bench --json "$tmp"
expect_bad "baseline --out missing dir" "--out: '/nonexistent/b.toml': directory" "$mdgate" baseline --from-journal --out /nonexistent/b.toml

# SIGHUP is ignored (no reload yet) and logged once; SIGTERM still stops cleanly.
wait_for_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
timeout -s KILL 30 "$mdgate" sim --listen 127.0.0.1:0 --port-file "$tmp/sim.port" --duration 3s 2>"$tmp/sim.err" &
pid=$!
wait_for_file "$tmp/sim.port"
kill -HUP "$pid"; sleep 0.2; kill -HUP "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ]; check "sim survives SIGHUP (rc=$rc)" $?
[ "$(grep -c "SIGHUP received and ignored" "$tmp/sim.err")" -eq 1 ]; check "sim logs SIGHUP once" $?
timeout -s KILL 30 "$mdgate" run --symbols BTCUSDT --ws-url ws://127.0.0.1:9/v5/public/linear \
    --listen 127.0.0.1:0 --port-file "$tmp/run.port" 2>"$tmp/run.err" &
pid=$!
wait_for_file "$tmp/run.port"
kill -HUP "$pid"; sleep 0.2; kill -HUP "$pid"; sleep 0.2
kill -0 "$pid" 2>/dev/null; check "run survives SIGHUP" $?
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ]; check "run stops cleanly on SIGTERM after SIGHUP (rc=$rc)" $?
[ "$(grep -c "SIGHUP received and ignored" "$tmp/run.err")" -eq 1 ]; check "run logs SIGHUP once" $?

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
