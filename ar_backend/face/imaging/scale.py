"""Shrinking a picture fast whatever its size: halved by area averaging while it stays at or
above the size wanted, the rest with INTER_AREA at a whole factor, else linearly (under a
factor of two).

OpenCV's INTER_AREA is fast only for a whole factor on a picture that divides by it: a
555 x 490 face region halved to 277 x 245 takes its general path, 1.3 ms, where 554 x 490
takes 0.09 ms (and an odd 1080p frame 12 ms instead of 0.5). So a side of odd length is made
even by repeating its last row or column before it is halved, and the pixel grid of what
follows is kept where it belongs (the last step maps the picture's true extent onto the size
asked, as ``cv2.resize`` would have). A 1080p frame to 640 px: about 1 ms, where INTER_AREA
in one step takes 3 ms (and 10 ms to 1280 px). For 8-bit and float pictures, any channels.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Picture = TypeVar("Picture", bound=npt.NDArray[Any])  # uint8 in, uint8 out; float, float


def shrink(image: Picture, size: tuple[int, int]) -> Picture:
    """``image`` at ``size`` (width, height): itself at its own size, INTER_LINEAR where a
    side grows."""
    w, h = image.shape[1], image.shape[0]
    tw, th = max(1, size[0]), max(1, size[1])
    if (tw, th) == (w, h):
        return image
    if tw > w or th > h:
        return cast(Picture, cv2.resize(image, (tw, th), interpolation=cv2.INTER_LINEAR))
    ew, eh = float(w), float(h)  # the picture's true extent, in its current pixels
    while ew / 2 >= tw and eh / 2 >= th:
        image = _halve(image)
        ew, eh = ew / 2, eh / 2
    cw, ch = image.shape[1], image.shape[0]
    if (ew, eh) == (cw, ch):  # (no odd side was repeated)
        if (cw, ch) == (tw, th):
            return image
        whole = cw % tw == 0 and ch % th == 0 and cw // tw == ch // th
        method = cv2.INTER_AREA if whole else cv2.INTER_LINEAR
        return cast(Picture, cv2.resize(image, (tw, th), interpolation=method))
    # the true extent onto the size asked, as cv2.resize maps pixel centres
    sx, sy = ew / tw, eh / th
    matrix = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
    return cast(
        Picture,
        cv2.warpAffine(
            image,
            matrix,
            (tw, th),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        ),
    )


def area(image: Picture, size: tuple[int, int]) -> Picture:
    """``image`` shrunk to ``size`` by area averaging (as INTER_AREA), fast whatever its
    size: halved while it stays at or above the size asked, then INTER_AREA, whose general
    path is then on a picture at most twice the size. Its pixel grid may be off by up to
    half a source pixel at the far edge (an odd side repeated): for a model's input or a
    mask, not for a picture pasted back (:func:`shrink`)."""
    tw, th = max(1, size[0]), max(1, size[1])
    while image.shape[1] / 2 >= tw and image.shape[0] / 2 >= th:
        image = _halve(image)
    if (image.shape[1], image.shape[0]) == (tw, th):
        return image
    return cast(Picture, cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA))


def _halve(image: Picture) -> Picture:
    """Each 2 x 2 block averaged (an odd side's last row or column repeated first)."""
    h, w = image.shape[:2]
    even: npt.NDArray[Any] = image
    if h % 2 or w % 2:
        even = cv2.copyMakeBorder(image, 0, h % 2, 0, w % 2, cv2.BORDER_REPLICATE)
    half = cv2.resize(even, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
    return cast(Picture, half)


def shrink_to_width(image: Image, width: int) -> Image:
    """``image`` ``width`` px wide, its shape kept (no wider than it is)."""
    h, w = image.shape[:2]
    if width >= w:
        return image
    return shrink(image, (width, max(1, round(h * width / w))))
