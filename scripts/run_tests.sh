#!/usr/bin/env bash
# Install the dev requirements into .venv, then run ruff, import-linter, mypy and pytest.
# Extra arguments go to pytest (e.g. ./scripts/run_tests.sh -k alerts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv requirements-dev.txt
PY="$root/.venv/bin/python"
echo "== ruff"
"$root/.venv/bin/ruff" check .
"$root/.venv/bin/ruff" format --check .
echo "== import-linter"
"$root/.venv/bin/lint-imports"
echo "== mypy"
"$root/.venv/bin/mypy"
echo "== pytest"
exec "$PY" -m pytest "$@"
