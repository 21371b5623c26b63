#!/usr/bin/env bash
# Create the virtual camera AR Live Studio writes to (Linux: v4l2loopback).
#   sudo scripts/setup_virtual_camera.sh [--device-number 10] [--label "AR Live Studio"]
# Afterwards set outputs.virtual_camera.enabled: true (and device: /dev/video10) in
# config/backend.yaml, or POST /virtual_camera/start; OBS, Zoom and browsers list the camera.
# On Windows and macOS install OBS Studio and start its virtual camera once instead.
set -euo pipefail
nr=10
label="AR Live Studio"
while [ $# -gt 0 ]; do
  case "$1" in
    --device-number) nr="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
if [ "$(uname -s)" != Linux ]; then
  echo "v4l2loopback is Linux only: use OBS Studio's virtual camera on this system" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! modinfo v4l2loopback >/dev/null 2>&1; then
  echo "installing v4l2loopback (Debian/Ubuntu: v4l2loopback-dkms)"
  $SUDO apt-get install -y v4l2loopback-dkms v4l2loopback-utils || {
    echo "could not install v4l2loopback; install your distribution's v4l2loopback package" >&2
    exit 1
  }
fi
modules="$(lsmod 2>/dev/null || true)"  # read whole: under pipefail, `lsmod | grep -q` can die of SIGPIPE
if grep -q '^v4l2loopback' <<<"$modules"; then
  echo "v4l2loopback is already loaded:"
else
  $SUDO modprobe v4l2loopback devices=1 video_nr="$nr" card_label="$label" exclusive_caps=1
  echo "loaded v4l2loopback:"
fi
# load it again at every boot, with the same label and number
echo v4l2loopback | $SUDO tee /etc/modules-load.d/ar-live-studio.conf >/dev/null
echo "options v4l2loopback devices=1 video_nr=$nr card_label=\"$label\" exclusive_caps=1" |
  $SUDO tee /etc/modprobe.d/ar-live-studio.conf >/dev/null
if [ ! -e "/dev/video$nr" ]; then
  echo "/dev/video$nr did not appear; see dmesg | tail" >&2
  exit 1
fi
ls -l "/dev/video$nr"
cat <<EOT
The virtual camera is /dev/video$nr ("$label").
- config/backend.yaml: outputs.virtual_camera.enabled: true, device: /dev/video$nr
  (or POST /virtual_camera/start while the stream runs).
- OBS: Sources > + > Video Capture Device (V4L2) > "$label".
- Zoom: Settings > Video > Camera > "$label".
- Browser (Meet, Teams): the camera menu of the call, or chrome://settings/content/camera.
Add your user to the video group to use it without root: sudo usermod -a -G video \$USER
EOT
