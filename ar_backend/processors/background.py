"""``background``: the studio's background (ar_backend/background) on each frame: off,
blurred, a colour or a picture behind the person.

It follows ``face_swap`` in the chain, which leaves the outlines of the faces it tracks in
``frame.meta["faces"]``: those are kept whole whatever the person mask says.
"""

from __future__ import annotations

from ar_backend.config import PipelineConfig
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register


class BackgroundProcessor:
    name = "background"

    def __init__(self, resources: ProcessorResources) -> None:
        self.background = resources.background

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        if self.background is not None:
            frame.image = self.background.apply(frame.image, frame.meta.get("faces"))
        return frame

    def close(self) -> None:
        pass


@register("background")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> BackgroundProcessor:
    return BackgroundProcessor(resources)
