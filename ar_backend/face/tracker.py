"""Following faces between detections, and steadying their landmarks over time.

The detector runs every ``detect_every`` frames; in between, each face's landmarks are
re-fitted near where they were (a few ms instead of a full detection). A face lost in a
refit makes the next frame a detection frame.

Smoothing is motion-adaptive: small movements (landmark jitter on a still face) are damped
hard, large ones are followed at once, and movements under a fraction of a pixel are
ignored, so a still face gives the same landmarks frame after frame (no flicker).
"""

from __future__ import annotations

import time

import numpy as np

from ar_backend.config import FaceOptions
from ar_backend.face.engines.base import Engine, TargetFace
from ar_backend.face.geometry import iou

DEADBAND_PX = 0.3
MATCH_IOU = 0.3


def smooth_points(prev: np.ndarray, new: np.ndarray, size: float, smoothing: float) -> np.ndarray:
    if smoothing <= 0 or prev.shape != new.shape:
        return new
    step = np.linalg.norm(new - prev, axis=1)
    if step.max() < DEADBAND_PX:
        return prev
    alpha = float(np.clip(step.mean() / max(size * 0.04, 1e-6), 1.0 - smoothing, 1.0))
    return prev + alpha * (new - prev)


class FaceTracker:
    """Owned by one thread (the pipeline's process thread)."""

    def __init__(self) -> None:
        self._tracks: list[TargetFace] = []
        self._since_detect = 0
        self._next_id = 1
        self.detections = 0
        self.refits = 0
        self.lost = 0
        self.last_ms: dict[str, float] = {}

    def reset(self) -> None:
        self._tracks = []
        self._since_detect = 0

    @property
    def tracks(self) -> list[TargetFace]:
        return list(self._tracks)

    def update(self, engine: Engine, image: np.ndarray, options: FaceOptions) -> list[TargetFace]:
        t0 = time.perf_counter()
        due = not self._tracks or self._since_detect >= options.detect_every - 1
        if due:
            found = engine.detect(image, options)
            self.detections += 1
            self._since_detect = 0
            stage = "detect"
        else:
            found = []
            for track in self._tracks:
                again = engine.refit(image, track)
                if again is None:
                    self.lost += 1
                else:
                    found.append(again)
            self.refits += 1
            self._since_detect += 1
            if len(found) < len(self._tracks):
                self._since_detect = options.detect_every  # look again on the next frame
            stage = "track"
        if not options.many_faces and found:
            found = [max(found, key=lambda f: f.size)]
        self._tracks = self._match(found, options)
        self.last_ms = {stage: (time.perf_counter() - t0) * 1000}
        return list(self._tracks)

    def _match(self, found: list[TargetFace], options: FaceOptions) -> list[TargetFace]:
        free = list(self._tracks)
        out = []
        for face in found:
            best, best_iou = None, MATCH_IOU
            for prev in free:
                overlap = iou(prev.box, face.box)
                if overlap > best_iou:
                    best, best_iou = prev, overlap
            if best is None:
                face.track_id = self._next_id
                self._next_id += 1
            else:
                free = [p for p in free if p is not best]
                face.track_id = best.track_id
                face.points = smooth_points(best.points, face.points, face.size, options.smoothing)
            out.append(face)
        return out
