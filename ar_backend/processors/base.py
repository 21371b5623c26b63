"""The processor protocol and its registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame

if TYPE_CHECKING:
    from ar_backend.face.swapper import FaceSwap


@dataclass
class ProcessorContext:
    """What a processor may read about the live stream (for readouts)."""

    fps_out: float = 0.0
    latency_p50_ms: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Resources:
    """What the studio lends processors (the face-swap session, say); owned by the studio."""

    face: FaceSwap | None = None


class Processor(Protocol):
    name: str

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        """Return the frame to pass on (may be the same object, changed in place)."""

    def close(self) -> None: ...


ProcessorFactory = Callable[[PipelineConfig, Resources], Processor]
REGISTRY: dict[str, ProcessorFactory] = {}


def register(name: str) -> Callable[[ProcessorFactory], ProcessorFactory]:
    def deco(factory: ProcessorFactory) -> ProcessorFactory:
        REGISTRY[name] = factory
        return factory

    return deco


def make_processor(name: str, cfg: PipelineConfig, resources: Resources | None = None) -> Processor:
    factory = REGISTRY.get(name)
    if factory is None:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown processor {name!r} (known: {known})")
    return factory(cfg, resources or Resources())
