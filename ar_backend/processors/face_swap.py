"""``face_swap``: hands each frame to the studio's ``FaceSwap`` (ar_backend.face).

It passes frames through unchanged while the swap is off or no face is loaded. The face
tracker lives here and only its prepare step touches it (on the pipeline's prepare thread, a
frame ahead of the render, or in ``process`` when there is none): MediaPipe's detector and
mesh on every frame (face/live/follow.py) when their files are there, else dlib's detector
every few frames with its thread beside (``face.detect_thread``: started here, stopped in
``close()``), said once in the log and in ``/face/status`` ``detection``.
"""

from __future__ import annotations

import logging

import numpy as np

from ar_backend.background.compose import face_region
from ar_backend.config import PipelineConfig
from ar_backend.face.live.follow import FaceFollower, mediapipe_follower
from ar_backend.face.live.session import Followed
from ar_backend.face.live.tracker import DetectorThread, FaceTracker
from ar_backend.frames import Frame
from ar_backend.processors.base import ProcessorContext, ProcessorResources, register

log = logging.getLogger(__name__)

FOLLOWED = "face_swap.followed"  # frame.meta: FaceSwap.follow()'s result, from prepare()
REGIONS = "face_swap.regions"  # ... and the regions of the faces followed then


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

    def prepare(self, frame: Frame, ctx: ProcessorContext) -> None:
        """The frame's faces found (on the pipeline's prepare thread, a frame ahead of
        ``process``): the tracker is only touched here then."""
        if self.face is None:
            return
        try:
            frame.meta[FOLLOWED] = self.face.follow(frame.image, self.tracker, frame.timings)
            frame.meta[REGIONS] = self._regions()
        except Exception as exc:  # (never done again by process: the tracker is this thread's)
            frame.meta[FOLLOWED] = Followed.failed(self.face.live.now.engine, exc)
            frame.meta[REGIONS] = []

    def process(self, frame: Frame, ctx: ProcessorContext) -> Frame:
        if self.face is not None:
            ahead = FOLLOWED in frame.meta
            if not ahead:  # (no prepare thread: pipeline.overlap false)
                self.prepare(frame, ctx)
            frame.image = self.face.process(
                frame.image, self.tracker, frame.timings, frame.meta.pop(FOLLOWED), ahead=True
            )
            regions = frame.meta.pop(REGIONS)
            if self.face.enabled:  # for the processors after it (background keeps them)
                frame.meta["faces"] = regions
        return frame

    def _regions(self) -> list[np.ndarray]:
        return [face_region(face.points, face.box) for face in self.tracker.tracks]

    def close(self) -> None:
        if self.detector is not None:
            self.detector.stop()


@register("face_swap")
def _make(cfg: PipelineConfig, resources: ProcessorResources) -> FaceSwapProcessor:
    return FaceSwapProcessor(resources)
