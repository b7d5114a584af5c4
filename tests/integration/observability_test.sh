#!/usr/bin/env bash
# Observability end to end (issue #5): a gateway runs against `mdgate sim` with scripted
# faults while a real Prometheus server (Debian's `prometheus`) scrapes it.
#  - Prometheus's HTTP API answers rate(mdgate_ws_messages_total[1m]) > 0 and
#    mdgate_books{state="live"} == the number of books;
#  - the log holds exactly one marker line per injected fault ([HANDLER_TIMEOUT] per stall,
#    `Network connectivity validation failed` per failed probe run) and the throughput line;
#  - the JSON log format is one valid JSON object per line.
# Usage: observability_test.sh MDGATE_BINARY
set -euo pipefail
mdgate=$1
command -v prometheus >/dev/null || { echo "prometheus is not installed (scripts/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

wait_for_file() { for _ in $(seq 1 200); do [[ -s $1 ]] && return 0; sleep 0.05; done; echo "timeout waiting for $1"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Two stalls longer than the receive timeout, then a REST outage during a refused reconnect.
cat > "$work/faults.jsonl" <<'JSONL'
{"at":"4s","action":"stall","seconds":3}
{"at":"11s","action":"stall","seconds":3}
{"at":"17s","action":"rest_time","mode":"error","seconds":6}
{"at":"17s","action":"refuse_ws","seconds":2}
{"at":"17100ms","action":"drop","mode":"reset"}
JSONL
"$mdgate" sim --listen 127.0.0.1:0 --port-file "$work/sim.port" --symbols BTCUSDT,ETHUSDT \
    --rate 300 --fault-script "$work/faults.jsonl" >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for_file "$work/sim.port"
sim=$(cat "$work/sim.port")

cat > "$work/gw.toml" <<'TOML'
[connections]
receive_timeout = "1500ms"
ping_interval = "1s"
pong_timeout = "5s"
backoff_base = "200ms"
backoff_cap = "1s"
[probe]
breaker_cooldown = "30s"
[log]
summary_interval = "5s"
TOML
"$mdgate" --log-format text run --config "$work/gw.toml" --category linear --symbols BTCUSDT,ETHUSDT \
    --ws-url "ws://127.0.0.1:$sim/v5/public/linear" --rest-url "http://127.0.0.1:$sim" \
    --listen 127.0.0.1:0 --port-file "$work/gw.port" 2>"$work/gw.log" &
gw_pid=$!
pids+=($gw_pid)
wait_for_file "$work/gw.port"
gw=$(cat "$work/gw.port")

prom=$(free_port)
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mdgate
    static_configs:
      - targets: ["127.0.0.1:$gw"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom" >"$work/prometheus.log" 2>&1 &
pids+=($!)

query() { curl -sf --get "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1"; }
value_of() { python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(sum(float(x["value"][1]) for x in r) if r else "none")'; }

# Prometheus needs a few scrapes before rate() has two points.
rate=none
for _ in $(seq 1 60); do
    sleep 1
    rate=$(query 'sum(rate(mdgate_ws_messages_total[1m]))' 2>/dev/null | value_of 2>/dev/null || echo none)
    if [[ $rate != none ]] && python3 -c "import sys; sys.exit(0 if float('$rate') > 0 else 1)"; then
        break
    fi
done
echo "prometheus: sum(rate(mdgate_ws_messages_total[1m])) = $rate"
python3 -c "import sys; sys.exit(0 if '$rate' != 'none' and float('$rate') > 0 else 1)" ||
    { echo "FAIL: no message rate from Prometheus"; cat "$work/prometheus.log" | tail -5; exit 1; }
# Faults come and go: wait for a scrape that sees both books live.
for _ in $(seq 1 60); do
    live=$(query 'sum(mdgate_books{state="live"})' | value_of)
    [[ $live == 2.0 ]] && break
    sleep 0.5
done
echo "prometheus: mdgate_books{state=\"live\"} = $live"
[[ $live == 2.0 ]] || { echo "FAIL: expected 2 live books"; exit 1; }
up=$(query 'up{job="mdgate"}' | value_of)
[[ $up == 1.0 ]] || { echo "FAIL: target not up"; exit 1; }

# Let the fault script run out, the feed recover, then stop the gateway cleanly.
for _ in $(seq 1 100); do
    sleep 0.3
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw/readyz" || true)
    elapsed=$(( $(date +%s) - $(stat -c %Y "$work/sim.port") ))
    [[ $code == 200 && $elapsed -ge 26 ]] && break
done
[[ $code == 200 ]] || { echo "FAIL: not ready after the faults"; curl -s "http://127.0.0.1:$gw/readyz"; exit 1; }
kill -TERM $gw_pid
wait $gw_pid && rc=0 || rc=$?
[[ $rc == 0 ]] || { echo "FAIL: gateway exited $rc on SIGTERM"; exit 1; }

timeouts=$(grep -c '\[HANDLER_TIMEOUT\]' "$work/gw.log" || true)
probes=$(grep -c 'Network connectivity validation failed' "$work/gw.log" || true)
summaries=$(grep -c 'WebSocket messages received: [0-9]* in the last 5 seconds' "$work/gw.log" || true)
echo "log: $timeouts [HANDLER_TIMEOUT] lines, $probes network validation failures, $summaries throughput lines"
[[ $timeouts == 2 ]] || { echo "FAIL: expected one [HANDLER_TIMEOUT] line per stall (2)"; grep HANDLER "$work/gw.log"; exit 1; }
[[ $probes -ge 1 ]] || { echo "FAIL: expected a network validation failure"; exit 1; }
[[ $summaries -ge 3 ]] || { echo "FAIL: expected throughput lines"; exit 1; }

# JSON logs: every line a JSON object with ts, level, msg.
"$mdgate" --log-format json run --check-config --symbols BTCUSDT 2>/dev/null || true
"$mdgate" --log-format json sim --listen 127.0.0.1:0 --duration 1s >/dev/null 2>"$work/json.log" || true
python3 - "$work/json.log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no JSON log lines"
for l in lines:
    o = json.loads(l)
    assert {"ts", "level", "msg"} <= o.keys(), l
print(f"json log: {len(lines)} valid lines")
PY
echo PASS
