"""Measuring a swap: identity by dlib's face-recognition embedding, and what else changed.

dlib's descriptor puts two photos of one person within 0.6 of each other. A swapped face
"moved toward the source" when its descriptor lies nearer the source's than the original
face's did; it "crossed over" when it lies nearer the source than its own original.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Protocol

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
