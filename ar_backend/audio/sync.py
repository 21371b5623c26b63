"""Lips and voice together: the live voice is delayed by what the picture takes longer.

The video path (capture -> face swap -> output) takes tens of ms; the voice path (capture ->
effects -> output) its own. :class:`AvSync` turns the two measured latencies into the delay
the voice gets (``audio.av_sync``: ``auto`` follows the measure, smoothed, once a second;
``off`` none; a number of ms, fixed), and :class:`DelayLine` applies it to the voice,
cross-fading over one block whenever it changes, so a change never clicks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MAX_DELAY_MS = 1000.0
SMOOTHING = 0.3  # of each new measure taken into the applied delay (about 3 s to settle)


class AvSync:
    """The delay (ms) the voice gets; ``update`` once a second in ``auto``."""

    def __init__(self, mode: str | float) -> None:
        self.mode = mode
        self.video_ms: float | None = None
        self.voice_ms: float | None = None
        self.offset_ms = float(mode) if not isinstance(mode, str) else 0.0

    def update(self, video_ms: float | None, voice_ms: float) -> float:
        """Take the latest latencies; the delay to apply now."""
        self.video_ms, self.voice_ms = video_ms, voice_ms
        if self.mode == "auto" and video_ms is not None:
            wanted = min(MAX_DELAY_MS, max(0.0, video_ms - voice_ms))
            self.offset_ms += SMOOTHING * (wanted - self.offset_ms)
        elif self.mode == "off":
            self.offset_ms = 0.0
        return self.offset_ms

    def status(self) -> dict[str, float | str | None]:
        return {
            "av_sync": self.mode if isinstance(self.mode, str) else float(self.mode),
            "av_offset_ms": round(self.offset_ms, 1),
            "video_latency_ms": None if self.video_ms is None else round(self.video_ms, 1),
            "voice_latency_ms": None if self.voice_ms is None else round(self.voice_ms, 1),
        }


class DelayLine:
    """Delays blocks (frames, channels) by ``delay_ms``; a new delay is reached within one
    block by cross-fading the old delay's output into the new one's."""

    def __init__(self, rate: int, channels: int, max_ms: float = MAX_DELAY_MS) -> None:
        self.rate = rate
        self._size = int(rate * max_ms / 1000) + 1
        self._buf = np.zeros((self._size, channels), np.float32)
        self._delay = 0  # samples
        self._written = 0  # samples written in all (the write position, unwrapped)

    @property
    def delay_ms(self) -> float:
        return self._delay / self.rate * 1000

    def _read(self, end: int, n: int, delay: int) -> npt.NDArray[np.float32]:
        index = (np.arange(end - n, end) - delay) % self._size
        return self._buf[index]

    def process(self, block: npt.NDArray[np.float32], delay_ms: float) -> npt.NDArray[np.float32]:
        n = len(block)
        if n > self._size:
            return block  # longer than the line: not delayed (never the stream's blocks)
        delay = min(self._size - n, max(0, round(delay_ms * self.rate / 1000)))
        index = np.arange(self._written, self._written + n) % self._size
        self._buf[index] = block
        self._written += n
        if delay == 0 and self._delay == 0:
            return block
        out = self._read(self._written, n, delay)
        if delay != self._delay:
            old = self._read(self._written, n, self._delay)
            fade = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
            out = old * (1 - fade) + out * fade
            self._delay = delay
        return out.astype(np.float32)
