"""``face_swap``: hands each frame to the studio's ``FaceSwap`` (ar_backend.face).

It passes frames through unchanged while the swap is off or no face is loaded. The face
tracker lives here because only the process thread may touch it: MediaPipe's detector and
mesh on every frame (face/live/follow.py) when their files are there, else dlib's detector
every few frames with its thread beside (``face.detect_thread``: started here, stopped in
``close()``), said once in the log and in ``/face/status`` ``detection``.
"""

from __future__ import annotations

import logging

from ar_backend.background.compose import face_region
from ar_backend.config import PipelineConfig
from ar_backend.face.live.follow import FaceFollower, mediapipe_follower
from ar_backend.face.live.tracker import DetectorThread, FaceTracker
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register

log = logging.getLogger(__name__)


class FaceSwapProcessor:
    name = "face_swap"

    def __init__(self, resources: ProcessorResources) -> None:
        self.face = resources.face
        self.detector: DetectorThread | None = None
        self.tracker: FaceFollower | FaceTracker
        follower, why = (None, None) if self.face is None else mediapipe_follower(self.face.cfg)
        if follower is not None:
            self.tracker = follower
        else:
            if self.face is not None and why and self.face.cfg.detection.backend != "dlib":
                log.warning("faces are found with dlib's detector, not MediaPipe's: %s", why)
            if self.face is not None and self.face.cfg.detect_thread:
                self.detector = DetectorThread()
                self.detector.start()
            confirm = self.face is not None and self.face.cfg.confirm_faces
            self.tracker = FaceTracker(self.detector, confirm=confirm)
        if self.face is not None:
            self.face.detection = {"tracker": self.tracker.name, "reason": why}

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        if self.face is not None:
            frame.image = self.face.process(frame.image, self.tracker, frame.timings)
            if self.face.enabled:  # for the processors after it (background keeps them)
                frame.meta["faces"] = [
                    face_region(face.points, face.box) for face in self.tracker.tracks
                ]
        return frame

    def close(self) -> None:
        if self.detector is not None:
            self.detector.stop()


@register("face_swap")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> FaceSwapProcessor:
    return FaceSwapProcessor(resources)
