"""Time helpers: an injectable clock and ISO-8601 (UTC, ``Z``) formatting."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock seconds since the epoch. Replace with :class:`ManualClock` in tests."""

    def now(self) -> float:
        return time.time()


class ManualClock(Clock):
    """A clock that only moves when told to: tests move time instead of sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, value: float) -> None:
        with self._lock:
            self._now = value


def iso(ts: float | None) -> str | None:
    """Epoch seconds as ISO-8601 in UTC with a ``Z`` suffix (None stays None).

    A value no date can show (NaN, infinite, before year 1 or after 9999) is None too, so a
    bad stored time never breaks the listing that shows it.
    """
    if ts is None:
        return None
    try:
        when = datetime.fromtimestamp(ts, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    now = iso(time.time())
    assert now is not None  # the clock's time is always a date
    return now


def parse_timestamp(value: str | float | int) -> float:
    """ISO-8601 text or epoch seconds to epoch seconds; ValueError when it is neither."""
    if isinstance(value, bool):
        raise ValueError("a timestamp is not a boolean")
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
