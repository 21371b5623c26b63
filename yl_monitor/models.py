"""Request bodies the monitor accepts (pydantic, strict: wrong types are 400s).

Every number has a finite range and every time a sane window, so nothing the monitor stores
can later fail to render (a time past year 9999, a float that JSON cannot carry).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from shared.timeutil import parse_timestamp

NODE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
NODE_ID_RE = re.compile(NODE_ID_PATTERN)
TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
BEAT_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
BEAT_ID_RE = re.compile(BEAT_ID_PATTERN)

# Times a client may send (heartbeat timestamp, register_time, acknowledge until).
EPOCH_MIN = 946684800.0  # 2000-01-01T00:00:00Z
EPOCH_MAX = 7258118400.0  # 2200-01-01T00:00:00Z
# Ranges of the figures a beat reports.
CPU_PERCENT_MAX = 10000.0  # a hundred cores at 100 %
MEMORY_MB_MAX = 1e9  # a petabyte
UPTIME_MAX = 1e10  # about 317 years
THREADS_MAX = 10_000_000


def valid_node_id(node_id: str) -> bool:
    return bool(NODE_ID_RE.fullmatch(node_id))


def valid_beat_id(beat_id: str) -> bool:
    return bool(BEAT_ID_RE.fullmatch(beat_id))


def finite_in(value: Any, low: float, high: float) -> float | None:
    """``value`` as a float when it is a finite number within [low, high], else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        return None
    return number


def in_window(ts: float) -> bool:
    """True for a finite time between 2000 and 2200."""
    return math.isfinite(ts) and EPOCH_MIN <= ts <= EPOCH_MAX


def _timestamp(value: Any) -> float | None:
    """A time as sent (ISO-8601 text or epoch seconds) as epoch seconds, within the window."""
    if value is None:
        return None
    too_long = isinstance(value, str) and len(value) > 64
    if too_long or isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be an ISO-8601 time or epoch seconds")
    try:
        ts = parse_timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError("must be an ISO-8601 time or epoch seconds") from exc
    if not in_window(ts):
        raise ValueError("must be a time between 2000-01-01 and 2200-01-01")
    return ts


def _storable_text(value: str | None) -> str | None:
    """Text every database stores: no NUL character, no lone UTF-16 surrogate."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(_storable_text)]


class ResourcesIn(BaseModel):
    """A heartbeat's ``resources``: the sending process's own figures."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    cpu_percent: float | None = Field(None, ge=0, le=CPU_PERCENT_MAX)
    memory_mb: float | None = Field(None, ge=0, le=MEMORY_MB_MAX)
    memory_percent: float | None = Field(None, ge=0, le=100)
    threads: int | None = Field(None, ge=0, le=THREADS_MAX)


class HeartbeatIn(BaseModel):
    """A node's status payload (docs/contracts.md); sections other than these are kept as sent.

    ``beat_id`` names the beat so a retry of it is stored once (see ``Idempotency-Key``).
    """

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    node_id: str | None = Field(None, pattern=NODE_ID_PATTERN)
    node_name: Text | None = Field(None, min_length=1, max_length=128)
    node_type: str | None = Field(None, pattern=TYPE_PATTERN)
    beat_id: str | None = Field(None, pattern=BEAT_ID_PATTERN)
    timestamp: str | float | None = None
    status: Text | None = Field(None, max_length=32)
    version: Text | None = Field(None, max_length=64)
    uptime: float | None = Field(None, ge=0, le=UPTIME_MAX)
    interval: float | None = Field(None, gt=0, le=86400)
    resources: ResourcesIn | None = None
    gui: dict[str, Any] | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _check_timestamp(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def sent_at(self) -> float | None:
        return _timestamp(self.timestamp)


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    node_id: str = Field(..., pattern=NODE_ID_PATTERN)
    node_name: Text | None = Field(None, min_length=1, max_length=128)
    node_type: str = Field("unknown", pattern=TYPE_PATTERN)
    register_time: str | float | None = None

    @field_validator("register_time", mode="before")
    @classmethod
    def _check_time(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def register_ts(self) -> float | None:
        return _timestamp(self.register_time)


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    by: Text = Field("anonymous", min_length=1, max_length=128)
    reason: Text | None = Field(None, max_length=2000)
    until: str | float | None = None
    for_seconds: float | None = Field(None, gt=0, le=366 * 86400)

    @field_validator("until", mode="before")
    @classmethod
    def _check_until(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def until_ts(self, now: float) -> float | None:
        if self.for_seconds is not None:
            return now + self.for_seconds
        return _timestamp(self.until)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    paused: bool = True
    reason: Text | None = Field(None, max_length=2000)
