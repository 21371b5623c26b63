#!/usr/bin/env bash
# Sourced by start_all.sh, run_tests.sh, lock.sh and .ci/run: make .venv and install a lock
# file into it with pip's hash checking, skipping pip when the lock has not changed since the
# last install.
#   ensure_venv requirements.lock        (the app: start_all.sh)
#   ensure_venv requirements-dev.lock    (the app, the tests and the tools)
# The locks pin every package, transitive ones included, with the SHA-256 of each file the
# index publishes for that version; pip refuses any file whose hash is not listed, and any
# package the lock does not pin. ./scripts/lock.sh makes them from requirements*.txt.

venv_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# need_python: this Python is new enough (scripts/lockcheck.py needs 3.11's tomllib, too)
need_python() {
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "AR Live Studio needs Python 3.11 or newer (found: $(python3 --version 2>&1))" >&2
    return 1
  fi
}

# lock_current: exit 1, saying which command to run, when requirements*.txt or pyproject.toml
# changed and the locks were not made again (the change would otherwise never be installed)
lock_current() {
  python3 "$(venv_root)/scripts/lockcheck.py"
}

# make_venv: .venv with the pip that ships with this Python (nothing downloaded unchecked;
# the dev lock pins the pip it upgrades to)
make_venv() {
  local venv
  venv="$(venv_root)/.venv"
  need_python || return 1
  if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    python3 -m venv "$venv" || { echo "python3 -m venv failed (apt-get install python3-venv?)" >&2; return 1; }
  fi
}

# install_lock LOCK: pip install --require-hashes -r LOCK into .venv, once per version of LOCK
install_lock() {
  local lock="$1" root venv stamp sum
  root="$(venv_root)"
  venv="$root/.venv"
  stamp="$venv/.installed-$(basename "$lock")"
  sum="$(sha256sum "$root/$lock" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  echo "installing $lock into .venv (hash-checked)"
  # opencv-python replaced opencv-python-headless: both own cv2/, so drop the old one first
  if "$venv/bin/python" -m pip show -q opencv-python-headless >/dev/null 2>&1; then
    "$venv/bin/python" -m pip uninstall -q -y opencv-python-headless opencv-python || return 1
  fi
  # -qq: errors only (a hash refused is one); the pip that ships with Python warns once per
  # package about each extra index that lacks it, which says nothing about this install
  "$venv/bin/python" -m pip install -qq --disable-pip-version-check --require-hashes -r "$root/$lock" || {
    echo "pip refused $lock (above: a file whose hash the lock does not list, or a package it" >&2
    echo "does not pin); nothing was installed from it" >&2
    return 1
  }
  echo "$sum" > "$stamp"
}

# ensure_venv LOCK: the steps above
ensure_venv() {
  need_python && lock_current && make_venv && install_lock "$1"
}
