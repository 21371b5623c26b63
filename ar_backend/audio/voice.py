"""The voice's pitch and formants: ``pitch`` (formants kept by default) and ``formant``.

Both run on 1024-sample frames at a quarter-frame hop (:class:`StftFrames`): the latency is
one frame (21 ms at 48 kHz), block by block at any block size.

- ``pitch`` is a phase vocoder (each bin's true frequency from its phase advance, moved to
  ``ratio`` times it, resynthesised with running phases). With ``preserve_formants`` (the
  default) the spectrum is first divided by its envelope (:func:`envelope`), the flat
  harmonic comb is moved, and the original envelope is put back: the pitch rises, the vocal
  tract stays the same size, so it sounds like another person and not a cartoon.
  ``preserve_formants: false`` moves everything (the chipmunk).
- ``formant`` moves the envelope alone: each frame is multiplied by env(f / ratio) / env(f),
  the harmonics and their phases untouched, so the pitch stays where it was (a deeper or a
  brighter voice at the same pitch).

Why our own DSP and not a library (benchmarks/voice_quality.py compares them on the same
espeak-ng speech): WORLD (pyworld) matched these formant figures but needs whole phrases
(150 ms of latency at the least, 0.23-0.37 of real time) and has no wheel for this Python;
Signalsmith Stretch (python-stretch 0.3.1) exposes no formant control (F1 moved x1.29 at +5),
delays 120 ms and breaks under blocks shorter than 1440 samples.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ar_backend.audio.effects import Effect, Params, register
from ar_backend.audio.spectral import (
    Block,
    LoudnessMatch,
    Spectrum,
    StftFrames,
    envelope,
    warp,
)

FRAME = 1024


class PitchParams(Params):
    semitones: float = Field(0.0, ge=-12, le=12, description="Shift in semitones.")
    preserve_formants: bool = Field(
        True,
        description="Keep the formants (the size of the vocal tract) where they are: another "
        "person's voice; false moves them with the pitch (a cartoon voice).",
    )


def _frame_size(rate: int) -> int:
    """1024 at 48 kHz (21 ms frames), the same duration at other rates (a power of two)."""
    return int(2 ** round(np.log2(FRAME * rate / 48000)))


@register("pitch")
class PitchShift(Effect):
    """Phase-vocoder pitch shift, the formants kept by default (module docstring)."""

    Params = PitchParams

    def __init__(self, params: PitchParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self.ratio = 2 ** (params.semitones / 12)
        self._frames = StftFrames(_frame_size(rate), channels, self._shift)
        self.latency_samples = 0 if self.ratio == 1.0 else self._frames.latency
        n, hop = self._frames.size, self._frames.hop
        bins = n // 2 + 1
        self._last_phase = np.zeros((bins, channels))
        self._sum_phase = np.zeros((bins, channels))
        self._expected = 2 * np.pi * hop * np.arange(bins) / n
        self._target = np.round(np.arange(bins) * self.ratio).astype(int)
        self._loudness = LoudnessMatch(rate)

    def _shift(self, spec: Spectrum) -> Spectrum:
        n, hop = self._frames.size, self._frames.hop
        mag, phase = np.abs(spec), np.angle(spec)
        delta = phase - self._last_phase - self._expected[:, None]
        self._last_phase = phase
        delta -= 2 * np.pi * np.round(delta / (2 * np.pi))
        true_bin = np.arange(len(mag))[:, None] + delta * n / (2 * np.pi * hop)
        env = envelope(mag, self.rate) if self.params.preserve_formants else None
        source = mag / env if env is not None else mag
        moved = np.zeros_like(mag)
        new_freq = np.zeros_like(mag)
        ok = self._target < len(mag)
        for c in range(self.channels):
            np.add.at(moved[:, c], self._target[ok], source[ok, c])
            new_freq[self._target[ok], c] = true_bin[ok, c] * self.ratio
        if env is not None:
            moved *= env  # the original resonances over the moved harmonics
        # each frame keeps its energy: bins that merge (down) or spread (up) keep the level
        before = np.sqrt((mag**2).sum(axis=0))
        after = np.sqrt((moved**2).sum(axis=0))
        moved *= np.where(after > 0, before / np.maximum(after, 1e-12), 0.0)
        self._sum_phase += 2 * np.pi * hop * new_freq / n
        return moved * np.exp(1j * self._sum_phase)

    def process(self, block: Block) -> Block:
        if self.ratio == 1.0:
            return block
        return self._loudness(block, self._frames.process(block))


class FormantParams(Params):
    semitones: float = Field(
        0.0,
        ge=-12,
        le=12,
        description="Move the formants alone, in semitones: below 0 a larger vocal tract "
        "(deeper, darker), above 0 a smaller one (brighter); the pitch stays.",
    )


@register("formant")
class FormantShift(Effect):
    """The spectral envelope moved, the harmonics kept (module docstring)."""

    Params = FormantParams

    def __init__(self, params: FormantParams, rate: int, channels: int) -> None:
        super().__init__(params, rate, channels)
        self.ratio = 2 ** (params.semitones / 12)
        self._frames = StftFrames(_frame_size(rate), channels, self._move)
        self.latency_samples = 0 if self.ratio == 1.0 else self._frames.latency
        self._loudness = LoudnessMatch(rate)

    def _move(self, spec: Spectrum) -> Spectrum:
        env = envelope(np.abs(spec), self.rate)
        gain = np.clip(warp(env, self.ratio) / env, 0.01, 100.0)
        return spec * gain

    def process(self, block: Block) -> Block:
        if self.ratio == 1.0:
            return block
        return self._loudness(block, self._frames.process(block))
