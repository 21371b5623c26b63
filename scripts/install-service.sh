#!/usr/bin/env bash
# Install AR Live Studio's services under systemd (production).
#   sudo scripts/install-service.sh [--user U] [--dir D] [--bin B] [--uninstall] [--dry-run]
# Creates the service user (in the video and audio groups), copies the app's files to D,
# installs it into D/.venv (requirements.lock, hash-checked, then the app itself: its
# commands yl-monitor, ar-backend, ar-studio), installs config/systemd/*.service running
# those commands, enables and starts yl-monitor and ar-backend, and waits for both to be
# healthy. --bin B: use the commands already installed in B instead (say /usr/local/bin from
# `pipx install --global .`); no venv is made. Running it again updates in place. --uninstall
# reverses all of it (the database in D/data is kept in a backup folder). --dry-run prints
# every action only.
set -euo pipefail
user="arlive"
dir="/opt/ar-live-studio"
bin=""
uninstall=0
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --dry-run) dry=1; shift ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
unit_dir="/etc/systemd/system"
env_dir="/etc/ar-live-studio"
services="yl-monitor ar-backend"

run() {
  if [ "$dry" = 1 ]; then echo "would: $*"; else echo "+ $*"; "$@"; fi
}

render() {  # render TEMPLATE DEST
  if [ "$dry" = 1 ]; then echo "would: render $1 -> $2 (dir=$dir, user=$user, bin=$bin)"; return; fi
  sed -e "s#@DIR@#$dir#g" -e "s#@USER@#$user#g" -e "s#@BIN@#$bin#g" "$1" > "$2"
  echo "+ render $1 -> $2"
}

if [ "$dry" = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "run as root (sudo), or with --dry-run to see what it would do" >&2
  exit 1
fi

if [ "$uninstall" = 1 ]; then
  for s in ar-backend yl-monitor; do
    run systemctl disable --now "$s.service" || true
    run rm -f "$unit_dir/$s.service"
  done
  run rm -f "/usr/lib/systemd/user/ar-user-gui.service"
  run systemctl daemon-reload
  if [ -d "$dir/data" ] || [ "$dry" = 1 ]; then
    run cp -a "$dir/data" "/var/backups/ar-live-studio-data-$(date +%Y%m%d%H%M%S)"
  fi
  run rm -rf "$dir" "$env_dir"
  if id "$user" >/dev/null 2>&1 || [ "$dry" = 1 ]; then run userdel "$user"; fi
  echo "uninstalled"
  exit 0
fi

command -v python3 >/dev/null || { echo "python3 is missing: apt-get install python3 python3-venv" >&2; exit 1; }
if ! id "$user" >/dev/null 2>&1; then
  run useradd --system --home-dir "$dir" --shell /usr/sbin/nologin "$user"
fi
run usermod -a -G video,audio "$user"
run mkdir -p "$dir" "$dir/data" "$dir/logs" "$dir/recordings" "$dir/media" "$dir/outputs" "$env_dir"
if [ "$src" != "$dir" ]; then
  # the app, not the developer's venv or data
  run tar -C "$src" --exclude=.venv --exclude=data --exclude=logs --exclude=run \
    --exclude=recordings --exclude=media --exclude=outputs --exclude=.git -cf "/tmp/ar-live-studio-install.tar" .
  run tar -C "$dir" -xf "/tmp/ar-live-studio-install.tar"
  run rm -f "/tmp/ar-live-studio-install.tar"
fi
if [ -z "$bin" ]; then
  # the app's own venv: every package from the lock (hash-checked), then the app itself (its
  # dependencies are those already installed: --no-deps), which gives the commands
  bin="$dir/.venv/bin"
  run python3 -m venv "$dir/.venv"
  run "$bin/python" -m pip install -q --require-hashes -r "$dir/requirements.lock"
  run "$bin/python" -m pip install -q --no-deps "$dir"
else
  for c in yl-monitor ar-backend ar-studio; do
    [ -x "$bin/$c" ] || [ "$dry" = 1 ] || { echo "$bin/$c is missing: pipx install . (or pip install .) first" >&2; exit 1; }
  done
fi
for s in $services; do
  if [ ! -f "$env_dir/$s.env" ] || [ "$dry" = 1 ]; then
    run install -m 0640 /dev/null "$env_dir/$s.env"  # overrides: PREFIX__SECTION__KEY=value
  fi
  render "$src/config/systemd/$s.service.in" "$unit_dir/$s.service"
done
render "$src/config/systemd/ar-user-gui.service.in" "/usr/lib/systemd/user/ar-user-gui.service"
run chown -R "$user:$user" "$dir/data" "$dir/logs" "$dir/recordings" "$dir/media" "$dir/outputs"
run systemctl daemon-reload
for s in $services; do run systemctl enable --now "$s.service"; run systemctl restart "$s.service"; done

if [ "$dry" = 1 ]; then
  echo "would: wait for http://127.0.0.1:5500/api/health and http://127.0.0.1:5501/health"
  exit 0
fi
for url in http://127.0.0.1:5500/api/health http://127.0.0.1:5501/health; do
  for _ in $(seq 1 60); do
    curl -fsS "$url" >/dev/null 2>&1 && { echo "healthy: $url"; continue 2; }
    sleep 1
  done
  echo "not healthy after 60 s: $url (journalctl -u yl-monitor -u ar-backend)" >&2
  exit 1
done
echo "installed: dashboard http://127.0.0.1:5500/ (desktop users: systemctl --user enable --now ar-user-gui)"
