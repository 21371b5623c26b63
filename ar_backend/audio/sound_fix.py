"""What is missing when there is no sound, and the command that fixes it on this system.

The voice needs PortAudio, and PortAudio needs a device: a sound card, or a sound server
(PipeWire or PulseAudio) that it reaches through ALSA's pulse plugin. When the voice cannot
start, :func:`sound_fix` works out which piece is missing here and the exact command for this
system: PipeWire's when PipeWire is installed, PulseAudio's otherwise. The answer goes into
``/audio/status`` and the 503 of ``/audio/start`` as ``fix``; the window says it in a person's
words with the command to copy.

Looking costs a few ``which`` calls and at most one ``pactl info`` (2 s at most); the answer
for a given reason is kept for ``KEEP_S``, so the status the window polls never waits on it.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from typing import Any

from shared.messages import Message, as_message

KEEP_S = 30.0
PACTL_TIMEOUT_S = 2.0
PIPEWIRE_UNITS = "pipewire pipewire-pulse wireplumber"

# what is missing -> the messages AudioUnavailable gives for it (engine.py), by key
NO_PORTAUDIO = ("audio.no_portaudio",)
NO_DEVICE = (
    "audio.no_device",
    "audio.cannot_list",
    "audio.portaudio_hung",
    "audio.no_output_device",
)


def _which(name: str) -> bool:
    return shutil.which(name) is not None


def _server_answers() -> bool:
    """A PulseAudio or PipeWire (pipewire-pulse) server answers for this user."""
    if not _which("pactl"):
        return False
    try:
        done = subprocess.run(
            ["pactl", "info"], capture_output=True, timeout=PACTL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _install(packages: str) -> str:
    return f"sudo apt-get install -y {packages}" if _which("apt-get") else ""


def work_out(reason: Message) -> dict[str, Any] | None:
    """``{missing, server, command}`` for an AudioUnavailable ``reason``, None when the
    reason is not about a missing piece (a stream that does not open, say).

    ``missing``: ``portaudio`` (the library), ``sound_server`` (installed, not running),
    ``sound_system`` (no sound server installed), ``alsa_plugin`` (a server runs but PortAudio
    cannot reach it). ``server``: pipewire or pulseaudio, the one the command is for.
    ``command``: one line to run in a terminal ("" where none is known here)."""
    if reason.key in NO_PORTAUDIO:
        return {"missing": "portaudio", "server": None, "command": _install("libportaudio2")}
    if reason.key not in NO_DEVICE:
        return None
    server = "pipewire" if _which("pipewire") else "pulseaudio" if _which("pulseaudio") else None
    if server is None:
        command = _install("pipewire pipewire-pulse wireplumber libasound2-plugins")
        return {"missing": "sound_system", "server": "pipewire", "command": command}
    if _server_answers():  # it runs: PortAudio lacks ALSA's way to it
        return {
            "missing": "alsa_plugin",
            "server": server,
            "command": _install("libasound2-plugins"),
        }
    if server == "pipewire":
        command = f"systemctl --user start {PIPEWIRE_UNITS}"
    else:
        command = "pulseaudio --start"
    return {"missing": "sound_server", "server": server, "command": command}


class SoundFixes:
    """``work_out`` kept per reason for KEEP_S (the status is read every few seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, dict[str, Any] | None]] = {}

    def __call__(self, reason: Message | str | None) -> dict[str, Any] | None:
        if reason is None or reason == "":
            return None
        message = as_message(reason)
        seen = f"{message.key}:{message}"
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(seen)
            if kept is not None and now - kept[0] < KEEP_S:
                return kept[1]
        fix = work_out(message)
        with self._lock:
            self._kept = {seen: (now, fix)}  # one reason at a time is enough
        return fix


sound_fix = SoundFixes()
