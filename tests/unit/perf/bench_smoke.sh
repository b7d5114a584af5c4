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

# Bad arguments: exit 2 with a message, never a crash.
set +e
"$mdgate" bench --depth 7 --duration 100ms >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: bad depth not exit 2"; exit 1; }
"$mdgate" bench --duration forever >/dev/null 2>&1
[ $? = 2 ] || { echo "FAIL: bad duration not exit 2"; exit 1; }
echo "bench smoke: ok"
