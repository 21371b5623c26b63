"""Frames and the one-frame slot between pipeline stages (overwrite, never queue)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(slots=True)
class Frame:
    """One image with where it came from in time.

    ``captured`` is ``time.monotonic()`` when the source delivered it; ``seq`` counts frames
    from the source; ``timings`` gathers per-stage wall-clock milliseconds on the way and
    ``cpu`` the CPU milliseconds of the thread that ran each stage (ar_backend/stages.py).
    """

    image: np.ndarray
    seq: int
    captured: float
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


class LatestSlot:
    """Holds only the newest frame. ``put`` overwrites; an unread frame it replaces is a drop.

    Readers wait for a frame newer than the one they have; nothing ever builds a queue.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._taken = True
        self.dropped = 0
        self.put_count = 0
        self._closed = False

    def put(self, frame: Frame) -> None:
        with self._cond:
            if not self._taken:
                self.dropped += 1
            self._frame = frame
            self._taken = False
            self.put_count += 1
            self._cond.notify_all()

    def take(self, timeout: float) -> Frame | None:
        """The newest frame not taken before (a consuming reader), or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._taken and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            if self._closed and self._taken:
                return None
            self._taken = True
            self._cond.notify_all()  # (wait_taken)
            return self._frame

    def wait_taken(self, timeout: float) -> bool:
        """Wait until the frame put last has been taken (or none is waiting): a stage that
        feeds this slot starts its next frame only when the one after it is ready for it,
        so it never works on frames that would be replaced unread. False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._taken and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def latest(self) -> Frame | None:
        with self._cond:
            return self._frame

    def wait_newer(self, seq: int, timeout: float) -> Frame | None:
        """For many readers: the newest frame with ``seq`` above the given one, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._frame is None or self._frame.seq <= seq) and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            if self._frame is None or self._frame.seq <= seq:
                return None
            return self._frame

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reopen(self) -> None:
        with self._cond:
            self._closed = False
            self._frame = None
            self._taken = True
