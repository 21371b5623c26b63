"""System metrics sampled by a background thread, so no request ever waits on psutil."""

from __future__ import annotations

import logging
import os
import threading
import time

import psutil

from shared.timeutil import iso
from shared.wire.base import DiskFigures, MemoryFigures, ProcessFigures, SystemFigures
from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


class SystemMetricsSampler:
    """Samples CPU, memory, disk and this process every ``interval`` seconds.

    ``snapshot()`` returns the latest sample at once. The owner calls ``start()`` and
    ``stop()``; the ``sysmetrics`` thread is a :class:`PeriodicWorker`.
    """

    def __init__(self, interval: float = 2.0, disk_path: str = "/") -> None:
        self.interval = interval
        self.disk_path = disk_path
        self._worker = PeriodicWorker("sysmetrics", self._sample_once, interval, logger=log)
        self._lock = threading.Lock()
        self._proc = psutil.Process(os.getpid())
        psutil.cpu_percent(interval=None)  # prime: the first non-blocking call returns 0.0
        self._proc.cpu_percent(interval=None)
        self._latest = self._sample()

    def _sample(self) -> SystemFigures:
        vm = psutil.virtual_memory()
        try:
            du = psutil.disk_usage(self.disk_path)
            disk = DiskFigures(total=du.total, used=du.used, free=du.free, percent=du.percent)
        except OSError:
            disk = DiskFigures(total=0, used=0, free=0, percent=0.0)
        with self._proc.oneshot():
            proc = ProcessFigures(
                cpu_percent=self._proc.cpu_percent(interval=None),
                memory_mb=round(self._proc.memory_info().rss / 1048576, 1),
                threads=self._proc.num_threads(),
            )
        return SystemFigures(
            cpu_percent=psutil.cpu_percent(interval=None),
            memory=MemoryFigures(
                total=vm.total, available=vm.available, percent=vm.percent, used=vm.used
            ),
            disk=disk,
            process=proc,
            timestamp=iso(time.time()),
        )

    def snapshot(self) -> SystemFigures:
        """The latest sample (never changed after it is taken)."""
        with self._lock:
            return self._latest

    def _sample_once(self) -> None:
        sample = self._sample()  # a psutil hiccup is logged by the worker, which goes on
        with self._lock:
            self._latest = sample

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=5)
