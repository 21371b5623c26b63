"""The regions MediaPipe's landmark models look at: a rotated square around a face or a hand
(``DetectionsToRectsCalculator`` + ``RectTransformationCalculator``), cut out of the frame
into the model's input square (``ImageToTensorCalculator``), and the model's points put
back into the frame (``LandmarkProjectionCalculator``). Everything is in frame pixels;
angles are in radians, positive turning the region clockwise on the screen (y down), as
MediaPipe's rotation is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Roi:
    """A square of side ``size`` centred on (cx, cy), turned by ``angle``."""

    cx: float
    cy: float
    size: float
    angle: float

    def corners(self) -> Floats:
        """The four corners in the frame: top-left, top-right, bottom-right, bottom-left
        of the upright region."""
        half = self.size / 2
        local = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
        return self._to_frame(local)

    def _to_frame(self, local: Floats) -> Floats:
        c, s = math.cos(self.angle), math.sin(self.angle)
        rot = np.array([[c, -s], [s, c]], np.float32)
        return (local @ rot.T + np.array([self.cx, self.cy], np.float32)).astype(np.float32)

    def matrix(self, side: int) -> npt.NDArray[np.float64]:
        """The 2x3 affine map from the frame to the model's ``side`` x ``side`` input."""
        src = self.corners()[:3].astype(np.float32)
        dst = np.array([[0, 0], [side, 0], [side, side]], np.float32)
        return cv2.getAffineTransform(src, dst).astype(np.float64)

    def crop(self, image: npt.NDArray[np.uint8], side: int) -> npt.NDArray[np.uint8]:
        """The region as a ``side`` x ``side`` image; what lies past the frame's edge is the
        edge's pixels repeated (MediaPipe's face landmark graph: BORDER_REPLICATE)."""
        out = cv2.warpAffine(
            image,
            self.matrix(side),
            (side, side),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return np.asarray(out, np.uint8)

    def project(self, points: Floats, side: int) -> Floats:
        """Points (x, y[, z]) in the model's ``side`` px input into frame pixels; z is scaled
        as x is (MediaPipe's landmarks: z in the units of x)."""
        pts = np.asarray(points, np.float32)
        scale = self.size / side
        local = (pts[:, :2] - side / 2) * scale
        xy = self._to_frame(local)
        if pts.shape[1] < 3:
            return xy
        return np.concatenate([xy, pts[:, 2:3] * scale], axis=1).astype(np.float32)


def normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def rotation(start: Floats, end: Floats, target_deg: float) -> float:
    """``DetectionsToRectsCalculator``'s rotation: the turn that brings the line from
    ``start`` to ``end`` (frame pixels) to ``target_deg`` degrees."""
    return normalize_radians(
        math.radians(target_deg) - math.atan2(-(float(end[1]) - start[1]), float(end[0]) - start[0])
    )


def roi_around(
    box: Floats,
    angle: float,
    scale: float,
    shift: tuple[float, float] = (0.0, 0.0),
) -> Roi:
    """``RectTransformationCalculator`` with ``square_long``: the box (x1, y1, x2, y2, frame
    pixels) turned by ``angle``, shifted by ``shift`` of its width/height along its own
    axes, made square on its long side and grown by ``scale``."""
    w, h = float(box[2] - box[0]), float(box[3] - box[1])
    cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
    if shift != (0.0, 0.0):
        c, s = math.cos(angle), math.sin(angle)
        dx, dy = shift[0] * w, shift[1] * h
        cx += dx * c - dy * s
        cy += dx * s + dy * c
    return Roi(cx, cy, max(w, h) * scale, angle)


def to_tensor(crop: npt.NDArray[np.uint8], low: float, high: float) -> Floats:
    """A BGR crop as the models' NHWC RGB float input in [low, high]."""
    rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)
    return (rgb * ((high - low) / 255.0) + low)[None]
