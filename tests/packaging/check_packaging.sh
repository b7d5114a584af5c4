#!/usr/bin/env bash
# Validates packaging/ (run by ctest, labels "unit;packaging").
#
#   check_packaging.sh prometheus PACKAGING_DIR TEST_DIR
#       promtool check rules alerts.yml, promtool check config prometheus.yml and the alert
#       rules' unit tests (TEST_DIR/alerts_test.yml), all from a temporary copy so that the
#       relative `rule_files: [alerts.yml]` resolves. Fails if promtool is missing (Debian
#       package `prometheus`; scripts/setup.sh installs it).
#   check_packaging.sh systemd PACKAGING_DIR [MDGATE]
#       The unit's required settings (grep, always: `systemd-analyze verify` accepts a unit whose
#       values differ from ours, and only warns on unknown keys), then `systemd-analyze verify`
#       when it can run here; it needs no running systemd, but it is probed first on a trivial
#       unit, and skipped with a note where it cannot work (no systemd-analyze, or a sandbox
#       that breaks it). verify also insists that ExecStart's binary exists, so the unit is
#       verified from a temporary copy whose ExecStart points at a stub executable.
#       With MDGATE (the built binary), the unit's ExecStart= line itself is run, with MDGATE
#       for /usr/bin/mdgate, PACKAGING_DIR/mdgate.toml for /etc/mdgate/mdgate.toml and
#       --check-config appended: it must exit 0, so the unit can never again ship a command
#       line that mdgate does not parse.
#   check_packaging.sh config PACKAGING_DIR MDGATE
#       PACKAGING_DIR/mdgate.toml writes out every key: each `key =` of
#       `mdgate run --check-config --print` (the defaults) appears in the file, in the same
#       table. (That the file's values equal the defaults is ConfigTest's job.)
set -euo pipefail

mode=${1:?usage: check_packaging.sh prometheus|systemd|config PACKAGING_DIR [TEST_DIR|MDGATE]}
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
        'ExecStart=/usr/bin/mdgate run --config /etc/mdgate/mdgate.toml --log-target journald'
        'WatchdogSec=30'
        'Restart=always'
        'RestartSec=10'
        'RestartPreventExitStatus=2'
        'StartLimitIntervalSec=0'
        'MemoryMax=1G'
        'LimitNOFILE=65536'
        'SyslogIdentifier=mdgate'
        'User=mdgate'
        'Group=mdgate'
        'StateDirectory=mdgate'
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
    # The package creates the user mdgate; a DynamicUser= would replace it with a transient one.
    ! grep -qE '^DynamicUser=' "$unit" || fail "$unit sets DynamicUser= (the package's user is mdgate)"
    for section in Unit Service Install; do
        grep -qxF "[$section]" "$unit" || fail "$unit lacks the [$section] section"
    done
    echo "OK: the unit has every required setting"
    [[ -z $mdgate ]] || check_exec_start "$unit"

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
    sed "s#^ExecStart=/usr/bin/mdgate #ExecStart=$work/mdgate #" "$unit" >"$work/mdgate.service"
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

# Runs the unit's ExecStart= with the built binary and the packaged config, plus --check-config.
check_exec_start() {
    local unit=$1 line
    line=$(grep -m1 '^ExecStart=' "$unit") || fail "$unit has no ExecStart="
    line=${line#ExecStart=}
    [[ $line == /usr/bin/mdgate\ * ]] || fail "ExecStart= does not start with /usr/bin/mdgate: $line"
    line=${line#/usr/bin/mdgate }
    line=${line//\/etc\/mdgate\/mdgate.toml/$pkg/mdgate.toml}
    local -a args
    read -r -a args <<<"$line"
    local out rc=0
    out=$("$mdgate" "${args[@]}" --check-config 2>&1) || rc=$?
    ((rc == 0)) || fail "the unit's ExecStart= does not run: mdgate ${args[*]} --check-config exited $rc: $out"
    echo "OK: ExecStart= runs: mdgate ${args[*]} --check-config ($out)"
}

check_config() {
    [[ -n $mdgate ]] || fail "config needs MDGATE (the built binary)"
    local file="$pkg/mdgate.toml" missing=()
    "$mdgate" run --check-config --print >"$work/defaults.toml" 2>/dev/null ||
        fail "$mdgate run --check-config --print failed"
    # "table.key" of every assignment, from a TOML file of plain tables and one-line or
    # bracketed multi-line arrays (the shape of both files); comments and values ignored.
    keys_of() {
        awk '/^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
             /^\[[^]]+\]/ { t = $0; sub(/^\[/, "", t); sub(/\].*/, "", t); next }
             /^[A-Za-z0-9_]+[[:space:]]*=/ { k = $0; sub(/[[:space:]]*=.*/, "", k); print t "." k }' "$1"
    }
    keys_of "$work/defaults.toml" | sort -u >"$work/default.keys"
    keys_of "$file" | sort -u >"$work/file.keys"
    [[ -s $work/default.keys ]] || fail "no keys in the --print output"
    mapfile -t missing < <(comm -23 "$work/default.keys" "$work/file.keys")
    ((${#missing[@]} == 0)) || fail "$file lacks the keys: ${missing[*]}"
    echo "OK: $file sets all $(wc -l <"$work/default.keys") keys of the default configuration"
}

case $mode in
prometheus) check_prometheus "${3:-}" ;;
systemd)
    mdgate=${3:-}
    check_systemd
    ;;
config)
    mdgate=${3:-}
    check_config
    ;;
*) fail "unknown mode '$mode' (prometheus, systemd or config)" ;;
esac
