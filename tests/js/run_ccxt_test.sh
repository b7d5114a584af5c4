#!/usr/bin/env bash
# Starts `mdgate sim` on a free loopback port and runs the ccxt client test against it.
# Usage: run_ccxt_test.sh MDGATE  (exit 77 = skipped: node or the npm packages are missing)
set -u
mdgate=$1
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed (scripts/setup.sh installs it)"
    exit 77
fi
if [ ! -d "$here/node_modules/ccxt" ]; then
    echo "SKIP: ccxt is not installed in tests/js (scripts/setup.sh installs it)"
    exit 77
fi
tmp=$(mktemp -d)
"$mdgate" --log-level warn sim --listen 127.0.0.1:0 --port-file "$tmp/port" \
    --symbols BTCUSDT,ETHUSDT --rate 750 --duration 120s &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
[ -s "$tmp/port" ] || { echo "FAIL: the simulator did not start"; exit 1; }
timeout 90 node "$here/ccxt_orderbook_test.mjs" "$(cat "$tmp/port")"
