#!/usr/bin/env bash
# Start AR Live Studio's services on a dev box.
#   ./start_all.sh [start|stop|status|restart|logs|paths] [--no-gui]
# The first run creates .venv and installs requirements.lock into it (every package pinned,
# each file's hash checked). Then ar_live_studio (the `ar-live-studio` command of an
# installed copy) starts the monitor, the backend and, with a display, the window; logs go to
# logs/, pids to run/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# has_display, check_system_libs
# shellcheck source=scripts/host_checks.sh
. scripts/host_checks.sh

cmd="${1:-start}"
no_gui=0
for arg in "${@:2}"; do
  case "$arg" in
    --no-gui) no_gui=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
case "$cmd" in
  start|restart)
    # shellcheck source=scripts/venv.sh
    . scripts/venv.sh
    ensure_venv requirements.lock
    want_qt=0
    if [ "$no_gui" = 0 ] && has_display; then want_qt=1; fi
    check_system_libs "$want_qt"
    ;;
  stop|status|logs|paths)
    if [ ! -x .venv/bin/python ]; then echo "nothing started here yet (no .venv): ./start_all.sh"; exit 0; fi
    ;;
  *) echo "usage: $0 start|stop|status|restart|logs|paths [--no-gui]" >&2; exit 2 ;;
esac
exec .venv/bin/python -m ar_live_studio "$@"
