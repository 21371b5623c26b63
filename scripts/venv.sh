#!/usr/bin/env bash
# Sourced by start_all.sh and run_tests.sh: make .venv and install a requirements file into it,
# skipping pip when the file has not changed since the last install.
# usage: ensure_venv requirements.txt
ensure_venv() {
  local req="$1" root venv stamp sum
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/.venv"
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "AR Live Studio needs Python 3.10 or newer (found: $(python3 --version 2>&1))" >&2
    return 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    python3 -m venv "$venv" || { echo "python3 -m venv failed (apt-get install python3-venv?)" >&2; return 1; }
    "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null || return 1
  fi
  stamp="$venv/.installed-$(basename "$req")"
  sum="$(cat "$root/$req" "$root/requirements.txt" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    echo "installing $req into .venv"
    # opencv-python replaced opencv-python-headless: both own cv2/, so drop the old one first
    if "$venv/bin/python" -m pip show -q opencv-python-headless >/dev/null 2>&1; then
      "$venv/bin/python" -m pip uninstall -q -y opencv-python-headless opencv-python || return 1
    fi
    "$venv/bin/python" -m pip install -q -r "$root/$req" || return 1
    echo "$sum" > "$stamp"
  fi
}
