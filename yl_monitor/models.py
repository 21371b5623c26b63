"""Request bodies the monitor accepts (pydantic, strict: wrong types are 400s)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.timeutil import parse_timestamp

NODE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
NODE_ID_RE = re.compile(NODE_ID_PATTERN)
TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def valid_node_id(node_id: str) -> bool:
    return bool(NODE_ID_RE.fullmatch(node_id))


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError("must be an ISO-8601 time or epoch seconds") from exc


class Resources(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    cpu_percent: float | None = Field(None, ge=0, le=10000)
    memory_mb: float | None = Field(None, ge=0)
    memory_percent: float | None = Field(None, ge=0, le=100)
    threads: int | None = Field(None, ge=0)


class HeartbeatIn(BaseModel):
    """A node's status payload (docs/contracts.md); sections other than these are kept as sent."""

    model_config = ConfigDict(extra="allow", strict=True)

    node_id: str | None = Field(None, pattern=NODE_ID_PATTERN)
    node_name: str | None = Field(None, min_length=1, max_length=128)
    node_type: str | None = Field(None, pattern=TYPE_PATTERN)
    timestamp: str | float | None = None
    status: str | None = Field(None, max_length=32)
    version: str | None = Field(None, max_length=64)
    uptime: float | None = Field(None, ge=0)
    interval: float | None = Field(None, gt=0, le=86400)
    resources: Resources | None = None
    gui: dict[str, Any] | None = None

    @field_validator("timestamp")
    @classmethod
    def _check_timestamp(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def sent_at(self) -> float | None:
        return _timestamp(self.timestamp)


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    node_id: str = Field(..., pattern=NODE_ID_PATTERN)
    node_name: str | None = Field(None, min_length=1, max_length=128)
    node_type: str = Field("unknown", pattern=TYPE_PATTERN)
    register_time: str | float | None = None

    @field_validator("register_time")
    @classmethod
    def _check_time(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def register_ts(self) -> float | None:
        return _timestamp(self.register_time)


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    by: str = Field("anonymous", min_length=1, max_length=128)
    reason: str | None = Field(None, max_length=2000)
    until: str | float | None = None
    for_seconds: float | None = Field(None, gt=0, le=366 * 86400)

    @field_validator("until")
    @classmethod
    def _check_until(cls, value: Any) -> Any:
        _timestamp(value)
        return value

    def until_ts(self, now: float) -> float | None:
        if self.for_seconds is not None:
            return now + self.for_seconds
        return _timestamp(self.until)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    paused: bool = True
    reason: str | None = Field(None, max_length=2000)
