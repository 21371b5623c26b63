"""Where a frame's time goes: each stage's wall-clock milliseconds and the CPU milliseconds of
the thread that ran it, frame by frame.

On a loaded machine (two cores shared with other work) wall-clock figures grow with the load
while a stage's CPU time hardly moves, so both are kept: the CPU figure says what a stage
costs, the wall figure what it took this time. A thread's CPU time leaves out work a library
hands to threads of its own (OpenCV's parallel loops, x264's frame threads): those stages
say so where they are measured.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from shared.wire.backend import StageFigures


class Lap:
    """A stopwatch for one stage on one thread: wall-clock and this thread's CPU time."""

    __slots__ = ("cpu", "wall")

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.thread_time()

    def ms(self) -> tuple[float, float]:
        """(wall ms, CPU ms) since the lap started."""
        return (time.perf_counter() - self.wall) * 1000, (time.thread_time() - self.cpu) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class StageMeter:
    """The last ``window`` samples of each named stage: mean and p95 of its wall ms, mean of
    its CPU ms. Written by the threads that run the stages, read by status at any time."""

    def __init__(self, window: int = 300) -> None:
        self.window = window
        self._wall: dict[str, deque[float]] = {}
        self._cpu: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def add(self, stage: str, wall_ms: float, cpu_ms: float | None = None) -> None:
        with self._lock:
            self._wall.setdefault(stage, deque(maxlen=self.window)).append(wall_ms)
            if cpu_ms is not None:
                self._cpu.setdefault(stage, deque(maxlen=self.window)).append(cpu_ms)

    def lap(self, stage: str, lap: Lap) -> tuple[float, float]:
        """Add the stage timed by ``lap`` (started when the stage began); its (wall, CPU)."""
        wall, cpu = lap.ms()
        self.add(stage, wall, cpu)
        return wall, cpu

    def clear(self) -> None:
        with self._lock:
            self._wall.clear()
            self._cpu.clear()

    def means(self) -> dict[str, float]:
        """Each stage's mean wall ms."""
        with self._lock:
            return {k: round(sum(v) / len(v), 2) for k, v in self._wall.items() if v}

    def summary(self) -> dict[str, StageFigures]:
        """Each stage: ``ms`` (mean wall), ``p95_ms``, ``cpu_ms`` (mean CPU of its thread,
        None where not measured) and ``frames`` (samples in the window)."""
        with self._lock:
            walls = {k: list(v) for k, v in self._wall.items() if v}
            cpus = {k: list(v) for k, v in self._cpu.items() if v}
        return {
            stage: StageFigures(
                ms=round(sum(wall) / len(wall), 2),
                p95_ms=round(_p95(wall), 2),
                cpu_ms=round(sum(cpus[stage]) / len(cpus[stage]), 2) if stage in cpus else None,
                frames=len(wall),
            )
            for stage, wall in walls.items()
        }
