# Sourced by run_unit_tests.sh and run_e2e.sh: mdg_pyenv BUILD_DIR makes sure that
# BUILD_DIR/pyenv is a virtual environment of Debian's Python (it sees python3-websockets)
# with the client of clients/python installed from the working tree, offline, and sets $py to
# its interpreter. The client is reinstalled only when its sources changed (a hash of them is
# kept in the environment). Exits 77 (skip) when a Debian package is missing.

mdg_pyenv() {
    local build=$1
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    local client=$root/clients/python
    local env=$build/pyenv
    local sys_py=/usr/bin/python3
    if [[ ! -x $sys_py ]] || ! "$sys_py" -c 'import venv, ensurepip' 2>/dev/null; then
        echo "SKIP: Debian's python3 with venv is not installed (scripts/setup.sh installs python3-venv)"
        exit 77
    fi
    if ! "$sys_py" -c 'import websockets, setuptools, wheel' 2>/dev/null; then
        echo "SKIP: python3-websockets, python3-setuptools or python3-wheel is missing (scripts/setup.sh installs them)"
        exit 77
    fi
    mkdir -p "$build"
    exec {lock_fd}>"$build/pyenv.lock"
    flock "$lock_fd"   # ctest -j: one test at a time builds the environment
    if [[ ! -x $env/bin/python ]]; then
        rm -rf "$env"
        "$sys_py" -m venv --system-site-packages "$env" >/dev/null
    fi
    local hash
    hash=$(cd "$client" && find pyproject.toml README.md src -type f ! -name '*.pyc' -print0 |
               LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
    if [[ ! -f $env/.mdgate-src-hash || $(cat "$env/.mdgate-src-hash") != "$hash" ]]; then
        # Built from a copy, so that setuptools' build/ and *.egg-info stay out of the tree.
        local copy=$env/src-copy
        rm -rf "$copy"
        mkdir -p "$copy"
        cp -r "$client/pyproject.toml" "$client/README.md" "$client/src" "$copy/"
        if ! "$env/bin/pip" install --quiet --no-index --no-build-isolation --no-deps \
                --force-reinstall --disable-pip-version-check "$copy" >"$env/pip.log" 2>&1; then
            cat "$env/pip.log"
            echo "FAIL: pip could not install clients/python"
            exit 1
        fi
        echo "$hash" >"$env/.mdgate-src-hash"
    fi
    flock -u "$lock_fd"
    exec {lock_fd}>&-
    py=$env/bin/python
    export PYTHONDONTWRITEBYTECODE=1
}
