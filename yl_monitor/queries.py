"""Query strings the monitor's listings accept (text, coerced: ``?limit=50`` is an int)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.timeutil import parse_timestamp
from yl_monitor.models import EPOCH_MAX, EPOCH_MIN, NODE_ID_PATTERN


class AlertsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["open", "firing", "acknowledged", "resolved", "all"] = Field(
        "open", description="'open' is firing or acknowledged."
    )
    node_id: str | None = Field(None, pattern=NODE_ID_PATTERN, description="Only this node's.")
    limit: int = Field(200, ge=1, le=1000, description="At most this many, newest first.")


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(120, ge=1, le=5000, description="At most this many beats.")
    since: str | None = Field(
        None, max_length=64, description="Only beats after this time (ISO-8601 or epoch seconds)."
    )

    @field_validator("since")
    @classmethod
    def _check_since(cls, value: str | None) -> str | None:
        if value is not None:
            cls.since_epoch(value)
        return value

    @staticmethod
    def since_epoch(value: str) -> float:
        try:
            when = parse_timestamp(value)
        except (ValueError, TypeError):
            try:
                when = float(value)
            except ValueError:
                raise ValueError("must be ISO-8601 or epoch seconds") from None
        if not (math.isfinite(when) and EPOCH_MIN <= when <= EPOCH_MAX):
            raise ValueError("must be a time between 2000 and 2200")
        return when

    def since_ts(self) -> float | None:
        return None if self.since is None else self.since_epoch(self.since)
