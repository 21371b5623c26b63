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


def test_any_size_shrinks_as_area_averaging_does_with_its_pixel_grid_in_place() -> None:
    """A face region of odd size (its last row or column repeated before each halving):
    within a grey level of OpenCV's INTER_AREA on average, no pixel shifted (a thin line
    lands where INTER_AREA puts it), for 8-bit and float pictures."""
    rng = np.random.default_rng(1)
    region = cv2.GaussianBlur(rng.integers(0, 255, (555, 491, 3), np.uint8), (0, 0), 3)
    region[:, 300] = 255  # a thin bright line
    for size in ((229, 260), (128, 140), (245, 277), (100, 100)):
        small = shrink(region, size)
        area = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        assert small.shape == area.shape and small.dtype == np.uint8
        assert cv2.absdiff(small, area).mean() < 1.0, size
        column = size[0] * 300.5 / 491 - 0.5  # the line's place at that size
        brightest = float(np.argmax(small[:, :, 0].astype(float).sum(axis=0)))
        assert abs(brightest - column) <= 1.0, (size, brightest, column)
    floats = region[..., 0].astype(np.float32) / 255
    assert shrink(floats, (100, 120)).dtype == np.float32
