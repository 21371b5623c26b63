#!/usr/bin/env bash
# Install requirements-dev.lock into .venv (hash-checked; it fails, naming ./scripts/lock.sh, when
# requirements*.txt changed and the locks were not made again), then run ruff, import-linter,
# mypy and pytest.
#   ./scripts/run_tests.sh [PYTEST ARGS]         every test (CI, through .ci/run)
#   ./scripts/run_tests.sh --fast [PYTEST ARGS]  the fast loop (-m "not slow") on one pytest
#       worker per core (TEST_WORKERS=N to choose), then its wall time against its budget
# Extra arguments go to pytest (e.g. ./scripts/run_tests.sh -k alerts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
FAST_BUDGET_S=60
fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv requirements-dev.lock
PY="$root/.venv/bin/python"
# pytest keeps the test modules it rewrites (for its assertion messages) only where Python may
# write bytecode; without that every run parses them again (about 5 s of CPU per pytest process)
unset PYTHONDONTWRITEBYTECODE
echo "== ruff"
"$root/.venv/bin/ruff" check .
"$root/.venv/bin/ruff" format --check .
echo "== import-linter"
"$root/.venv/bin/lint-imports"
echo "== mypy"
"$root/.venv/bin/mypy"
if [ "$fast" = 0 ]; then
  echo "== pytest"
  exec "$PY" -m pytest "$@"
fi
echo "== pytest: the fast loop"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)
start=$(date +%s.%N)
status=0
"$PY" -m pytest -m "not slow" -n "${TEST_WORKERS:-auto}" --dist loadfile -p no:cacheprovider "$@" \
  || status=$?
end=$(date +%s.%N)
"$PY" - "$start" "$end" "$FAST_BUDGET_S" "$status" "$load" <<'EOF'
import os
import sys

start, end, budget = (float(a) for a in sys.argv[1:4])
status, load = sys.argv[4:6]
took = end - start
verdict = "within budget" if took <= budget else f"OVER BUDGET by {took - budget:.1f} s"
print(
    f"fast loop: {took:.1f} s wall (budget {budget:.0f} s: {verdict}); pytest exit {status}; "
    f"{os.cpu_count()} cores, load {load} before it started (others' work slows it)"
)
EOF
exit "$status"
