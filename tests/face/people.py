"""Pictures for the reference, face-map and face-set tests, built from the group photo
(insightface's t1.jpg): two people side by side, and other photos of each of them."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from ar_backend.face import samples
from ar_backend.face.detect.dlib_hog import DlibHog

SIDE = 240  # each person's tile in the two-person picture
LEFT, RIGHT = 0, 2  # the group's leftmost face and the third: both near frontal


@functools.lru_cache(maxsize=1)
def _group_boxes() -> tuple[tuple[float, ...], ...]:
    found = DlibHog().detect(samples.group(), 0, upsample=1)
    return tuple(tuple(d.box) for d in sorted(found, key=lambda d: float(d.box[0])))


def person(index: int, pad: float = 0.6, side: int = SIDE, mirror: bool = False) -> np.ndarray:
    """The group's face ``index`` (leftmost first) with ``pad`` face widths around it."""
    group = samples.group()
    x0, y0, x1, y1 = _group_boxes()[index]
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * (0.5 + pad)
    crop = group[max(0, int(cy - half)) : int(cy + half), max(0, int(cx - half)) : int(cx + half)]
    crop = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop[:, ::-1]) if mirror else crop


def two_people() -> np.ndarray:
    """LEFT's face on the left half, RIGHT's on the right half (SIDE px each)."""
    return np.hstack([person(LEFT), person(RIGHT)])


def other_photo(index: int) -> np.ndarray:
    """Another photo of the same person: mirrored, framed wider, at another size."""
    return person(index, pad=0.9, side=300, mirror=True)


def changed(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """Mean absolute change (0..255) of the left and the right person's face (the middle
    half of each tile, where the face is)."""
    diff = np.abs(before.astype(np.int16) - after.astype(np.int16)).mean(axis=2)
    h, w = diff.shape
    half = w // 2
    rows = diff[h // 4 : 3 * h // 4]
    return (
        float(rows[:, half // 4 : 3 * half // 4].mean()),
        float(rows[:, half + half // 4 : half + 3 * half // 4].mean()),
    )
