#!/usr/bin/env bash
# A virtual microphone for the changed voice (Linux, PulseAudio or PipeWire's pulse server).
#   scripts/setup_virtual_mic.sh [--persist]
# Creates a null sink "ar_studio_mic" (the backend plays into it: set audio.output_device to
# "pulse" and PULSE_SINK=ar_studio_mic, or pick the sink by name) and a source on its monitor,
# "AR Live Studio Mic", that Zoom, OBS and browsers list as a microphone. --persist adds the
# same lines to ~/.config/pulse/default.pa so it comes back after a restart.
set -euo pipefail
persist=0
[ "${1:-}" = "--persist" ] && persist=1
command -v pactl >/dev/null || { echo "pactl is missing: sudo apt-get install pulseaudio-utils" >&2; exit 1; }
pactl info >/dev/null 2>&1 || { echo "no PulseAudio/PipeWire server is running for this user" >&2; exit 1; }
if ! pactl list short sinks | grep -q '\bar_studio_mic\b'; then
  pactl load-module module-null-sink sink_name=ar_studio_mic \
    sink_properties=device.description=AR_Live_Studio_Output >/dev/null
fi
if ! pactl list short sources | grep -q '\bar_studio_mic_source\b'; then
  pactl load-module module-remap-source master=ar_studio_mic.monitor \
    source_name=ar_studio_mic_source source_properties=device.description=AR_Live_Studio_Mic >/dev/null
fi
if [ "$persist" = 1 ]; then
  mkdir -p ~/.config/pulse
  f=~/.config/pulse/default.pa
  [ -f "$f" ] || echo ".include /etc/pulse/default.pa" > "$f"
  grep -q ar_studio_mic "$f" || cat >> "$f" <<'EOT'
load-module module-null-sink sink_name=ar_studio_mic sink_properties=device.description=AR_Live_Studio_Output
load-module module-remap-source master=ar_studio_mic.monitor source_name=ar_studio_mic_source source_properties=device.description=AR_Live_Studio_Mic
EOT
fi
cat <<'EOT'
Virtual microphone ready: "AR Live Studio Mic".
- ar_backend: audio.output_device: pulse in config/backend.yaml, and PULSE_SINK=ar_studio_mic
  in its environment (or /etc/ar-live-studio/ar-backend.env).
- Zoom: Settings > Audio > Microphone > AR Live Studio Mic. OBS: Audio Input Capture.
- Browser calls: the microphone menu of the call.
EOT
