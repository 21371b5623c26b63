"""The processor protocol and its registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame


@dataclass
class ProcessorContext:
    """What a processor may read about the live stream (for readouts)."""

    fps_out: float = 0.0
    latency_p50_ms: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


class Processor(Protocol):
    name: str

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        """Return the frame to pass on (may be the same object, changed in place)."""

    def close(self) -> None: ...


ProcessorFactory = Callable[[PipelineConfig], Processor]
REGISTRY: dict[str, ProcessorFactory] = {}


def register(name: str) -> Callable[[ProcessorFactory], ProcessorFactory]:
    def deco(factory: ProcessorFactory) -> ProcessorFactory:
        REGISTRY[name] = factory
        return factory

    return deco


def make_processor(name: str, cfg: PipelineConfig) -> Processor:
    try:
        return REGISTRY[name](cfg)
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown processor {name!r} (known: {known})") from None
