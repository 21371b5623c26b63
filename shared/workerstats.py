"""Figures each worker process publishes and any worker can read (shared memory).

Created by the parent before it forks its workers; each worker writes only its own slot, so
a request answered by any worker reports the figures of all of them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
from collections.abc import Iterable


class WorkerStats:
    def __init__(self, names: Iterable[str], workers: int = 1) -> None:
        self.names = tuple(names)
        self.workers = workers
        self._index = {name: i for i, name in enumerate(self.names)}
        self._array = multiprocessing.RawArray(ctypes.c_double, len(self.names) * workers)
        self.worker = 0

    def bind(self, worker: int) -> None:
        """Called in a worker after the fork: which slot this process writes."""
        if not 0 <= worker < self.workers:
            raise ValueError(f"worker {worker} out of range 0..{self.workers - 1}")
        self.worker = worker

    def set(self, name: str, value: float) -> None:
        self._array[self.worker * len(self.names) + self._index[name]] = value

    def get(self, name: str, worker: int | None = None) -> float:
        w = self.worker if worker is None else worker
        return self._array[w * len(self.names) + self._index[name]]

    def total(self, name: str) -> float:
        i, n = self._index[name], len(self.names)
        return sum(self._array[w * n + i] for w in range(self.workers))
