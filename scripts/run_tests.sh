#!/usr/bin/env bash
# Install requirements-dev.lock into .venv (hash-checked; it fails, naming ./scripts/lock.sh, when
# requirements*.txt changed and the locks were not made again), then run ruff, import-linter,
# mypy and pytest.
#   ./scripts/run_tests.sh [PYTEST ARGS]         every test (CI, through .ci/run)
#   ./scripts/run_tests.sh --fast [PYTEST ARGS]  the fast loop (-m "not slow") on two pytest
#       workers per core (TEST_WORKERS=N to choose), then its wall time against its budget
#       and the CPU seconds its processes used (what a loaded machine disturbs least)
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
# the CPU the loop's processes use (pytest, its workers, what they start): the `times` builtin
# run in this shell (a subshell's counters would start at zero), before and after
cpu_times="$(mktemp)"
trap 'rm -f "$cpu_times"' EXIT
times >"$cpu_times"
start=$(date +%s.%N)
status=0
# two workers per core: the loop's tests wait part of the time (a thread's frame, a file, a
# socket), and a second worker on each core fills those waits (905 tests on 2 quiet cores:
# 64.5 and 65.5 s with one per core, 57.7 to 61.8 s with two; 897 tests after issue 22's
# CPU cuts: 87 to 95 s of CPU, 54 to 55 s of wall with others' work on the machine)
workers="${TEST_WORKERS:-$(($(nproc 2>/dev/null || echo 1) * 2))}"
"$PY" -m pytest -m "not slow" -n "$workers" --dist loadfile -p no:cacheprovider "$@" \
  || status=$?
end=$(date +%s.%N)
times >>"$cpu_times"
"$PY" - "$start" "$end" "$FAST_BUDGET_S" "$status" "$load" "$cpu_times" <<'EOF'
import os
import re
import sys

start, end, budget = (float(a) for a in sys.argv[1:4])
status, load, times_file = sys.argv[4:7]


def children_cpu(line: str) -> float:
    """user + sys in a `times` line for the children ("1m2.500s 0m0.300s")."""
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line))


with open(times_file) as f:
    lines = f.read().splitlines()
cpu = children_cpu(lines[3]) - children_cpu(lines[1])  # (each `times` prints two lines)
cores = os.cpu_count() or 1
took = end - start
verdict = "within budget" if took <= budget else f"OVER BUDGET by {took - budget:.1f} s"
print(
    f"fast loop: {took:.1f} s wall (budget {budget:.0f} s: {verdict}); pytest exit {status}; "
    f"{cores} cores, load {load} before it started (others' work slows it)\n"
    f"fast loop: {cpu:.1f} s of CPU in its processes (user + sys), so at least "
    f"{cpu / cores:.1f} s of wall on {cores} idle cores (a loaded machine moves this figure "
    "far less than the wall time)"
)
EOF
exit "$status"
