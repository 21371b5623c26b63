"""The processor protocol and its registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame
from shared.registry import Registry

if TYPE_CHECKING:
    from ar_backend.background.live import Background
    from ar_backend.face.live.session import FaceSwap


@dataclass
class ProcessorContext:
    """What a processor may read about the live stream (for readouts)."""

    fps_out: float = 0.0
    latency_p50_ms: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class ProcessorResources:
    """What the studio lends processors (the face swap, the background); owned by the
    studio."""

    face: FaceSwap | None = None
    background: Background | None = None


class Processor(Protocol):
    name: str

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        """Return the frame to pass on (may be the same object, changed in place)."""

    def close(self) -> None: ...


ProcessorFactory = Callable[[PipelineConfig, ProcessorResources], Processor]
REGISTRY: Registry[ProcessorFactory] = Registry("processor")
register = REGISTRY.register


def make_processor(
    name: str, cfg: PipelineConfig, resources: ProcessorResources | None = None
) -> Processor:
    """The processor registered as ``name`` (:class:`UnknownName` naming those that are)."""
    return REGISTRY.get(name)(cfg, resources or ProcessorResources())
