#!/usr/bin/env bash
# Install requirements-dev.lock into .venv (hash-checked; it fails, naming ./scripts/lock.sh, when
# requirements*.txt changed and the locks were not made again), then run ruff, import-linter,
# mypy and pytest.
# Extra arguments go to pytest (e.g. ./scripts/run_tests.sh -k alerts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv requirements-dev.lock
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
