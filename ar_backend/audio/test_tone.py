"""The test tone: one second of a soft 440 Hz tone on the voice's output device, played by
PortAudio beside the voice stream (the sound server mixes them), so a person hears that the
sound works before going live."""

from __future__ import annotations

from typing import Any

import numpy as np

from shared.messages import KeyedError, msg

TONE_HZ = 440.0
TONE_S = 1.0
TONE_DBFS = -12.0  # soft: a check, not an alarm
FADE_S = 0.02  # no click at either end


def tone(sample_rate: int, seconds: float = TONE_S) -> np.ndarray:
    """The tone's samples (mono float32), faded in and out."""
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    wave = (10 ** (TONE_DBFS / 20)) * np.sin(2 * np.pi * TONE_HZ * t)
    fade = min(int(sample_rate * FADE_S), n // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave.astype(np.float32)


class NoToneDevice(KeyedError):
    """No output device to play the tone on (the engine answers it as AudioUnavailable)."""


def play_tone(sd: Any, device: str | int | None) -> dict[str, Any]:
    """Start the tone on ``device`` (a name, part of one, or an index; None: PortAudio's
    default output) and return at once; :class:`NoToneDevice` when there is none."""
    try:
        info = sd.query_devices(device, "output")
    except Exception as exc:  # PortAudioError, ValueError: no such output device
        raise NoToneDevice(msg("audio.no_output_device")) from exc
    rate = int(info["default_samplerate"]) or 48000
    try:
        sd.play(tone(rate), rate, device=device)
    except Exception as exc:
        raise NoToneDevice(msg("audio.output_failed", detail=str(exc))) from exc
    return {"playing": True, "device": str(info["name"]), "seconds": TONE_S, "hz": TONE_HZ}
