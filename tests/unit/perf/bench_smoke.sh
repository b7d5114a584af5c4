#!/usr/bin/env bash
# Smoke test of `mdgate bench`: a tiny run must succeed and report non-zero figures for every
# scenario. No timing assertions: this machine's speed is not the test's business.
set -euo pipefail
mdgate="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

"$mdgate" --log-level warn bench --symbols 3 --frames 3000 --duration 300ms --warmup 200ms \
    --repetitions 1 --json "$dir/bench.json" >"$dir/table.txt"
cat "$dir/table.txt"

for s in floor decode pipeline slow_consumer; do
    grep -q "\"scenario\":\"$s\",\"messages_per_s\":{\"median\":[1-9]" "$dir/bench.json" ||
        { echo "FAIL: no non-zero messages/s for $s"; exit 1; }
done
for row in "(a) read only" "(b) read+decode" "(c) pipeline" "(d) +slow consumer"; do
    grep -qF "$row" "$dir/table.txt" || { echo "FAIL: no table row '$row'"; exit 1; }
done
grep -q '"cpu_seconds_per_million":{"median":[0-9]*\.[0-9]*[1-9]' "$dir/bench.json" ||
    { echo "FAIL: zero CPU per million"; exit 1; }
grep -q '"peak_rss_bytes":{"median":[1-9]' "$dir/bench.json" || { echo "FAIL: zero RSS"; exit 1; }
grep -q '"read_to_applied":{"count":[1-9]' "$dir/bench.json" ||
    { echo "FAIL: no read->applied latencies"; exit 1; }

# Fixed-rate mode, tiny.
"$mdgate" --log-level warn bench --symbols 2 --frames 1000 --duration 300ms --warmup 100ms \
    --rate 200 >"$dir/rate.txt"
cat "$dir/rate.txt"
[ "$(grep -c '^rate ' "$dir/rate.txt")" = 3 ] || { echo "FAIL: expected 3 rate lines"; exit 1; }

# Fan-out mode, tiny: 0, 2 and 2 + 1 stalled subscribers; it runs and reports each run, and the
# stalled one's close is reported (closed or not: no timing assertion).
"$mdgate" --log-level warn bench --fanout --symbols 2 --frames 1000 --rate 2000 --subscribers 2 \
    --duration 300ms --warmup 100ms --slow-close-after 200ms --json "$dir/fanout.json" \
    >"$dir/fanout.txt"
cat "$dir/fanout.txt"
grep -q '^fan-out at 2000 msgs/s' "$dir/fanout.txt" || { echo "FAIL: no fan-out header"; exit 1; }
grep -q '^2 + 1 stalled ' "$dir/fanout.txt" || { echo "FAIL: no stalled fan-out row"; exit 1; }
grep -q '^stalled subscriber: ' "$dir/fanout.txt" || { echo "FAIL: no stalled line"; exit 1; }
[ "$(grep -o '"subscribers":' "$dir/fanout.json" | wc -l)" = 3 ] ||
    { echo "FAIL: expected 3 fan-out runs in the JSON"; exit 1; }
grep -q '"subscribers":2,"stalled":false,[^}]*"read_to_subscriber":{"count":[1-9]' \
    "$dir/fanout.json" || { echo "FAIL: no subscriber latencies"; exit 1; }

# Bad arguments: exit 2 with a message, never a crash.
set +e
"$mdgate" bench --depth 7 --duration 100ms >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: bad depth not exit 2"; exit 1; }
"$mdgate" bench --duration forever >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: bad duration not exit 2"; exit 1; }
echo "bench smoke: ok"
