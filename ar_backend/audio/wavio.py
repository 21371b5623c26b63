"""WAV files in and out (PCM 16-bit, any rate and channel count), as float32 blocks."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples shaped (frames, channels) in [-1, 1], sample rate)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(
                f"{path}: only 16-bit PCM WAV is read (got {8 * w.getsampwidth()}-bit)"
            )
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        channels, rate = w.getnchannels(), w.getframerate()
    return (data.reshape(-1, channels).astype(np.float32) / 32768.0), rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    if samples.ndim == 1:
        samples = samples[:, None]
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
