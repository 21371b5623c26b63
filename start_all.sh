#!/usr/bin/env bash
# Start AR Live Studio's services on a dev box.
#   ./start_all.sh [start|stop|status|restart|logs] [--no-gui]
# The first run creates .venv and installs requirements.lock into it (every package pinned,
# each file's hash checked). Logs go to logs/, pids to run/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
mkdir -p logs run data

# started in this order, stopped in the reverse one
SERVICES="yl_monitor ar_backend user_gui"
declare -A PORT=([yl_monitor]=5500 [ar_backend]=5501 [user_gui]=5502)
declare -A HEALTH=([yl_monitor]=/api/health [ar_backend]=/health [user_gui]=/health)
declare -A CONFIG=([yl_monitor]=monitor.yaml [ar_backend]=backend.yaml [user_gui]=user_gui.yaml)
REVERSED="$(echo "$SERVICES" | tr ' ' '\n' | tac | tr '\n' ' ')"
NO_GUI=0

# has_display, check_system_libs, port_holder (names the supervisor's pid), port_busy
# shellcheck source=scripts/host_checks.sh
. scripts/host_checks.sh

pidfile() { echo "run/$1.pid"; }
running() { local f; f="$(pidfile "$1")"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

start_one() {
  local svc="$1" port="${PORT[$1]}"
  if running "$svc"; then echo "$svc already running (pid $(cat "$(pidfile "$svc")"))"; return 0; fi
  if port_busy "$port"; then
    local who; who="$(port_holder "$port")"
    echo "$svc not started: port $port is already in use${who:+ by $who}; stop it or change the port in config/${CONFIG[$svc]}" >&2
    return 1
  fi
  rotate_log "$svc"
  nohup .venv/bin/python -m "$svc" --config "config/${CONFIG[$svc]}" >>"logs/$svc.log" 2>&1 &
  echo $! >"$(pidfile "$svc")"
  for _ in $(seq 1 100); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port${HEALTH[$svc]}" >/dev/null 2>&1; then
      echo "$svc  http://127.0.0.1:$port/  (pid $(cat "$(pidfile "$svc")"), log logs/$svc.log)"
      return 0
    fi
    if ! running "$svc"; then
      echo "$svc failed to start; last lines of logs/$svc.log:" >&2
      tail -n 20 "logs/$svc.log" >&2
      rm -f "$(pidfile "$svc")"
      return 1
    fi
    sleep 0.2
  done
  echo "$svc did not answer on port $port within 20 s (see logs/$svc.log)" >&2
  return 1
}

stop_one() {
  local svc="$1" f pid
  f="$(pidfile "$svc")"
  if ! running "$svc"; then echo "$svc not running"; rm -f "$f"; return 0; fi
  pid="$(cat "$f")"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then echo "$svc did not stop in 20 s; killing"; kill -KILL "$pid"; fi
  rm -f "$f"
  echo "$svc stopped"
}

status_one() {
  local svc="$1" port="${PORT[$1]}" pid="-" state="stopped" health="-"
  if running "$svc"; then
    pid="$(cat "$(pidfile "$svc")")"
    state="running"
    if curl -fsS --max-time 2 "http://127.0.0.1:$port${HEALTH[$svc]}" >/dev/null 2>&1; then
      health="healthy"
    else
      health="not answering"
    fi
  fi
  printf '%-12s %-8s %-8s %-6s %s\n' "$svc" "$state" "$pid" "$port" "$health"
}

MEDIAPIPE_MODELS="mediapipe_face mediapipe_hands mediapipe_segmentation"
fetch_face_models() {  # MediaPipe's face, hand and segmentation models (a few MB), on first run
  local py=.venv/bin/python conf="config/${CONFIG[ar_backend]}" out reason
  # shellcheck disable=SC2086
  "$py" -m ar_backend.weights --config "$conf" verify $MEDIAPIPE_MODELS >/dev/null 2>&1 && return 0
  echo "fetching MediaPipe's face models through pip (first run, a few MB)"
  # shellcheck disable=SC2086
  if ! out="$("$py" -m ar_backend.weights --config "$conf" fetch $MEDIAPIPE_MODELS 2>&1 >/dev/null)"; then
    reason="$(printf '%s\n' "$out" | grep -m1 '^error: ' | sed 's/^error: //')"
    echo "MediaPipe's face models were not fetched (${reason:-see above}); the face swap runs on dlib's detector. Fetch them later: .venv/bin/python -m ar_backend.weights fetch $MEDIAPIPE_MODELS" >&2
  fi
  return 0
}

rotate_log() {  # keep logs/ small: rotate at 10 MB, keep 3
  local f="logs/$1.log"
  if [ -f "$f" ] && [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 10485760 ]; then
    for i in 2 1; do [ -f "$f.$i" ] && mv "$f.$i" "$f.$((i + 1))"; done
    mv "$f" "$f.1"
  fi
}

cmd="${1:-start}"
for arg in "${@:2}"; do
  case "$arg" in
    --no-gui) NO_GUI=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
case "$cmd" in
  start)
    # shellcheck source=scripts/venv.sh
    . scripts/venv.sh
    ensure_venv requirements.lock
    want_qt=0
    if [ "$NO_GUI" = 0 ] && has_display; then want_qt=1; fi
    check_system_libs "$want_qt"
    fetch_face_models
    for s in $SERVICES; do
      if [ "$s" = user_gui ]; then
        if [ "$NO_GUI" = 1 ]; then continue; fi
        if ! has_display; then
          echo "user_gui   not started: no display here (DISPLAY is not set). In a desktop session run"
          echo "           ./start_all.sh start, or .venv/bin/python -m user_gui; headless: xvfb-run .venv/bin/python -m user_gui"
          continue
        fi
      fi
      start_one "$s" || { "$0" stop; exit 1; }
    done
    echo "dashboard: http://127.0.0.1:${PORT[yl_monitor]}/"
    echo "preview:   http://127.0.0.1:${PORT[ar_backend]}/video_feed"
    ;;
  stop) for s in $REVERSED; do stop_one "$s"; done ;;
  restart) "$0" stop; "$0" start ;;
  status)
    printf '%-12s %-8s %-8s %-6s %s\n' SERVICE STATE PID PORT HEALTH
    for s in $SERVICES; do status_one "$s"; done ;;
  logs) tail -n 50 -f $(for s in $SERVICES; do echo "logs/$s.log"; done) ;;
  *) echo "usage: $0 start|stop|status|restart|logs" >&2; exit 2 ;;
esac
