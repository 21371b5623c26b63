"""Logging set-up shared by the three processes, plus a helper that logs a fault once."""

from __future__ import annotations

import logging
import logging.handlers
import threading
from pathlib import Path

from shared.config import LoggingConfig

DEFAULT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(cfg: LoggingConfig) -> None:
    """Configure the root logger from config: level, format, and an optional rotating file."""
    root = logging.getLogger()
    root.setLevel(cfg.level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = logging.Formatter(cfg.format or DEFAULT_FORMAT)
    stream = logging.StreamHandler()
    stream.setFormatter(formatter)
    root.addHandler(stream)
    if cfg.file:
        path = Path(cfg.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(formatter)
        root.addHandler(file_handler)
    # waitress logs every queue wait at WARNING; keep it but not its per-request chatter.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class FaultLatch:
    """Logs a fault when it starts and once more when it clears, not on every repeat.

    ``fault(msg)`` returns True the first time (the caller may count it), ``clear()`` logs
    recovery only when a fault was active.
    """

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self._lock = threading.Lock()
        self.active: str | None = None

    def fault(self, message: str) -> bool:
        with self._lock:
            first = self.active is None
            self.active = message
        if first:
            self._logger.error("%s failed: %s", self._what, message)
        return first

    def clear(self) -> bool:
        with self._lock:
            was = self.active
            self.active = None
        if was is not None:
            self._logger.warning("%s recovered (was: %s)", self._what, was)
            return True
        return False
