"""``face_swap``: hands each frame to the studio's ``FaceSwap`` (ar_backend.face).

It passes frames through unchanged while the swap is off or no face is loaded. The
landmark tracker lives here because only the process thread may touch it; the detector
thread beside it (``face.detect_thread``) is started here and stopped in ``close()``.
"""

from __future__ import annotations

from ar_backend.config import PipelineConfig
from ar_backend.face.live.tracker import DetectorThread, FaceTracker
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register


class FaceSwapProcessor:
    name = "face_swap"

    def __init__(self, resources: ProcessorResources) -> None:
        self.face = resources.face
        detector = None
        if self.face is not None and self.face.cfg.detect_thread:
            detector = DetectorThread()
            detector.start()
        confirm = self.face is not None and self.face.cfg.confirm_faces
        self.tracker = FaceTracker(detector, confirm=confirm)

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        if self.face is not None:
            frame.image = self.face.process(frame.image, self.tracker, frame.timings)
        return frame

    def close(self) -> None:
        if self.tracker.detector is not None:
            self.tracker.detector.stop()


@register("face_swap")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> FaceSwapProcessor:
    return FaceSwapProcessor(resources)
