"""insightface's SCRFD detector (``det_10g.onnx`` in the ``buffalo_l`` analysis pack): boxes,
scores and 5 keypoints (eyes, nose tip, mouth corners) that the swappers align faces on.

It is opened with the pack's recognizer, on the pack's providers, by the engines that use
the pack (face/engines/insight_analysis.py), which wrap it here as a :class:`FaceDetector`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ar_backend.face.detect.base import Found, Image

SOURCE_DET_SIZE = (640, 640)  # uploaded images: one fixed size (one detector session)
SURE_SCORE = 0.3  # under the pack's threshold (det_threshold, 0.5): every face it gives is sure


class Scrfd:
    name = "scrfd"
    sure = SURE_SCORE

    def __init__(self, model: Any) -> None:
        self.model = model  # insightface.model_zoo.scrfd.SCRFD, prepared with keypoints

    def detect_at(self, image: Image, input_size: tuple[int, int]) -> list[Found]:
        """The faces, the image looked at as ``input_size`` (width, height), best first."""
        det, kps = self.model.detect(image, input_size=input_size)
        found = [
            Found(
                box=det[i, :4].astype(np.float32),
                keypoints=kps[i].astype(np.float32),
                score=float(det[i, 4]),
            )
            for i in range(det.shape[0])
        ]
        return sorted(found, key=lambda d: -d.score)

    def detect(
        self, image: Image, max_side: int = 0, *, edges: bool = False, thorough: bool = False
    ) -> list[Found]:
        """A live frame at ``max_side``; ``thorough`` (an upload): at one fixed size (one
        detector session). SCRFD finds a face cut by the edge as it is (``edges``)."""
        if thorough:
            return self.detect_at(image, SOURCE_DET_SIZE)
        return self.detect_at(image, input_size(image.shape, max_side))


def input_size(shape: tuple[int, ...], max_side: int) -> tuple[int, int]:
    """(width, height) for the detector: the frame's aspect, its longest side at most
    ``max_side`` (0: as it is), in multiples of 32 (SCRFD's coarsest stride)."""
    h, w = shape[:2]
    scale = min(1.0, max_side / max(h, w, 1)) if max_side > 0 else 1.0
    return (
        max(32, math.ceil(w * scale / 32) * 32),
        max(32, math.ceil(h * scale / 32) * 32),
    )
