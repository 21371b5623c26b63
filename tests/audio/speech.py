"""Spoken English from espeak-ng at 48 kHz, the voice the pitch, formant and denoise tests
listen to (the same speaker as benchmarks/voice_quality.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ar_backend.audio.voiceprint import espeak_speech
from tests.conftest import require_or_skip

RATE = 48000


def speak(folder: Path) -> np.ndarray:
    """The phrase spoken at 48 kHz, shaped (frames, 1); skipped (failed in CI) without
    espeak-ng."""
    try:
        return espeak_speech(folder, RATE)
    except FileNotFoundError as exc:
        require_or_skip(str(exc))
        raise
