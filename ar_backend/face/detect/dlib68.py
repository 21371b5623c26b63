"""``dlib68``: dlib's 68-point landmark model (jaw, brows, nose, eyes, mouth: the iBUG 300-W
layout), shipped in the face_recognition_models package (face/runtime/modelfiles.py).

The classic engine fits it in a detector's box (:meth:`Dlib68.landmarks`); as a registered
:class:`Landmarker` it fits in a region (a square, turned upright first when the region is
turned: dlib's model was trained on upright faces). It has no presence score: 1.0.
"""

from __future__ import annotations

import numpy as np

from ar_backend.face.detect.base import (
    FACE_LANDMARKERS,
    Floats,
    Found,
    Image,
    Landmarks,
    RunnerType,
)
from ar_backend.face.detect.roi import Roi
from ar_backend.face.imaging.images import gray
from ar_backend.face.runtime.modelfiles import DLIB_LANDMARKS_68, dlib_model, dlib_module

POINTS = 68
UPRIGHT_RAD = 1e-3  # a region turned more than this is cut out upright first


class Dlib68:
    name = "dlib68"
    points = POINTS

    def __init__(self) -> None:
        self.predictor = dlib_module().shape_predictor(str(dlib_model(DLIB_LANDMARKS_68)))

    def landmarks(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        """68 points (x, y) fitted inside the box."""
        dlib = dlib_module()
        # only the box's neighbourhood goes to dlib (made grey): a face, not the whole frame
        h, w = image.shape[:2]
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        mx, my = (x2 - x1) // 4 + 2, (y2 - y1) // 4 + 2
        cx0, cy0 = max(0, x1 - mx), max(0, y1 - my)
        cx1, cy1 = min(w, x2 + mx), min(h, y2 + my)
        if cx1 - cx0 < 8 or cy1 - cy0 < 8:
            cx0, cy0, cx1, cy1 = 0, 0, w, h
        crop = np.ascontiguousarray(gray(image[cy0:cy1, cx0:cx1]))
        rect = dlib.rectangle(x1 - cx0, y1 - cy0, x2 - cx0, y2 - cy0)
        shape = self.predictor(crop, rect)
        return np.array([(p.x + cx0, p.y + cy0) for p in shape.parts()], np.float64)

    # ---- as a registered Landmarker (detect/base.py) ---------------------------------------

    def roi_for(self, found: Found) -> Roi:
        """The detector's box, as a square on its long side."""
        x1, y1, x2, y2 = (float(v) for v in found.box)
        return Roi((x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1), 0.0)

    def roi_from(self, landmarks: Landmarks) -> Roi:
        """The square around the points."""
        xy = landmarks.points[:, :2]
        (x1, y1), (x2, y2) = xy.min(axis=0), xy.max(axis=0)
        return Roi(float(x1 + x2) / 2, float(y1 + y2) / 2, float(max(x2 - x1, y2 - y1)), 0.0)

    def fit(self, image: Image, roi: Roi) -> Landmarks:
        if abs(roi.angle) < UPRIGHT_RAD:
            half = roi.size / 2
            box = np.array([roi.cx - half, roi.cy - half, roi.cx + half, roi.cy + half])
            xy = self.landmarks(image, box)
        else:  # cut out upright, fitted there, put back
            side = max(8, round(roi.size))
            local = self.landmarks(roi.crop(image, side), np.array([0.0, 0.0, side, side]))
            xy = np.asarray(roi.project(local.astype(np.float32), side), np.float64)
        points: Floats = np.zeros((POINTS, 3), np.float32)
        points[:, :2] = xy
        return Landmarks(points, 1.0, roi)


FACE_LANDMARKERS.register(
    "dlib68",
    RunnerType(
        description="dlib's 68 landmarks (face_recognition_models, with pip), on the CPU",
        files=(),  # none in the models folder: face_recognition_models ships it
        create=lambda files: Dlib68(),
    ),
)
