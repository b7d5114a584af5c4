#!/usr/bin/env bash
# Validates packaging/ (run by ctest, labels "unit;packaging").
#
#   check_packaging.sh prometheus PACKAGING_DIR TEST_DIR
#       promtool check rules alerts.yml, promtool check config prometheus.yml and the alert
#       rules' unit tests (TEST_DIR/alerts_test.yml), all from a temporary copy so that the
#       relative `rule_files: [alerts.yml]` resolves. Fails if promtool is missing (Debian
#       package `prometheus`; scripts/setup.sh installs it).
#   check_packaging.sh systemd PACKAGING_DIR
#       The unit's required settings (grep, always: `systemd-analyze verify` accepts a unit whose
#       values differ from ours, and only warns on unknown keys), then `systemd-analyze verify`
#       when it can run here; it needs no running systemd, but it is probed first on a trivial
#       unit, and skipped with a note where it cannot work (no systemd-analyze, or a sandbox
#       that breaks it). verify also insists that ExecStart's binary exists, so the unit is
#       verified from a temporary copy whose ExecStart points at a stub executable.
set -euo pipefail

mode=${1:?usage: check_packaging.sh prometheus|systemd PACKAGING_DIR [TEST_DIR]}
pkg=${2:?missing PACKAGING_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/mdg-packaging.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

check_prometheus() {
    local tests=${1:?missing TEST_DIR}
    command -v promtool >/dev/null ||
        fail "promtool not found (install the Debian package 'prometheus')"
    cp "$pkg/alerts.yml" "$pkg/prometheus.yml" "$tests/alerts_test.yml" "$work/"
    cd "$work"
    promtool check rules alerts.yml || fail "promtool check rules alerts.yml"
    promtool check config prometheus.yml || fail "promtool check config prometheus.yml"
    promtool test rules alerts_test.yml || fail "promtool test rules alerts_test.yml"
    echo "OK: alerts.yml, prometheus.yml and the alert rule tests"
}

check_systemd() {
    local unit="$pkg/mdgate.service"
    [[ -f $unit ]] || fail "$unit is missing"
    local required=(
        'Type=notify'
        'NotifyAccess=main'
        'ExecStart=/usr/local/bin/mdgate run --config /etc/mdgate/mdgate.toml --log-target journald'
        'WatchdogSec=30'
        'Restart=always'
        'RestartSec=10'
        'MemoryMax=1G'
        'LimitNOFILE=65536'
        'SyslogIdentifier=mdgate'
        'DynamicUser=yes'
        'NoNewPrivileges=yes'
        'ProtectSystem=strict'
        'ProtectHome=yes'
        'PrivateTmp=yes'
        'WantedBy=multi-user.target'
    )
    local line
    for line in "${required[@]}"; do
        grep -qxF -- "$line" "$unit" || fail "$unit lacks the line: $line"
    done
    grep -qE '^TimeoutStopSec=[0-9]+' "$unit" || fail "$unit lacks TimeoutStopSec="
    for section in Unit Service Install; do
        grep -qxF "[$section]" "$unit" || fail "$unit lacks the [$section] section"
    done
    echo "OK: the unit has every required setting"

    if ! command -v systemd-analyze >/dev/null; then
        echo "SKIP: systemd-analyze is not installed; checked the unit by grep only"
        return 0
    fi
    printf '#!/bin/sh\nexit 0\n' >"$work/mdgate"
    chmod +x "$work/mdgate"
    printf '[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=%s\n' \
        "$work/mdgate" >"$work/mdg-probe.service"
    local out
    if ! out=$(cd "$work" && systemd-analyze verify ./mdg-probe.service 2>&1) ||
        [[ -n $out ]]; then
        echo "SKIP: systemd-analyze verify does not work here (on a trivial unit: ${out:-exit code})"
        echo "      checked the unit by grep only"
        return 0
    fi
    sed "s#^ExecStart=/usr/local/bin/mdgate #ExecStart=$work/mdgate #" "$unit" >"$work/mdgate.service"
    # verify exits 0 on unknown keys and unparsable values (it only logs them), so any output
    # about our unit is a failure too.
    local rc=0
    out=$(cd "$work" && systemd-analyze verify ./mdgate.service 2>&1) || rc=$?
    if ((rc != 0)) || grep -q 'mdgate' <<<"$out"; then
        echo "$out" >&2
        fail "systemd-analyze verify mdgate.service (exit $rc)"
    fi
    echo "OK: systemd-analyze verify mdgate.service"
}

case $mode in
prometheus) check_prometheus "${3:-}" ;;
systemd) check_systemd ;;
*) fail "unknown mode '$mode' (prometheus or systemd)" ;;
esac
