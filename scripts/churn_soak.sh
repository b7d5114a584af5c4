#!/usr/bin/env bash
# Memory under reconnect churn (docs/reliability.md): a gateway against `mdgate sim` whose
# connections are all dropped (TCP reset) every INTERVAL seconds; prints the gateway's RSS,
# descriptors, threads, reconnects and live books every STEP drops. The connection budget is
# opened up (500 a second) so that every drop is followed by a reconnect.
# Usage: scripts/churn_soak.sh MDGATE [DROPS=500] [INTERVAL=1] [SYMBOLS=20] [RATE=3000] [STEP=100]
set -euo pipefail
mdgate=$1
drops=${2:-500}
interval=${3:-1}
nsym=${4:-20}
rate=${5:-3000}
step=${6:-100}
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
wait_for_file() { for _ in $(seq 1 200); do [[ -s $1 ]] && return 0; sleep 0.05; done; echo "timeout waiting for $1" >&2; exit 1; }

symbols=$(python3 -c "print(','.join(f'S{i:02d}USDT' for i in range($nsym)))")
"$mdgate" --log-level warn sim --listen 127.0.0.1:0 --port-file "$work/sim.port" \
    --symbols "$symbols" --rate "$rate" >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for_file "$work/sim.port"
sim=$(cat "$work/sim.port")
cat > "$work/gw.toml" <<'TOML'
[connections]
backoff_base = "100ms"
backoff_cap = "500ms"
connect_budget = 500
connect_budget_window = "1s"
TOML
"$mdgate" --log-level warn run --config "$work/gw.toml" --category linear --symbols "$symbols" \
    --ws-url "ws://127.0.0.1:$sim/v5/public/linear" --rest-url "http://127.0.0.1:$sim" \
    --listen 127.0.0.1:0 --port-file "$work/gw.port" 2>"$work/gw.log" &
gw=$!
pids+=($gw)
wait_for_file "$work/gw.port"
port=$(cat "$work/gw.port")

metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
row() {
    local rss fds threads
    rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$gw/status")
    threads=$(awk '/^Threads/ { print $2 }' "/proc/$gw/status")
    fds=$(ls "/proc/$gw/fd" | wc -l)
    printf '| %5d | %6.0f | %8s | %4d | %7d | %10.0f |\n' "$1" "$(metric mdgate_reconnects_total)" \
        "$rss" "$fds" "$threads" "$(metric 'mdgate_books{state="live"}')"
}
sleep 5
echo "| drops | reconnects | RSS (MB) | fds | threads | books live |"
echo "|---:|---:|---:|---:|---:|---:|"
row 0
for i in $(seq 1 "$drops"); do
    curl -sf -XPOST "http://127.0.0.1:$sim/sim/control" -d '{"action":"drop","connection":"all","mode":"reset"}' >/dev/null
    sleep "$interval"
    if (( i % step == 0 )); then row "$i"; fi
done
sleep 3
row "$drops"
