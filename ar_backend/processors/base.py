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
    """A step of the live path. One may also have a ``prepare(frame, ctx) -> None`` step (see
    :func:`prepare_step`): work on the frame as the camera gave it that does not change it
    (finding its faces), run on the pipeline's prepare thread while the frame before is in
    ``process``; it hands its result to ``process`` in ``frame.meta``. Without the prepare
    thread (``pipeline.overlap: false``) ``process`` runs it itself."""

    name: str

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        """Return the frame to pass on (may be the same object, changed in place)."""

    def close(self) -> None: ...


PrepareStep = Callable[[Frame, ProcessorContext], None]


def prepare_step(processor: Processor) -> PrepareStep | None:
    """The processor's ``prepare`` step, or None when it has none."""
    step = getattr(processor, "prepare", None)
    return step if callable(step) else None


ProcessorFactory = Callable[[PipelineConfig, ProcessorResources], Processor]
REGISTRY: Registry[ProcessorFactory] = Registry("processor")
register = REGISTRY.register


def make_processor(
    name: str, cfg: PipelineConfig, resources: ProcessorResources | None = None
) -> Processor:
    """The processor registered as ``name`` (:class:`UnknownName` naming those that are)."""
    return REGISTRY.get(name)(cfg, resources or ProcessorResources())
