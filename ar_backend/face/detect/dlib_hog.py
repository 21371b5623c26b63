"""``dlib_hog``: dlib's HOG face detector (frontal faces, from pip alone).

dlib releases Python's GIL while it works, so the API stays responsive during detection.
Each thread gets its own detector object (keeps the live path and the detector thread
apart): a copy of one built once per process.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

import cv2
import numpy as np

from ar_backend.face.detect.base import FACE_DETECTORS, Found, RunnerType
from ar_backend.face.imaging.images import gray
from ar_backend.face.runtime.modelfiles import dlib_module

# HOG's score over which a detection is a face to follow at once: the detector's false finds
# (a badge, a patch) score under it, and so do small faces (face/live/confirm.py checks those)
SURE_DETECTION = 0.3
EDGE_PAD = 0.1  # edges=True: this share of the longest side mirrored past each edge
THOROUGH_MAX_SIDE = 1024  # uploads up to this size are looked at twice as large (small faces)


NO_KEYPOINTS = np.zeros((0, 2), np.float32)


@functools.cache
def _built() -> Any:
    """dlib's frontal face detector, built once per process: dlib unpacks it from a
    compressed string (about 0.6 s of CPU); a copy of it takes a millisecond."""
    return dlib_module().get_frontal_face_detector()


class DlibHog:
    name = "dlib_hog"
    sure = SURE_DETECTION

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def hog(self) -> Any:
        """This thread's dlib detector."""
        found = getattr(self._local, "detector", None)
        if found is None:
            found = self._local.detector = copy.copy(_built())
        return found

    def run(
        self, grey: np.ndarray, upsample: int = 0, threshold: float = 0.0
    ) -> list[tuple[np.ndarray, float]]:
        """dlib's own answer on a grey image: each box (x1, y1, x2, y2) scoring over
        ``threshold``, with its score, in dlib's order."""
        rects, scores, _ = self.hog.run(np.ascontiguousarray(grey), upsample, threshold)
        return [
            (np.array([r.left(), r.top(), r.right(), r.bottom()], np.float64), float(s))
            for r, s in zip(rects, scores, strict=True)
        ]

    def detect(
        self,
        image: np.ndarray,
        max_side: int = 0,
        *,
        edges: bool = False,
        thorough: bool = False,
        upsample: int | None = None,
        pad: float | None = None,
    ) -> list[Found]:
        """Face boxes with scores (no keypoints), best first.

        ``max_side`` > 0 scales the image down first (HOG time grows with the pixels; faces
        under about 80 px at the scaled size are missed). ``edges`` (or ``pad`` > 0: the
        share) mirrors :data:`EDGE_PAD` of the longest side out past each edge first: HOG
        misses a face cut by the frame's edge (its window needs the whole face), and finds
        it in the mirrored border (a face coming into view is found while a quarter of it
        is still outside; boxes may then reach past the edge, their centres stay inside).
        Not always: the border moves HOG's cell grid (a face in full view scored 0.44,
        then 0.06). ``upsample``: looked at that many times twice as large (small faces);
        ``thorough`` (an upload): once, up to :data:`THOROUGH_MAX_SIDE`.
        """
        if upsample is None:
            upsample = 1 if thorough and max(image.shape[:2]) <= THOROUGH_MAX_SIDE else 0
        grey = gray(image)
        h, w = grey.shape[:2]
        scale = 1.0
        if max_side and max(h, w) > max_side:
            scale = max_side / max(h, w)
            grey = cv2.resize(
                grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        share = (EDGE_PAD if edges else 0.0) if pad is None else pad
        border = round(share * max(grey.shape[:2]))
        if border:
            grey = cv2.copyMakeBorder(grey, border, border, border, border, cv2.BORDER_REFLECT)
        found = []
        for corners, score in self.run(grey, upsample):
            box = (corners - border) / scale
            centre = (box[:2] + box[2:]) / 2
            if border and not (0 <= centre[0] < w and 0 <= centre[1] < h):
                continue  # the mirror image of a face near the edge
            found.append(Found(box.astype(np.float32), NO_KEYPOINTS, score))
        found.sort(key=lambda d: -d.score)
        return found


FACE_DETECTORS.register(
    "dlib_hog",
    RunnerType(
        description="dlib's HOG detector: frontal faces over about 80 px, on the CPU (pip)",
        files=(),  # none: dlib comes with pip (requirements.txt)
        create=lambda files: DlibHog(),
    ),
)
