"""The base of every answer's model, and the figures both services report."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# A text for a person goes out as three fields (shared/messages.py: text_fields): ``X`` (the
# English), ``X_key`` and ``X_args`` (for a client to say it in its own language).
MessageKey = Annotated[
    str | None,
    Field(description="The text's stable key in shared/messages.py, for a client's language"),
]
MessageArgs = Annotated[
    dict[str, Any] | None, Field(description="The text's named parameters (JSON values)")
]


def _readers_keep_more(schema: dict[str, Any]) -> None:
    """The document does not promise that an answer holds no other field: a newer service
    may add fields, and a reader keeps what it does not know (the window validates answers
    with ``extra="allow"``)."""
    schema.pop("additionalProperties", None)


class Wire(BaseModel):
    """An answer's shape, written once: the producer builds it (a field it does not declare
    is an error there, not a surprise for a client), the service's OpenAPI document declares
    it, and the window's client and the tests read it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_readers_keep_more)


W = TypeVar("W", bound=Wire)


def extended(cls: type[W], base: Wire, **more: Any) -> W:
    """``base``'s answer with ``more`` fields, as ``cls`` (a model that adds them to it):
    what ``base``'s producer set, and ``more``."""
    return cls.model_validate({**base.model_dump(by_alias=True, exclude_unset=True), **more})


class MemoryFigures(Wire):
    total: int = Field(..., description="Bytes.")
    available: int = Field(..., description="Bytes.")
    percent: float
    used: int = Field(..., description="Bytes.")


class DiskFigures(Wire):
    total: int = Field(..., description="Bytes (0 when the disk could not be read).")
    used: int
    free: int
    percent: float


class ProcessFigures(Wire):
    cpu_percent: float = Field(..., description="This process (100 is one core).")
    memory_mb: float = Field(..., description="Its resident memory.")
    threads: int


class SystemFigures(Wire):
    """The host and this process, sampled every 2 s (shared/sysmetrics.py)."""

    cpu_percent: float = Field(..., description="The host's CPU, all cores.")
    memory: MemoryFigures
    disk: DiskFigures
    process: ProcessFigures
    timestamp: str = Field(..., description="When it was sampled (ISO-8601, UTC).")
