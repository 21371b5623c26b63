"""dlib's HOG face detector, 68-point landmarks and face-recognition embedding.

The models ship inside the face_recognition_models package (pip); see face/runtime/modelfiles.py.
dlib releases Python's GIL while it works, so the API stays responsive during detection.
"""

from __future__ import annotations

import threading
from typing import Any

import cv2
import numpy as np

from ar_backend.face.runtime.modelfiles import (
    DLIB_LANDMARKS_5,
    DLIB_LANDMARKS_68,
    DLIB_RECOGNITION,
    dlib_model,
)

# HOG's score over which a detection is a face to follow at once: the detector's false finds
# (a badge, a patch) score under it, and so do small faces (face/live/confirm.py checks those first)
SURE_DETECTION = 0.3


def _dlib() -> Any:  # dlib has no type information
    import dlib  # imported on first use: the backend starts without it when face swap is off

    return dlib


class DlibFaces:
    """Detection and landmarks; the embedding model loads on first use (benchmarks, tests)."""

    def __init__(self) -> None:
        dlib = _dlib()
        self._local = threading.local()  # a HOG detector per thread (cheap; keeps them apart)
        self.predictor = dlib.shape_predictor(str(dlib_model(DLIB_LANDMARKS_68)))
        self._recognizer: Any = None
        self._predictor5: Any = None
        self._lock = threading.Lock()

    @property
    def detector(self) -> Any:
        found = getattr(self._local, "detector", None)
        if found is None:
            found = self._local.detector = _dlib().get_frontal_face_detector()
        return found

    @staticmethod
    def gray(image: np.ndarray) -> np.ndarray:
        return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)

    def detect(
        self, image: np.ndarray, max_side: int = 0, upsample: int = 0, pad: float = 0.0
    ) -> list[tuple[np.ndarray, float]]:
        """Face boxes (x1, y1, x2, y2 in image pixels) with scores, best first.

        ``max_side`` > 0 scales the image down first (HOG time grows with the pixels; faces
        under about 80 px at the scaled size are missed). ``pad`` > 0 mirrors that share of
        the longest side out past each edge first: HOG misses a face cut by the frame's edge
        (its window needs the whole face), and finds it in the mirrored border (a face
        coming into view is found while a quarter of it is still outside; boxes may then
        reach past the edge, their centres stay inside).
        """
        gray = self.gray(image)
        h, w = gray.shape[:2]
        scale = 1.0
        if max_side and max(h, w) > max_side:
            scale = max_side / max(h, w)
            gray = cv2.resize(
                gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        border = round(pad * max(gray.shape[:2]))
        if border:
            gray = cv2.copyMakeBorder(gray, border, border, border, border, cv2.BORDER_REFLECT)
        rects, scores, _ = self.detector.run(gray, upsample, 0.0)
        found = []
        for r, s in zip(rects, scores, strict=True):
            corners = np.array([r.left(), r.top(), r.right(), r.bottom()], np.float64)
            box = (corners - border) / scale
            centre = (box[:2] + box[2:]) / 2
            if border and not (0 <= centre[0] < w and 0 <= centre[1] < h):
                continue  # the mirror image of a face near the edge
            found.append((box, float(s)))
        found.sort(key=lambda item: -item[1])
        return found

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """68 points (x, y) fitted inside the box."""
        dlib = _dlib()
        # only the box's neighbourhood goes to dlib (made grey): a face, not the whole frame
        h, w = image.shape[:2]
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        mx, my = (x2 - x1) // 4 + 2, (y2 - y1) // 4 + 2
        cx0, cy0 = max(0, x1 - mx), max(0, y1 - my)
        cx1, cy1 = min(w, x2 + mx), min(h, y2 + my)
        if cx1 - cx0 < 8 or cy1 - cy0 < 8:
            cx0, cy0, cx1, cy1 = 0, 0, w, h
        crop = np.ascontiguousarray(self.gray(image[cy0:cy1, cx0:cx1]))
        rect = dlib.rectangle(x1 - cx0, y1 - cy0, x2 - cx0, y2 - cy0)
        shape = self.predictor(crop, rect)
        return np.array([(p.x + cx0, p.y + cy0) for p in shape.parts()], np.float64)

    def embedding(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """dlib's 128-d face-recognition descriptor (distance < 0.6: the same person)."""
        dlib = _dlib()
        with self._lock:
            if self._recognizer is None:
                self._predictor5 = dlib.shape_predictor(str(dlib_model(DLIB_LANDMARKS_5)))
                self._recognizer = dlib.face_recognition_model_v1(str(dlib_model(DLIB_RECOGNITION)))
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        shape = self._predictor5(rgb, dlib.rectangle(x1, y1, x2, y2))
        return np.array(self._recognizer.compute_face_descriptor(rgb, shape, 0), np.float64)
