"""Measuring a swap: identity by dlib's face-recognition embedding, and what else changed.

dlib's descriptor puts two photos of one person within 0.6 of each other. A swapped face
"moved toward the source" when its descriptor lies nearer the source's than the original
face's did; it "crossed over" when it lies nearer the source than its own original.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Protocol

import cv2
import numpy as np

from ar_backend.face.imaging.warp import clip_box


@dataclass
class FaceScore:
    d_source: float  # output face to the source identity
    d_original: float  # output face to the face it replaced
    d_before: float  # original face to the source (how far it had to go)

    @property
    def moved(self) -> bool:
        return self.d_source < self.d_before

    @property
    def crossed(self) -> bool:
        return self.d_source < self.d_original

    def as_dict(self) -> dict[str, float | bool]:
        return {**asdict(self), "moved": self.moved, "crossed": self.crossed}


class Descriptor(Protocol):
    """A face descriptor (dlib's: face/detect/dlib_descriptor.py)."""

    def embedding(self, image: np.ndarray, box: np.ndarray) -> np.ndarray: ...


class IdentityScorer:
    def __init__(self, descriptor: Descriptor) -> None:
        self.descriptor = descriptor

    def embed(self, image: np.ndarray, box: np.ndarray) -> np.ndarray:
        return self.descriptor.embedding(image, box)

    def score(
        self, original: np.ndarray, output: np.ndarray, box: np.ndarray, source: np.ndarray
    ) -> FaceScore:
        """``box``: where the face is (detected in the original); ``source``: its embedding."""
        before = self.embed(original, box)
        after = self.embed(output, box)
        return FaceScore(
            d_source=float(np.linalg.norm(after - source)),
            d_original=float(np.linalg.norm(after - before)),
            d_before=float(np.linalg.norm(before - source)),
        )


def outside_mask(shape: tuple[int, ...], boxes: list[np.ndarray], margin: float) -> np.ndarray:
    """True where no face box (grown by ``margin``) reaches."""
    keep = np.ones(shape[:2], bool)
    for box in boxes:
        x0, y0, x1, y1 = clip_box(box, shape, margin=margin)
        keep[y0:y1, x0:x1] = False
    return keep


def background_change(
    original: np.ndarray, output: np.ndarray, boxes: list[np.ndarray], margin: float = 0.6
) -> float:
    """Mean absolute change (0..255) of the pixels away from every face."""
    keep = outside_mask(original.shape, boxes, margin)
    diff = np.abs(original.astype(np.int16) - output.astype(np.int16)).mean(axis=2)
    return float(diff[keep].mean()) if keep.any() else 0.0


def region_flicker(frames: list[np.ndarray], box: np.ndarray, margin: float = 0.2) -> float:
    """Mean absolute change (0..255) of the face region between consecutive frames."""
    if len(frames) < 2:
        return 0.0
    x0, y0, x1, y1 = clip_box(box, frames[0].shape, margin=margin)
    steps = [
        np.abs(a[y0:y1, x0:x1].astype(np.int16) - b[y0:y1, x0:x1].astype(np.int16)).mean()
        for a, b in pairwise(frames)
    ]
    return float(np.mean(steps))


CHANGED = 6  # a pixel whose channels moved by more than this (0..255) was pasted over
SEAM_BAND = 0.06  # the bands each side of the seam, in parts of the face's size


def pasted_region(
    original: np.ndarray, output: np.ndarray, box: np.ndarray, margin: float = 0.6
) -> np.ndarray:
    """Where the face was pasted: the largest region the swap changed near ``box`` (a face
    box, grown by ``margin``), holes filled; a uint8 mask over the frame."""
    x0, y0, x1, y1 = clip_box(box, original.shape, margin=margin)
    diff = np.abs(
        original[y0:y1, x0:x1].astype(np.int16) - output[y0:y1, x0:x1].astype(np.int16)
    ).max(axis=2)
    changed: np.ndarray = np.where(diff > CHANGED, 255, 0).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    region = np.zeros(original.shape[:2], np.uint8)
    contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if contours:
        biggest = max(contours, key=cv2.contourArea)
        cv2.drawContours(region[y0:y1, x0:x1], [biggest], -1, 255, cv2.FILLED)
    return region


def _lab(image: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[..., 0] *= 100 / 255
    lab[..., 1:] -= 128
    return lab


def seam_step(image: np.ndarray, region: np.ndarray, size: float) -> np.ndarray:
    """The Lab colour (L, a, b; CIE scales) of the band just inside the edge of ``region`` (a
    uint8 mask) less that of the band just outside it, each SEAM_BAND of the face's ``size``
    wide; zeros where either band is empty."""
    k = max(3, int(size * SEAM_BAND) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    inner = cv2.subtract(region, cv2.erode(region, kernel)) > 0
    outer = cv2.subtract(cv2.dilate(region, kernel), region) > 0
    if not inner.any() or not outer.any():
        return np.zeros(3)
    lab = _lab(image)
    return np.asarray(lab[inner].mean(axis=0) - lab[outer].mean(axis=0), np.float64)


def seam_delta_e(image: np.ndarray, region: np.ndarray, size: float) -> float:
    """The Lab colour difference (CIE76) across the edge of ``region`` (:func:`seam_step`):
    a pasted face of another colour or light than the skin round it raises it."""
    return float(np.linalg.norm(seam_step(image, region, size)))


def detail_energy(image: np.ndarray, region: np.ndarray, size: float) -> float:
    """The mean squared Laplacian of the grey image inside ``region`` (its edge left out by
    SEAM_BAND of the face's ``size``): how much fine detail the face has (a soft, waxy face
    has little)."""
    k = max(3, int(size * SEAM_BAND) | 1)
    inside = cv2.erode(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0
    if not inside.any():
        return 0.0
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    return float(np.mean(lap[inside] ** 2))
