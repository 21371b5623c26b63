"""systemd's notify protocol: READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1.

Only does anything when systemd set ``NOTIFY_SOCKET`` (a unit with ``Type=notify``); with
``WatchdogSec`` it also sets ``WATCHDOG_USEC`` and :class:`Watchdog` pets it at half that.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable

from shared.worker import PeriodicWorker

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send one state line to systemd; False when not under systemd (or it failed)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError as exc:
        log.warning("systemd notify failed: %s", exc)
        return False


def reloading() -> bool:
    """RELOADING=1 with the monotonic timestamp systemd 253+ expects (older ones ignore it)."""
    return notify(
        f"RELOADING=1\nMONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}"
    )


class Watchdog:
    """Pets systemd's watchdog from a thread while ``alive()`` says the process is healthy."""

    def __init__(self, alive: Callable[[], bool] = lambda: True) -> None:
        usec = os.environ.get("WATCHDOG_USEC")
        self.interval = int(usec) / 2e6 if usec and usec.isdigit() else None
        self._alive = alive
        self._worker = PeriodicWorker("watchdog", self._pet, self.interval or 0.0, logger=log)

    def start(self) -> None:
        if self.interval is not None:
            self._worker.start()

    def _pet(self) -> None:
        if self._alive():
            notify("WATCHDOG=1")

    def stop(self) -> None:
        self._worker.stop(timeout=5)
