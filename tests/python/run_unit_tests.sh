#!/usr/bin/env bash
# The Python client's unit tests (clients/python/tests, standard-library unittest, against a
# fake gateway on 127.0.0.1), run with the client installed in BUILD_DIR/pyenv.
# Usage: run_unit_tests.sh BUILD_DIR   (exit 77 = skipped: a Debian package is missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/pyenv.sh"
mdg_pyenv "$1"
cd "$root"
"$py" -c 'import mdgate, websockets; print("mdgate", mdgate.__version__, "from", mdgate.__file__, "| websockets", websockets.__version__)'
exec "$py" -m unittest discover -s clients/python/tests "${@:2}"
