#!/usr/bin/env bash
# Installs every build and test dependency of mdgate from Debian 12 packages.
# Idempotent: when everything is already installed it prints nothing and exits 0.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    g++ clang clang-format clang-tidy libclang-rt-14-dev
    libboost1.81-dev libsimdjson-dev libssl-dev ca-certificates openssl zlib1g-dev libzstd-dev zstd
    libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libsystemd-dev
    libgtest-dev libgmock-dev googletest libbenchmark-dev
    prometheus
    dpkg-dev debootstrap
)

# Node.js runs the tests that use real JavaScript clients (ccxt). Any recent node will do;
# Debian's is installed only when none is present.
command -v node >/dev/null || packages+=(nodejs npm)

# The Python client (clients/python) and its tests: Debian's python3 sees these packages, and
# tests/python/pyenv.sh installs the client offline into a venv made from them.
packages+=(python3 python3-venv python3-pip python3-setuptools python3-wheel python3-websockets)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the JavaScript client tests, at the versions of tests/js/package-lock.json.
# Installed again whenever the lock file changes (a stamp in node_modules records its hash).
js_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
js_lock_hash=$(sha256sum "$js_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$js_dir/node_modules/.mdgate-lock-sha256" 2>/dev/null)" != "$js_lock_hash" ]; then
    echo "setup: installing the JavaScript test clients (npm ci in tests/js)" >&2
    (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$js_lock_hash" >"$js_dir/node_modules/.mdgate-lock-sha256"
fi
