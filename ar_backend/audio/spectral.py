"""Short-time Fourier frames for the voice effects, block by block, and the spectral envelope.

:class:`StftFrames` turns the stream's blocks (any size) into overlapping Hann-windowed
frames, hands each frame's spectrum to a transform, and overlap-adds what comes back; the
output is exactly as long as the input, delayed by ``latency`` samples (one frame).

:func:`envelope` is the smooth outline of a magnitude spectrum (the vocal tract's resonances,
the formants) without the fine comb of the voice's harmonics: a cepstrum liftered below the
shortest pitch period, refined by the "true envelope" iterations (Roebel and Rodet, 2005) so
that it rides on the harmonic peaks instead of running between them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Block = npt.NDArray[np.float32]
Spectrum = npt.NDArray[np.complex128]
Floats = npt.NDArray[np.float64]

ENVELOPE_QUEFRENCY_S = 0.0016  # below the period of a 600 Hz voice: the harmonics stay out
TRUE_ENVELOPE_ROUNDS = 3


class StftFrames:
    """Blocks in, blocks out, through ``transform(spectrum) -> spectrum`` per frame.

    The spectrum is shaped (bins, channels). Analysis and synthesis use the same Hann window
    at a hop of a quarter frame, whose squares overlap-add to a constant, so an identity
    transform gives the input back (delayed by ``latency``)."""

    def __init__(self, size: int, channels: int, transform: Callable[[Spectrum], Spectrum]) -> None:
        self.size = size
        self.hop = size // 4
        self.latency = size  # a sample leaves when the frame that began with it is complete
        self.channels = channels
        self.transform = transform
        self.window = np.hanning(size + 1)[:size]
        self._gain = 1.0 / (np.sum(self.window**2) / self.hop)
        self._in = np.zeros((size, channels))
        self._out = np.zeros((size, channels))
        self._pending = np.zeros((0, channels))
        self._ready = np.zeros((0, channels))

    def process(self, block: Block) -> Block:
        hop = self.hop
        self._pending = np.concatenate([self._pending, block])
        produced = []
        while len(self._pending) >= hop:
            chunk, self._pending = self._pending[:hop], self._pending[hop:]
            self._in = np.concatenate([self._in[hop:], chunk])
            spec = np.fft.rfft(self._in * self.window[:, None], axis=0)
            frame = np.fft.irfft(self.transform(spec), n=self.size, axis=0)
            self._out += frame * self.window[:, None] * self._gain
            produced.append(self._out[:hop].copy())
            self._out = np.concatenate([self._out[hop:], np.zeros((hop, self.channels))])
        if produced:
            self._ready = np.concatenate([self._ready, *produced])
        if len(self._ready) < len(block):  # only at the very start: the frame's latency
            pad = np.zeros((len(block) - len(self._ready), self.channels))
            self._ready = np.concatenate([pad, self._ready])
        out, self._ready = self._ready[: len(block)], self._ready[len(block) :]
        return out.astype(np.float32)


def envelope(mag: Floats, rate: int, rounds: int = TRUE_ENVELOPE_ROUNDS) -> Floats:
    """The spectral envelope of ``mag`` (bins, channels), the same shape, always > 0."""
    size = 2 * (mag.shape[0] - 1)
    cut = max(4, round(ENVELOPE_QUEFRENCY_S * rate))
    lifter = np.zeros(size)
    lifter[:cut] = 1.0
    lifter[size - cut + 1 :] = 1.0
    lifter[cut - 1] = lifter[size - cut + 1] = 0.5
    target = np.log(np.maximum(mag, 1e-9))
    current = target
    smooth = target
    for _ in range(max(1, rounds)):
        smooth = np.fft.rfft(np.fft.irfft(current, n=size, axis=0) * lifter[:, None], axis=0).real
        current = np.maximum(target, smooth)  # fill the valleys between harmonics
    return np.exp(smooth)


def warp(env: Floats, factor: float) -> Floats:
    """``env`` with every resonance moved to ``factor`` times its frequency (bins beyond the
    top take the top bin's value)."""
    bins = np.arange(env.shape[0], dtype=np.float64)
    source = bins / factor
    return np.stack([np.interp(source, bins, env[:, c]) for c in range(env.shape[1])], axis=1)


class LoudnessMatch:
    """A slow make-up gain (about 0.2 s) that keeps an effect's output as loud as its input:
    overlapping resynthesised frames lose a few dB to phase interference, and moved formants
    change the level; no pumping."""

    def __init__(self, rate: int, span_s: float = 0.2) -> None:
        self.rate = rate
        self.span_s = span_s
        self._in = 1e-9
        self._out = 1e-9

    def __call__(self, before: Block, after: Block) -> Block:
        k = min(1.0, len(before) / (self.span_s * self.rate))
        self._in += k * (float(np.mean(np.square(before, dtype=np.float64))) - self._in)
        self._out += k * (float(np.mean(np.square(after, dtype=np.float64))) - self._out)
        gain = min(4.0, max(0.25, math.sqrt(self._in / max(self._out, 1e-12))))
        return (after * gain).astype(np.float32)
