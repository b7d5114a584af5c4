#!/usr/bin/env bash
# Validates docs/openapi.json (official OpenAPI 3.1 schema + ajv), then runs a gateway with a
# bearer token against `mdgate sim` and checks every answer of its HTTP API against the
# document (openapi_responses.mjs), including that /v1/openapi.json is docs/openapi.json.
# Usage: run_openapi_test.sh MDGATE  (exit 77 = skipped: node or the npm packages are missing)
set -u
mdgate=$1
here=$(cd "$(dirname "$0")" && pwd)
doc="$here/../../docs/openapi.json"
if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed (scripts/setup.sh installs it)"
    exit 77
fi
for pkg in @seriousme/openapi-schema-validator ajv ajv-formats; do
    if [ ! -d "$here/node_modules/$pkg" ]; then
        echo "SKIP: $pkg is not installed in tests/js (run: cd tests/js && npm ci)"
        exit 77
    fi
done

echo "== docs/openapi.json"
node "$here/openapi_validate.mjs" "$doc" || exit 1

tmp=$(mktemp -d)
sim=
gw=
cleanup() {
    for p in $gw $sim; do kill "$p" 2>/dev/null; done
    for p in $gw $sim; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

wait_for_file() { # FILE PID WHAT: up to 10 s, while PID lives
    for _ in $(seq 100); do
        [ -s "$1" ] && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: $3 did not start"
    return 1
}

"$mdgate" --log-level warn sim --listen 127.0.0.1:0 --port-file "$tmp/sim.port" \
    --symbols BTCUSDT,ETHUSDT --rate 750 --duration 120s 2>"$tmp/sim.log" &
sim=$!
wait_for_file "$tmp/sim.port" $sim "the simulator" || { cat "$tmp/sim.log"; exit 1; }
simport=$(cat "$tmp/sim.port")

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '[http]\nbearer_token = "%s"\n' "$token" >"$tmp/gw.toml"
"$mdgate" --log-level warn run --config "$tmp/gw.toml" --symbols BTCUSDT,ETHUSDT \
    --ws-url "ws://127.0.0.1:$simport/v5/public/linear" --rest-url "http://127.0.0.1:$simport" \
    --listen 127.0.0.1:0 --port-file "$tmp/gw.port" 2>"$tmp/gw.log" &
gw=$!
wait_for_file "$tmp/gw.port" $gw "the gateway" || { cat "$tmp/gw.log"; exit 1; }
base="http://127.0.0.1:$(cat "$tmp/gw.port")"

# Ready: every topic subscribed, fresh, every book live (at most 30 s).
if ! MDG_BASE=$base MDG_TOKEN=$token timeout 40 node --input-type=module -e '
    const deadline = Date.now() + 30000;
    let last = "no answer";
    while (Date.now() < deadline) {
        try {
            const r = await fetch(`${process.env.MDG_BASE}/readyz`, {
                headers: { authorization: `Bearer ${process.env.MDG_TOKEN}` },
                signal: AbortSignal.timeout(2000) });
            last = `${r.status} ${(await r.text()).slice(0, 500)}`;
            if (r.status === 200) process.exit(0);
        } catch (e) { last = e.cause?.message ?? e.message; }
        await new Promise((ok) => setTimeout(ok, 250));
    }
    console.log(`FAIL: the gateway is not ready after 30 s: /readyz ${last}`);
    process.exit(1);'; then
    tail -20 "$tmp/gw.log"
    exit 1
fi

echo "== $base (mdgate run against mdgate sim, bearer token set)"
timeout 120 node "$here/openapi_responses.mjs" "$doc" "$base" "$token"
rc=$?
if [ $rc -ne 0 ]; then
    echo "== last lines of the gateway's log"
    tail -20 "$tmp/gw.log"
fi
exit $rc
