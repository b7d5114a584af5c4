#!/usr/bin/env bash
# End to end with the Python client: `mdgate sim` (2 symbols, 750 events/s) feeds `mdgate run`
# (bearer token set), and tests/python/e2e_test.py follows its books through faults, then
# compares them with the simulator's truth (see the docstring of e2e_test.py).
# Usage: run_e2e.sh MDGATE_BINARY BUILD_DIR   (exit 77 = skipped: a Debian package is missing)
set -euo pipefail
mdgate=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/pyenv.sh"
mdg_pyenv "$2"

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ ${KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
wait_for_file() {
    for _ in $(seq 1 200); do [[ -s $1 ]] && return 0; sleep 0.05; done
    echo "FAIL: $2 did not start"; tail -20 "$3"; exit 1
}

"$mdgate" --log-level warn sim --listen 127.0.0.1:0 --port-file "$work/sim.port" \
    --symbols BTCUSDT,ETHUSDT --rate 750 --duration 170s >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for_file "$work/sim.port" "the simulator" "$work/sim.log"
sim=$(cat "$work/sim.port")

# Books and tickers never turn stale while the market is paused for the comparison; quick
# reconnects after the injected drop.
token=e2e-python-token
cat >"$work/gw.toml" <<TOML
[http]
bearer_token = "$token"
[freshness]
orderbook = "0s"
tickers = "0s"
[connections]
backoff_base = "200ms"
backoff_cap = "1s"
TOML
"$mdgate" --log-level warn run --config "$work/gw.toml" --category linear --symbols BTCUSDT,ETHUSDT \
    --ws-url "ws://127.0.0.1:$sim/v5/public/linear" --rest-url "http://127.0.0.1:$sim" \
    --listen 127.0.0.1:0 --port-file "$work/gw.port" >"$work/gw.log" 2>&1 &
pids+=($!)
wait_for_file "$work/gw.port" "the gateway" "$work/gw.log"
gw=$(cat "$work/gw.port")

rc=0
timeout 150 "$py" "$here/e2e_test.py" --sim "http://127.0.0.1:$sim" --gateway "http://127.0.0.1:$gw" \
    --token "$token" --symbols BTCUSDT,ETHUSDT --category linear --depth 50 || rc=$?
if [[ $rc != 0 ]]; then
    echo "--- gateway log (last 30 lines) ---"; tail -30 "$work/gw.log"
    echo "--- simulator log (last 10 lines) ---"; tail -10 "$work/sim.log"
    [[ $rc == 124 ]] && echo "FAIL: e2e_test.py timed out"
fi
exit $rc
