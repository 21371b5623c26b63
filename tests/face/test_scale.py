"""Shrinking a picture (face/imaging/scale.py): the size asked for, the same picture."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from ar_backend.face.imaging.scale import shrink, shrink_to_width


@functools.cache
def picture() -> np.ndarray:
    """A smooth 1080p picture (made once: the tests only read it)."""
    rng = np.random.default_rng(0)
    return cv2.GaussianBlur(rng.integers(0, 255, (1080, 1920, 3), np.uint8), (0, 0), 6)


def test_a_picture_shrinks_to_the_size_asked_and_stays_the_same_picture() -> None:
    image = picture()
    for size in ((960, 540), (640, 360), (256, 144), (500, 300), (1919, 1079), (7, 3)):
        small = shrink(image, size)
        assert small.shape == (size[1], size[0], 3) and small.dtype == np.uint8
        if min(size) >= 100:
            back = cv2.resize(small, (1920, 1080), interpolation=cv2.INTER_LINEAR)
            assert cv2.absdiff(back, image).mean() < 8, size
    assert shrink(image, (1920, 1080)) is image  # its own size: no copy
    assert shrink(image, (2000, 1200)).shape == (1200, 2000, 3)  # grows where asked


def test_to_a_width_keeps_the_shape_and_never_grows() -> None:
    image = picture()
    assert shrink_to_width(image, 640).shape == (360, 640, 3)
    assert shrink_to_width(image, 4000) is image
