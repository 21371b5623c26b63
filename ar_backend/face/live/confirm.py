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
(up to 0.23 on the demo source). Small faces score as low in the whole frame (a group at
640x480: 0.0-1.0), being near the detector's smallest window. So a detection under the
detector's ``sure`` score (HOG: 0.3, face/detect/dlib_hog.py) starts a tracked face only when
:meth:`HogCheck.starts` sees a face there at :data:`FACE_PX` (small faces then score 0.9-2.0,
the demo's false finds 0.16 at most); else it only keeps a face that is followed already.

A face that fails is not rendered on that frame (the guard covers it) and is dropped by the
tracker after :data:`MAX_FAILS` failing frames in a row (``false_swaps_prevented``). A face
the check finds more than :data:`LAG` of its size away from its tracked box (a sudden fast
move the landmark refit only half followed) is fitted again where it was found.

The template (brows and eyes) is taken from a clear pass and from a clear detection on the
frame itself: a face HOG scores low in its neighbourhood (HOG's scores move with the cell
grid: one still face scored 0.44 in the frame, 0.12 at 80 px) is held by its template.
"""

from __future__ import annotations

import cv2
import numpy as np

from ar_backend.face.detect.dlib_hog import DlibHog
from ar_backend.face.engines.base import Engine
from ar_backend.face.faces import TargetFace
from ar_backend.face.imaging.geometry import box_size, iou

FACE_PX = 80.0
MARGIN = 0.3
THRESHOLD = 0.2  # a face's own score is 0.5-1.7; a round patch or a badge scores about 0
STRONG = 0.4  # a pass this clear renews the face's template
LOW = -1.2  # scores down to this pass when the upper face matches the template (a hand)
TEMPLATE_NCC = 0.7
GRID = (32, 16)  # the template's cells (columns, rows)
MIN_IOU = 0.25
LAG = 0.12  # a face found this far (share of its size) from its tracked box is fitted again
UPRIGHT_DEG = 10.0
MAX_FAILS = 3  # failing frames in a row that drop a track (the 3rd drops it)


class HogCheck:
    """dlib's HOG detector on the face's neighbourhood (see the module doc)."""

    def __init__(self, hog: DlibHog) -> None:
        self.hog = hog  # its per-thread detector

    def __call__(self, image: np.ndarray, face: TargetFace) -> bool:
        best, found = self._detect(image, face)
        upper = _upper(image, face.points)
        if best > STRONG and upper is not None:
            face.extra["template"] = upper
        if best > THRESHOLD:
            if found is not None:
                # the face is there, and the refit lags behind it (a sudden fast move):
                # the tracker fits it again in the box found (tracker.py)
                size = box_size(face.box)
                lag = (found[:2] + found[2:]) / 2 - (face.box[:2] + face.box[2:]) / 2
                if np.abs(lag).max() > LAG * size:
                    face.extra["found_box"] = found
            return True
        # lower: a half-covered or turned face, or a thing that is no face. The upper face
        # (brows, eyes) as last seen clearly tells them apart
        template = face.extra.get("template")
        if best > LOW and template is not None and upper is not None:
            return _ncc(upper, template) > TEMPLATE_NCC
        return False

    def remember(self, image: np.ndarray, face: TargetFace) -> None:
        """``face`` was found clearly on this frame (by the detector): its brows and eyes
        are the template the following checks may match."""
        upper = _upper(image, face.points)
        if upper is not None:
            face.extra["template"] = upper

    def starts(self, image: np.ndarray, face: TargetFace) -> bool:
        """Whether a weak detection (under the detector's ``sure``) is a face to follow."""
        return self.score(image, face) > STRONG

    def score(self, image: np.ndarray, face: TargetFace) -> float:
        """The detector's best score for a face overlapping ``face.box``, seen at
        :data:`FACE_PX` (a small face's score is much higher there than in the whole frame,
        where it is near the detector's smallest window; a badge's stays low)."""
        return self._detect(image, face)[0]

    def _detect(self, image: np.ndarray, face: TargetFace) -> tuple[float, np.ndarray | None]:
        """(best score, its box in the frame: None when the crop was turned upright)."""
        box = np.asarray(face.box, np.float64)
        size = box_size(box)
        if size < 8:
            return -np.inf, None
        scale = FACE_PX / size
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = size * (0.5 + MARGIN)
        x0, y0 = int(cx - half), int(cy - half)
        gray = _crop(image, x0, y0, int(np.ceil(cx + half)), int(np.ceil(cy + half)))
        if gray is None:
            return -np.inf, None
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
        best, where = -np.inf, None
        for found, score in self.hog.run(gray, 0, LOW):
            if iou(found, local) > MIN_IOU and score > best:
                best, where = score, found
        if where is None or abs(roll) >= UPRIGHT_DEG:
            return best, None
        return best, where / scale + np.array([x0, y0, x0, y0])


def _crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
    """The grey region (x0, y0)-(x1, y1) of ``image``, mirrored past the frame's edges (a
    face leaving the frame is still a whole face to the detector, as in face/detect/dlib_hog.py)."""
    h, w = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 - cx0 < 16 or cy1 - cy0 < 16:
        return None
    crop = image[cy0:cy1, cx0:cx1]
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    top, left, bottom, right = cy0 - y0, cx0 - x0, y1 - cy1, x1 - cx1
    if max(top, left, bottom, right) >= min(gray.shape[:2]):
        return None  # most of it is outside: nothing to mirror
    if top or left or bottom or right:
        gray = cv2.copyMakeBorder(gray, top, bottom, left, right, cv2.BORDER_REFLECT)
    return gray


Patch = tuple[np.ndarray, np.ndarray]  # grey values, and where they are inside the frame


def _upper(image: np.ndarray, points: np.ndarray) -> Patch | None:
    """Brows and eyes (landmarks 17-47: above the nose, where a hand over mouth and chin
    does not reach) on a 32x16 grid, for a template match; where that region reaches past
    the frame's edge (a face leaving), its cells are marked outside and left out."""
    if points.shape[0] < 48:
        return None
    upper = points[17:48]
    (x0, y0), (x1, y1) = upper.min(axis=0), upper.max(axis=0)
    mx, my = (x1 - x0) * 0.1, (y1 - y0) * 0.2
    x0, y0, x1, y1 = x0 - mx, y0 - my, x1 + mx, y1 + my
    if x1 - x0 < 12 or y1 - y0 < 6:
        return None
    h, w = image.shape[:2]
    gx, gy = GRID[0] / (x1 - x0), GRID[1] / (y1 - y0)  # grid cells per pixel
    # the inside part of the region, and the grid cells it covers
    ix0, iy0 = max(0, round(x0)), max(0, round(y0))
    ix1, iy1 = min(w, round(x1)), min(h, round(y1))
    c0, r0 = max(0, round((ix0 - x0) * gx)), max(0, round((iy0 - y0) * gy))
    c1, r1 = min(GRID[0], round((ix1 - x0) * gx)), min(GRID[1], round((iy1 - y0) * gy))
    if c1 - c0 < GRID[0] // 2 or r1 - r0 < GRID[1] // 2:
        return None  # most of it is outside
    crop = image[iy0:iy1, ix0:ix1]
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    values = np.zeros((GRID[1], GRID[0]), np.float32)
    inside = np.zeros((GRID[1], GRID[0]), bool)
    values[r0:r1, c0:c1] = cv2.resize(gray, (c1 - c0, r1 - r0), interpolation=cv2.INTER_AREA)
    inside[r0:r1, c0:c1] = True
    return values, inside


def _ncc(a: Patch, b: Patch) -> float:
    """Normalised cross-correlation over the cells both patches hold (0 when too few)."""
    both = a[1] & b[1]
    if both.sum() < both.size // 3:
        return 0.0
    x, y = a[0][both], b[0][both]
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 1e-6 else 0.0


def check_for(engine: Engine) -> HogCheck | None:
    """The check for ``engine``'s tracked faces; None: its refit is a detection already.
    HOG's own, or a HOG detector of its own beside another detector (the thresholds here
    are HOG's)."""
    if engine.refit_detects:
        return None
    detector = engine.detector
    return HogCheck(detector if isinstance(detector, DlibHog) else DlibHog())
