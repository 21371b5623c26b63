"""The per-frame check that a tracked face is still a face (issue: the swap pasted on a name
tag once the real face had gone).

Between detections the tracker only re-fits landmarks near where the face was, and a
landmark fit always returns a face shape, on a face or not. So every frame, each tracked
face the detector did not find on that very frame is confirmed by a real detector run on the
face's neighbourhood only, cheap because it is small:

- ``classic``: dlib's HOG detector on the box grown by :data:`MARGIN` each side, scaled so
  the face is :data:`FACE_PX` px across (dlib's 80 px window: one or two pyramid levels,
  1-3 ms), turned upright by the head's tilt the fit already knows. It passes when the
  detector finds a face there (score over :data:`THRESHOLD`, lenient: a half-covered or
  turned face scores low but above a name tag) overlapping the tracked box.
- ``inswapper``: its refit *is* the detector (SCRFD on the box's neighbourhood), so a refit
  that returned a face is confirmed.

The detector itself finds a badge or a patch now and then, scoring just over its threshold
(0.05-0.1 where faces score 0.5 and more): a detection under :data:`SURE_DETECTION` is
checked too, and until one check passes clearly (:data:`STRONG`) it needs a clear pass.

A face that fails is not rendered on that frame (the guard covers it) and is dropped by the
tracker after :data:`MAX_FAILS` failing frames in a row (``false_swaps_prevented``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from ar_backend.face.engines.base import Engine, TargetFace
from ar_backend.face.geometry import box_size, iou

FACE_PX = 80.0
MARGIN = 0.3
THRESHOLD = 0.2  # a face's own score is 0.5-1.7; a round patch or a badge scores about 0
SURE_DETECTION = 0.25  # a detection scoring less is checked like a tracked face
STRONG = 0.4  # a pass this clear renews the face's template
LOW = -1.2  # scores down to this pass when the upper face matches the template (a hand)
TEMPLATE_NCC = 0.7
MIN_IOU = 0.25
UPRIGHT_DEG = 10.0
MAX_FAILS = 3  # failing frames in a row that drop a track (the 3rd drops it)

Check = Callable[[np.ndarray, TargetFace], bool]


class HogCheck:
    """dlib's HOG detector on the face's neighbourhood (see the module doc)."""

    def __init__(self, faces: Any) -> None:
        self.faces = faces  # a DlibFaces: its per-thread detector

    def __call__(self, image: np.ndarray, face: TargetFace) -> bool:
        box = np.asarray(face.box, np.float64)
        size = box_size(box)
        if size < 8:
            return False
        scale = FACE_PX / size
        h, w = image.shape[:2]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = size * (0.5 + MARGIN)
        x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
        x1, y1 = min(w, int(np.ceil(cx + half))), min(h, int(np.ceil(cy + half)))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return False
        crop = image[y0:y1, x0:x1]
        gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        gray = cv2.resize(
            gray,
            (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        )
        local = (box - np.array([x0, y0, x0, y0])) * scale
        roll = float(face.extra.get("roll") or 0.0)
        if abs(roll) >= UPRIGHT_DEG:  # HOG's faces are upright: turn the crop as the fit did
            centre = ((local[0] + local[2]) / 2, (local[1] + local[3]) / 2)
            rot = cv2.getRotationMatrix2D(centre, roll, 1.0)
            gray = cv2.warpAffine(gray, rot, (gray.shape[1], gray.shape[0]))
        rects, scores, _ = self.faces.detector.run(np.ascontiguousarray(gray), 0, LOW)
        best = -np.inf
        for r, score in zip(rects, scores, strict=True):
            found = np.array([r.left(), r.top(), r.right(), r.bottom()], np.float64)
            if iou(found, local) > MIN_IOU:
                best = max(best, float(score))
        upper = _upper(gray, local)
        if best > STRONG:
            face.extra["sure"] = True
            if upper is not None:
                face.extra["template"] = upper
        # a face never seen clearly (a weak detection) needs a clear pass
        if best > (THRESHOLD if face.extra.get("sure") else STRONG):
            return True
        # lower: a half-covered or turned face, or a thing that is no face. The upper face
        # (brows, eyes) as last seen clearly tells them apart
        template = face.extra.get("template")
        if best > LOW and template is not None and upper is not None:
            return _ncc(upper, template) > TEMPLATE_NCC
        return False


def _upper(gray: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The upper half of the face box (brows and eyes), 24x12, for a template match."""
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    y1 = (y0 + y1) // 2
    x0, y0 = max(0, x0), max(0, y0)
    patch = gray[y0:y1, x0:x1]
    if patch.shape[0] < 6 or patch.shape[1] < 12:
        return None
    return cv2.resize(patch, (24, 12), interpolation=cv2.INTER_AREA).astype(np.float32)


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 1e-6 else 0.0


def check_for(engine: Engine) -> Check | None:
    """The check for ``engine``'s tracked faces; None: its refit is a detection already."""
    faces = getattr(engine, "faces", None)
    if engine.name == "classic" and faces is not None:
        return HogCheck(faces)
    return None
