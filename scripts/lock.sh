#!/usr/bin/env bash
# Make the lock files again from requirements.txt and requirements-dev.txt, after changing
# either (commit the four files together):
#   ./scripts/lock.sh                            new and changed pins; every other pin kept
#   ./scripts/lock.sh --upgrade-package NAME     also move NAME (say, a transitive one) to
#                                                the newest release the pins allow
# requirements.lock (the app: start_all.sh, pip install, the release check) and
# requirements-dev.lock (the same versions plus the tools: run_tests.sh, CI) are made by
# pip-compile (pip-tools) with --generate-hashes: every package, transitive ones too, with the
# SHA-256 of every file the index publishes for that version, so any platform's wheel or the
# sdist verifies. The dev lock is constrained by the runtime lock: tests run what users get.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/venv.sh
. scripts/venv.sh
make_venv
if [ ! -x .venv/bin/pip-compile ]; then
  install_lock requirements-dev.lock  # pip-tools itself, hash-checked
fi
flags=(--quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url
  --no-emit-find-links)
export CUSTOM_COMPILE_COMMAND="./scripts/lock.sh"  # the command the files' header names
echo "== requirements.lock (from requirements.txt)"
.venv/bin/pip-compile "${flags[@]}" "$@" --output-file requirements.lock requirements.txt
echo "== requirements-dev.lock (from requirements-dev.txt, constrained by requirements.lock)"
.venv/bin/pip-compile "${flags[@]}" "$@" --constraint requirements.lock \
  --output-file requirements-dev.lock requirements-dev.txt
python3 scripts/lockcheck.py
echo "locks up to date: commit requirements*.txt, requirements.lock and requirements-dev.lock"
