"""``none``: passes frames through unchanged."""

from __future__ import annotations

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register


class NoneProcessor:
    name = "none"

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        return frame

    def close(self) -> None:
        pass


@register("none")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> NoneProcessor:
    return NoneProcessor()
