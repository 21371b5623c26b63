"""No sound for the voice: what is missing on this computer, in a person's words. The backend
works out which piece is missing and the command for this system (``/audio/status``'s
``fix``, ar_backend/audio/sound_fix.py); the voice panel shows the sentence with the command
and Copy."""

from __future__ import annotations

from dataclasses import dataclass

from shared.wire.backend import SoundFix
from user_gui.app.i18n import tr

SERVERS = {"pipewire": "PipeWire", "pulseaudio": "PulseAudio"}


@dataclass(frozen=True)
class SoundMissing:
    """The voice did not start for want of a sound device: the backend's words and fix."""

    details: str
    fix: SoundFix


def sound_sentence(fix: SoundFix) -> str:
    """What is missing for the voice and what to do, one sentence (the command follows)."""
    server = SERVERS.get(fix.server or "", fix.server or "")
    if fix.missing == "portaudio":
        return tr(
            "The sound library (PortAudio) is not installed. Install it with this command, "
            "then start the voice again."
        )
    if fix.missing == "sound_server":
        return tr(
            "This computer has no sound card, and its sound server ({server}) is not running. "
            "Start it with this command, then start the voice again.",
            server=server,
        )
    if fix.missing == "alsa_plugin":
        return tr(
            "The sound server ({server}) is running, but the studio cannot reach it. Install "
            "its plugin with this command, then start the voice again.",
            server=server,
        )
    return tr(
        "This computer has no sound card and no sound server. Install PipeWire with this "
        "command, then start the voice again."
    )
