#!/usr/bin/env bash
# Sourced by start_all.sh (and by tests/ops/test_host_checks.py): what this machine has
# (system libraries, a display). Who holds a busy port is said by the launcher it runs
# (ar_live_studio, through shared/ports.py). Safe under `set -euo pipefail`: every
# function returns 0 unless it answers a yes/no question, and none pipes a long listing into
# a reader that may stop early.

has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

# The dynamic linker's cache (`ldconfig -p`), read whole; empty when there is no ldconfig.
# It is read into a variable first on purpose: `ldconfig -p | grep -q lib` under pipefail fails
# now and then even when the library is there, because grep exits at the first match and
# ldconfig, still writing, dies of SIGPIPE (status 141), which pipefail reports as the result.
ld_cache() {
  local ldconfig candidate
  ldconfig="$(command -v ldconfig || true)"
  if [ -z "$ldconfig" ]; then  # /sbin is not on a plain user's PATH on Debian
    for candidate in /sbin/ldconfig /usr/sbin/ldconfig; do
      if [ -x "$candidate" ]; then ldconfig="$candidate"; break; fi
    done
  fi
  [ -n "$ldconfig" ] || return 0
  "$ldconfig" -p 2>/dev/null || true
}

# has_lib NAME CACHE: whether the cache text (from ld_cache) lists a library named NAME.
has_lib() { [[ $2 == *"$1"* ]]; }

# check_system_libs [WANT_QT]: name what is missing, with the line that installs it; never
# fatal. WANT_QT=1 also checks the xcb libraries PyQt5 needs for the window.
check_system_libs() {
  local cache lib missing=""
  cache="$(ld_cache)"
  [ -n "$cache" ] || return 0  # no linker cache to read: nothing can be said
  if ! has_lib libportaudio "$cache"; then
    echo "note: PortAudio is missing, so audio effects will be unavailable: sudo apt-get install libportaudio2"
  fi
  if [ "${1:-0}" = 1 ]; then
    for lib in libxcb-icccm.so.4 libxcb-keysyms.so.1 libxcb-xinerama.so.0; do
      has_lib "$lib" "$cache" || missing="$missing $lib"
    done
    if [ -n "$missing" ]; then
      echo "note: Qt needs$missing for the window: sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0"
    fi
  fi
  return 0
}
