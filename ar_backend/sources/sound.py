"""The sound of a video source, handed to the voice path: a video file with an audio track
publishes its audio here as it plays, each chunk stamped with the capture time of its first
sample on the same clock as the frames (``time.monotonic()``), so the voice path can take it
as a microphone (``POST /audio/start {"input_device": "source"}``) in step with the picture.

It never builds a queue: at most ``MAX_S`` of sound waits; older chunks are dropped and
counted (a voice path that stopped reading)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_S = 1.0


@dataclass(frozen=True)
class SoundChunk:
    samples: npt.NDArray[np.float32]  # (frames, channels) at SourceSound.rate
    captured: float  # monotonic time of its first sample


class SourceSound:
    """One per studio. The source publishes (``publish``), the voice path takes
    (``take``). ``rate`` and ``channels`` are what the voice path runs at."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self._cond = threading.Condition()
        self._chunks: deque[SoundChunk] = deque()
        self._queued = 0
        self.publisher: str | None = None  # the source's label while one has sound
        self.dropped_s = 0.0
        self.published_s = 0.0

    def attach(self, label: str | None) -> None:
        """A source with sound starts (its label) or ends (None)."""
        with self._cond:
            self.publisher = label
            if label is None:
                self._chunks.clear()
                self._queued = 0
            self._cond.notify_all()

    def publish(self, samples: npt.NDArray[np.float32], captured: float) -> None:
        with self._cond:
            self._chunks.append(SoundChunk(samples, captured))
            self._queued += len(samples)
            self.published_s += len(samples) / self.rate
            while self._queued > MAX_S * self.rate and len(self._chunks) > 1:
                old = self._chunks.popleft()
                self._queued -= len(old.samples)
                self.dropped_s += len(old.samples) / self.rate
            self._cond.notify_all()

    def take(self, timeout: float) -> list[SoundChunk]:
        """Every chunk published since the last call; waits up to ``timeout`` for one."""
        with self._cond:
            if not self._chunks:
                self._cond.wait(timeout)
            chunks = list(self._chunks)
            self._chunks.clear()
            self._queued = 0
            return chunks

    def clear(self) -> None:
        with self._cond:
            self._chunks.clear()
            self._queued = 0
