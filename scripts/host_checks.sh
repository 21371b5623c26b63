#!/usr/bin/env bash
# Sourced by start_all.sh (and by tests/ops/test_host_checks.py): what this machine has
# (system libraries, a display) and who holds a port. Safe under `set -euo pipefail`: every
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

# port_holder PORT: "name (pid N)" of the process listening on the port, or nothing.
# A pre-forked server (yl_monitor) shares one listening socket between its supervisor, its
# workers and its ingest process, and ss lists the newest worker first; the one to name is
# the supervisor (the main pid, the one to stop): the holder whose parent holds no share.
port_holder() {
  local out rest pid ppid
  local re='\("([^"]*)",pid=([0-9]+),'
  local -A name=()
  out="$(ss -ltnpH "sport = :$1" 2>/dev/null || true)"
  rest="$out"
  while [[ $rest =~ $re ]]; do
    name[${BASH_REMATCH[2]}]="${BASH_REMATCH[1]}"
    rest="${rest#*"${BASH_REMATCH[0]}"}"
  done
  for pid in $(printf '%s\n' "${!name[@]}" | sort -n); do
    ppid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    if [ -z "$ppid" ] || [ -z "${name[$ppid]+set}" ]; then
      echo "${name[$pid]} (pid $pid)"
      return 0
    fi
  done
  return 0
}

# port_busy PORT: whether something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
