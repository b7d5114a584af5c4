#!/usr/bin/env bash
# The sd_notify protocol as systemd sees it (Type=notify, WatchdogSec=): `mdgate run` is started
# the way the service manager starts it, with NOTIFY_SOCKET naming a real AF_UNIX datagram
# socket that this test listens on and WATCHDOG_USEC set, against `mdgate sim`. Asserts:
#  - READY=1 arrives once, before any STATUS= line that counts live books;
#  - STATUS= lines read "connections N/N live, books M/M live, R msgs/s" once the feed is up;
#  - WATCHDOG=1 keeps coming (at least 3 within the wait, interval WATCHDOG_USEC/2);
#  - SIGTERM gives STOPPING=1 and a "STATUS=stopping: ..." line, and exit code 0.
# What this does not test: systemd itself (this machine has no systemd as PID 1, so neither
# `systemd-run` nor a booted container can run here); packaging/mdgate.service is checked by
# systemd-analyze verify in tests/packaging.
# Usage: systemd_notify_test.sh MDGATE_BINARY
set -euo pipefail
mdgate=$1
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- notify datagrams:" >&2; cat "$work/notify.log" >&2 || true; echo "--- gateway log:" >&2; tail -20 "$work/gw.log" >&2 || true; exit 1; }
wait_for_file() { for _ in $(seq 1 200); do [[ -s $1 ]] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }

# The service manager's end of the socket: every datagram, one per line (newlines inside a
# datagram, which separate assignments, become " | ").
python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode("utf-8", "replace").strip("\n").replace("\n", " | ") + "\n")
PY
pids+=($!)
for _ in $(seq 1 100); do [[ -S $work/notify.sock ]] && break; sleep 0.05; done
[[ -S $work/notify.sock ]] || fail "the listener did not bind $work/notify.sock"

"$mdgate" sim --listen 127.0.0.1:0 --port-file "$work/sim.port" --symbols BTCUSDT,ETHUSDT \
    --rate 200 >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for_file "$work/sim.port"
sim=$(cat "$work/sim.port")

NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=1000000 \
    "$mdgate" run --category linear --symbols BTCUSDT,ETHUSDT \
    --ws-url "ws://127.0.0.1:$sim/v5/public/linear" --rest-url "http://127.0.0.1:$sim" \
    --listen 127.0.0.1:0 --port-file "$work/gw.port" 2>"$work/gw.log" &
gw_pid=$!
pids+=($gw_pid)

live_re='^STATUS=connections ([0-9]+)/\1 live, books ([1-9][0-9]*)/\2 live, [0-9,]+ msgs/s$'
for _ in $(seq 1 300); do
    grep -Eq "$live_re" "$work/notify.log" 2>/dev/null && break
    sleep 0.1
done
grep -Eq "$live_re" "$work/notify.log" || fail "no STATUS= line with every connection and book live"
[[ $(grep -c '^READY=1$' "$work/notify.log") -eq 1 ]] || fail "READY=1 not sent exactly once"
ready_line=$(grep -n '^READY=1$' "$work/notify.log" | cut -d: -f1)
live_line=$(grep -nE "$live_re" "$work/notify.log" | head -1 | cut -d: -f1)
((ready_line < live_line)) || fail "a live STATUS= line came before READY=1"
grep -Ev '^(READY=1|WATCHDOG=1|STOPPING=1|STATUS=.*)$' "$work/notify.log" &&
    fail "an unexpected datagram (above)"
for _ in $(seq 1 50); do
    (($(grep -c '^WATCHDOG=1$' "$work/notify.log") >= 3)) && break
    sleep 0.1
done
(($(grep -c '^WATCHDOG=1$' "$work/notify.log") >= 3)) || fail "fewer than 3 WATCHDOG=1 pings"

kill -TERM "$gw_pid"
rc=0
wait "$gw_pid" || rc=$?
[[ $rc -eq 0 ]] || fail "mdgate run exited $rc after SIGTERM"
sleep 0.2 # the last datagrams reach the listener
grep -q '^STOPPING=1$' "$work/notify.log" || fail "no STOPPING=1"
grep -Eq '^STATUS=stopping: closing [0-9]+ connections$' "$work/notify.log" ||
    fail "no 'STATUS=stopping: ...' line"
echo "OK: READY=1, $(grep -c '^STATUS=' "$work/notify.log") STATUS= lines, $(grep -c '^WATCHDOG=1$' "$work/notify.log") WATCHDOG=1, STOPPING=1, exit 0"
echo "    e.g. $(grep -E "$live_re" "$work/notify.log" | tail -1)"
